"""A new licence catalogue (or clearweights) re-audits what it may change.

When the server starts, or on ``clearweights serve reaudit``, every release whose latest audit
was made by an older catalogue or clearweights than the running one is queued as a job of kind
``reaudit``, oldest registry entries first, with at most ``reaudit_limit`` of them waiting at
once (a later pass takes the rest). A job re-audits from the files when the server holds them
(a Hub repo's snapshot still in its cache; a scanned directory still there, unchanged), and
otherwise judges the stored audit again against the current catalogue
(:mod:`clearweights.server.rejudge`). Either way the new audit is stored beside the old one, so
the release's history shows it with its reason (new licence catalogue, new clearweights) and
what changed. A re-audit that fails is not stored over the good audit; the job says why, and
later passes do not retry it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from clearweights import __version__
from clearweights.licenses import catalogue_version
from clearweights.scale.items import Item, directory_digest
from clearweights.scale.worker import audit_item
from clearweights.server.jobs import Task, active_key, payload_of
from clearweights.server.rejudge import rejudge
from clearweights.store.models import AuditRow, EntryRow, SubmissionRow

if TYPE_CHECKING:
    from clearweights.server.jobs import JobPool
    from clearweights.server.registry import Registry

# Sources whose files the server may hold; the others are judged again from the stored audit.
FILES = ("hf-cache", "directory")


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version))


def older(stored: str, running: str) -> bool:
    """Whether *stored* is an older version than *running* (an unreadable one counts as older).

    A newer one (another server runs a newer clearweights on the same store) is left alone.
    """
    if stored == running:
        return False
    before, now = _numbers(stored), _numbers(running)
    return not before or (before < now if now else False)


def running_versions() -> tuple[str, str]:
    """The clearweights and catalogue versions this process audits with."""
    return __version__, catalogue_version()


def why(tool: str, catalogue: str) -> str:
    """The reason a release audited by *tool* and *catalogue* is re-audited now."""
    running_tool, running_catalogue = running_versions()
    reasons = []
    if catalogue != running_catalogue:
        reasons.append(f"new licence catalogue {catalogue} -> {running_catalogue}")
    if tool != running_tool:
        reasons.append(f"new clearweights {tool} -> {running_tool}")
    return ", ".join(reasons)


@dataclass(frozen=True)
class Queued:
    """What one pass queued, and how many releases it left for the next pass."""

    queued: int
    left: int


def _tried(pool: JobPool, target: str) -> set[int]:
    """The audits whose re-audit to *target* versions failed already (not retried)."""
    with pool.registry.engine.connect() as connection:
        rows = connection.execute(
            select(SubmissionRow.payload).where(
                SubmissionRow.kind == "reaudit", SubmissionRow.state == "failed"
            )
        ).all()
    found = set()
    for row in rows:
        payload = payload_of(row) or {}
        if payload.get("to") == target and isinstance(payload.get("audit"), int):
            found.add(payload["audit"])
    return found


def _active(pool: JobPool) -> set[str]:
    """The releases queued or running now (their ``active_key``)."""
    with pool.registry.engine.connect() as connection:
        keys = connection.execute(
            select(SubmissionRow.active_key).where(SubmissionRow.active_key.is_not(None))
        ).scalars()
        return {k for k in keys if k is not None}


def queue_reaudits(pool: JobPool, limit: int) -> Queued:
    """Queue re-audits of releases audited by an older catalogue or clearweights.

    At most *limit* re-audits wait at once, whichever process queued them (each of a server's
    workers runs a pass when it starts: the first fills the queue, the others find it full).
    """
    tool, catalogue = running_versions()
    target = f"{tool}/{catalogue}"
    tried, active = _tried(pool, target), _active(pool)
    room = limit - pool.pending("reaudit")
    queued = left = 0
    with pool.registry.engine.connect() as connection:
        rows = connection.execute(
            select(EntryRow.source, EntryRow.key, EntryRow.revision, EntryRow.audit_id,
                   EntryRow.status, EntryRow.tool_version, EntryRow.catalogue_version)
            .where(EntryRow.audit_id.is_not(None))
            .where(or_(EntryRow.tool_version != tool, EntryRow.catalogue_version != catalogue))
            .order_by(EntryRow.id)
        ).all()  # fmt: skip
    for row in rows:
        if not (older(row.catalogue_version, catalogue) or older(row.tool_version, tool)):
            continue
        if row.audit_id in tried or (row.status != "ok" and row.source not in FILES):
            continue
        item = Item(row.source, row.key, row.revision)
        if active_key(item) in active:
            continue  # queued or running already
        if queued >= room:
            left += 1
            continue
        extra = {"audit": row.audit_id, "to": target,
                 "why": why(row.tool_version, row.catalogue_version)}  # fmt: skip
        _, new = pool.submit("reaudit", row.key, item, token=None, extra=extra)
        queued += new
    return Queued(queued, left)


def _with_files(registry: Registry, item: Item) -> Item | None:
    """The release as the server holds it, at the very revision audited; None if it does not."""
    if item.source == "hf-cache":
        from clearweights.scale.sources import _hub_cache, cached_repo

        found = cached_repo(item.key, registry.settings.hf_cache or _hub_cache(), item.revision)
        return found if found.error is None and found.revision == item.revision else None
    if item.source == "directory":
        path = Path(item.key)
        if path.is_absolute() and path.is_dir() and directory_digest(item.key) == item.revision:
            return Item("directory", item.key, item.revision, location=item.key)
    return None


def reaudit_task(registry: Registry, item: Item, payload: dict[str, Any], texts: str) -> Task:
    """How to re-audit *item*: from its files, from its stored audit, or not at all."""
    reason = str(payload.get("why") or "re-audit")
    tool, catalogue = running_versions()
    if registry.store.done([item.identity], tool, catalogue):
        return Task(None, note=f"{reason}: already audited by clearweights {tool} with "
                    f"catalogue {catalogue}", ends="done")  # fmt: skip
    files = _with_files(registry, item)
    if files is not None:
        return Task(audit_item, (files, texts), f"{reason}; re-audited from the files",
                    store_failures=False)  # fmt: skip
    with registry.engine.connect() as connection:
        document = connection.execute(
            select(AuditRow.document).where(AuditRow.id == payload.get("audit"))
        ).scalar()
    if not document:
        return Task(None, note=f"{reason}: the stored audit {payload.get('audit')} is gone")
    note = f"{reason}; judged again from the stored audit (the files are not on the server)"
    return Task(rejudge, (item, document), note, store_failures=False)


def describe(result: Queued) -> str:
    """One line for the log: what a pass queued."""
    text = f"{result.queued} re-audit(s) queued"
    return text + (f", {result.left} left for the next pass" if result.left else "")


__all__ = ["FILES", "Queued", "describe", "older", "queue_reaudits", "reaudit_task", "why"]
