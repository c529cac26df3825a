"""The scan loop: sources read lazily, audits on an engine, one writer in this process.

Releases are looked up in the store a thousand at a time (those unchanged since the last run
are skipped), the rest go to the engine in batches; each batch's results are written as JSON
Lines as soon as it comes back, in order, so output is deterministic, and stored in one
transaction by the store's writer thread, which takes at most two batches ahead: the engine is
fed while the database writes and waits on the disk. Every batch received is stored before the
next look-up, so a release met again later in the sources is found done. A killed run loses at
most the batches in flight.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TextIO

from clearweights import __version__
from clearweights.licenses import catalogue_version
from clearweights.scale.items import Item, Outcome
from clearweights.scale.sources import ScanSource

if TYPE_CHECKING:  # engines import the audit code: only when there is something to audit
    from clearweights.scale.engines import Engine
    from clearweights.store import Store

BATCH = 64  # releases per engine task and per store transaction
LOOKUP = 1024  # releases per resumption look-up in the store


class ScanObserver(Protocol):
    """Follows a scan (the CLI shows a progress bar)."""

    def start(self, total: int | None) -> None:
        """The scan begins; *total* is None when the sources cannot tell."""

    def advance(self, audited: int, unchanged: int, failed: int) -> None:
        """More releases are done: audited (*failed* of them could not be), or unchanged."""

    def finish(self) -> None:
        """The scan is over."""


@dataclass
class ScanSummary:
    """Running counters of a scan (a few per distinct value: memory stays flat)."""

    audited: int = 0
    unchanged: int = 0
    failed: int = 0
    run: int | None = None
    verdicts: Counter[tuple[str, str]] = field(default_factory=Counter)
    licenses: Counter[str] = field(default_factory=Counter)
    open_washing: int = 0
    errors: list[str] = field(default_factory=list)  # the first few, for the end of the run

    def add(self, outcome: Outcome) -> None:
        """Count one audited release."""
        self.audited += 1
        if outcome.failed:
            self.failed += 1
            if len(self.errors) < 10:
                self.errors.append(str(outcome.error))
            return
        self.verdicts.update((f, v) for f, v, _ in outcome.verdicts)
        self.licenses[outcome.weights_license or "(none found)"] += 1
        self.open_washing += any(code.startswith("OW-") for code, _, _ in outcome.findings)


def _batches(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    while batch := list(itertools.islice(items, size)):
        yield batch


def _total(sources: Sequence[ScanSource]) -> int | None:
    counts = [s.count() for s in sources]
    return None if any(c is None for c in counts) else sum(c for c in counts if c is not None)


class _Quiet:
    def start(self, total: int | None) -> None:
        pass

    def advance(self, audited: int, unchanged: int, failed: int) -> None:
        pass

    def finish(self) -> None:
        pass


def scan(
    sources: Sequence[ScanSource],
    *,
    store: Store | None = None,
    sink: TextIO | None = None,
    jobs: int = 1,
    force: bool = False,
    observer: ScanObserver | None = None,
    batch: int = BATCH,
    engine: Engine | None = None,
    stop: Callable[[], bool] | None = None,
) -> ScanSummary:
    """Audit every release of *sources*; results go to *sink* (JSON Lines) and *store*.

    Releases already audited by this clearweights and catalogue version at the same revision or
    content digest are skipped unless *force*. Errors are recorded per release, never raised.
    The audits run on *engine* (default: this process for one job, else a pool of *jobs*).
    *stop* is asked after each batch is received: when it says so, the batches received are
    stored, those in flight dropped, and KeyboardInterrupt is raised (a signal handler sets
    it; store writes are on their own thread, never cut in the middle).
    """
    versions = (__version__, catalogue_version())
    summary = ScanSummary()
    watch = observer or _Quiet()
    items = itertools.chain.from_iterable(s.items() for s in sources)
    if store is not None:
        summary.run = store.start_run(*versions)
    if engine is None:
        from clearweights.scale.engines import local_engine

        engine = local_engine(jobs)
    runner = engine
    watch.start(_total(sources) if observer is not None else None)  # counting reads a dump
    writer = _Writer(store, summary.run or 0) if store is not None else None
    try:
        todo = _pending(items, store, versions, force, summary, watch, batch, writer)
        for outcomes in runner.map(todo):
            _record(outcomes, summary, store, sink, writer)
            watch.advance(len(outcomes), 0, sum(o.failed for o in outcomes))
            if stop is not None and stop():
                raise KeyboardInterrupt
        if writer is not None:
            writer.flush()  # a failed last write is raised here
    finally:
        if writer is not None:
            writer.close()
        runner.close()
        watch.finish()
        if store is not None and summary.run is not None:
            store.finish_run(summary.run, summary.audited, summary.unchanged, summary.failed)
    return summary


def _record(
    outcomes: list[Outcome],
    summary: ScanSummary,
    store: Store | None,
    sink: TextIO | None,
    writer: _Writer | None = None,
) -> None:
    """Count, write and store one batch's outcomes (handed to *writer* when there is one)."""
    for outcome in outcomes:
        summary.add(outcome)
    if sink is not None:
        sink.write("".join(o.document + "\n" for o in outcomes if o.document is not None))
        sink.flush()
    if writer is not None:
        writer.put(outcomes)
    elif store is not None:
        store.write(summary.run or 0, outcomes)


class _Writer:
    """Stores batches on a thread of its own, in order, at most ``AHEAD`` batches behind.

    A write that fails stops the writing (the batches after it are dropped, as a killed run
    drops those in flight); its error is raised on the scan's thread at the next batch handed
    over or at :meth:`flush`.
    """

    AHEAD = 2

    def __init__(self, store: Store, run: int):
        self.store = store
        self.run = run
        self.error: BaseException | None = None
        self._queue: queue.Queue[list[Outcome] | None] = queue.Queue(self.AHEAD)
        self._thread = threading.Thread(target=self._work, name="clearweights-store", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (outcomes := self._queue.get()) is not None:
            try:
                if self.error is None:
                    self.store.write(self.run, outcomes)
            except BaseException as exc:  # raised on the scan's thread
                self.error = exc
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def put(self, outcomes: list[Outcome]) -> None:
        """Hand a batch over (waiting while ``AHEAD`` are queued), after noting it in the
        store's memory of the run (read on this thread only)."""
        self._raise()
        self.store.follow(outcomes)
        self._queue.put(outcomes)

    def flush(self) -> None:
        """Wait until every batch handed over is stored; raise a failed write's error."""
        self._queue.join()
        self._raise()

    def close(self) -> None:
        """Store the batches handed over and end the thread (a failed write is not raised:
        the scan is ending with its own error, or has raised this one)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error


def _pending(
    items: Iterator[Item],
    store: Store | None,
    versions: tuple[str, str],
    force: bool,
    summary: ScanSummary,
    watch: ScanObserver,
    batch: int,
    writer: _Writer | None,
) -> Iterator[list[Item]]:
    """Batches of the items that need an audit; the unchanged ones are counted and skipped."""
    lookup = batch if store is None or force else max(batch, LOOKUP)
    for chunk in _batches(items, lookup):
        todo = chunk
        if store is not None and not force:
            if writer is not None:  # what was received is stored first: it may be asked for
                writer.flush()
            keyed = [(i, i.identity) for i in chunk]
            done = store.done([key for i, key in keyed if i.error is None], *versions)
            todo = [i for i, key in keyed if i.error is not None or key not in done]
        if len(todo) < len(chunk):
            summary.unchanged += len(chunk) - len(todo)
            watch.advance(0, len(chunk) - len(todo), 0)
        for start in range(0, len(todo), batch):
            yield todo[start : start + batch]
