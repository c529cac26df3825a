"""Wording shared by the formats for people (text and markdown)."""

from __future__ import annotations

from clearweights.licenses.model import Licence

_YES_NO = {True: "yes", False: "no", None: "unknown"}


def yes_no(value: bool | None) -> str:
    """``yes``, ``no`` or ``unknown``."""
    return _YES_NO[value]


def key_terms(licence: Licence) -> str:
    """One line with the terms that matter most."""
    t = licence.terms
    parts: list[str] = []
    if t.commercial_use.value is False:
        parts.append("no commercial use")
    if t.research_only.value:
        parts.append("research only")
    if (thr := t.user_threshold.value) is not None:
        parts.append(f"threshold {thr.value:,.0f} {thr.unit}")
    if t.acceptable_use_policy.value is not None:
        parts.append("use policy")
    if (naming := t.derivative_naming.value) is not None and naming.name_prefix:
        parts.append(f'name prefix "{naming.name_prefix}"')
    if (out := t.output_use_restriction.value) is not None and out.restricted:
        parts.append("no training other models on outputs")
    if t.revocable.value:
        parts.append("revocable")
    if t.territorial_exclusions.value:
        parts.append("territorial exclusions")
    if licence.osi_approved:
        parts.insert(0, "OSI-approved")
    return ", ".join(parts) or "-"
