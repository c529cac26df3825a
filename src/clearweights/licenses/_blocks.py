"""Where a licence sits in a file, and what the rest of the file does to it.

A reference found in a file counts as that licence only when its text is there as one block
and nothing inside or around the block restricts it; otherwise the file holds a modified
licence, which is never open. Files that repeat a licence or join members of one family
(BSD-2-Clause then BSD-3-Clause) are cut where the text starts again, so each copy is
identified on its own.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from typing import Any

from clearweights.licenses._clauses import evidence_at, extract
from clearweights.licenses._consistency import reconcile_commercial
from clearweights.licenses._modified import (
    RESTRICTIVE,
    is_open,
    modified_licence,
    restricts,
)
from clearweights.licenses._normalize import bigram_hashes, tokens
from clearweights.licenses.model import (
    UNIDENTIFIED,
    Category,
    Citation,
    ExtractedTerm,
    Licence,
    LicenceMatch,
    MatchKind,
    Term,
    Terms,
)

_MAX_GAP = 2  # lines of other text a licence's block may contain (headings, blank list items)
WHOLE_COVERAGE = 0.85  # share of the reference a block must hold to be the licence as a whole
WHOLE_NOVELTY = 0.10  # share of a block's word pairs the reference may lack
_PARAGRAPH = re.compile(r"\n\s*\n")
# Words that make a passage change what a licence allows (not headings, names or dates).
_OPERATIVE = re.compile(
    r"\b(?:(?:may|must|shall|will) not|prohibited|not permitted|only for|solely for|royalt"
    r"(?:y|ies)|revenue|fees?|permission|consent|commercial|restrict\w*|terminat\w*|"
    r"licensee|you (?:may|must|shall|agree)|grants?)\b",
    re.IGNORECASE,
)
_MIN_REST = 200  # characters outside the licence blocks worth reading as licence text
_RESTART_SHARE = 0.85  # share of a window's word pairs already seen: the text starts again
_RESTART_LINES = 3


def line_span(text: str, fingerprint: frozenset[int]) -> tuple[int, int]:
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


def is_whole(block: str, fingerprint: frozenset[int]) -> bool:
    """Whether *block* is the reference as a whole: most of it, and little else inside."""
    pairs = bigram_hashes(tokens(block))
    if not pairs or not fingerprint:
        return False
    shared = len(pairs & fingerprint)
    return shared >= WHOLE_COVERAGE * len(fingerprint) and len(
        pairs
    ) - shared <= WHOLE_NOVELTY * len(pairs)


def operative(passage: str) -> bool:
    """Whether a passage reads as licence terms (permissions, duties, bans), not a heading."""
    return len(tokens(passage)) >= 8 and _OPERATIVE.search(passage) is not None


def restarts(text: str) -> list[int]:
    """Offsets where the text starts again: a run of lines whose word pairs were all seen.

    Within one licence, lines rarely repeat several in a row; a second copy (MIT twice, BSD-2
    then BSD-3) repeats from its first line, so that is where a new piece begins.
    """
    lines: list[tuple[int, int, set[int]]] = []  # (start, end, word pairs) of text lines
    position = 0
    for line in text.splitlines(keepends=True):
        pairs = bigram_hashes(tokens(line))
        if len(pairs) >= 4:
            lines.append((position, position + len(line), pairs))
        position += len(line)
    cuts: list[int] = []
    seen: set[int] = set()
    for i, (_, _, pairs) in enumerate(lines):
        window = lines[i : i + _RESTART_LINES]
        total = sum(len(p) for _, _, p in window)
        repeated = sum(len(p & seen) for _, _, p in window)
        if len(window) == _RESTART_LINES and len(seen) >= 40 and repeated >= _RESTART_SHARE * total:
            # The new piece starts after the last line of text, so its title and copyright
            # lines go with it.
            cuts.append(lines[i - 1][1])
            seen = set()
        seen |= pairs
    return cuts


# Marks of licence terms: a text with several of them grants, bars or disclaims something.
# Compiled on first use: only texts that no catalogue licence matches need them.
_MARK_PATTERNS = (
    r"\bhereby grants?\b|\bpermission is hereby granted\b|\bgrants? (?:to )?you\b",
    r"\byou (?:may|must|shall|will) not\b|\bdo not use\b",
    r"\blicensee\b|\blicensor\b",
    r"\bterms and conditions\b",
    r"\bsubject to the (?:terms|conditions|following)\b",
    r"\byou agree\b",
    r"\b(?:shall|will) (?:automatically )?terminate\b",
    r"\bas[- ]is\b[\W_]{0,8}without warrant",
    r"\bin no event shall\b|\bshall not be liable\b",
    r"\bnon-?exclusive\b[^.]{0,40}\b(?:licen[cs]e|right)\b",
    r"\broyalty[- ]free\b|\broyalt(?:y|ies) (?:payment|rate)",
    r"\bredistribut(?:e|es|ion|ions)\b[^.]{0,60}\b(?:must|provided that|retain)\b",
    r"\bthis (?:licen[cs]e|agreement)\b",
    r"\bgoverned by\b[^.]{0,40}\blaws?\b",
)
# A first line that is the text's own title ("# Model Weights License (Non-Commercial)",
# "License Agreement for Model Weights"), not a headline about a licence.
_TITLE = re.compile(
    r"^[\s#*_>]*(?:[\w.,'&/-]+ ){0,8}(?:licen[cs]e|agreement|terms of use|terms and conditions)"
    r"(?: agreement| for [\w ]{1,40}| v?\d[\w.]*| version [\d.]+)?[\s*_]*(?:\([^)\n]{1,40}\))?"
    r"[\s*_]*$",
    re.IGNORECASE,
)
# A licence speaks of itself; a page about licences speaks of "the licence" or "its licence".
_SELF = re.compile(r"\bthis (?:licen[cs]e|(?:licen[cs]e )?agreement)\b", re.IGNORECASE)
# What is licensed: a website or service (terms of service) is not a licensed work.
_WEB = re.compile(r"\b(?:web ?sites?|site|platform|apps?|accounts?|services?)\b", re.IGNORECASE)
_WORK = re.compile(
    r"\b(?:software|models?|weights|materials|works?|datasets?|data|code|programs?|checkpoints?)\b",
    re.IGNORECASE,
)
_MARK_WINDOW = 30_000
_MARKS_WITH_TERMS = 3
_MARKS_WITHOUT_TERMS = 6


@cache
def _licence_marks() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in _MARK_PATTERNS)


def looks_like_licence(text: str, terms: int) -> bool:
    """Whether *text* is licence terms (not a page that talks about licences).

    It must name itself a licence (its title, or "this License"), be about a work rather
    than a website, and carry marks of licence language: a few with extracted terms, many
    without, so that an unknown licence is kept but a blog post or README is not.
    """
    head = text[:_MARK_WINDOW]
    first = next((line for line in head.splitlines() if line.strip()), "")
    if not (_TITLE.match(first) or _SELF.search(head)):
        return False
    if len(_WEB.findall(head)) > len(_WORK.findall(head)):
        return False
    marks = sum(1 for rx in _licence_marks() if rx.search(head))
    return marks >= (_MARKS_WITH_TERMS if terms else _MARKS_WITHOUT_TERMS)


def adds_terms(text: str, fingerprint: frozenset[int], others: frozenset[int]) -> bool:
    """Whether *text* has lines of licence terms that neither the reference nor the other
    licences found in the file contain (a royalty clause in an Apache-2.0 body)."""
    for line in text.splitlines():
        pairs = bigram_hashes(tokens(line))
        if len(pairs) < 6 or len(pairs & others) >= 0.5 * len(pairs):
            continue
        if len(pairs - fingerprint) >= 0.5 * len(pairs) and operative(line):
            return True
    return False


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
        terms=Terms(**reconcile_commercial(values)),
        notes="No catalogue text matches; terms were read from the text by clause extraction.",
    )


def _uncovered(text: str, covered: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans of the text outside the *covered* ones."""
    spans, position = [], 0
    for start, end in sorted(covered):
        if text[position:start].strip():
            spans.append((position, start))
        position = max(position, end)
    if text[position:].strip():
        spans.append((position, len(text)))
    return spans


def _extract_in(text: str, spans: list[tuple[int, int]]) -> tuple[ExtractedTerm, ...]:
    """Clause extraction over parts of a text, with evidence at their places in the text."""
    found: dict[str, ExtractedTerm] = {}
    for start, end in spans:
        for item in extract(text[start:end]):
            at = evidence_at(text, start + item.evidence.start, start + item.evidence.end)
            found.setdefault(item.term, ExtractedTerm(item.term, item.value, at))
    return tuple(found.values())


def rest_of_file(
    text: str, matches: list[LicenceMatch], covered: list[tuple[int, int]]
) -> list[LicenceMatch]:
    """What a file says outside its licence blocks, when it is licence text.

    Restrictions there make an open licence found as a block a modified one (an Apache-2.0
    body with a royalty clause after it); other licence text is kept as an unidentified
    licence with its terms, never dropped.
    """
    if any(m.match is MatchKind.VARIANT for m in matches):
        return matches  # a variant's changes may lie anywhere: the rest is part of it
    spans = _uncovered(text, covered)
    rest = "\n\n".join(text[start:end] for start, end in spans)
    if len(rest) < _MIN_REST:
        return matches
    extracted = _extract_in(text, spans)
    if not looks_like_licence(rest, len(extracted)):
        return matches
    blocks = [m for m in matches if m.match is MatchKind.FUZZY and is_open(m.licence)]
    added = (
        tuple(
            item
            for item in extracted
            if item.term in RESTRICTIVE
            and restricts(item.term, item.value)
            and not restricts(item.term, getattr(blocks[0].licence.terms, item.term).value)
        )
        if blocks
        else ()
    )
    if not added:
        return [*matches, unidentified_match(text, extracted, spans)]
    return [
        replace(
            m,
            licence=modified_licence(m.licence, added),
            match=MatchKind.VARIANT,
            rule=m.rule + "; the rest of the file adds restrictions",
        )
        if m in blocks
        else m
        for m in matches
    ]


def unidentified_match(
    text: str, extracted: tuple[ExtractedTerm, ...], spans: list[tuple[int, int]]
) -> LicenceMatch:
    """A licence text no catalogue record matches, with the terms read from it."""
    return LicenceMatch(
        licence=_unidentified(extracted),
        match=MatchKind.EXTRACTED,
        confidence=round(min(0.6, 0.2 + 0.1 * len(extracted)), 2),
        evidence=tuple(item.evidence for item in extracted)
        or tuple(evidence_at(text, start, end) for start, end in spans),
        rule="clause extraction",
    )
