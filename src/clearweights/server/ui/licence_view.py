"""Licence pages: every catalogue record in plain words, with the releases that use it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from clearweights import licenses
from clearweights.errors import UnknownLicenceError
from clearweights.formats._plain import key_terms, yes_no
from clearweights.licenses.model import Licence, Naming, OutputUse, Term, Threshold, UsePolicy

TERM_TITLES = {
    "commercial_use": "Commercial use allowed",
    "non_commercial": "Non-commercial only",
    "research_only": "Research only",
    "user_threshold": "User or revenue threshold",
    "acceptable_use_policy": "Acceptable use policy",
    "derivative_naming": "Naming and attribution of derivatives",
    "output_use_restriction": "Outputs may train other models",
    "distribution_conditions": "Conditions on redistribution",
    "revocable": "Licensor may revoke",
    "remote_restriction": "Licensor may restrict use remotely",
    "unilateral_changes": "Licensor may change the terms",
    "governing_law": "Governing law",
    "territorial_exclusions": "Territorial exclusions",
}


@dataclass(frozen=True)
class TermLine:
    """One term of a licence in words, with where it comes from."""

    title: str
    value: str
    clause: str = ""
    quote: str = ""
    source: str = ""


@dataclass(frozen=True)
class LicenceRow:
    """One catalogue record in the licence list."""

    id: str
    name: str
    category: str
    family: str | None
    osi: str
    hf_id: str | None
    key_terms: str
    releases: int


def _value(value: Any) -> str:
    match value:
        case bool():
            return yes_no(value)
        case Threshold():
            return f"{value.value:,.0f} {value.unit}"
        case UsePolicy():
            return value.name + (
                " (may change unilaterally)" if value.may_change_unilaterally else ""
            )
        case Naming():
            parts = [f'display "{a}"' for a in value.attribution]
            if value.name_prefix:
                parts.append(f'name begins with "{value.name_prefix}"')
            return "; ".join(parts) or "none"
        case OutputUse():
            if value.restricted:
                return "no"
            return "yes, as a derivative" if value.distillation_is_derivative else "yes"
        case tuple():
            return "; ".join(str(v) for v in value) or "none"
    return str(value)


def _line(name: str, term: Term[Any]) -> TermLine:
    title = TERM_TITLES.get(name, name.replace("_", " "))
    if term.value is None:
        value = "none" if term.absent else f"unknown{f' ({term.reason})' if term.reason else ''}"
    else:
        value = _value(term.value)
    cite = term.cite
    if cite is None:
        return TermLine(title, value)
    return TermLine(title, value, cite.clause, cite.quote, cite.source)


def term_lines(licence: Licence) -> tuple[TermLine, ...]:
    """Every term of *licence*, in words, with its citation."""
    return tuple(_line(name, term) for name, term in licence.terms.items())


def licence_rows(
    records: Iterable[Licence], usage: Mapping[str, int], query: str = "", category: str = ""
) -> tuple[LicenceRow, ...]:
    """The catalogue as rows, filtered by words in the id or name and by category."""
    words = query.lower().split()
    rows = []
    for lic in records:
        text = f"{lic.id} {lic.name} {lic.hf_id or ''} {' '.join(lic.aliases)}".lower()
        if any(w not in text for w in words) or (category and lic.category.value != category):
            continue
        rows.append(
            LicenceRow(
                lic.id,
                lic.name,
                lic.category.value,
                lic.family,
                yes_no(lic.osi_approved),
                lic.hf_id,
                key_terms(lic),
                usage.get(lic.id, 0),
            )
        )
    # Licences in use first: a registry's readers look those up most.
    return tuple(sorted(rows, key=lambda r: (-r.releases, r.id.lower())))


def categories() -> tuple[str, ...]:
    """Every licence category, for the filter."""
    return tuple(c.value for c in licenses.Category)


_TOKENS = re.compile(r"(\s+|\(|\))")
_OPERATORS = frozenset({"AND", "OR", "WITH"})


def expression_parts(expression: str | None) -> tuple[tuple[str, str | None], ...]:
    """A licence expression as (text, licence id or None) pieces, ids named for people."""
    if not expression:
        return ()
    parts: list[tuple[str, str | None]] = []
    for token in _TOKENS.split(expression):
        if not token:
            continue
        if token.isspace() or token in ("(", ")") or token.upper() in _OPERATORS:
            parts.append((token, None))
            continue
        try:
            record = licenses.get(token)
        except UnknownLicenceError:
            parts.append((licenses.display_name(token), None))
            continue
        parts.append((record.name if record.id.startswith("LicenseRef-") else record.id, record.id))
    return tuple(parts)
