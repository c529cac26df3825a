"""Text normalisation and word-bigram fingerprints shared by the matcher and the data build.

The rules follow the spirit of the SPDX matching guidelines: case, quotes, punctuation,
markup, URLs, copyright lines and line wrapping do not change a licence's identity.
Version numbers such as ``3.1`` stay one token so that family members stay apart.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Sequence
from itertools import pairwise

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
_URL = re.compile(r"(?:https?://|www\.)\S+")
# Markup that carries no words of the licence: HTML tags and the targets of markdown links
# ("[**License**](#license)" is the word "License" once, not twice).
_TAG = re.compile(
    r"</?(?:a|b|i|u|p|br|hr|em|strong|code|pre|span|div|h[1-6]|ul|ol|li|sup|sub|img|table|"
    r"thead|tbody|tr|td|th|blockquote|details|summary|center|font|small)\b[^<>\n]{0,200}/?>",
    re.IGNORECASE,
)
_LINK_TARGET = re.compile(r"\]\((?:#|https?://|www\.|mailto:|\.{0,2}/)[^()\s]*\)")
# A copyright statement, not a wrapped line that happens to start with "copyright notice".
_COPYRIGHT_LINE = re.compile(
    r"^\W*(?:copyright\s*(?:\(c\)|©|\d{4}|by\b)|\(c\)\s*\d{4}|©)", re.IGNORECASE
)
_TOKEN = re.compile(r"[a-z0-9]+(?:[.][a-z0-9]+)*")
# Spelling variants that never change meaning (SPDX guideline "equivalent words").
_EQUIVALENT = {
    "licence": "license",
    "licences": "licenses",
    "licenced": "licensed",
    "organisation": "organization",
    "organisations": "organizations",
    "authorised": "authorized",
    "recognised": "recognized",
    "whilst": "while",
    "sublicence": "sublicense",
}

# Fraction of bigrams kept in the candidate index: a hash is kept when its low bits are 0.
SAMPLE_MASK = 3
# Word pairs found in more than this share of references ("of the", "the software") say little
# about which licence a text is and cost the most to count, so the index leaves them out.
COMMON_PAIR_SHARE = 0.2


def clean(text: str) -> str:
    """Drop markup, URLs and copyright lines; Unicode-normalise, straighten quotes, lowercase."""
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "](" in text:
        text = _LINK_TARGET.sub("]", text)
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    lines = [line for line in text.splitlines() if not _COPYRIGHT_LINE.match(line)]
    return _URL.sub(" ", "\n".join(lines))


def tokens(text: str) -> list[str]:
    """Return the normalised word tokens of *text*."""
    return [_EQUIVALENT.get(t, t) for t in _TOKEN.findall(clean(text))]


def bigram_hashes(words: Sequence[str]) -> set[int]:
    """Return the set of 32-bit hashes of consecutive word pairs."""
    crc = zlib.crc32
    return {crc(f"{a} {b}".encode()) for a, b in pairwise(words)}
