"""How the build decides each term of a catalogue record (used by build_licence_data.py).

Layers, later ones winning: terms extracted from the reference text, terms that follow from
the licence family, terms curated by hand; then :func:`complete` makes the commercial terms
agree with each other, closes the terms a fully reviewed text does not state, and records why
every term still unknown is unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from clearweights.licenses._clauses import extract, heading_before
from clearweights.licenses._consistency import reconcile_commercial
from clearweights.licenses.model import (
    TERM_NAMES,
    Citation,
    Naming,
    OutputUse,
    Term,
    Terms,
    Threshold,
    UsePolicy,
)

OPEN = {"permissive", "copyleft", "open-data", "open-documentation"}
# Creative Commons licences whose category is not open (NonCommercial, NoDerivatives).
_CC = re.compile(r"^CC-BY-(?:NC|ND)")

NO_TEXT = "no reference text in the catalogue: the licence text was not read"
POLICY = "a use policy grants no licence: the licence that incorporates it decides this"
NOT_READ = "the licence family does not decide it and no person has reviewed the text for it"
OPEN_CONDITIONS = "the notice-keeping conditions of open licences are not catalogued one by one"


def derived_terms(category: str, osi: bool, fsf: bool) -> dict[str, Term[Any]]:
    """Terms that follow from the licence family rather than from reading one clause."""
    if category in OPEN:
        if osi:
            cite = Citation("Open Source Definition §5-6 (OSI-approved)", "", "spdx")
        elif fsf:
            cite = Citation("Free Software Definition, freedom 0 (FSF libre)", "", "spdx")
        else:
            cite = Citation(f"{category} licence: use for any purpose", "", "category")
        fixed = Citation(f"{category} licence: a fixed public grant", "", "category")
        return {
            "commercial_use": Term(True, cite),
            "non_commercial": Term(False, cite),
            **_public_grant(cite, fixed),
        }
    if category == "non-commercial":
        cite = Citation("licence title (NonCommercial)", "", "category")
        return {"commercial_use": Term(False, cite), "non_commercial": Term(True, cite)}
    if category == "research-only":
        cite = Citation("licence title (research only)", "", "category")
        return {"commercial_use": Term(False, cite), "research_only": Term(True, cite)}
    return {}


def _public_grant(cite: Citation, fixed: Citation) -> dict[str, Term[Any]]:
    """A public licence's fixed grant: no research limit, threshold, use policy, output clause
    or territory (*cite*), and no revocation, remote restriction or change (*fixed*)."""
    return {
        "research_only": Term(False, cite),
        "user_threshold": Term(None, cite, absent=True),
        "acceptable_use_policy": Term(None, cite, absent=True),
        "output_use_restriction": Term(OutputUse(False), cite),
        "territorial_exclusions": Term(None, cite, absent=True),
        "revocable": Term(False, fixed),
        "remote_restriction": Term(False, fixed),
        "unilateral_changes": Term(False, fixed),
    }


def creative_commons_terms(spdx_id: str) -> dict[str, Term[Any]]:
    """The terms every NonCommercial or NoDerivatives Creative Commons licence shares.

    They are public licences with a fixed text: no use policy, threshold, output clause or
    territory, and the licensor cannot revoke or change them. NC is broader than research.
    """
    if not _CC.match(spdx_id):
        return {}
    cite = Citation(
        "Creative Commons public licence: perpetual grant, no use policy or output clause",
        "",
        "category",
    )
    out = _public_grant(cite, cite)
    if "-NC" not in spdx_id:
        title = Citation("licence title (no NonCommercial element)", "", "category")
        out["commercial_use"] = Term(True, title)
    return out


def extracted_terms(text: str, trust: set[str] | None = None) -> dict[str, Term[Any]]:
    """Terms read from the reference text with their clause and quote."""
    out: dict[str, Term[Any]] = {}
    for found in extract(text):
        if trust is not None and found.term not in trust:
            continue
        clause = heading_before(text, found.evidence.start) or f"line {found.evidence.line}"
        out[found.term] = Term(found.value, Citation(clause, found.evidence.text, "text"))
    return out


def _curated_value(name: str, entry: dict[str, Any]) -> Any:
    match name:
        case "derivative_naming":
            return Naming(
                tuple(entry.get("attribution", ())),
                entry.get("name_prefix"),
                entry.get("condition"),  # when the duty binds, if not always (Kimi K2)
            )
        case "output_use_restriction":
            return OutputUse(entry["restricted"], entry.get("distillation_is_derivative"))
        case "user_threshold":
            return Threshold(entry["value"], entry["unit"])
        case "acceptable_use_policy":
            return UsePolicy(
                entry["name"],
                entry.get("incorporated_by_reference"),
                entry.get("may_change_unilaterally"),
                entry.get("url"),
            )
        case "distribution_conditions" | "territorial_exclusions":
            return tuple(entry["value"])
        case _:
            return entry["value"]


def curated_terms(raw: dict[str, Any]) -> dict[str, Term[Any]]:
    """Terms set by hand in ai_licences*.toml (``absent = true``: the licence has none)."""
    out: dict[str, Term[Any]] = {}
    for name, entry in raw.items():
        cite = Citation(entry["clause"], entry.get("quote", ""), entry.get("source", "curated"))
        if entry.get("absent"):
            out[name] = Term(None, cite, absent=True)
        else:
            out[name] = Term(_curated_value(name, entry), cite)
    return out


def merge(*layers: dict[str, Term[Any]]) -> dict[str, Term[Any]]:
    """Later layers win; a layer never erases a known term with an unknown one."""
    merged: dict[str, Term[Any]] = {}
    for layer in layers:
        for name, term in layer.items():
            if term.known or name not in merged:
                merged[name] = term
    return {k: v for k, v in merged.items() if k in TERM_NAMES}


@dataclass(frozen=True)
class Context:
    """What the completion needs to know about a record besides its terms."""

    category: str
    kind: str = "licence"
    has_text: bool = False
    reviewed: bool = False  # a person read the whole reference text for every term
    open_reasons: dict[str, str] = field(default_factory=dict)  # terms the text leaves open


def _closed(name: str, cite: Citation) -> Term[Any]:
    """The value of a term a reviewed text does not state: no such restriction."""
    if name == "output_use_restriction":
        return Term(OutputUse(False), cite)
    if name in {"research_only", "revocable", "remote_restriction", "unilateral_changes"}:
        return Term(False, cite)
    return Term(None, cite, absent=True)


def complete(terms: dict[str, Term[Any]], ctx: Context) -> Terms:
    """Make the terms consistent and decide or explain every one of them."""
    out = reconcile_commercial(terms)
    closure = Citation("whole text read: no clause states this", "", "curated")
    open_text = Citation("no such clause found in the text (clause extraction)", "", "text")
    for name in TERM_NAMES:
        term = out.get(name, Term())
        if term.known:
            continue
        if name in ctx.open_reasons:
            out[name] = Term(reason=ctx.open_reasons[name])
        elif not ctx.has_text:
            out[name] = Term(reason=NO_TEXT)
        elif ctx.kind == "policy":
            out[name] = Term(reason=POLICY)
        elif ctx.reviewed and name not in {"commercial_use", "non_commercial"}:
            out[name] = _closed(name, closure)
        elif ctx.category in OPEN and name in {"governing_law", "derivative_naming"}:
            out[name] = Term(None, open_text, absent=True)
        elif ctx.category in OPEN and name == "distribution_conditions":
            out[name] = Term(reason=OPEN_CONDITIONS)
        else:
            out[name] = Term(reason=NOT_READ)
    return Terms(**out)
