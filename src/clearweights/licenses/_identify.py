"""Identification: text, notice or name in, licence matches with evidence out."""

from __future__ import annotations

import functools
import hashlib
import re
import zlib
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

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
    FileResult,
    Identification,
    LicenceMatch,
    MatchKind,
)

__all__ = [
    "MAX_BYTES",
    "UNIDENTIFIED",
    "identify_bytes",
    "identify_file",
    "identify_name",
    "identify_text",
]

MAX_BYTES = 1 << 20  # read at most this much of one file
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
# A licence file's name holds one of these words; code and data files named so are not texts.
_LICENCE_WORDS = {"license", "licence", "licenses", "licences", "copying", "eula"}
_NOT_LICENCE_SUFFIX = {
    ".py", ".js", ".ts", ".json", ".jsonl", ".yaml", ".yml", ".toml", ".cfg", ".csv", ".tsv",
    ".sh", ".c", ".h", ".cpp", ".rs", ".go", ".java", ".ipynb", ".safetensors", ".bin", ".gguf",
}  # fmt: skip
_UNKNOWN_RULE = "licence file without identifiable licence"
_UNKNOWN_REASON = (
    "{name} is a licence file, but it holds no licence text, notice or terms that can be "
    "identified: its licence is unknown"
)
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


def _full_text_match(
    catalogue: Catalogue,
    text: str,
    scored: Scored,
    span: tuple[int, int] | None,
    digest: str,
    others: frozenset[int] = frozenset(),
    piece: tuple[int, int] | None = None,
) -> LicenceMatch:
    """The match of one reference; *span* is the block it sits in, ``None`` for the whole text.

    A match on the whole text is scored by Dice; a block in a longer file must hold the
    licence as a whole, else the file holds a modified licence.
    """
    licence = catalogue.licences[scored.ref.licence]
    fingerprint = catalogue.fingerprint(scored.ref)
    start, end = span if span is not None else (0, len(text.rstrip()))
    block = text[start:end]
    if span is None:
        kind, confidence = _kind(catalogue, scored, digest, text)
        if kind is MatchKind.VARIANT:
            # The licence whole in one block, the rest headers and notes that add no terms
            # (front matter, "SPDX short identifier", a repository's title) is the licence.
            left, right = line_span(text, fingerprint)
            if is_whole(text[left:right], fingerprint) and not adds_terms(
                text, fingerprint, frozenset()
            ):
                kind, confidence = MatchKind.FUZZY, scored.containment
                start, end = left, right
                block = text[start:end]
    elif is_whole(block, fingerprint):
        kind, confidence = MatchKind.FUZZY, scored.containment
    else:
        kind, confidence = MatchKind.VARIANT, scored.containment
    differences: tuple[Difference, ...] = ()
    novel: list[tuple[int, str, float]] = []
    if kind is not MatchKind.EXACT:
        novel = novel_passages(block, fingerprint)
        offset_line = text.count("\n", 0, start)
        differences = tuple(
            Difference(line + offset_line, passage[:300], novelty)
            for line, passage, novelty in novel[:12]
        )
    rule = "identical normalised text" if digest == scored.ref.sha256 else "bigram Dice"
    if scored.anchored and kind is not MatchKind.EXACT:
        rule += ", anchors"
    if kind is not MatchKind.EXACT:
        # A block that is not the licence as a whole may have its changes anywhere in the file.
        area = (piece or (0, len(text))) if kind is MatchKind.VARIANT and span else (start, end)
        region = text[area[0] : area[1]]
        added = added_restrictions(text, fingerprint, licence, area)
        # Passages of terms the licence lacks, read or not, make an open licence another one.
        unread = (
            kind is MatchKind.VARIANT
            and is_open(licence)
            and adds_terms(region, fingerprint, others)
        )
        if added or unread:
            licence = modified_licence(licence, added)
            kind, rule = MatchKind.VARIANT, rule + "; the text adds restrictions"
        elif missing := missing_clauses(catalogue, scored.ref, scored.shared):
            # Only a title, preamble or appendix may be missing; a clause may not.
            licence = incomplete_licence(licence, missing)
            kind, rule = MatchKind.VARIANT, rule + "; the text lacks clauses of the licence"
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


# The same licence text is in thousands of releases (every Apache-2.0 LICENSE file): a bulk
# scan identifies each distinct text once. The result is a frozen value of the text alone.
_CACHED_TEXT = 256 << 10
_identify_once = functools.lru_cache(maxsize=256)(identify_text)


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
    found = _identify_once(text) if len(text) <= _CACHED_TEXT else identify_text(text)
    if note and note.startswith("not valid UTF-8") and not found.licences:
        # Nothing read as a licence in a guessed encoding: the file is unreadable, not empty.
        error = "not valid UTF-8, and no licence text when read as Windows-1252"
        return FileResult(name, None, error=error, notes=tuple(notes), bytes_read=len(data))
    if note:
        notes.append(note)
    if not found.licences and licence_file_name(name):
        # A file that says it is a licence but gives none we can read ("All rights reserved.",
        # "See the model card") leaves the licence unknown; it never lets anything else speak.
        reason = _UNKNOWN_REASON.format(name=Path(name).name)
        notes.append(reason)
        whole = [(0, len(text.rstrip()))]
        match = unidentified_match(text, (), whole)
        licence = replace(match.licence, notes=reason)
        found = replace(found, licences=(replace(match, licence=licence, rule=_UNKNOWN_RULE),))
    return FileResult(name, found, notes=tuple(notes), bytes_read=len(data))


def licence_file_name(name: str) -> bool:
    """Whether a file's name says it holds a licence (LICENSE, MODEL_LICENSE.md, COPYING)."""
    base = Path(name).name.lower()
    dot = base.rfind(".")
    if 0 < dot < len(base) - 1 and base[dot:] in _NOT_LICENCE_SUFFIX:
        return False
    return any(word in _LICENCE_WORDS for word in re.split(r"[^a-z]+", base))
