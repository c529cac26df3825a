"""Near-duplicate seeds across (and within) leaves.

Each context and each question/answer pair becomes a set of word 3-shingles. Candidates are
found through shared rare shingles (a bottom-k sketch over shingles that occur in few texts),
then confirmed by the exact Jaccard similarity, so the work grows with the taxonomy, not with
its square.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

THRESHOLD = 0.8  # Jaccard similarity of word 3-shingles
_SKETCH = 4  # rare shingles per text used as bucket keys
_MIN_SHINGLES = 4  # texts shorter than this are too short to call near-duplicates
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SeedText:
    """One comparable unit: where it is, and its word 3-shingles (hashed)."""

    leaf: str
    path: str
    line: int
    label: str  # "seed 2 context", "seed 0 Q&A 1"
    shingles: frozenset[int]


@dataclass(frozen=True)
class NearDuplicate:
    """Two units whose texts are near-duplicates (``similarity`` is the Jaccard index)."""

    first: SeedText
    second: SeedText
    similarity: float


def shingles(text: str) -> frozenset[int]:
    """The CRC-32 of every run of three words (lower case), as a set."""
    return _shingles(text)


def _shingles(text: str) -> frozenset[int]:
    words = _WORD.findall(text.lower())
    return frozenset(
        zlib.crc32(" ".join(words[i : i + 3]).encode()) for i in range(max(len(words) - 2, 0))
    )


def near_duplicates(units: Iterable[SeedText], threshold: float = THRESHOLD) -> list[NearDuplicate]:
    """Pairs of units with similarity >= *threshold*, excluding pairs inside one seed."""
    items = [(u, u.shingles) for u in units if len(u.shingles) >= _MIN_SHINGLES]
    frequency = Counter(h for _, s in items for h in s)
    cap = max(20, len(items) // 50)  # shingles in more texts than this are boilerplate
    buckets: dict[int, list[int]] = defaultdict(list)
    for index, (_, shingles) in enumerate(items):
        rare = sorted(h for h in shingles if frequency[h] <= cap)[:_SKETCH]
        for h in rare:
            buckets[h].append(index)
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        for i, a in enumerate(members):
            pairs.update((a, b) for b in members[i + 1 :])
    found = []
    for a, b in sorted(pairs):
        (ua, sa), (ub, sb) = items[a], items[b]
        if ua.leaf == ub.leaf and ua.line == ub.line:
            continue  # the question and answer of one seed may overlap
        similarity = len(sa & sb) / len(sa | sb)
        if similarity >= threshold:
            found.append(NearDuplicate(ua, ub, round(similarity, 3)))
    return found
