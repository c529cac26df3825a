"""Headings and the sections under them are what the heading pattern itself finds.

The card parser finds headings with a greedy pattern and cuts each title in Python, falling
back to the heading pattern (``_HEADING``) where a heading's white space runs past its line or
the next line holds only "#"s; section titles are matched by their lower-case words where
ASCII. Compared here with ``_HEADING.finditer`` and the pattern search of each title, on real
cards and on generated text made of what the pattern turns on.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from clearweights.release import card
from tests.scale_corpus import EXAMPLES

CORPUS = Path(__file__).resolve().parent / "corpus"
CARDS = sorted((CORPUS / "cards").rglob("*.md")) + sorted(EXAMPLES.glob("*/README.md"))


def _plain_section(body: str, pattern: re.Pattern[str]) -> str | None:
    """The text under the first heading whose title the pattern finds (every step by regex)."""
    matches = list(card._HEADING.finditer(body))
    for i, m in enumerate(matches):
        if pattern.search(m[1].strip()):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(body)
            text = " ".join(body[m.end() : end].split())
            return text[: card._SECTION_CHARS] or None
    return None


def _check(body: str) -> list[card.Heading]:
    found = card._headings(body)
    plain = list(card._HEADING.finditer(body))
    assert [(start, title) for start, _, title in found] == [(m.start(), m[1]) for m in plain]
    for (_, end, _), m in zip(found, plain, strict=True):
        assert not body[min(end, m.end()) : max(end, m.end())].strip()  # white space at most
    titles = [title.strip() for _, _, title in found]
    lows = [title.lower() for title in titles]
    for pattern in (card._LIMITATIONS, card._USES):
        section = card._section(body, found, titles, card._framed(lows), pattern)
        assert section == _plain_section(body, pattern)
    return found


def test_real_cards_give_the_patterns_headings_and_sections() -> None:
    from huggingface_hub import ModelCard, ModelCardData

    texts = [path.read_text(encoding="utf-8") for path in CARDS]
    for licence in ("mit", "other", None):  # the card the Hub writes for a new repo
        data = ModelCardData(license=licence, base_model="org/base")
        texts.append(str(ModelCard.from_template(data, model_id="org/model")))
    found = sum(len(_check(text)) for text in texts)
    assert found > 150


PIECES = ["#", "##", "###", "#######", " ", "  ", "\t", "\n", "\n\n", "\r", "\x0b", "\x85",
          "Title", "b c", " #", "# ", "x#", "Uses", "USES", "Limitations", "Bias", "risk",
          "Intended Use", "direct use", "use cases", "\u017fome", "Ri\u212a", "text ",
          "."]  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_generated_text_gives_the_patterns_headings_and_sections(pieces: list[str]) -> None:
    _check("".join(pieces))


def test_the_odd_headings_fall_back_to_the_pattern() -> None:
    """A heading's title on the next line, and a line of "#"s the pattern runs over."""
    assert [t for _, _, t in _check("#\nTitle on the next line\n")] == ["Title on the next line"]
    assert [t for _, _, t in _check("# Uses\n#\nNot a heading\n## Next\n")] == ["Uses", "Next"]
    assert [t for _, _, t in _check("## Risks ##  \n\nText.\n")] == ["Risks"]
