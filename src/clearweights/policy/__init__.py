"""Organisation policies as code: composable rules, loaded from YAML, applied to audits.

Example:
    >>> from clearweights.policy import check, load_policy
    >>> policy, base = load_policy("pragmatic")
    >>> report = check(["examples/releases/open-olmo-style"], policy, base=base)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path

from clearweights.audit import NO_DECLARATIONS, ReleaseAudit, audit_release
from clearweights.frameworks import Declarations
from clearweights.policy.loader import BUILT_IN, PolicyError, load_policy, parse_policy
from clearweights.policy.model import (
    CheckContext,
    CheckReport,
    Location,
    ReleaseCheck,
    Rule,
    Violation,
)
from clearweights.policy.rules import Policy

__all__ = [
    "BUILT_IN",
    "CheckReport",
    "Location",
    "Policy",
    "PolicyError",
    "ReleaseCheck",
    "Rule",
    "Violation",
    "check",
    "check_audits",
    "load_policy",
    "parse_policy",
]


def check(
    locations: Sequence[str],
    policy: Policy,
    *,
    base: Path = Path("."),
    today: date | None = None,
    declarations: Declarations = NO_DECLARATIONS,
    bases: Mapping[str, str] | None = None,
    revision: str | None = None,
) -> CheckReport:
    """Audit every release and apply *policy* to it (*bases*: local base models, for lineage;
    *revision*: the branch, tag or commit of Hub repo ids)."""
    audits = (
        audit_release(location, declarations=declarations, bases=bases, revision=revision)
        for location in locations
    )
    return check_audits(audits, policy, base=base, today=today)


def check_audits(
    audits: Iterable[ReleaseAudit],
    policy: Policy,
    *,
    base: Path = Path("."),
    today: date | None = None,
) -> CheckReport:
    """Apply *policy* to audits already made (a stored or posted audit: see ``audit.load``)."""
    checks = []
    for audited in audits:
        location = audited.path
        if audited.error:
            checks.append(ReleaseCheck(location, None, error=audited.error))
            continue
        ctx = CheckContext(audited, today or date.today(), base)
        violations, notes = policy.apply(ctx)
        release = audited.release
        checks.append(
            ReleaseCheck(
                location,
                release.name if release else None,
                tuple(violations),
                tuple(notes),
                root=release.location if release else "",
            )
        )
    rules = tuple(dict.fromkeys((leaf.id, leaf.description) for leaf in policy.leaves))
    return CheckReport(policy.name, rules, tuple(checks))
