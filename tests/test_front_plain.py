"""Plain front matter read without a YAML parser is exactly what PyYAML's safe loading reads.

Generated blocks mix the plain shape with everything just outside it (YAML 1.1 booleans,
numbers, nulls and dates, quotes, flow collections, anchors, comments, continuation lines,
odd indentation, form feeds); real blocks are the front matters of the corpus's and the
example releases' cards and of the benchmark's Hub dump.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from clearweights._untrusted import FRONT_MATTER
from clearweights.release._front import plain_front_matter
from clearweights.release.card import _SAFE_LOADER
from tests.scale_corpus import EXAMPLES

CORPUS = Path(__file__).resolve().parent / "corpus"
CARDS = sorted((CORPUS / "cards").rglob("*.md")) + sorted(EXAMPLES.glob("*/README.md"))


def _same(block: str) -> Any:
    """The fast reading, checked against libyaml's and the pure-Python parser's."""
    fast = plain_front_matter(block, _SAFE_LOADER)
    if fast is not None:
        assert repr(fast) == repr(yaml.load(block, Loader=_SAFE_LOADER))
        assert repr(fast) == repr(yaml.safe_load(block))
    return fast


def test_real_front_matters_read_the_same() -> None:
    fast = 0
    for path in CARDS:
        found = FRONT_MATTER.match(path.read_text(encoding="utf-8").removeprefix("\ufeff"))
        if found is not None and _same(found["block"]) is not None:
            fast += 1
    assert fast >= 20  # most real cards are in the plain shape


def test_front_matters_written_by_pyyaml_read_the_same() -> None:
    """Front matter as tools write it (yaml.safe_dump): Hub licence tags, bases, datasets."""
    import random

    fields: dict[str, list[Any]] = {
        "license": ["apache-2.0", "mit", "other", "openrail", "llama3.1", "cc-by-nc-4.0", None],
        "base_model": ["meta-llama/Llama-3.1-8B-Instruct", "openai/whisper-small", None],
        "datasets": [["HuggingFaceH4/ultrachat_200k"], ["tatsu-lab/alpaca", "imdb"], None],
        "pipeline_tag": ["text-generation", "text-to-image", "feature-extraction", None],
        "library_name": ["transformers", "diffusers", "peft", None],
        "tags": [["open-source", "llama"], ["7b"], ["2024"], None],
    }
    rng = random.Random(5)
    fast = 0
    for _ in range(300):
        front = {k: v for k, choices in fields.items() if (v := rng.choice(choices)) is not None}
        if _same(yaml.safe_dump(front, sort_keys=False)) is not None:  # "2024" is quoted
            fast += 1
    assert fast > 150


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("license: mit\ntags:\n- a\n- b\n", {"license": "mit", "tags": ["a", "b"]}),
        ("tags:\n  - x y\n\nlink: https://x.org/l\n", {"tags": ["x y"], "link": "https://x.org/l"}),
        ("datasets:\nlicense: other\n", {"datasets": None, "license": "other"}),
        ("license: mit\nlicense: gpl-3.0\n", {"license": "gpl-3.0"}),
    ],
)
def test_plain_blocks(block: str, expected: dict[str, Any]) -> None:
    assert _same(block) == expected


@pytest.mark.parametrize(
    "block",
    [
        "license: yes\n",  # a YAML 1.1 boolean
        "on: mit\n",  # a boolean key
        "license: 2.0\n",
        "license: null\n",
        "date: 2024-01-01\n",
        "license: 'mit'\n",
        "tags: [a, b]\n",
        "license: mit # comment\n",
        "license: mit\n  continued\n",
        "license:\tmit\n",
        "base: &a x\nother: *a\n",
        "license: !!str 1\n",
        "<<: {a: b}\n",
        "tags:\n  - a\n- b\n",
        "license: mit\r\n",
        "\x0c\nlicense: mit\n",
        "license: caf\u00e9\n",
        "",
    ],
)
def test_blocks_outside_the_shape_go_to_pyyaml(block: str) -> None:
    assert plain_front_matter(block, _SAFE_LOADER) is None


KEYS = ["license", "tags", "base_model", "a.b", "_x", "model-index", "on", "yes", "y", "null",
        "True", "1", "<<", "=", "~", "key with space", "x" * 120]  # fmt: skip
VALUES = ["mit", "apache-2.0", "1", "1.0", "0x1F", "0o7", "1_000", "1:20", "+1", "-1", ".5",
          ".inf", ".NaN", "2024-01-01", "2024-01-01 10:00:00", "null", "Null", "~", "yes", "No",
          "on", "OFF", "y", "n", "=", "a b", "a  b", "a:b", "a: b", "a #c", "a,b", "(x)",
          "meta-llama/Llama-3", "https://x.org/a", "'q'", '"q"', "[a, b]", "{a: b}", "&a x",
          "*a", "!t x", "|", ">", "-", "- x", "? x", "%x", "@x", "`x`", "a::b", "a:", "x" * 50,
          "./a", "/a", "_", "0", "12e3", "1e3", "true", "False", "a.b.c", "7b"]  # fmt: skip
LINE = st.one_of(
    st.builds(
        lambda k, sep, v, tail: f"{k}{sep}{v}{tail}",
        st.sampled_from(KEYS),
        st.sampled_from([": ", ":  ", ":", " : ", ":\t"]),
        st.sampled_from(["", *VALUES]),
        st.sampled_from(["", " ", "  ", " # c", "\r"]),
    ),
    st.builds(
        lambda indent, dash, v: f"{indent}{dash}{v}",
        st.sampled_from(["", " ", "  ", "    ", "\t"]),
        st.sampled_from(["- ", "-  ", "-"]),
        st.sampled_from(VALUES),
    ),
    st.sampled_from(["", " ", "  continued", "# comment", "\x0c", "---", "...", "key"]),
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(LINE, min_size=1, max_size=8))
def test_generated_blocks_read_the_same(lines: list[str]) -> None:
    _same("\n".join(lines) + "\n")


def test_cards_read_the_same_with_and_without_the_plain_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from clearweights.release import card

    texts = [path.read_text(encoding="utf-8") for path in CARDS]
    texts += [f"---\n{yaml.safe_dump({'license': v, 'tags': [v]})}---\n# M\n" for v in VALUES]
    fast = [card._parse_card(text, "README.md") for text in texts]
    monkeypatch.setattr(card, "plain_front_matter", lambda block, loader: None)
    assert fast == [card._parse_card(text, "README.md") for text in texts]
    assert sum(1 for c in fast if c.license) > 40
