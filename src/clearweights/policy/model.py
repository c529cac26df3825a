"""Policy results: violations with the rule, what was found, what was expected, and where."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from clearweights.audit.model import ReleaseAudit


@dataclass(frozen=True)
class Location:
    """A file of the release (relative path) and, where known, the line."""

    path: str
    line: int | None = None


@dataclass(frozen=True)
class Violation:
    """One rule a release breaks ("got X, expected Y"), with the evidence."""

    rule: str
    message: str
    found: str
    expected: str
    evidence: tuple[Location, ...] = ()
    level: str = "error"  # error (fails the check) or warning (reported only)
    waived: str | None = None  # the exception's reason when an exception applies


@dataclass(frozen=True)
class CheckContext:
    """What rules may look at."""

    audit: ReleaseAudit
    today: date = field(default_factory=date.today)
    base: Path = Path(".")  # where relative paths in the policy (keys) are resolved


class Rule(Protocol):
    """A policy rule: returns the violations of one release (empty when it complies)."""

    @property
    def id(self) -> str:
        """The rule's stable id (``terms.user_threshold``), used by exceptions and SARIF."""
        ...

    @property
    def description(self) -> str:
        """What the rule asks for, in a few words."""
        ...

    def check(self, ctx: CheckContext) -> list[Violation]:
        """Check the release in *ctx*."""
        ...


@dataclass(frozen=True)
class ReleaseCheck:
    """A release against a policy; ``error`` is set when it could not be audited."""

    path: str
    name: str | None
    violations: tuple[Violation, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None
    root: str = ""

    @property
    def passed(self) -> bool:
        """No unwaived error-level violation (and the release could be audited)."""
        return self.error is None and not any(
            v.level == "error" and not v.waived for v in self.violations
        )


@dataclass(frozen=True)
class CheckReport:
    """Every release checked against one policy."""

    policy: str
    rules: tuple[tuple[str, str], ...]  # (rule id, description) for SARIF and JUnit
    checks: tuple[ReleaseCheck, ...]

    @property
    def passed(self) -> bool:
        """Whether every release complies."""
        return all(c.passed for c in self.checks)

    @property
    def complete(self) -> bool:
        """Whether every release could be audited."""
        return all(c.error is None for c in self.checks)
