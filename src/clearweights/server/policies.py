"""The server's policies: every release's latest audit checked against each, kept up to date.

A result is ``approved`` (no unwaived error), ``violates``, ``waived`` (every error covered
by an exception that has not expired; ``waived_until`` is the first expiry, after which the
result is computed again) or ``error`` (the release could not be audited, or its stored audit
could not be read back). Results are computed from the stored audits, in the background, a
batch at a time; the release's files are never read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, delete, func, insert, or_, select, update

from clearweights.errors import ClearweightsError
from clearweights.policy import Policy, load_policy
from clearweights.policy.model import CheckContext, Violation
from clearweights.server.records import PolicyStatus
from clearweights.store.models import AuditRow, EntryRow, PolicyResultRow

BATCH = 200


@dataclass(frozen=True)
class ServerPolicy:
    """A policy the server checks releases against, by the name its results are filed under."""

    name: str
    policy: Policy
    base: Path


def load_policies(names: tuple[str, ...]) -> tuple[ServerPolicy, ...]:
    """Each policy given to the server (a built-in name or a file), checked at start."""
    loaded = []
    for name in names:
        policy, base = load_policy(name)
        loaded.append(ServerPolicy(policy.name or name, policy, base))
    return tuple(loaded)


def _violation(v: Violation) -> dict[str, Any]:
    return {"rule": v.rule, "message": v.message, "found": v.found, "expected": v.expected,
            "level": v.level, "waived": v.waived}  # fmt: skip


def judge(policy: ServerPolicy, audit: Any, today: date) -> tuple[PolicyStatus, str, str | None]:
    """The status, detail (JSON) and waiver expiry of one release audit against *policy*."""
    violations, notes = policy.policy.apply(CheckContext(audit, today, policy.base))
    errors = [v for v in violations if v.level == "error"]
    waived = [v for v in errors if v.waived]
    detail = json.dumps({"violations": [_violation(v) for v in violations], "notes": notes})
    if not errors:
        return PolicyStatus.APPROVED, detail, None
    if len(waived) < len(errors):
        return PolicyStatus.VIOLATES, detail, None
    name = audit.release.name if audit.release else audit.path
    expiries = [
        e.expires
        for e in policy.policy.exceptions
        for v in waived
        if e.covers(name, v.rule) and e.expires >= today
    ]
    return PolicyStatus.WAIVED, detail, min(expiries).isoformat() if expiries else None


def _stale(engine: Engine, policy: str, today: date) -> list[Any]:
    """Entries whose result for *policy* is missing, out of date or past its waiver."""
    result = PolicyResultRow
    joined = and_(result.entry_id == EntryRow.id, result.policy == policy)
    query = (
        select(EntryRow.id, EntryRow.audit_id, EntryRow.status, AuditRow.document, result.id)
        .outerjoin(result, joined)
        .outerjoin(AuditRow, AuditRow.id == EntryRow.audit_id)
        .where(
            or_(
                result.id.is_(None),
                result.audit_id.is_(None),
                result.audit_id != EntryRow.audit_id,
                and_(result.status == "waived", result.waived_until < today.isoformat()),
            )
        )
        .limit(BATCH)
    )
    with engine.connect() as connection:
        return list(connection.execute(query))


def check_batch(
    engine: Engine, policies: tuple[ServerPolicy, ...], load: Callable[[str], Any]
) -> int:
    """Compute one batch of missing or stale results; returns how many were written."""
    today = date.today()
    written = 0
    for policy in policies:
        rows = _stale(engine, policy.name, today)
        with engine.begin() as connection:
            for entry, audit_id, status, document, known in rows:
                until = None
                if status != "ok" or not document:
                    verdict, detail = PolicyStatus.ERROR, '{"violations": [], "notes": []}'
                else:
                    try:
                        verdict, detail, until = judge(policy, load(document), today)
                    except (ClearweightsError, ValueError, KeyError, TypeError) as exc:
                        verdict = PolicyStatus.ERROR
                        detail = json.dumps({"violations": [], "notes": [f"unreadable: {exc}"]})
                values = {
                    "entry_id": entry,
                    "audit_id": audit_id,
                    "policy": policy.name,
                    "status": verdict.value,
                    "detail": detail,
                    "waived_until": until,
                }
                if known is None:
                    connection.execute(insert(PolicyResultRow).values(**values))
                else:
                    connection.execute(
                        update(PolicyResultRow).where(PolicyResultRow.id == known).values(**values)
                    )
                written += 1
    return written


def forget_others(engine: Engine, policies: tuple[ServerPolicy, ...]) -> None:
    """Drop results of policies the server no longer checks."""
    names = [p.name for p in policies]
    with engine.begin() as connection:
        connection.execute(delete(PolicyResultRow).where(PolicyResultRow.policy.not_in(names)))


def summary(engine: Engine, policy: str) -> dict[str, int]:
    """How many releases are approved, violate, are waived or errored, for one policy."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(PolicyResultRow.status, func.count())
            .where(PolicyResultRow.policy == policy)
            .group_by(PolicyResultRow.status)
        )
        found = {str(s): int(n) for s, n in rows}
    return {s.value: found.get(s.value, 0) for s in PolicyStatus}


class PolicyChecker:
    """A background thread keeping the results current (woken after each index change)."""

    def __init__(
        self, engine: Engine, policies: tuple[ServerPolicy, ...], load: Callable[[str], Any]
    ):
        self.engine = engine
        self.policies = policies
        self.load = load
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start checking (nothing to do without policies)."""
        forget_others(self.engine, self.policies)
        if self.policies and self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="clearweights-policies", daemon=True
            )
            self._thread.start()

    def wake(self) -> None:
        """New audits arrived."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = check_batch(self.engine, self.policies, self.load) > 0
            except Exception:  # a lost database: try again later rather than die silently
                busy = False
            if not busy:
                self._wake.wait(timeout=60)
                self._wake.clear()

    def stop(self) -> None:
        """Stop the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
