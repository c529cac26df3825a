"""Identification: text, notice or name in, licence matches with evidence out."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from clearweights.errors import UsageError
from clearweights.licenses._catalogue import Catalogue, load
from clearweights.licenses._clauses import evidence_at, extract, sentence_around
from clearweights.licenses._expression import parse_expression
from clearweights.licenses._matcher import IDENTIFIED, Scored, match_text, novel_passages
from clearweights.licenses._normalize import bigram_hashes, tokens
from clearweights.licenses._notices import find_notices, resolve_name
from clearweights.licenses.model import (
    Category,
    Citation,
    Difference,
    Evidence,
    ExtractedTerm,
    FileResult,
    Identification,
    Licence,
    LicenceId,
    LicenceMatch,
    MatchKind,
    Term,
    Terms,
)

MAX_BYTES = 1 << 20  # read at most this much of one file
_NOTICE_CONFIDENCE = {"SPDX-License-Identifier": 1.0, "licence sentence": 0.9, "licence link": 0.85}
_LICENCE_WORDS = re.compile(
    r"\b(?:licen[cs]e|agreement|terms of use|permission is hereby|you may not)\b", re.I
)
_EXPRESSION_OPERATOR = re.compile(r"\s(?:AND|OR|WITH)\s")
UNIDENTIFIED = LicenceId("LicenseRef-clearweights-unidentified")


_MAX_GAP = 2  # lines of other text a licence's block may contain (headings, blank list items)


def _line_spans(text: str, fingerprint: frozenset[int]) -> tuple[int, int]:
    """Return the character span of the densest block of lines the reference explains.

    Generic lines ("WITHOUT WARRANTY OF ANY KIND") match many licences, so the block is the
    run of matching lines with the most matched word pairs, not first-to-last match.
    """
    best: tuple[int, int, int] | None = None  # (matched pairs, start, end)
    run_start = run_end = None
    run_score = gap = 0
    position = 0
    for line in text.splitlines(keepends=True):
        pairs = bigram_hashes(tokens(line))
        if len(pairs) >= 2:
            matched = len(pairs & fingerprint)
            if matched >= 0.5 * len(pairs):
                if run_start is None:
                    run_start, run_score = position, 0
                run_end, run_score, gap = position + len(line.rstrip()), run_score + matched, 0
            elif run_start is not None:
                gap += 1
                if gap > _MAX_GAP:
                    if best is None or run_score > best[0]:
                        best = (run_score, run_start, run_end or run_start)
                    run_start = None
        position += len(line)
    if run_start is not None and (best is None or run_score > best[0]):
        best = (run_score, run_start, run_end or run_start)
    if best is None:
        return 0, len(text.rstrip())
    return best[1], best[2]


_RESTRICTIVE = (
    "non_commercial", "research_only", "output_use_restriction", "user_threshold",
    "acceptable_use_policy", "revocable", "remote_restriction",
)  # fmt: skip
_PARAGRAPH = re.compile(r"\n\s*\n")


def _restricts(term: str, value: Any) -> bool:
    if term == "output_use_restriction":
        return bool(value is not None and value.restricted)
    return bool(value)


def added_restrictions(
    text: str, fingerprint: frozenset[int], licence: Licence
) -> tuple[ExtractedTerm, ...]:
    """Restrictions stated in passages the reference text does not have ("MIT, non-commercial").

    Only paragraphs with new word pairs are read, and a term counts only when the sentence
    stating it is new and the licence does not already have that term.
    """
    found: dict[str, ExtractedTerm] = {}
    position = 0
    for block in _PARAGRAPH.split(text):
        start = text.find(block, position)
        position = start + len(block)
        if not bigram_hashes(tokens(block)) - fingerprint:
            continue
        for item in extract(block):
            if item.term not in _RESTRICTIVE or item.term in found:
                continue
            if not _restricts(item.term, item.value):
                continue
            if _restricts(item.term, getattr(licence.terms, item.term).value):
                continue
            left, right = sentence_around(block, item.evidence.start, item.evidence.end)
            if not bigram_hashes(tokens(block[left:right])) - fingerprint:
                continue
            at = evidence_at(text, start + item.evidence.start, start + item.evidence.end)
            found[item.term] = ExtractedTerm(item.term, item.value, at)
    return tuple(found.values())


def modified_licence(licence: Licence, added: tuple[ExtractedTerm, ...]) -> Licence:
    """The record of a known licence whose text adds restrictions: no longer that licence."""
    values: dict[str, Term[Any]] = dict(licence.terms.items())
    for item in added:
        cite = Citation(f"line {item.evidence.line}", item.evidence.text, "extracted")
        values[item.term] = Term(item.value, cite)
    terms = {item.term for item in added}
    if "research_only" in terms:
        category = Category.RESEARCH_ONLY
    elif "non_commercial" in terms:
        category = Category.NON_COMMERCIAL
    else:
        category = Category.PROPRIETARY
    if terms & {"research_only", "non_commercial"}:
        cite = Citation("added terms", "non-commercial or research-only", "extracted")
        values["commercial_use"] = Term(False, cite)
    return replace(
        licence,
        id=LicenceId(f"LicenseRef-clearweights-modified-{licence.id.removeprefix('LicenseRef-')}"),
        name=f"{licence.name}, modified to add restrictions",
        category=category,
        spdx_id=None,
        osi_approved=False,
        fsf_libre=False,
        terms=Terms(**values),
        notes=f"The text is close to the {licence.name} but adds: {', '.join(sorted(terms))}.",
    )


def _full_text_match(
    catalogue: Catalogue, text: str, scored: Scored, single: bool, digest: str
) -> LicenceMatch:
    licence = catalogue.licences[scored.ref.licence]
    fingerprint = catalogue.fingerprint(scored.ref)
    if single and (digest == scored.ref.sha256 or scored.dice >= 0.9995):
        kind, confidence = MatchKind.EXACT, 1.0
    elif single and scored.dice >= IDENTIFIED:
        kind, confidence = MatchKind.FUZZY, scored.dice
    elif single:
        kind, confidence = MatchKind.VARIANT, scored.dice
    else:
        kind, confidence = MatchKind.FUZZY, scored.containment
    start, end = (0, len(text.rstrip())) if single else _line_spans(text, fingerprint)
    differences: tuple[Difference, ...] = ()
    if kind is not MatchKind.EXACT:
        passages = novel_passages(text[start:end], fingerprint)
        offset_line = text.count("\n", 0, start)
        differences = tuple(
            Difference(line + offset_line, passage[:300], novelty)
            for line, passage, novelty in passages[:12]
        )
    if digest == scored.ref.sha256:
        rule = "identical normalised text"
    else:
        rule = "bigram Dice" + (", anchors" if scored.anchored else "")
        added = (
            added_restrictions(text[start:end], fingerprint, licence)
            if kind is not MatchKind.EXACT and single
            else ()
        )
        if added:
            licence = modified_licence(licence, added)
            kind, rule = MatchKind.VARIANT, rule + "; the text adds restrictions"
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


def _unidentified(extracted: tuple[ExtractedTerm, ...]) -> Licence:
    values: dict[str, Term[Any]] = {}
    for item in extracted:
        values[item.term] = Term(
            item.value, Citation(f"line {item.evidence.line}", item.evidence.text, "extracted")
        )
    by_term = {item.term: item.value for item in extracted}
    if by_term.get("research_only"):
        category = Category.RESEARCH_ONLY
    elif by_term.get("non_commercial"):
        category = Category.NON_COMMERCIAL
    else:
        category = Category.PROPRIETARY
    if category is not Category.PROPRIETARY:
        values["commercial_use"] = Term(
            False, Citation("extracted", "non-commercial or research-only terms", "extracted")
        )
    return Licence(
        id=UNIDENTIFIED,
        name="Unidentified licence text",
        category=category,
        terms=Terms(**values),
        notes="No catalogue text matches; terms were read from the text by clause extraction.",
    )


def identify_text(text: str, *, catalogue: Catalogue | None = None) -> Identification:
    """Identify every licence in *text*: full texts, notices, identifiers and names.

    Example:
        >>> from clearweights.licenses import identify
        >>> identify("SPDX-License-Identifier: Apache-2.0").licences[0].licence.id
        'Apache-2.0'
    """
    catalogue = catalogue or load()
    matches: list[LicenceMatch] = []
    notes: list[str] = []
    stripped = text.strip()
    if stripped and "\n" not in stripped and len(stripped) <= 120:
        alias = _name_match(catalogue, stripped)
        if alias:
            return Identification(tuple(alias))
    words = tokens(text)
    digest = hashlib.sha256(" ".join(words).encode()).hexdigest()
    found = match_text(catalogue, words, digest)
    covered: list[tuple[int, int]] = []
    for scored in found:
        match = _full_text_match(catalogue, text, scored, single=len(found) == 1, digest=digest)
        matches.append(match)
        covered.append((match.evidence[0].start, match.evidence[0].end))
    seen = {m.licence.id for m in matches}
    # A single full-text match covers the whole input, so no notice could add anything.
    notices = find_notices(catalogue, text) if len(found) != 1 else iter(())
    for notice in notices:
        inside = any(start <= notice.start and notice.end <= end + 1 for start, end in covered)
        if inside or notice.licence.id in seen:
            continue
        seen.add(notice.licence.id)
        kind = MatchKind.ALIAS if notice.kind == "alias" else MatchKind.NOTICE
        matches.append(
            LicenceMatch(
                licence=notice.licence,
                match=kind,
                confidence=_NOTICE_CONFIDENCE.get(notice.rule, 0.95),
                evidence=(evidence_at(text, notice.start, notice.end),),
                rule=notice.rule,
            )
        )
    # An identified text's terms are the catalogue's; extraction serves the rest.
    identified = (
        any(m.match in (MatchKind.EXACT, MatchKind.FUZZY) for m in matches[:1]) and len(found) == 1
    )
    extracted = () if identified else extract(text)
    if not matches and len(extracted) >= 2 and _LICENCE_WORDS.search(text[:3000]):
        matches.append(
            LicenceMatch(
                licence=_unidentified(extracted),
                match=MatchKind.EXTRACTED,
                confidence=round(min(0.6, 0.2 + 0.1 * len(extracted)), 2),
                evidence=tuple(item.evidence for item in extracted),
                rule="clause extraction",
            )
        )
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


def _decode(data: bytes) -> tuple[str | None, str | None]:
    """Decode bytes as text; return ``(text, note)`` or ``(None, reason)`` for binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "decoded as UTF-16"
    if b"\x00" in data[:8192]:
        return None, "binary file (contains NUL bytes), not a licence text"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:  # a multi-byte character cut by the size limit
            return data[: exc.start].decode("utf-8"), None
        return data.decode("cp1252", errors="replace"), "not valid UTF-8; decoded as Windows-1252"


def identify_file(path: str | Path, *, max_bytes: int = MAX_BYTES) -> FileResult:
    """Identify the licences in one file; unreadable inputs give a result with ``error`` set."""
    shown = str(path)
    target = Path(path)
    try:
        if target.is_dir():
            return FileResult(shown, None, error="is a directory, not a file")
        with target.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        return FileResult(shown, None, error="no such file")
    except PermissionError:
        return FileResult(shown, None, error="permission denied")
    except OSError as exc:
        return FileResult(shown, None, error=f"cannot read: {exc.strerror or exc}")
    return identify_bytes(data, shown, max_bytes=max_bytes)


def identify_bytes(data: bytes, name: str = "-", *, max_bytes: int = MAX_BYTES) -> FileResult:
    """Identify the licences in raw bytes (a file's content or standard input)."""
    notes: list[str] = []
    if len(data) > max_bytes:
        data = data[:max_bytes]
        notes.append(f"larger than {max_bytes} bytes; only the first {max_bytes} bytes were read")
    if not data.strip():
        return FileResult(
            name, Identification(()), notes=(*notes, "empty file"), bytes_read=len(data)
        )
    text, note = _decode(data)
    if text is None:
        return FileResult(name, None, error=note, notes=tuple(notes), bytes_read=len(data))
    if note:
        notes.append(note)
    return FileResult(name, identify_text(text), notes=tuple(notes), bytes_read=len(data))
