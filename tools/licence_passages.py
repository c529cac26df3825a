"""The passages of a reference text a copy must keep to count as that licence.

A copy of a licence may lack its title, its preamble, its appendix or "How to apply" notes,
and the licensor's notes after the end of its terms; it may not lack a clause. The build
stores, for every paragraph of the terms proper, a few word pairs only that paragraph has
(a signature); the matcher calls a copy modified when a paragraph's signature is mostly
absent. Where the terms proper start and end is found by the generic markers below, or by
the per-licence spans in tools/sources/optional_spans.toml.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from clearweights.licenses._normalize import bigram_hashes, tokens

SPANS = Path(__file__).resolve().parent / "sources" / "optional_spans.toml"
SIGNATURE = 12  # word pairs kept per paragraph
MIN_UNIQUE = 4  # a paragraph with fewer pairs of its own (a heading, a repeat) is not judged
SHORT = 16  # words: short paragraphs before the first long one are a title block
_PARAGRAPH = re.compile(r"\n\s*\n")
# Where the terms proper start: everything before is a title or a preamble.
_START = r"^[\s#*=-]*(?:TERMS AND CONDITIONS\b[^\n]*)$"
# Where they end: what follows explains how to apply the licence or who publishes it.
_END = (
    r"^[\s#*=-]*(?:END OF TERMS AND CONDITIONS|APPENDIX\b|How to Apply These Terms)"
    r"|^[\s#*=-]*END OF (?:THE )?(?:LICEN[CS]E|AGREEMENT)\b"
)
_LABEL = re.compile(
    r"^\W*((?:section|article)\s+\d+[\w.]*|\d+(?:\.\d+)*\.?|\([a-z0-9]{1,4}\))", re.IGNORECASE
)


_DATE_LINE = re.compile(
    r"^[^\n:]{0,60}\b(?:release date|last (?:modified|updated|revised)|effective date|dated)"
    r"\s*:[^\n]{0,60}$",
    re.IGNORECASE | re.MULTILINE,
)
_ENUMERATOR = re.compile(r"\d{1,2}|[a-z]|[ivx]{2,4}")  # list item marks: "1", "a", "iv"
_SENTENCE = re.compile(r"[.!?;](?:\s|$)")


def _title_block(paragraph: str) -> bool:
    """A title, date or status line: short, or a few lines without a sentence in them."""
    words = len(tokens(paragraph))
    return words < SHORT or (words < 2 * SHORT and not _SENTENCE.search(paragraph.strip()))


def _incipit(paragraph: str, words: int = 6) -> str:
    """The first words of a paragraph, quoted: '"THE SOFTWARE IS PROVIDED AS IS ..."'."""
    shown = " ".join(paragraph.split()[:words]).strip("#*=-_ ")
    return f'"{shown} ..."'


@dataclass(frozen=True)
class Passage:
    """A paragraph of the terms proper: a short label and its signature word pairs."""

    label: str
    signature: tuple[int, ...]


@cache
def _rules() -> list[tuple[re.Pattern[str], str | None, str | None]]:
    raw = tomllib.loads(SPANS.read_text(encoding="utf-8"))
    return [(re.compile(r["ids"]), r.get("start"), r.get("end")) for r in raw.get("span", [])]


def terms_proper(licence_id: str, text: str) -> tuple[int, int]:
    """The character span of the terms proper of a reference text."""
    start_rx, end_rx = _START, _END
    for ids, start, end in _rules():
        if ids.search(licence_id):
            start_rx, end_rx = start or start_rx, end or end_rx
            break
    first, last = 0, len(text)
    head = re.search(start_rx, text, re.MULTILINE | re.IGNORECASE)
    # A start marker far into the text is a clause that mentions it, not a heading.
    if head is not None and head.start() < len(text) // 2:
        first = head.end()
    tail = re.search(end_rx, text[first:], re.MULTILINE | re.IGNORECASE)
    if tail is not None and first + tail.start() > len(text) // 3:
        last = first + tail.start()
    return first, last


def required_passages(licence_id: str, text: str) -> list[Passage]:
    """The paragraphs of the terms proper, each with the word pairs only it has."""
    first, last = terms_proper(licence_id, text)
    paragraphs = [p for p in _PARAGRAPH.split(text[first:last]) if p.strip()]
    # Short lines before the first clause ("Status: This license takes effect 13 May, 2015.")
    # are the title block, which copies rewrite.
    while paragraphs and _title_block(paragraphs[0]):
        first = text.index(paragraphs[0], first) + len(paragraphs[0])
        paragraphs.pop(0)
    words = [tokens(p) for p in paragraphs]
    pairs = [bigram_hashes(w) for w in words]
    # A date line ("Last modified: November 5, 2024") is what copies drop or change; the
    # pairs it makes, with the line before it too, cannot show that a clause is there.
    undated = [bigram_hashes(tokens(_DATE_LINE.sub("", p))) for p in paragraphs]
    # Pairs with a list mark ("a", "1", "iv") change when a copy renumbers its lists
    # (markdown writes "a." as "1."), so they cannot show that a clause is there.
    marks = {
        h
        for w in words
        for a, b in pairwise(w)
        if _ENUMERATOR.fullmatch(a) or _ENUMERATOR.fullmatch(b)
        for h in bigram_hashes([a, b])
    }
    counts: dict[int, int] = {}
    for own in pairs:
        for h in own:
            counts[h] = counts.get(h, 0) + 1
    # The rest of the text (title, appendix) may be missing, so it cannot vouch for a paragraph.
    outside = bigram_hashes(tokens(text[:first])) | bigram_hashes(tokens(text[last:]))
    out: list[Passage] = []
    section = ""  # a paragraph without a number belongs to the last numbered one
    for paragraph, own, kept in zip(paragraphs, pairs, undated, strict=True):
        found = _LABEL.match(paragraph)
        own_label = " ".join(found[1].split()) if found else ""
        if own_label and not own_label.startswith("("):
            section = own_label
        label = section if own_label == section else f"{section} {own_label}".strip()
        # An unnumbered clause is named by its first words, so a report can say which it is.
        label = label or _incipit(paragraph)
        unique = sorted(
            h for h in own & kept if counts[h] == 1 and h not in outside and h not in marks
        )
        if len(unique) >= MIN_UNIQUE:
            out.append(Passage(label, tuple(unique[:SIGNATURE])))
    return out
