"""Submitted audits, run in the background: queued, running, then done or failed with a message.

Each server process runs its own jobs: a few threads wait on a small process pool (started by
the forkserver, as `scan` does) where the audits themselves run, so a long audit never holds
up requests. One release is never queued twice at once: a second submission of the same
release and revision while the first is queued or running gets the first job back.
"""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from clearweights.scale.items import Item, Outcome
from clearweights.scale.worker import audit_item
from clearweights.store import now
from clearweights.store.models import AuditRow, EntryRow, ReleaseRow, SubmissionRow

if TYPE_CHECKING:
    from clearweights.server.registry import Registry


@dataclass(frozen=True)
class Submission:
    """A submitted job as the API shows it."""

    id: int
    kind: str  # hub, archive
    target: str
    state: str  # queued, running, done, failed
    message: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    release_id: int | None
    audit_id: int | None


def _view(row: Any) -> Submission:
    return Submission(
        row.id,
        row.kind,
        row.target,
        row.state,
        row.message,
        row.created_at,
        row.started_at,
        row.finished_at,
        row.entry_id,
        row.audit_id,
    )


def _audit_of(registry: Registry, outcome: Outcome) -> tuple[int | None, int | None]:
    """The stored audit and registry entry of an outcome."""
    source, key, revision = outcome.item.identity
    with registry.engine.connect() as connection:
        audit = connection.execute(
            select(AuditRow.id)
            .join(ReleaseRow, AuditRow.release_id == ReleaseRow.id)
            .where(ReleaseRow.source == source, ReleaseRow.key == key)
            .where(ReleaseRow.revision == revision)
            .where(AuditRow.tool_version == outcome.tool_version)
            .where(AuditRow.catalogue_version == outcome.catalogue_version)
        ).scalar()
        entry = connection.execute(
            select(EntryRow.id).where(EntryRow.source == source, EntryRow.key == key)
        ).scalar()
    return audit, entry


class JobPool:
    """The background audits of one server process."""

    def __init__(self, registry: Registry):
        self.registry = registry
        workers = registry.settings.workers
        self.threads = ThreadPoolExecutor(workers, thread_name_prefix="clearweights-job")
        self._processes: Executor | None = None
        self.texts = tempfile.mkdtemp(prefix="clearweights-server-texts-")

    def _pool(self) -> Executor:
        if self._processes is None:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("forkserver" if "forkserver" in methods else None)
            self._processes = ProcessPoolExecutor(
                self.registry.settings.workers, mp_context=context
            )
        return self._processes

    def submit(
        self, kind: str, target: str, item: Item, *, token: int | None
    ) -> tuple[Submission, bool]:
        """Queue an audit of *item*; returns the job and whether it is new.

        When the same release and revision is already queued or running, that job is
        returned instead (and *item*'s unpacked files, if any, are removed).
        """
        active = f"{item.source}:{item.key}@{item.revision}"[:512]
        values = {"kind": kind, "target": target, "active_key": active, "state": "queued",
                  "payload": item.location if kind == "archive" else None, "token_id": token,
                  "created_at": now()}  # fmt: skip
        try:
            with self.registry.engine.begin() as connection:
                job = connection.execute(
                    insert(SubmissionRow).returning(SubmissionRow.id), values
                ).scalar_one()
        except IntegrityError:
            self._discard(item.location if kind == "archive" else None)
            with self.registry.engine.connect() as connection:
                row = connection.execute(
                    select(SubmissionRow.__table__).where(SubmissionRow.active_key == active)
                ).first()
            if row is None:  # finished in between: queue it again
                return self.submit(kind, target, item, token=token)
            return _view(row), False
        self.threads.submit(self._run, job, item)
        found = self.get(job)
        assert found is not None
        return found, True

    def get(self, job: int) -> Submission | None:
        """A job by id."""
        with self.registry.engine.connect() as connection:
            row = connection.execute(
                select(SubmissionRow.__table__).where(SubmissionRow.id == job)
            ).first()
        return None if row is None else _view(row)

    def recent(self, limit: int = 100) -> tuple[Submission, ...]:
        """The latest jobs, newest first."""
        with self.registry.engine.connect() as connection:
            rows = connection.execute(
                select(SubmissionRow.__table__).order_by(SubmissionRow.id.desc()).limit(limit)
            )
            return tuple(_view(r) for r in rows)

    def _set(self, job: int, **values: Any) -> None:
        with self.registry.engine.begin() as connection:
            connection.execute(
                update(SubmissionRow).where(SubmissionRow.id == job).values(**values)
            )

    def _run(self, job: int, item: Item) -> None:
        """Audit one job's release and store the result (never raises)."""
        self._set(job, state="running", started_at=now())
        store = self.registry.store
        try:
            outcome = self._pool().submit(audit_item, item, self.texts).result()
            run = store.start_run(outcome.tool_version, outcome.catalogue_version)
            store.write(run, [outcome])
            store.finish_run(run, 1, 0, int(outcome.failed))
            self.registry.refresh(force=True)
            audit, entry = _audit_of(self.registry, outcome)
            state = "failed" if outcome.failed else "done"
            self._set(job, state=state, message=outcome.error, audit_id=audit, entry_id=entry,
                      finished_at=now(), active_key=None)  # fmt: skip
        except Exception as exc:  # a job must end in a visible state, whatever happened
            self._set(job, state="failed", message=f"internal error: {type(exc).__name__}: {exc}",
                      finished_at=now(), active_key=None)  # fmt: skip
        finally:
            self._discard(item.location if item.source == "upload" else None)

    @staticmethod
    def _discard(folder: str | None) -> None:
        root = _upload_root(folder) if folder else None
        if root:
            shutil.rmtree(root, ignore_errors=True)

    def shutdown(self) -> None:
        """Stop taking jobs and wait for the running ones."""
        self.threads.shutdown(wait=True, cancel_futures=True)
        if self._processes is not None:
            self._processes.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.texts, ignore_errors=True)


def _upload_root(folder: str) -> str | None:
    """The temporary folder an upload was unpacked under (never anything outside it)."""
    path = Path(folder)
    for parent in (path, *path.parents):
        if parent.name.startswith("clearweights-upload-"):
            return str(parent)
    return None
