"""What validating a taxonomy found: findings, licence verdicts and duties (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SCHEMA_VERSION = "1"


class Severity(StrEnum):
    """How a finding counts: errors fail validation (exit 1), warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem, located as ``file:line:col``.

    Attributes:
        path: the file the finding is about (``qna.yaml``, ``attribution.txt``, a document).
        line: 1-based line (1 when the whole file is meant).
        col: 1-based column.
        rule: the rule's id, e.g. ``yaml/trailing-spaces``, ``schema/minItems``,
            ``license/not-allowed``, ``pii/email``.
        severity: error or warning.
        message: what is wrong, in one sentence; quoted input is shortened, PII is masked.
        leaf: the leaf's name, when the finding belongs to one.
    """

    path: str
    line: int
    col: int
    rule: str
    severity: Severity
    message: str
    leaf: str | None = None

    def location(self) -> str:
        """``file:line:col``."""
        return f"{self.path}:{self.line}:{self.col}"


class LicenseVerdict(StrEnum):
    """Whether a contributed work's licence is on the allow-list."""

    ALLOWED = "allowed"
    NOT_ALLOWED = "not-allowed"
    UNKNOWN = "unknown"  # never treated as allowed


@dataclass(frozen=True)
class LicenseDuties:
    """What using a contributed work obliges the generated data (and models trained on it) to do.

    Attributes:
        license: the SPDX id (or catalogue id) the duties come from.
        share_alike: adaptations must be shared under the same (or a compatible) licence.
        attribution: the creator, the work and the licence must be credited.
        keep_notices: copyright and licence notices (a NOTICE file) must be kept.
        notes: the duties in words, for the dataset card.
    """

    license: str
    share_alike: bool
    attribution: bool
    keep_notices: bool
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LicenseSource:
    """One place a leaf's licence was read from, and what it said."""

    origin: str  # "attribution.txt" or a repository file at the pinned commit ("LICENSE")
    stated: str  # the text as written (a name or expression; the file name for licence files)
    licenses: tuple[str, ...]  # identified ids, empty when unknown


@dataclass(frozen=True)
class LeafLicense:
    """The licence verdict of one leaf's contributed content, and the duties carried forward.

    Attributes:
        leaf: the leaf's name.
        verdict: allowed only when every identified licence is on the allow-list and at least
            one was identified.
        licenses: every licence id found (attribution and repository files), sorted.
        sources: where each was read.
        duties: one entry per licence that carries duties.
        credit: the attribution lines to reproduce (title, creator, link, revision, licence).
        document_repo: the documents' repository, for knowledge leaves.
        document_commit: the pinned commit, as written.
    """

    leaf: str
    verdict: LicenseVerdict
    licenses: tuple[str, ...]
    sources: tuple[LicenseSource, ...]
    duties: tuple[LicenseDuties, ...]
    credit: tuple[str, ...]
    document_repo: str | None = None
    document_commit: str | None = None


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating leaves.

    Attributes:
        leaves: names of the leaves validated, sorted.
        findings: every finding, sorted by file, line, column and rule.
        licenses: one licence verdict per leaf that could be read.
        incomplete: what could not be checked and why (a repository out of reach); exit 3
            when nothing else failed.
        allowed_licenses: the allow-list used.
    """

    leaves: tuple[str, ...]
    findings: tuple[Finding, ...]
    licenses: tuple[LeafLicense, ...]
    incomplete: tuple[str, ...]
    allowed_licenses: tuple[str, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings that fail validation."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The findings that are advice only."""
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        """No errors and nothing left unchecked."""
        return not self.errors and not self.incomplete
