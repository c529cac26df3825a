"""Ray Data over Parquet dumps: the cluster reads the dump and audits it, batch by batch.

``scan dump.parquet --engine ray``: ``ray.data.read_parquet`` reads the dump on the cluster's
nodes (the scanning process never reads a card), ``map_batches`` runs the local engine's own
worker function (:func:`~clearweights.scale.worker.audit_batch`) over 64 rows at a time, and
the outcomes stream back, in the dump's order, to the scanning process: the one writer of the
store and of the JSON Lines. With ``results`` (``--results-parquet DIR``) the nodes write the
outcomes as Parquet files themselves and nothing comes back.

Resumption, without the scanning process reading the rows: a first pass on the cluster sends
back only each row's identity (source, repo id, revision); the store says which are done, 1,024
at a time; an 8-byte digest of each done one is kept (a sorted array: 16 MB for two million
releases), and the audit pass skips those rows on the nodes.

Imports Ray (the ``scale`` extra); only the scan command imports this module, and only for
``--engine ray``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import pyarrow as pa
import ray
import ray.data

from clearweights import __version__
from clearweights.errors import ClearweightsError
from clearweights.licenses import catalogue_version
from clearweights.scale._ray import RayEngine
from clearweights.scale.engine import BATCH, LOOKUP, ScanObserver, ScanSummary, _record
from clearweights.scale.items import Item, Outcome
from clearweights.scale.rows import row_item
from clearweights.scale.sources import ParquetDump
from clearweights.scale.worker import audit_batch

if TYPE_CHECKING:
    from clearweights.store import Store

Identity = tuple[str, str, str]
_PATH = "path"  # the column read_parquet(include_paths=True) adds
# What the audit pass gives per row: the outcome, flattened (the row tuples as JSON text).
RESULTS = pa.schema([
    ("source", pa.string()), ("key", pa.string()), ("revision", pa.string()),
    ("location", pa.string()), ("unchanged", pa.bool_()), ("tool_version", pa.string()),
    ("catalogue_version", pa.string()), ("seconds", pa.float64()), ("name", pa.string()),
    ("error", pa.string()), ("document", pa.string()), ("weights_license", pa.string()),
    ("licenses", pa.string()), ("verdicts", pa.string()), ("findings", pa.string()),
])  # fmt: skip
_IDENTITIES = pa.schema([("source", pa.string()), ("key", pa.string()),
                         ("revision", pa.string())])  # fmt: skip


def digest(identity: Identity) -> int:
    """An 8-byte digest of a release's identity (collisions: about 1 in 10^7 at 2 million)."""
    text = "\0".join(identity).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")


def batch_items(batch: pa.Table) -> list[Item]:
    """The items of a batch of dump rows, as :class:`ParquetDump` makes them.

    Ray Data does not number rows, so a malformed row is named by its file and a digest of
    the row (``FILE#0123abcd4567``) rather than its row number.
    """
    paths = batch.column(_PATH).to_pylist() if _PATH in batch.column_names else None
    rows = batch.drop_columns([_PATH]).to_pylist() if paths is not None else batch.to_pylist()
    items = []
    for number, raw in enumerate(rows):
        where = str(paths[number]) if paths is not None else "dump"
        item = row_item(raw, where)
        if item.error is not None:
            key = f"{where}#{item.revision.removeprefix('sha256:')[:12]}"
            item = dataclasses.replace(item, key=key)
        items.append(item)
    return items


def identities(batch: pa.Table) -> pa.Table:
    """The identities of the rows that can be audited (error items are never skipped)."""
    found = [i.identity for i in batch_items(batch) if i.error is None]
    return pa.Table.from_pylist(
        [dict(zip(_IDENTITIES.names, i, strict=True)) for i in found], schema=_IDENTITIES
    )


def _flat(outcome: Outcome) -> dict[str, Any]:
    item = outcome.item
    return {"source": item.source, "key": item.key, "revision": item.revision,
            "location": item.location, "unchanged": False,
            "tool_version": outcome.tool_version, "catalogue_version": outcome.catalogue_version,
            "seconds": outcome.seconds, "name": outcome.name, "error": outcome.error,
            "document": outcome.document, "weights_license": outcome.weights_license,
            "licenses": json.dumps(outcome.licenses), "verdicts": json.dumps(outcome.verdicts),
            "findings": json.dumps(outcome.findings)}  # fmt: skip


_NONE_DONE = np.array([], dtype=np.uint64)


def audit_rows(
    batch: pa.Table, done: np.ndarray[Any, np.dtype[np.uint64]] = _NONE_DONE
) -> pa.Table:
    """Audit a batch of dump rows with the local engine's worker function; skip *done* ones."""
    items = batch_items(batch)
    wanted = [i.error is not None or not _known(done, i.identity) for i in items]
    outcomes = iter(audit_batch([i for i, w in zip(items, wanted, strict=True) if w]))
    flat = []
    for item, audit in zip(items, wanted, strict=True):
        if audit:
            flat.append(_flat(next(outcomes)))
        else:  # unchanged: only the identity goes back, to be counted
            flat.append({"source": item.source, "key": item.key, "revision": item.revision,
                         "location": item.location, "unchanged": True})  # fmt: skip
    return pa.Table.from_pylist(flat, schema=RESULTS)


def _known(done: np.ndarray[Any, np.dtype[np.uint64]], identity: Identity) -> bool:
    if not len(done):
        return False
    value = np.uint64(digest(identity))
    at = int(np.searchsorted(done, value))
    return at < len(done) and bool(done[at] == value)


def outcome(row: dict[str, Any]) -> Outcome:
    """An outcome row of the audit pass as the :class:`Outcome` the store writes."""
    item = Item(row["source"], row["key"], row["revision"], location=row["location"] or "")
    return Outcome(
        item, row["tool_version"], row["catalogue_version"], row["seconds"], name=row["name"],
        error=row["error"], document=row["document"], weights_license=row["weights_license"],
        licenses=tuple(tuple(x) for x in json.loads(row["licenses"])),
        verdicts=tuple(tuple(x) for x in json.loads(row["verdicts"])),
        findings=tuple(tuple(x) for x in json.loads(row["findings"])),
    )  # fmt: skip


def parquet_dumps(locations: Sequence[str]) -> bool:
    """Whether every location is a Parquet dump that opens (a broken one takes the task path,
    which records it as one error item)."""
    dumps = [ParquetDump(p) for p in locations]
    return (
        bool(dumps)
        and all(p.lower().endswith((".parquet", ".pq")) for p in locations)
        and all(d.count() is not None for d in dumps)
    )


def _quiet_context() -> None:
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # deterministic output: the dump's order
    context.enable_progress_bars = False  # the scan has its own
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def _read(paths: Sequence[str]) -> ray.data.Dataset:
    return ray.data.read_parquet(list(paths), include_paths=True)


def _done(paths: Sequence[str], store: Store, versions: tuple[str, str]) -> np.ndarray[Any, Any]:
    """The digests of the dump's releases the store holds for *versions*, sorted."""
    found: list[int] = []
    listing = _read(paths).map_batches(identities, batch_format="pyarrow", batch_size=LOOKUP)
    for table in _batches(listing, LOOKUP):
        wanted: list[Identity] = [(r["source"], r["key"], r["revision"]) for r in table.to_pylist()]
        found += (digest(i) for i in store.done(wanted, *versions))
    return np.sort(np.array(found, dtype=np.uint64))


def scan_parquet(
    paths: Sequence[str],
    *,
    store: Store | None = None,
    sink: TextIO | None = None,
    force: bool = False,
    observer: ScanObserver | None = None,
    address: str | None = None,
    jobs: int | None = None,
    stop: Callable[[], bool] | None = None,
    batch: int = BATCH,
) -> ScanSummary:
    """Audit Parquet dumps with Ray Data; the results go to *sink* and *store* as ``scan``'s.

    Raises:
        ClearweightsError: Ray cannot be reached, or a Ray task failed (the batches before it
            are stored).
    """
    versions = (__version__, catalogue_version())
    summary = ScanSummary()
    engine = RayEngine(address, jobs)
    if store is not None:
        summary.run = store.start_run(*versions)
    if observer is not None:
        observer.start(sum(ParquetDump(p).count() or 0 for p in paths))
    try:
        _quiet_context()
        skip = _done(paths, store, versions) if store is not None and not force else None
        audited = _read(paths).map_batches(
            audit_rows, batch_format="pyarrow", batch_size=batch,
            fn_kwargs={"done": skip if skip is not None else _NONE_DONE},
        )  # fmt: skip
        for table in _batches(audited, batch):
            _take(table, summary, store, sink, observer)
            if stop is not None and stop():
                raise KeyboardInterrupt
    finally:
        engine.close()
        if observer is not None:
            observer.finish()
        if store is not None and summary.run is not None:
            store.finish_run(summary.run, summary.audited, summary.unchanged, summary.failed)
    return summary


def _batches(dataset: ray.data.Dataset, size: int) -> Iterator[pa.Table]:
    try:
        yield from dataset.iter_batches(batch_size=size, batch_format="pyarrow")
    except ray.exceptions.RayError as exc:
        raise ClearweightsError(
            f"a Ray Data task failed: {type(exc).__name__}: {str(exc).splitlines()[0]}",
            hint="the batches before it are stored; run the same scan again to resume",
        ) from None


def _take(
    table: pa.Table,
    summary: ScanSummary,
    store: Store | None,
    sink: TextIO | None,
    observer: ScanObserver | None,
) -> None:
    rows = table.to_pylist()
    unchanged = sum(r["unchanged"] for r in rows)
    outcomes = [outcome(r) for r in rows if not r["unchanged"]]
    summary.unchanged += unchanged
    _record(outcomes, summary, store, sink)
    if observer is not None:
        observer.advance(len(outcomes), unchanged, sum(o.failed for o in outcomes))


def write_results(
    paths: Sequence[str], folder: str, *, address: str | None = None, jobs: int | None = None
) -> None:
    """Audit Parquet dumps with Ray Data and let the nodes write the outcomes as Parquet files
    in *folder* (one row per release, :data:`RESULTS`' columns); nothing comes back."""
    engine = RayEngine(address, jobs)
    try:
        _quiet_context()
        audited = _read(paths).map_batches(audit_rows, batch_format="pyarrow", batch_size=BATCH)
        try:
            audited.drop_columns(["unchanged"]).write_parquet(folder)
        except ray.exceptions.RayError as exc:
            raise ClearweightsError(
                f"a Ray Data task failed: {type(exc).__name__}: {str(exc).splitlines()[0]}",
                path=folder,
            ) from None
    finally:
        engine.close()


__all__ = ["RESULTS", "audit_rows", "batch_items", "parquet_dumps", "scan_parquet", "write_results"]
