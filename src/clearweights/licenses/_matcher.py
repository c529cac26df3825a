"""Full-text matching: word-bigram Dice over an inverted index, with variant resolution.

1. Candidates: references sharing the most sampled bigrams with the input (the index keeps
   a quarter of all bigrams, chosen by hash, so the estimate is unbiased and cheap).
2. Scores: exact Dice and containment on the full fingerprints of the best candidates.
3. Variant resolution: family members whose texts differ only in names and dates are told
   apart by anchors (title, version, date); the best-scoring member whose anchors match wins.
4. Several licences in one file: after the best match, the bigrams it explains are removed
   and the remainder is matched again.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

from clearweights.licenses._catalogue import Catalogue, Reference
from clearweights.licenses._normalize import SAMPLE_MASK, bigram_hashes, tokens

IDENTIFIED = 0.95  # Dice at or above: the licence itself
VARIANT = 0.80  # Dice at or above: a variant of the licence
CONTAINED = 0.90  # share of a reference present for it to count as one of several licences
RIVAL = 0.08  # references scoring this close to the best are compared passage by passage
_MIN_DISTINCT = 3  # word pairs only one rival has that must be present to prefer it
_CANDIDATES = 8
_MIN_BIGRAMS = 12
_MIN_SHARED = 20  # bigrams a licence must contribute to count as one of several


@dataclass(frozen=True)
class Scored:
    """One reference scored against the input."""

    ref: Reference
    dice: float
    containment: float  # share of the reference's bigrams present in the input
    shared: frozenset[int]
    anchored: bool


def _candidates(catalogue: Catalogue, query: set[int], limit: int) -> list[int]:
    indexed = [p for h in query if not h & SAMPLE_MASK and (p := catalogue.postings(h))]
    counts = Counter(chain.from_iterable(indexed))
    if not counts:
        return []
    n = len(indexed)
    references = catalogue.references
    # Rank by the larger of estimated Dice and estimated containment so that a licence
    # embedded in a longer file is still a candidate.
    ranked = sorted(
        counts,
        key=lambda p: (
            -max(
                2 * counts[p] / (n + references[p].indexed),
                counts[p] / max(references[p].indexed, 1),
            )
        ),
    )
    return ranked[:limit]


def _score(catalogue: Catalogue, ref: Reference, query: set[int], joined: str) -> Scored:
    fingerprint = catalogue.fingerprint(ref)
    shared = fingerprint.intersection(query)
    dice = 2 * len(shared) / (len(fingerprint) + len(query))
    anchored = any(a.search(joined) for a in ref.anchors)
    return Scored(ref, dice, len(shared) / len(fingerprint), frozenset(shared), anchored)


def _distinguishing(
    catalogue: Catalogue, a: Scored, b: Scored, query: set[int]
) -> tuple[int, float, int, float]:
    """How much of what only *a* says, and of what only *b* says, the input contains."""
    fa, fb = catalogue.fingerprint(a.ref), catalogue.fingerprint(b.ref)
    sizes = catalogue.exclusive_sizes(a.ref, b.ref)
    present_a = len(a.shared.difference(fb).intersection(query))
    present_b = len(b.shared.difference(fa).intersection(query))
    return (
        present_a,
        present_a / sizes[0] if sizes[0] else 0.0,
        present_b,
        present_b / sizes[1] if sizes[1] else 0.0,
    )


def _prefer(catalogue: Catalogue, current: Scored, other: Scored, query: set[int]) -> bool:
    """Whether *other* beats *current*: an anchor, else the passages only it has are present.

    Two texts that differ in a few passages (Apache-2.0 and the Pixar licence, the LLaMA 1
    licence and DeepFloyd IF's, Llama 3 and 3.1) are told apart by those passages, not by the
    score, which a missing appendix or title moves more than a changed clause.
    """
    if current.anchored != other.anchored:
        same_family = catalogue.licences[current.ref.licence].family is not None and (
            catalogue.licences[current.ref.licence].family
            == catalogue.licences[other.ref.licence].family
        )
        if same_family:
            return other.anchored
    present_cur, share_cur, present_other, share_other = _distinguishing(
        catalogue, current, other, query
    )
    if present_other >= _MIN_DISTINCT and present_cur == 0:
        return True
    if present_cur >= _MIN_DISTINCT and present_other == 0:
        return False
    return present_other >= _MIN_DISTINCT and share_other >= 2 * share_cur + 0.2


def _resolve(catalogue: Catalogue, scored: list[Scored], query: set[int], by: str) -> Scored:
    """Pick the best reference; near rivals are settled by anchors and distinguishing passages."""
    best = scored[0]
    lead = getattr(best, by)
    for other in scored[1:]:
        if lead - getattr(other, by) > RIVAL or other.ref.licence == best.ref.licence:
            continue
        if _prefer(catalogue, best, other, query):
            best = other
    return best


def match_text(
    catalogue: Catalogue, words: Sequence[str], digest: str | None = None, max_licences: int = 4
) -> list[Scored]:
    """Return the references found in a tokenised text, best first.

    *digest* is the SHA-256 of the normalised text; when it is a reference's, that is the
    answer and nothing else is computed.
    """
    joined = " ".join(words)
    if digest is not None and (exact := catalogue.by_digest.get(digest)) is not None:
        anchored = any(a.search(joined) for a in exact.anchors)
        return [Scored(exact, 1.0, 1.0, frozenset(), anchored)]
    query = bigram_hashes(words)
    if len(query) < _MIN_BIGRAMS:
        return []
    found: list[Scored] = []
    remaining = set(query)
    while remaining and len(found) < max_licences:
        positions = _candidates(catalogue, remaining, _CANDIDATES)
        if not positions:
            break
        # Containment is measured against the whole text (licences share boilerplate),
        # but a further licence must also explain bigrams that earlier ones did not.
        scored = sorted(
            (
                _score(catalogue, catalogue.references[p], query if found else remaining, joined)
                for p in positions
            ),
            key=lambda s: (-s.dice, -s.containment, s.ref.licence),
        )
        best = _resolve(catalogue, scored, remaining, "dice")
        if not found and best.dice >= VARIANT:
            found.append(best)
        else:
            # One of several licences: most of the reference must be present.
            contained = [
                s
                for s in scored
                if s.containment >= CONTAINED
                and len(s.shared & remaining) >= _MIN_SHARED
                and s.ref.licence not in {f.ref.licence for f in found}
            ]
            if not contained:
                break
            ranked = sorted(
                contained, key=lambda s: (-round(s.containment, 2), -len(s.shared & remaining))
            )
            best = _resolve(catalogue, ranked, remaining, "containment")
            found.append(best)
        remaining -= catalogue.fingerprint(best.ref)
        if len(remaining) < _MIN_SHARED:
            break
    return found


_PARAGRAPH = re.compile(r"\n\s*\n")


def novel_passages(
    text: str, fingerprint: frozenset[int], threshold: float = 0.3
) -> list[tuple[int, str, float]]:
    """Return ``(line, passage, novelty)`` for passages largely absent from a reference."""
    out: list[tuple[int, str, float]] = []
    position = 0
    for block in _PARAGRAPH.split(text):
        start = text.find(block, position)
        position = start + len(block)
        pairs = bigram_hashes(tokens(block))
        if len(pairs) < 3:
            continue
        novelty = len(pairs - fingerprint) / len(pairs)
        if novelty >= threshold:
            out.append((text.count("\n", 0, start) + 1, " ".join(block.split()), round(novelty, 3)))
    return out


PART = 0.5  # share of a reference that a text made only of it must hold to be a part of it
_PART_OF_INPUT = 0.9  # share of the input's word pairs that must come from that reference
_MIN_PART = 40  # word pairs: a shorter text (a quoted sentence) is not a cut licence
_PART_INDEXED = 0.3  # share of its sampled word pairs a cut licence has in the index, at least


def part_of(catalogue: Catalogue, words: Sequence[str]) -> Scored | None:
    """The reference a text is a cut-down copy of (MIT without its disclaimer), if any.

    Such a text scores below the variant threshold, so ``match_text`` finds nothing; it is
    still that licence's text, less some of it, and must not pass for no licence at all.
    """
    query = bigram_hashes(words)
    if len(query) < _MIN_PART:
        return None
    # Cheap first look (most texts without a licence are READMEs and notes): most of a cut
    # licence's sampled word pairs are in the index, few of a README's are.
    sampled = [h for h in query if not h & SAMPLE_MASK]
    if sum(1 for h in sampled if catalogue.postings(h)) < _PART_INDEXED * len(sampled):
        return None
    joined = " ".join(words)
    scored = [
        _score(catalogue, catalogue.references[p], query, joined)
        for p in _candidates(catalogue, query, _CANDIDATES)
    ]
    parts = [
        s for s in scored if s.containment >= PART and len(s.shared) >= _PART_OF_INPUT * len(query)
    ]
    return max(parts, key=lambda s: (s.containment, s.ref.licence), default=None)
