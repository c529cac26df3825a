"""The audit report: the contract between the audit and every output format."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from clearweights.components import Component
from clearweights.frameworks.interface import ProfileResult
from clearweights.inventory import LicenceFile
from clearweights.lineage.model import Lineage
from clearweights.release.model import Release, Skipped
from clearweights.weights.model import PickleScan, WeightsHeader

SCHEMA_VERSION = "1.0"


class Severity(StrEnum):
    """How much a finding matters."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """An open-washing, clarity or security problem, with a stable code."""

    code: str
    severity: Severity
    message: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Obligation:
    """Something a user, fine-tuner or redistributor must do, and the licence that says so."""

    kind: str  # attribution, notice, naming, use-policy, threshold, territory, distribution, law
    text: str
    applies_to: tuple[str, ...]  # use, fine-tune, redistribute
    licence: str  # the licence id the duty comes from
    source: str = ""  # clause or quote


SEVERITY_ORDER = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2, Severity.INFO: 3}


def by_severity(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Findings most severe first, then by code and message (a stable order)."""
    return tuple(sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.code, f.message)))


@dataclass(frozen=True)
class ReleaseAudit:
    """Everything the audit concluded about one release."""

    path: str
    release: Release | None
    components: tuple[Component, ...] = ()
    profiles: tuple[ProfileResult, ...] = ()
    findings: tuple[Finding, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    weights: tuple[WeightsHeader, ...] = ()
    pickles: tuple[PickleScan, ...] = ()
    unassigned: tuple[str, ...] = ()
    licence_files: tuple[LicenceFile, ...] = ()  # every licence file, notice and use policy read
    skipped: tuple[Skipped, ...] = ()
    architecture: str | None = None  # from config.json
    settings: tuple[tuple[str, str], ...] = ()  # scalar settings of config.json
    error: str | None = None
    lineage: Lineage = field(default_factory=Lineage)  # base models, inherited licences

    def profile(self, name: str) -> ProfileResult | None:
        """The result of one framework, if it was run."""
        return next((p for p in self.profiles if p.profile == name), None)


@dataclass(frozen=True)
class AuditReport:
    """Audits of one or more releases."""

    audits: tuple[ReleaseAudit, ...]

    @property
    def complete(self) -> bool:
        """Whether every release could be audited."""
        return all(a.error is None for a in self.audits)
