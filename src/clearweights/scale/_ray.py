"""The Ray engine: batches of releases as Ray tasks, results streamed back in order.

Imports Ray, which the ``scale`` extra installs; nothing else in clearweights imports this
module. Every node needs clearweights installed (the same version as the scanning machine,
or the audits would not match the versions the store records).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from typing import Any

import ray

from clearweights.errors import ClearweightsError
from clearweights.scale.items import Item, Outcome
from clearweights.scale.worker import audit_batch

# A local instance needs little shared memory: a batch's results are a few megabytes.
_LOCAL_OBJECT_STORE = 256 << 20

_audit = ray.remote(audit_batch)


class RayEngine:
    """Audits batches as Ray tasks; the scanning process stays the one writer of the store."""

    def __init__(self, address: str | None = None, jobs: int | None = None):
        self._owned = not ray.is_initialized()
        if self._owned:
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                       "logging_level": logging.ERROR}  # fmt: skip
            if address is None:
                options.update(num_cpus=jobs, object_store_memory=_LOCAL_OBJECT_STORE)
            try:
                ray.init(address=address, **options)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ClearweightsError(
                    f"could not connect to the Ray cluster: {exc}",
                    path=address,
                    hint="check --ray-address (ray://HEAD:10001 or the head's HOST:6379)",
                ) from None
        # NOTE: ray.cluster_resources is not annotated.
        resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
        self.cpus = max(1, int(resources.get("CPU", 1)))

    def map(self, batches: Iterator[list[Item]]) -> Iterator[list[Outcome]]:
        """Each batch's outcomes, in order, with two tasks in flight per CPU of the cluster."""
        flight: deque[Any] = deque()
        try:
            for batch in batches:
                flight.append(_audit.remote(batch))
                if len(flight) >= 2 * self.cpus:
                    yield ray.get(flight.popleft())
            while flight:
                yield ray.get(flight.popleft())
        except ray.exceptions.RayError as exc:
            raise ClearweightsError(
                f"a Ray task failed: {type(exc).__name__}: {str(exc).splitlines()[0]}",
                hint="the batches before it are stored; run the same scan again to resume",
            ) from None
        finally:
            for ref in flight:  # interrupted or failed: what has not run is not wanted
                ray.cancel(ref, force=True)

    def close(self) -> None:
        """Shut down the local Ray instance this engine started (a cluster is left running)."""
        if self._owned and ray.is_initialized():
            ray.shutdown()
