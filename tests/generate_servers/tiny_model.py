"""The tiny teacher: clearweights' own tiny random base (``clearweights.tune.tiny``) built
over a few sentences a teacher prompt uses, so its answers are made of known words."""

from __future__ import annotations

from pathlib import Path

CORPUS = (
    "the question is what the answer is . the answer is yes . the document says the sun is a "
    "star . ready judgment score question answer context reply with word one two three"
)


def build_tiny_model(directory: Path, seed: int = 0) -> Path:
    """Write the model and tokenizer into *directory* and return it."""
    from clearweights.tune.tiny import build_tiny_base

    return build_tiny_base(
        directory, [CORPUS], license_id="apache-2.0", license_text=None, name="tiny-teacher",
        seed=seed,
    )  # fmt: skip
