"""Identification: text, notice or name in, licence matches with evidence out."""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import replace
from itertools import pairwise

from clearweights.errors import UsageError
from clearweights.licenses._blocks import (
    adds_terms,
    is_whole,
    line_span,
    looks_like_licence,
    rest_of_file,
    restarts,
    unidentified_match,
)
from clearweights.licenses._catalogue import Catalogue, load
from clearweights.licenses._clauses import evidence_at, extract
from clearweights.licenses._expression import parse_expression
from clearweights.licenses._matcher import (
    IDENTIFIED,
    VARIANT,
    Scored,
    match_text,
    novel_passages,
    part_of,
)
from clearweights.licenses._modified import (
    added_restrictions,
    is_open,
    modified_licence,
    restrictions_beside,
)
from clearweights.licenses._normalize import tokens
from clearweights.licenses._notices import find_notices, resolve_name
from clearweights.licenses._passages import incomplete_licence, missing_clauses
from clearweights.licenses.model import (
    UNIDENTIFIED,
    Difference,
    Evidence,
    Identification,
    Licence,
    LicenceMatch,
    MatchKind,
)

__all__ = ["UNIDENTIFIED", "identify_name", "identify_text"]

_NOTICE_CONFIDENCE = {"SPDX-License-Identifier": 1.0, "licence sentence": 0.9, "licence link": 0.85}
_FULL_TEXT = (MatchKind.EXACT, MatchKind.FUZZY, MatchKind.VARIANT)
# Share of a reference present for a text that adds nothing and keeps every clause to be that
# licence (what is missing can only be a title, preamble, appendix or notes); higher for a
# reference whose clauses are not recorded.
_SUBSET, _SUBSET_UNMARKED = 0.6, 0.85
_ADDED = 0.03  # share of the input's word pairs that may be new in such a text
_RENUMBERED = 0.08  # share of the input's word pairs that list numbering may add besides
_ENUMERATOR = re.compile(r"(?:\d{1,2}|[a-z]|[ivx]{2,4})")  # "1", "a", "iv": list item marks
_LONG_TEXT = 1000  # characters: shorter texts without extracted terms are not read as licences
_REPEAT = 1.3  # a text this many times longer than its licences may hold several copies
_EXPRESSION_OPERATOR = re.compile(r"\s(?:AND|OR|WITH)\s")


def _query_size(catalogue: Catalogue, scored: Scored) -> int:
    """The number of distinct word pairs of the input the score was computed on."""
    size = len(catalogue.fingerprint(scored.ref))
    return round(2 * len(scored.shared) / scored.dice) - size if scored.dice else 0


def _renumbered(text: str, fingerprint: frozenset[int], query: int) -> int:
    """New word pairs that only a list's numbering makes (markdown renumbers "a." as "1."),
    up to a share of the text: they change no term."""
    marks = {
        zlib.crc32(f"{a} {b}".encode())
        for a, b in pairwise(tokens(text))
        if _ENUMERATOR.fullmatch(a) or _ENUMERATOR.fullmatch(b)
    }
    return min(len(marks - fingerprint), round(_RENUMBERED * query))


def _kind(catalogue: Catalogue, scored: Scored, digest: str, text: str) -> tuple[MatchKind, float]:
    """Exact, fuzzy or variant from the score; a text that is the reference minus optional
    parts (an appendix, a title, a preamble), keeps every clause and adds nothing is the
    licence itself."""
    if digest == scored.ref.sha256 or scored.dice >= 0.9995:
        return MatchKind.EXACT, 1.0
    if scored.dice >= IDENTIFIED:
        return MatchKind.FUZZY, scored.dice
    query = _query_size(catalogue, scored)
    fingerprint = catalogue.fingerprint(scored.ref)
    if (
        query
        and scored.containment >= (_SUBSET if scored.ref.labels else _SUBSET_UNMARKED)
        and query - len(scored.shared) - _renumbered(text, fingerprint, query) <= _ADDED * query
        and not adds_terms(text, fingerprint, frozenset())
        and not missing_clauses(catalogue, scored.ref, scored.shared)
    ):
        return MatchKind.FUZZY, scored.containment
    return MatchKind.VARIANT, scored.dice


def _placed_kind(
    catalogue: Catalogue, text: str, scored: Scored, span: tuple[int, int] | None, digest: str
) -> tuple[MatchKind, float, int, int]:
    """How a reference matches (kind, confidence) and the characters it covers.

    A match on the whole text is scored by Dice; a block in a longer file must hold the
    licence as a whole, else the file holds a modified licence.
    """
    fingerprint = catalogue.fingerprint(scored.ref)
    start, end = span if span is not None else (0, len(text.rstrip()))
    if span is not None:
        whole = is_whole(text[start:end], fingerprint)
        return (MatchKind.FUZZY if whole else MatchKind.VARIANT), scored.containment, start, end
    kind, confidence = _kind(catalogue, scored, digest, text)
    if kind is MatchKind.VARIANT:
        # The licence whole in one block, the rest headers and notes that add no terms
        # (front matter, "SPDX short identifier", a repository's title) is the licence.
        left, right = line_span(text, fingerprint)
        if is_whole(text[left:right], fingerprint) and not adds_terms(
            text, fingerprint, frozenset()
        ):
            return MatchKind.FUZZY, scored.containment, left, right
    return kind, confidence, start, end


def _changed(
    catalogue: Catalogue,
    text: str,
    scored: Scored,
    area: tuple[int, int],
    variant: bool,
    others: frozenset[int],
) -> tuple[Licence, str] | None:
    """The licence a changed text really gives, and why; ``None`` when it is the licence.

    Passages of terms the licence lacks, read or not, make an open licence another one; only
    a title, preamble or appendix may be missing, a clause may not.
    """
    licence = catalogue.licences[scored.ref.licence]
    fingerprint = catalogue.fingerprint(scored.ref)
    added = added_restrictions(text, fingerprint, licence, area)
    region = text[area[0] : area[1]]
    unread = variant and is_open(licence) and adds_terms(region, fingerprint, others)
    if added or unread:
        return modified_licence(licence, added), "; the text adds restrictions"
    if missing := missing_clauses(catalogue, scored.ref, scored.shared):
        return incomplete_licence(licence, missing), "; the text lacks clauses of the licence"
    return None


def _full_text_match(
    catalogue: Catalogue,
    text: str,
    scored: Scored,
    span: tuple[int, int] | None,
    digest: str,
    others: frozenset[int] = frozenset(),
    piece: tuple[int, int] | None = None,
) -> LicenceMatch:
    """The match of one reference; *span* is the block it sits in, ``None`` for the whole text."""
    licence = catalogue.licences[scored.ref.licence]
    kind, confidence, start, end = _placed_kind(catalogue, text, scored, span, digest)
    differences: tuple[Difference, ...] = ()
    rule = "identical normalised text" if digest == scored.ref.sha256 else "bigram Dice"
    if kind is not MatchKind.EXACT:
        novel = novel_passages(text[start:end], catalogue.fingerprint(scored.ref))
        offset_line = text.count("\n", 0, start)
        differences = tuple(
            Difference(line + offset_line, passage[:300], novelty)
            for line, passage, novelty in novel[:12]
        )
        if scored.anchored:
            rule += ", anchors"
        # A block that is not the licence as a whole may have its changes anywhere in the file.
        variant = kind is MatchKind.VARIANT
        area = (piece or (0, len(text))) if variant and span else (start, end)
        if changed := _changed(catalogue, text, scored, area, variant, others):
            licence, kind, rule = changed[0], MatchKind.VARIANT, rule + changed[1]
    return LicenceMatch(
        licence=licence,
        match=kind,
        confidence=round(confidence, 4),
        evidence=(evidence_at(text, start, end),),
        differences=differences,
        rule=rule,
        score=round(scored.dice, 4),
        coverage=round(scored.containment, 4),
    )


Placed = tuple[Scored, tuple[int, int] | None, tuple[int, int]]  # reference, block, piece


def _spans(catalogue: Catalogue, text: str, found: list[Scored]) -> list[Placed]:
    """Where each reference sits: the whole text for a lone Dice match, else its block."""
    whole = (0, len(text))
    if len(found) == 1 and found[0].dice >= VARIANT:
        return [(found[0], None, whole)]
    return [(s, line_span(text, catalogue.fingerprint(s.ref)), whole) for s in found]


def _pieces(
    catalogue: Catalogue, text: str, found: list[Scored], words: int
) -> list[Placed] | None:
    """Cut a text that repeats itself (MIT twice, BSD-2 then BSD-3) and match each piece.

    Word-pair sets hide repetition, so a file much longer than the licences found in it is
    cut where its text starts again; ``None`` when that finds no second licence text.
    """
    if not found or words <= _REPEAT * sum(s.ref.tokens for s in found):
        return None
    cuts = restarts(text)
    if not cuts:
        return None
    bounds = [0, *cuts, len(text)]
    out: list[Placed] = []
    for start, end in pairwise(bounds):
        for scored in match_text(catalogue, tokens(text[start:end])):
            left, right = line_span(text[start:end], catalogue.fingerprint(scored.ref))
            out.append((scored, (start + left, start + right), (start, end)))
    return out if len(out) >= 2 else None


def _merge(matches: list[LicenceMatch]) -> list[LicenceMatch]:
    """One match per licence: copies with other copyright holders are one licence."""
    merged: dict[str, LicenceMatch] = {}
    for m in matches:
        first = merged.get(m.licence.id)
        if first is None:
            merged[m.licence.id] = m
        else:
            merged[m.licence.id] = replace(first, evidence=first.evidence + m.evidence)
    return list(merged.values())


def _full_text_matches(catalogue: Catalogue, text: str, words: list[str]) -> list[LicenceMatch]:
    digest = hashlib.sha256(" ".join(words).encode()).hexdigest()
    found = match_text(catalogue, words, digest)
    if not found and (part := part_of(catalogue, words)) is not None:
        return _cut_down(catalogue, text, part)
    pieces = _pieces(catalogue, text, found, len(words))
    placed = pieces or _spans(catalogue, text, found)
    refs = {scored.ref.offset: scored.ref for scored, _, _ in placed}
    matches, covered = [], []
    for scored, span, piece in placed:
        others = frozenset().union(
            *(catalogue.fingerprint(ref) for key, ref in refs.items() if key != scored.ref.offset)
        )
        match = _full_text_match(catalogue, text, scored, span, digest, others, piece)
        matches.append(match)
        # A matched piece is explained as a whole; elsewhere only the licence's block is.
        covered.append(piece if pieces else (match.evidence[0].start, match.evidence[0].end))
    return _merge(rest_of_file(text, matches, covered)) if matches else matches


def _cut_down(catalogue: Catalogue, text: str, part: Scored) -> list[LicenceMatch]:
    """A text made of part of a licence, too little of it to score (MIT without its
    disclaimer, Apache-2.0 without §4 to §9): that licence, modified, with what it lacks."""
    missing = missing_clauses(catalogue, part.ref, part.shared)
    if not missing:
        return []
    licence = incomplete_licence(catalogue.licences[part.ref.licence], missing)
    return [
        LicenceMatch(
            licence=licence,
            match=MatchKind.VARIANT,
            confidence=round(part.containment, 4),
            evidence=(evidence_at(text, 0, len(text.rstrip())),),
            rule="part of the licence text; the text lacks clauses of the licence",
            score=round(part.dice, 4),
            coverage=round(part.containment, 4),
        )
    ]


def identify_text(text: str, *, catalogue: Catalogue | None = None) -> Identification:
    """Identify every licence in *text*: full texts, notices, identifiers and names.

    Example:
        >>> from clearweights.licenses import identify
        >>> identify("SPDX-License-Identifier: Apache-2.0").licences[0].licence.id
        'Apache-2.0'
    """
    catalogue = catalogue or load()
    notes: list[str] = []
    stripped = text.strip()
    if stripped and "\n" not in stripped and len(stripped) <= 120:
        alias = _name_match(catalogue, stripped)
        if alias:
            return Identification(tuple(alias))
    matches = _full_text_matches(catalogue, text, tokens(text))
    covered = [(e.start, e.end) for m in matches for e in m.evidence]
    seen = {m.licence.id for m in matches}
    whole = len(matches) == 1 and matches[0].evidence[0].start == 0
    # A match on the whole text covers it, so no notice could add anything.
    for notice in () if whole else find_notices(catalogue, text):
        inside = any(start <= notice.start and notice.end <= end + 1 for start, end in covered)
        if inside or notice.licence.id in seen:
            continue
        seen.add(notice.licence.id)
        kind = MatchKind.ALIAS if notice.kind == "alias" else MatchKind.NOTICE
        licence = notice.licence
        if is_open(licence) and (added := restrictions_beside(text, notice.start, notice.end)):
            licence = modified_licence(licence, added)  # "MIT, no commercial use" is not MIT
        matches.append(
            LicenceMatch(
                licence=licence,
                match=kind,
                confidence=_NOTICE_CONFIDENCE.get(notice.rule, 0.95),
                evidence=(evidence_at(text, notice.start, notice.end),),
                rule=notice.rule,
            )
        )
    # An identified text's terms are the catalogue's; extraction serves the rest.
    identified = whole and matches[0].match in (MatchKind.EXACT, MatchKind.FUZZY)
    extracted = () if identified else extract(text)
    full = any(m.match in _FULL_TEXT for m in matches)
    # Without extracted terms only a long text can carry enough marks of licence language.
    maybe = bool(extracted) or len(text) >= _LONG_TEXT
    if not full and maybe and looks_like_licence(text, len(extracted)):
        matches.append(unidentified_match(text, extracted, [(0, len(text.rstrip()))]))
    if any(m.match is MatchKind.EXTRACTED for m in matches):
        notes.append(
            "no catalogue licence matches this text; its terms were extracted clause by clause"
        )
    return Identification(tuple(matches), extracted, tuple(notes))


def _name_match(catalogue: Catalogue, name: str) -> list[LicenceMatch]:
    """Match a one-line input as an SPDX expression or a licence name."""
    evidence = (Evidence(0, len(name), 1, name),)
    if _EXPRESSION_OPERATOR.search(name):
        try:
            expression = parse_expression(name, catalogue)
        except UsageError:
            return []
        return [
            LicenceMatch(licence, MatchKind.ALIAS, 1.0, evidence, rule="SPDX expression")
            for licence in expression.licences(catalogue)
        ]
    licence = resolve_name(catalogue, name)
    if licence is None:
        return []
    confidence = 1.0 if name == licence.id else 0.9
    return [LicenceMatch(licence, MatchKind.ALIAS, confidence, evidence, rule="name")]


def identify_name(name: str) -> LicenceMatch | None:
    """Resolve a licence name, id or Hugging Face id as people write it, or return ``None``."""
    found = _name_match(load(), name.strip())
    return found[0] if found else None
