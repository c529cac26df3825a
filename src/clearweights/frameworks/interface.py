"""What every framework returns, and the one interface they implement."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from clearweights.frameworks.subject import AuditSubject


class Status(StrEnum):
    """Outcome of one criterion or of a whole profile."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Criterion:
    """One criterion of a framework, with its evidence and, unless it passes, a fix."""

    id: str
    title: str
    status: Status
    evidence: tuple[str, ...] = ()
    fix: str | None = None
    blocking: bool = True  # False: reported as an improvement area, not part of the verdict


@dataclass(frozen=True)
class ProfileResult:
    """A framework's verdict on a release."""

    profile: str
    title: str
    verdict: Status
    criteria: tuple[Criterion, ...]
    summary: str = ""
    mof_class: int | None = None
    progress: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def verdict_of(criteria: tuple[Criterion, ...]) -> Status:
    """Fail if any blocking criterion fails, else unknown if any is unknown, else pass."""
    blocking = [c.status for c in criteria if c.blocking]
    if Status.FAIL in blocking:
        return Status.FAIL
    if Status.UNKNOWN in blocking:
        return Status.UNKNOWN
    return Status.PASS


class Framework(Protocol):
    """Rates a release; never prints."""

    name: str

    def evaluate(self, subject: AuditSubject) -> ProfileResult:
        """Return the framework's verdict on *subject*."""
        ...
