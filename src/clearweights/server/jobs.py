"""Submitted audits, run in the background: queued, running, then done or failed with a message.

The queue is the ``submissions`` table, so it outlives the processes that serve it. Every
server process runs a few job runners (threads that hand the audits to a small process pool,
started by the forkserver as `scan` does, so a long audit never holds up requests). A runner
claims a queued job with one conditional update (``... WHERE id = ? AND state = 'queued'``):
of several processes on one database, SQLite or PostgreSQL, exactly one gets each job. A
process notes it is alive in ``server_state`` every few seconds; a job left ``running`` by a
process no longer heard from (stopped, killed, its machine gone) is queued again. One release
is never queued twice at once: a second submission of the same release and revision while the
first is queued or running gets the first job back.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import socket
import tempfile
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from clearweights.scale.items import Item, Outcome
from clearweights.scale.worker import audit_item
from clearweights.server.archive import discard, in_spool, orphans
from clearweights.store import now
from clearweights.store.models import AuditRow, EntryRow, ReleaseRow, StateRow, SubmissionRow

if TYPE_CHECKING:
    from clearweights.server.registry import Registry

_ALIVE = "jobs-alive:"  # server_state rows: a job runner's process and when it was last heard
_ORPHAN_SECONDS = 3600.0  # an upload folder no job holds is removed after this long


@dataclass(frozen=True)
class Submission:
    """A submitted job as the API shows it."""

    id: int
    kind: str  # hub, archive, reaudit
    target: str
    state: str  # queued, running, done, failed
    message: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    release_id: int | None
    audit_id: int | None


def _view(row: Any) -> Submission:
    return Submission(row.id, row.kind, row.target, row.state, row.message, row.created_at,
                      row.started_at, row.finished_at, row.entry_id, row.audit_id)  # fmt: skip


@dataclass(frozen=True)
class Task:
    """What a runner does for one job: a call in the process pool, and how to report it."""

    call: Callable[..., Outcome] | None  # None: nothing to run (the job ends with *note*)
    args: tuple[Any, ...] = ()
    note: str | None = None  # the job's message
    ends: str = "failed"  # the state of a job with nothing to run
    store_failures: bool = True  # a failed re-audit never replaces a good audit


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


def active_key(item: Item) -> str:
    """What marks a release and revision as queued or running (unique while it is)."""
    return f"{item.source}:{item.key}@{item.revision}"[:512]


def item_json(item: Item) -> dict[str, str]:
    """The part of an item a job keeps, to run it in any process, after any restart."""
    return {"source": item.source, "key": item.key, "revision": item.revision,
            "location": item.location}  # fmt: skip


def payload_of(row: Any) -> dict[str, Any] | None:
    """A job's stored payload, or None when it is not one this clearweights wrote."""
    try:
        found = json.loads(row.payload or "")
    except ValueError:
        return None
    return found if isinstance(found, dict) and isinstance(found.get("item"), dict) else None


def _since(stamp: str) -> float:
    try:
        return (datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds()
    except (ValueError, TypeError):
        return float("inf")


class JobPool:
    """The job runners of one server process."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.settings = registry.settings
        self.spool = self.settings.spool()
        self.host = socket.gethostname()[:64]
        self.worker = uuid.uuid4().hex  # this process's name in claims and heartbeats
        self._processes: Executor | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self.texts = tempfile.mkdtemp(prefix="clearweights-server-texts-")

    def _pool(self) -> Executor:
        with self._lock:
            if self._processes is None:
                methods = multiprocessing.get_all_start_methods()
                method = "forkserver" if "forkserver" in methods else None
                context = multiprocessing.get_context(method)
                self._processes = ProcessPoolExecutor(self.settings.workers, mp_context=context)
            return self._processes

    def start(self) -> None:
        """Take up jobs: re-queue abandoned ones, queue re-audits, start the runners."""
        if self._threads:
            return
        self._heartbeat()
        self.recover()
        self._clean_spool()
        if self.settings.reaudit_on_start and self.settings.reaudit_limit > 0:
            from clearweights.server.reaudit import queue_reaudits

            queue_reaudits(self, self.settings.reaudit_limit)
        names = [f"clearweights-job-{n}" for n in range(self.settings.workers)]
        self._threads = [threading.Thread(target=self._loop, name=n, daemon=True) for n in names]
        self._threads.append(
            threading.Thread(target=self._beat, name="clearweights-job-alive", daemon=True)
        )
        for thread in self._threads:
            thread.start()

    def submit(self, kind: str, target: str, item: Item, *, token: int | None,
               extra: dict[str, Any] | None = None) -> tuple[Submission, bool]:  # fmt: skip
        """Queue an audit of *item*; returns the job and whether it is new.

        When the same release and revision is already queued or running, that job is
        returned instead (and *item*'s spooled upload, if any, is removed).
        """
        active = active_key(item)
        payload = json.dumps({"item": item_json(item), "host": self.host, **(extra or {})},
                             sort_keys=True)  # fmt: skip
        values = {"kind": kind, "target": target, "active_key": active, "state": "queued",
                  "payload": payload, "token_id": token, "created_at": now()}  # fmt: skip
        try:
            with self.registry.engine.begin() as connection:
                job = connection.execute(
                    insert(SubmissionRow).returning(SubmissionRow.id), values
                ).scalar_one()
        except IntegrityError:
            discard((extra or {}).get("upload"), self.spool)
            with self.registry.engine.connect() as connection:
                row = connection.execute(
                    select(SubmissionRow.__table__).where(SubmissionRow.active_key == active)
                ).first()
            if row is None:  # finished in between: queue it again
                return self.submit(kind, target, item, token=token, extra=extra)
            return _view(row), False
        self._wake.set()
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

    def pending(self, kind: str | None = None) -> int:
        """How many jobs (of *kind*) are queued or running, in any process."""
        query = select(SubmissionRow.id).where(SubmissionRow.state.in_(("queued", "running")))
        if kind is not None:
            query = query.where(SubmissionRow.kind == kind)
        with self.registry.engine.connect() as connection:
            return len(connection.execute(query).all())

    def _set(self, job: int, **values: Any) -> None:
        with self.registry.engine.begin() as connection:
            connection.execute(
                update(SubmissionRow).where(SubmissionRow.id == job).values(**values)
            )

    def _end(self, job: int, state: str, message: str | None, **values: Any) -> None:
        self._set(job, state=state, message=message, finished_at=now(), active_key=None,
                  **values)  # fmt: skip

    def claim(self) -> Any | None:
        """The next queued job, now running here; None when there is none to take."""
        order = case((SubmissionRow.kind == "reaudit", 1), else_=0)  # submissions go first
        with self.registry.engine.connect() as connection:
            rows = connection.execute(
                select(SubmissionRow.__table__)
                .where(SubmissionRow.state == "queued")
                .order_by(order, SubmissionRow.id)
                .limit(32)
            ).all()
        for row in rows:
            payload = payload_of(row)
            if payload is not None and not self._may_take(payload):
                continue
            mine = json.dumps({**(payload or {}), "owner": self.worker}, sort_keys=True)
            with self.registry.engine.begin() as connection:
                taken = connection.execute(
                    update(SubmissionRow)
                    .where(SubmissionRow.id == row.id, SubmissionRow.state == "queued")
                    .values(state="running", started_at=now(),
                            payload=mine if payload is not None else row.payload)
                ).rowcount  # fmt: skip
            if taken == 1:
                return row
        return None

    def _may_take(self, payload: dict[str, Any]) -> bool:
        """An upload can run only where its files are: on the host that spooled it."""
        upload = payload.get("upload")
        return not upload or payload.get("host") == self.host or Path(upload).is_dir()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                row = self.claim()
            except Exception:  # the database is away: wait and try again
                row = None
            if row is None:
                self._wake.wait(self.settings.job_poll_seconds)
                self._wake.clear()
                continue
            try:
                self.run(row)
            except Exception:  # the end was not written: re-queued once this process stops
                continue

    def _task(self, row: Any, payload: dict[str, Any] | None) -> Task:
        if payload is None:
            return Task(None, note="this job was queued by an earlier clearweights and cannot "
                        "be resumed: submit the release again")  # fmt: skip
        item = Item(**payload["item"])
        if row.kind == "reaudit":
            from clearweights.server.reaudit import reaudit_task

            return reaudit_task(self.registry, item, payload, self.texts)
        upload = payload.get("upload")
        if upload and not Path(item.location).is_dir():
            return Task(None, note="the uploaded files are gone (the server's spool folder "
                        f"{self.spool} lost them): submit the archive again")  # fmt: skip
        if row.kind == "hub" and not Path(item.location).is_dir():
            return Task(None, note=f"{item.key} at {item.revision} is no longer in the "
                        "server's Hugging Face cache: submit it again")  # fmt: skip
        return Task(audit_item, (item, self.texts))

    def run(self, row: Any) -> None:
        """Run one claimed job and store its result (never raises for a job's failure)."""
        payload = payload_of(row)
        try:
            state, message, values = self._execute(row, payload)
        except Exception as exc:  # a job must end in a visible state, whatever happened
            state, message, values = "failed", f"internal error: {type(exc).__name__}: {exc}", {}
        discard((payload or {}).get("upload"), self.spool)  # before the job shows as ended
        self._end(row.id, state, message, **values)

    def _execute(self, row: Any, payload: dict[str, Any] | None) -> tuple[str, str | None, Any]:
        """The job's end state, message and stored ids."""
        task = self._task(row, payload)
        if task.call is None:
            return task.ends, task.note, {}
        outcome = self._pool().submit(task.call, *task.args).result()
        if outcome.failed and not task.store_failures:
            return "failed", f"{task.note}: {outcome.error}", {}
        store = self.registry.store
        run = store.start_run(outcome.tool_version, outcome.catalogue_version)
        store.write(run, [outcome])
        store.finish_run(run, 1, 0, int(outcome.failed))
        self.registry.refresh(force=True)
        audit, entry = _audit_of(self.registry, outcome)
        state = "failed" if outcome.failed else "done"
        return state, outcome.error or task.note, {"audit_id": audit, "entry_id": entry}

    def _heartbeat(self) -> None:
        """Note in the store that this process is alive (its running jobs are not lost)."""
        name = f"{_ALIVE}{self.worker}"
        with self.registry.engine.begin() as connection:
            changed = connection.execute(
                update(StateRow).where(StateRow.name == name).values(value=now())
            ).rowcount
            if not changed:
                connection.execute(insert(StateRow), {"name": name, "value": now()})

    def recover(self) -> int:
        """Queue again the jobs left running by processes no longer heard from."""
        stale = self.settings.job_stale_seconds
        with self.registry.engine.connect() as connection:
            beats = connection.execute(
                select(StateRow.name, StateRow.value).where(StateRow.name.like(f"{_ALIVE}%"))
            ).all()
            running = connection.execute(
                select(SubmissionRow.id, SubmissionRow.payload).where(
                    SubmissionRow.state == "running"
                )
            ).all()
        alive = {n.removeprefix(_ALIVE) for n, v in beats if _since(v) < stale}
        alive.add(self.worker)
        requeued = 0
        with self.registry.engine.begin() as connection:
            for row in running:
                owner = (payload_of(row) or {}).get("owner")
                if owner in alive:
                    continue
                requeued += connection.execute(
                    update(SubmissionRow)
                    .where(SubmissionRow.id == row.id, SubmissionRow.state == "running")
                    .where(SubmissionRow.payload == row.payload)
                    .values(state="queued", started_at=None)
                ).rowcount
            gone = [n for n, v in beats if _since(v) > max(stale * 10, 86400)]
            if gone:
                connection.execute(delete(StateRow).where(StateRow.name.in_(gone)))
        if requeued:
            self._wake.set()
        return requeued

    def _beat(self) -> None:
        every = max(self.settings.job_stale_seconds / 4, 0.05)
        while not self._stop.wait(every):
            try:
                self._heartbeat()
                self.recover()
            except Exception:  # the database is away for a moment: the next beat retries
                continue

    def _clean_spool(self) -> None:
        """Remove upload folders that no queued or running job holds (left by a crash)."""
        with self.registry.engine.connect() as connection:
            rows = connection.execute(
                select(SubmissionRow.payload).where(SubmissionRow.state.in_(("queued", "running")))
            ).all()
        kept = set()
        for row in rows:
            upload = (payload_of(row) or {}).get("upload")
            if upload and (path := in_spool(upload, self.spool)) is not None:
                kept.add(path)
        for path in orphans(self.spool, kept, _ORPHAN_SECONDS):
            discard(path, self.spool)

    def shutdown(self) -> None:
        """Stop taking jobs and wait for the running ones; queued jobs stay queued."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join()
        self._threads = []
        if self._processes is not None:
            self._processes.shutdown(wait=True, cancel_futures=True)
        try:
            with self.registry.engine.begin() as connection:
                connection.execute(delete(StateRow).where(StateRow.name == _ALIVE + self.worker))
        except Exception:  # the store is gone already: the heartbeat goes stale by itself
            pass
        shutil.rmtree(self.texts, ignore_errors=True)
