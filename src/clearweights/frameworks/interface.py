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


# The frameworks make their criteria through one table, so that equal criteria are one object
# (thousands of subjects share a few hundred): a criterion made before is found by its fields,
# without building a dataclass to compare. Bounded; switched off by tests.
MEMO = True
MAX_MADE = 8192
_made: dict[tuple[object, ...], Criterion] = {}


def criterion(
    id: str,
    title: str,
    status: Status,
    evidence: tuple[str, ...] = (),
    fix: str | None = None,
    blocking: bool = True,
) -> Criterion:
    """The criterion with these fields (the one made before, if any)."""
    key = (id, title, status, evidence, fix, blocking)
    try:
        found = _made.get(key) if MEMO else None
    except TypeError:  # a field that is not hashable: not shared
        return Criterion(id, title, status, evidence, fix, blocking)
    if found is None:
        found = Criterion(id, title, status, evidence, fix, blocking)
        if MEMO:
            if len(_made) >= MAX_MADE:
                _made.clear()
            _made[key] = found
    return found


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
