"""The scan loop: sources read lazily, audits in a process pool, one writer in this process.

Releases go in batches: a batch's unchanged releases are looked up in the store, the rest are
audited (in order, so output is deterministic), written as JSON Lines as they come, and stored
in one transaction. A killed run loses at most the batch in flight.
"""

from __future__ import annotations

import itertools
import multiprocessing
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Protocol, TextIO

from clearweights import __version__
from clearweights.errors import ClearweightsError
from clearweights.licenses import catalogue_version
from clearweights.scale.items import Item, Outcome
from clearweights.scale.sources import ScanSource
from clearweights.scale.worker import audit_item

if TYPE_CHECKING:
    from clearweights.store import Store

BATCH = 64


class ScanObserver(Protocol):
    """Follows a scan (the CLI shows a progress bar)."""

    def start(self, total: int | None) -> None:
        """The scan begins; *total* is None when the sources cannot tell."""

    def advance(self, outcome: Outcome | None) -> None:
        """One release is done: audited (its outcome) or unchanged since the last run (None)."""

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


def _executor(jobs: int) -> Executor | None:
    if jobs <= 1:
        return None
    # forkserver: workers never inherit the progress bar's thread or the store's connections.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else None)
    return ProcessPoolExecutor(jobs, mp_context=context)


class _Quiet:
    def start(self, total: int | None) -> None:
        pass

    def advance(self, outcome: Outcome | None) -> None:
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
) -> ScanSummary:
    """Audit every release of *sources*; results go to *sink* (JSON Lines) and *store*.

    Releases already audited by this clearweights and catalogue version at the same revision or
    content digest are skipped unless *force*. Errors are recorded per release, never raised.
    """
    versions = (__version__, catalogue_version())
    summary = ScanSummary()
    watch = observer or _Quiet()
    items = itertools.chain.from_iterable(s.items() for s in sources)
    executor = _executor(jobs)
    if store is not None:
        summary.run = store.start_run(*versions)
    watch.start(_total(sources))
    try:
        with tempfile.TemporaryDirectory(prefix="clearweights-texts-") as texts:
            work = partial(audit_item, texts=texts)
            for chunk in _batches(items, batch):
                todo = _pending(chunk, store, versions, force)
                for _ in range(len(chunk) - len(todo)):
                    summary.unchanged += 1
                    watch.advance(None)
                results: Iterable[Outcome] = (
                    executor.map(work, todo) if executor is not None else map(work, todo)
                )
                outcomes = []
                for outcome in results:
                    if sink is not None and outcome.document is not None:
                        sink.write(outcome.document + "\n")
                    summary.add(outcome)
                    outcomes.append(outcome)
                    watch.advance(outcome)
                if store is not None:
                    store.write(summary.run or 0, outcomes)
                if sink is not None:
                    sink.flush()
    except BrokenProcessPool:
        raise ClearweightsError(
            "a worker process died (killed, or out of memory); the batches before it are stored",
            hint="run the same scan again to resume, with fewer --jobs if memory is short",
        ) from None
    finally:
        watch.finish()
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if store is not None and summary.run is not None:
            store.finish_run(summary.run, summary.audited, summary.unchanged, summary.failed)
    return summary


def _pending(
    chunk: list[Item], store: Store | None, versions: tuple[str, str], force: bool
) -> list[Item]:
    """The items of *chunk* that need an audit (all of them without a store or with force)."""
    if store is None or force:
        return chunk
    done = store.done([i.identity for i in chunk if i.error is None], *versions)
    return [i for i in chunk if i.error is not None or i.identity not in done]
