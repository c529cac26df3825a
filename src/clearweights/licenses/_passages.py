"""Clauses a copy of a licence must keep: a text that lacks one is not that licence.

A copy may lack a reference text's title, preamble, appendix, "How to apply" notes and the
licensor's notes after its terms (see tools/licence_passages.py, which marks the clauses);
a copy without one of the clauses in between (Apache-2.0 without its grants) is a modified
licence, never the licence itself, however close its score.
"""

from __future__ import annotations

from dataclasses import replace

from clearweights.licenses._catalogue import Catalogue, Reference
from clearweights.licenses._modified import modified_licence
from clearweights.licenses.model import INCOMPLETE_PREFIX, Licence, LicenceId

_PRESENT = 0.8  # share of a clause's signature word pairs that shows the clause is whole


def missing_clauses(catalogue: Catalogue, ref: Reference, present: frozenset[int]) -> list[str]:
    """The labels of the reference's clauses whose word pairs are mostly absent.

    *present* is the set of the reference's word pairs found in the text.
    """
    missing = []
    for number, (label, signature) in enumerate(catalogue.clauses(ref), 1):
        if len(signature & present) < _PRESENT * len(signature):
            missing.append(label or f"paragraph {number}")
    return missing


def _describe(labels: list[str]) -> str:
    """ "§2, §3 (2 paragraphs)": clauses once each, in order."""
    shown = list(dict.fromkeys(labels))
    text = ", ".join(f"§{label.rstrip('.')}" if label[:1].isdigit() else label for label in shown)
    return text if len(shown) == len(labels) else f"{text} ({len(labels)} paragraphs)"


def incomplete_licence(licence: Licence, missing: list[str]) -> Licence:
    """The record of a known licence whose text lacks clauses: no longer that licence.

    A missing grant takes freedoms away and a missing restriction is not a permission, so
    the freedoms of the original become unknown, as for a text that adds passages.
    """
    changed = modified_licence(licence, ())
    return replace(
        changed,
        id=LicenceId(f"{INCOMPLETE_PREFIX}{licence.id.removeprefix('LicenseRef-')}"),
        name=f"{licence.name}, modified: clauses missing",
        notes=f"The text is close to the {licence.name} but lacks {_describe(missing)}.",
    )
