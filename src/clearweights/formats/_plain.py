"""Wording shared by the formats for people (text and markdown)."""

from __future__ import annotations

from clearweights.licenses.model import Licence
from clearweights.licenses.summary import restrictions

_YES_NO = {True: "yes", False: "no", None: "unknown"}


def yes_no(value: bool | None) -> str:
    """``yes``, ``no`` or ``unknown``."""
    return _YES_NO[value]


def key_terms(licence: Licence) -> str:
    """One line with the terms that matter most."""
    parts = ["OSI-approved"] if licence.osi_approved else []
    parts += restrictions(licence)
    naming = licence.terms.derivative_naming.value
    if naming is not None and naming.name_prefix:
        parts.append(f'name prefix "{naming.name_prefix}"')
    return ", ".join(parts) or "-"
