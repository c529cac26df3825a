"""Findings about lineage: a declared licence that drops the base model's terms, unknown bases."""

from __future__ import annotations

from collections.abc import Hashable

from clearweights.audit.model import Finding, Severity
from clearweights.lineage import Lineage

CODES = {
    "LIN-DROPPED": "the declared licence drops the licence terms of the base model it derives from",
    "LIN-UNKNOWN": "a base model's licence, which the release inherits, could not be resolved",
}


# Findings of a lineage, kept by its bases' and declared records' ids (the entry holds them, so
# no id is reused meanwhile): a scan's bases are the few shared ones the table of known
# families gives, and its declared licences catalogue records. Switched off by tests.
MEMO = True
_MAX_KEPT = 1024
_kept: dict[Hashable, tuple[Lineage, tuple[Finding, ...]]] = {}


def lineage_findings(lineage: Lineage, card_path: str = "README.md") -> tuple[Finding, ...]:
    """LIN-DROPPED for each inherited licence the release does not state, LIN-UNKNOWN per base."""
    if not lineage.bases:
        return ()
    if not MEMO:
        return _findings(lineage, card_path)
    key = (
        tuple([id(b) for b in lineage.bases]),
        tuple([id(lic) for lic in lineage.declared]),
        card_path,
    )
    found = _kept.get(key)
    if found is None:
        if len(_kept) >= _MAX_KEPT:
            _kept.clear()
        found = _kept[key] = (lineage, _findings(lineage, card_path))
    return found[1]


def _findings(lineage: Lineage, card_path: str) -> tuple[Finding, ...]:
    """What it reads: the bases (frozen) and the declared records, nothing else."""
    out: list[Finding] = []
    declared = ", ".join(lic.id for lic in lineage.declared)
    for base, licence in lineage.dropped:
        out.append(
            Finding(
                "LIN-DROPPED",
                Severity.HIGH,
                f"The release is declared {declared}, but it is a {base.relation} of "
                f"{base.repo_id}, whose {licence.name} applies to it and must travel with it: "
                "the declared licence drops the base model's terms.",
                (
                    f"declared: {declared}",
                    f"{card_path}: base_model: {base.repo_id} ({base.relation_source})",
                    f"{licence.id}: {base.licence_source}",
                ),
            )
        )
    for base in lineage.unresolved:
        out.append(
            Finding(
                "LIN-UNKNOWN",
                Severity.MEDIUM,
                f"The release is a {base.relation} of {base.repo_id}, whose licence could not be "
                "resolved: the licence it inherits is unknown. Pass the base model's files with "
                "--base PATH, or put its model card and LICENSE in the Hugging Face cache.",
                (f"{card_path}: base_model: {base.repo_id}", base.licence_source),
            )
        )
    return tuple(out)
