"""What a text adds to a known licence: restrictions beside it, and the changed record.

A licence text with a passage that takes a freedom away ("MIT, non-commercial") is no longer
that licence: it becomes a modified record, never open, whose lost freedoms are unknown unless
the added passages say what they are.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from clearweights.licenses._clauses import evidence_at, extract, sentence_around
from clearweights.licenses._consistency import reconcile_commercial
from clearweights.licenses._normalize import bigram_hashes, tokens
from clearweights.licenses.model import (
    MODIFIED_PREFIX,
    Category,
    Citation,
    ExtractedTerm,
    Licence,
    LicenceId,
    OutputUse,
    Term,
    Terms,
)

_PARAGRAPH = re.compile(r"\n\s*\n")
RESTRICTIVE = (
    "non_commercial", "research_only", "output_use_restriction", "user_threshold",
    "acceptable_use_policy", "revocable", "remote_restriction", "territorial_exclusions",
)  # fmt: skip
# Terms that, in an open licence, say "no restriction": unknown once the text is changed.
_FREEDOMS = {
    "commercial_use", "non_commercial", "research_only", "user_threshold",
    "acceptable_use_policy", "output_use_restriction", "revocable", "remote_restriction",
    "unilateral_changes", "territorial_exclusions",
}  # fmt: skip
_OPEN = {Category.PERMISSIVE, Category.COPYLEFT, Category.OPEN_DATA, Category.OPEN_DOCUMENTATION}


def is_open(licence: Licence) -> bool:
    """Whether a record grants open terms (a modification of it must never pass as it)."""
    return bool(licence.osi_approved) or licence.category in _OPEN


def restricts(term: str, value: Any) -> bool:
    if term == "output_use_restriction":
        return bool(value is not None and value.restricted)
    return bool(value)


def added_restrictions(
    text: str,
    fingerprint: frozenset[int],
    licence: Licence,
    area: tuple[int, int] | None = None,
) -> tuple[ExtractedTerm, ...]:
    """Restrictions stated in passages the reference text does not have ("MIT, non-commercial").

    Only paragraphs with new word pairs (of *area*, the whole text by default) are read, and
    a term counts only when the sentence stating it is new and the licence does not already
    have that term. Evidence is placed in *text*.
    """
    found: dict[str, ExtractedTerm] = {}
    first, last = area or (0, len(text))
    position = first
    for block in _PARAGRAPH.split(text[first:last]):
        start = text.find(block, position)
        position = start + len(block)
        if not bigram_hashes(tokens(block)) - fingerprint:
            continue
        for item in extract(block):
            if item.term not in RESTRICTIVE or item.term in found:
                continue
            if not restricts(item.term, item.value):
                continue
            if restricts(item.term, getattr(licence.terms, item.term).value):
                continue
            left, right = sentence_around(block, item.evidence.start, item.evidence.end)
            if not bigram_hashes(tokens(block[left:right])) - fingerprint:
                continue
            at = evidence_at(text, start + item.evidence.start, start + item.evidence.end)
            found[item.term] = ExtractedTerm(item.term, item.value, at)
    return tuple(found.values())


def restrictions_beside(text: str, start: int, end: int) -> tuple[ExtractedTerm, ...]:
    """Restrictions stated in the sentence of a notice at *start*:*end* or in the next one.

    "Licensed under the Apache License 2.0, except that commercial use is prohibited" and
    "released under the MIT License. You may not use it commercially." name an open licence
    and take its freedoms away: the release is not under that licence as written.
    """
    left, right = sentence_around(text, start, end)
    _, right = sentence_around(text, right, right)
    found: dict[str, ExtractedTerm] = {}
    for item in extract(text[left:right]):
        if item.term in RESTRICTIVE and restricts(item.term, item.value):
            at = evidence_at(text, left + item.evidence.start, left + item.evidence.end)
            found.setdefault(item.term, ExtractedTerm(item.term, item.value, at))
    return tuple(found.values())


def _unknown(licence: Licence, name: str, term: Term[Any]) -> Term[Any]:
    """A freedom of the original licence that the changed text may take away."""
    value = term.value
    free = (
        value is True
        if name == "commercial_use"
        else term.absent
        or value is False
        or (isinstance(value, OutputUse) and not value.restricted)
    )
    if not free:
        return term
    cite = Citation(
        "added passages", f"the text changes the {licence.name} in passages not read", "extracted"
    )
    return Term(None, cite)


# Categories that are not open, least restrictive first.
_CLOSED = (
    Category.RESTRICTED_OPEN_WEIGHTS, Category.NON_COMMERCIAL, Category.RESEARCH_ONLY,
    Category.PROPRIETARY,
)  # fmt: skip


def _modified_category(licence: Licence, added: set[str]) -> Category:
    """The category of a changed licence: what the added terms make it, never less closed.

    A changed open licence is proprietary unless the added terms say more; a changed closed
    licence keeps its category (a CC BY-NC 4.0 without a clause is still non-commercial for
    a policy that forbids non-commercial licences) or a stricter one that the text adds.
    """
    if "research_only" in added:
        stated = Category.RESEARCH_ONLY
    elif "non_commercial" in added:
        stated = Category.NON_COMMERCIAL
    else:
        stated = Category.PROPRIETARY
    if is_open(licence) or licence.category not in _CLOSED:
        return stated
    if not added & {"research_only", "non_commercial"}:
        return licence.category
    return max(licence.category, stated, key=_CLOSED.index)


def modified_licence(licence: Licence, added: tuple[ExtractedTerm, ...]) -> Licence:
    """The record of a known licence whose text adds restrictions: no longer that licence.

    What the added passages take away cannot all be read (a royalty clause, a permission to
    ask for), so the freedoms of the original become unknown unless extraction read them.
    """
    values: dict[str, Term[Any]] = {
        name: (_unknown(licence, name, term) if name in _FREEDOMS else term)
        for name, term in licence.terms.items()
    }
    for item in added:
        cite = Citation(f"line {item.evidence.line}", item.evidence.text, "extracted")
        values[item.term] = Term(item.value, cite)
    terms = {item.term for item in added}
    category = _modified_category(licence, terms)
    if terms & {"research_only", "non_commercial"}:
        cite = Citation("added terms", "non-commercial or research-only", "extracted")
        values["commercial_use"] = Term(False, cite)
    what = ", ".join(sorted(terms)) if terms else "terms the catalogue cannot read"
    return replace(
        licence,
        id=LicenceId(f"{MODIFIED_PREFIX}{licence.id.removeprefix('LicenseRef-')}"),
        name=f"{licence.name}, modified to add restrictions",
        category=category,
        spdx_id=None,
        hf_id=None,
        osi_approved=False,
        fsf_libre=False,
        terms=Terms(**reconcile_commercial(values)),
        notes=f"The text is close to the {licence.name} but adds: {what}.",
    )
