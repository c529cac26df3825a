"""Keep the commercial terms of a licence consistent with each other.

Used by the catalogue build and available to any code that builds a licence record at run
time (a modified or unidentified licence), so that every record obeys the same rules.
"""

from __future__ import annotations

from typing import Any

from clearweights.licenses.model import Term


def reconcile_commercial(terms: dict[str, Term[Any]]) -> dict[str, Term[Any]]:
    """Return *terms* with ``commercial_use``, ``non_commercial`` and ``research_only`` agreeing.

    ``commercial_use`` decides ``non_commercial`` (a threshold or a use policy makes commercial
    use conditional, never non-commercial); research-only implies non-commercial; a licence
    that allows commercial use is not research-only unless it says so.
    """
    out = dict(terms)
    commercial = out.get("commercial_use", Term())
    research = out.get("research_only", Term())
    if research.value is True and out.get("non_commercial", Term()).value is not True:
        out["non_commercial"] = Term(True, research.cite)
    non_commercial = out.get("non_commercial", Term())
    if commercial.value is None and non_commercial.value is True:
        commercial = out["commercial_use"] = Term(False, non_commercial.cite)
    if commercial.value is not None:
        if out.get("non_commercial", Term()).value is not (not commercial.value):
            out["non_commercial"] = Term(not commercial.value, commercial.cite)
        if commercial.value and not research.known:
            out["research_only"] = Term(False, commercial.cite)
    return out
