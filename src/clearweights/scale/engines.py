"""Where batches of releases are audited: this process, a local process pool, or Ray.

An engine takes batches of items and yields each batch's outcomes, in the order the batches
came, with only a few batches in flight (memory stays flat however many releases there are).
Workers only audit; the scan's own process is the one writer of the store and the output.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from clearweights.errors import ClearweightsError
from clearweights.scale.items import Item, Outcome
from clearweights.scale.worker import audit_batch


class Engine(Protocol):
    """Audits batches of items, yielding their outcomes in order."""

    def map(self, batches: Iterator[list[Item]]) -> Iterator[list[Outcome]]:
        """Audit each batch; the outcomes of each, in the order of the batches."""
        ...

    def close(self) -> None:
        """Stop the workers; batches not started are dropped."""
        ...


class SerialEngine:
    """Audits in this process (``--jobs 1``)."""

    def map(self, batches: Iterator[list[Item]]) -> Iterator[list[Outcome]]:
        """Each batch's outcomes, audited here."""
        for batch in batches:
            yield audit_batch(batch)

    def close(self) -> None:
        """Nothing to stop."""


def _start_worker() -> None:
    # Ctrl-C reaches the whole process group: the scan's process decides what to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker keeps bounded caches (verdicts, encoded records, front matter) that the
    # collector would walk again and again for nothing; audits make little cyclic garbage.
    # Fewer collections: 5 to 15 % less CPU a card-only release (in process, alternating).
    gc.set_threshold(50_000, 50, 100)


class PoolEngine:
    """A local process pool: one batch per task, two tasks in flight per worker."""

    def __init__(self, jobs: int):
        # forkserver: workers inherit neither the progress bar's thread nor the store's
        # connections, and the audit code is imported and readied (catalogue loaded, patterns
        # compiled: see scale._warm) once, not once per worker.
        methods = multiprocessing.get_all_start_methods()
        context: multiprocessing.context.BaseContext = multiprocessing.get_context()
        if "forkserver" in methods:
            forkserver = multiprocessing.get_context("forkserver")
            forkserver.set_forkserver_preload(["clearweights.scale._warm"])
            context = forkserver
        self.jobs = jobs
        self._pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker)

    def map(self, batches: Iterator[list[Item]]) -> Iterator[list[Outcome]]:
        """Each batch's outcomes, in order, with at most ``2 * jobs`` batches in flight."""
        flight: deque[Future[list[Outcome]]] = deque()
        try:
            for batch in batches:
                flight.append(self._pool.submit(audit_batch, batch))
                if len(flight) >= 2 * self.jobs:
                    yield flight.popleft().result()
            while flight:
                yield flight.popleft().result()
        except BrokenProcessPool:
            raise ClearweightsError(
                "a worker process died (killed, or out of memory); the batches before it "
                "are stored",
                hint="run the same scan again to resume, with fewer --jobs if memory is short",
            ) from None

    def close(self) -> None:
        """Cancel the batches not started and wait for the workers to end."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def local_engine(jobs: int) -> Engine:
    """This process for one job, else a process pool of *jobs* workers."""
    return SerialEngine() if jobs <= 1 else PoolEngine(jobs)


def ray_engine(address: str | None = None, jobs: int | None = None) -> Engine:
    """The Ray engine: the cluster at *address*, else a local Ray instance of *jobs* CPUs.

    Raises:
        ClearweightsError: Ray is not installed (the ``scale`` extra) or cannot be reached.
    """
    try:
        from clearweights.scale._ray import RayEngine
    except ImportError as exc:
        raise ray_missing(exc) from None
    return RayEngine(address, jobs)


def ray_missing(exc: ImportError) -> ClearweightsError:
    """The error for a Ray engine asked for without Ray installed."""
    return ClearweightsError(
        f"the Ray engine needs Ray ({exc.name} is missing)",
        hint="pip install 'clearweights[scale]'",
    )
