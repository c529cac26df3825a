"""Run the pipelines over leaves against the teacher, with checkpoints and progress."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clearweights.errors import GenerateError
from clearweights.generate.blocks import BlockContext
from clearweights.generate.checkpoint import Checkpoint, UnitDone, slug
from clearweights.generate.model import (
    BlockStats,
    GenLeaf,
    LeafKind,
    LeafResult,
    Sampling,
    Teacher,
    merge_stats,
)
from clearweights.generate.observe import GenerateObserver, LeafProgress
from clearweights.generate.pipeline import Pipeline, builtin
from clearweights.generate.prompts import DEFAULT_SYSTEM_PROMPT
from clearweights.generate.records import to_sample
from clearweights.generate.teacher import TeacherClient
from clearweights.generate.units import Unit, units


@dataclass(frozen=True)
class GenerateOptions:
    """How to generate.

    Attributes:
        output: directory for the dataset, its card, its BOM component and the checkpoints.
        seed: the run's seed; every request's seed derives from it.
        scale: samples asked of the teacher per unit of work (built-in pipelines).
        sampling: sampling parameters of generation requests (judges use temperature 0).
        system_prompt: the system message of every training record (recorded).
        preview: only the first N units of each leaf, written under ``output/preview``.
        concurrency: requests in flight at most.
        timeout: seconds one request may take.
        retries: attempts after the first on 429, 5xx, timeouts and broken answers.
        backoff: first wait between attempts, doubled each time.
        stream: ask the teacher for streamed answers.
        max_per_leaf: at most this many samples of each leaf in the mix.
        pipelines: pipelines replacing the built-in one of a leaf kind.
    """

    output: Path
    seed: int = 42
    scale: int = 3
    sampling: Sampling = field(default_factory=Sampling)
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    preview: int | None = None
    concurrency: int = 8
    timeout: float = 120.0
    retries: int = 4
    backoff: float = 0.5
    stream: bool = False
    max_per_leaf: int | None = None
    pipelines: Mapping[LeafKind, Pipeline] = field(default_factory=dict)

    @property
    def directory(self) -> Path:
        """Where this run writes (previews apart from full runs)."""
        return self.output / "preview" if self.preview else self.output

    def pipeline(self, kind: LeafKind) -> Pipeline:
        """The pipeline for a leaf kind."""
        return self.pipelines.get(kind) or builtin(kind, self.scale)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fingerprint(pipeline: Pipeline, teacher: Teacher, options: GenerateOptions) -> dict[str, Any]:
    return {
        "pipeline": pipeline.template_hash(),
        "sampling": options.sampling.as_dict(),
        "seed": options.seed,
        "system_prompt": options.system_prompt,
        "teacher": {"model": teacher.model, "revision": teacher.revision, "url": teacher.url},
    }


@dataclass
class _LeafRun:
    """Mutable state of one leaf while its units run."""

    leaf: GenLeaf
    pipeline: Pipeline
    done: dict[str, UnitDone]
    checkpoint: Checkpoint
    total: int
    started: float = field(default_factory=time.perf_counter)
    generated: int = 0


async def _run_unit(
    state: _LeafRun, unit: Unit, client: TeacherClient, options: GenerateOptions
) -> UnitDone:
    ctx = BlockContext(client, state.leaf.path, unit.id, options.seed, options.sampling)
    records: list[dict[str, Any]] = [dict(unit.record)]
    stats: list[BlockStats] = []
    for block in state.pipeline.unit_blocks:
        if records:
            records, counts = await block.run(records, ctx)
        else:  # nothing left: the remaining blocks saw nothing, listed for the counts
            counts = BlockStats(block.name, block.kind)
        stats.append(counts)
    return UnitDone(unit.id, tuple(records), tuple(stats), _now())


def _progress(state: _LeafRun, requests: int) -> LeafProgress:
    stats = merge_stats(*(d.stats for d in state.done.values()))
    return LeafProgress(
        leaf=state.leaf.path,
        done=len(state.done),
        units=state.total,
        stats=stats,
        kept=sum(len(d.records) for d in state.done.values()),
        requests=requests,
        seconds=time.perf_counter() - state.started,
        generated=state.generated,
    )


async def _run_units(
    state: _LeafRun,
    pending: Sequence[Unit],
    client: TeacherClient,
    options: GenerateOptions,
    observer: GenerateObserver,
) -> None:
    gate = asyncio.Semaphore(max(1, options.concurrency))
    first_requests = client.requests

    async def one(unit: Unit) -> None:
        async with gate:
            done = await _run_unit(state, unit, client, options)
        state.checkpoint.append(done)  # at once: a kill loses only units in flight
        state.done[unit.id] = done
        state.generated += 1
        observer.unit_finished(_progress(state, client.requests - first_requests))

    tasks = [asyncio.create_task(one(u)) for u in pending]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def run_leaf(
    leaf: GenLeaf,
    teacher: Teacher,
    client: TeacherClient,
    options: GenerateOptions,
    observer: GenerateObserver,
) -> LeafResult:
    """Generate one leaf's samples, resuming from its checkpoint."""
    pipeline = options.pipeline(leaf.kind)
    work = units(leaf, pipeline.chunk_words)
    if options.preview:
        work = work[: options.preview]
    path = options.directory / "checkpoints" / f"{slug(leaf.path)}.jsonl"
    checkpoint = Checkpoint(path, _fingerprint(pipeline, teacher, options))
    known = checkpoint.load()
    ids = {u.id for u in work}
    state = _LeafRun(
        leaf, pipeline, {k: v for k, v in known.items() if k in ids}, checkpoint, len(work)
    )
    resumed = len(state.done)
    observer.leaf_started(leaf.path, len(work), resumed)
    try:
        await _run_units(
            state, [u for u in work if u.id not in state.done], client, options, observer
        )
    finally:
        checkpoint.close()
    return await _finish_leaf(state, work, teacher, options, resumed)


async def _finish_leaf(
    state: _LeafRun, work: Sequence[Unit], teacher: Teacher, options: GenerateOptions, resumed: int
) -> LeafResult:
    """Leaf-scoped blocks over all records in unit order, then the training records."""
    pipeline = state.pipeline
    by_unit = {u.id: u for u in work}
    records = [
        {**r, "_unit": u.id, "_finished": state.done[u.id].finished}
        for u in work
        for r in state.done[u.id].records
    ]
    ctx = BlockContext(None, state.leaf.path, "*", options.seed, options.sampling)
    leaf_stats: list[BlockStats] = []
    for block in pipeline.leaf_blocks:
        records, counts = await block.run(records, ctx)
        leaf_stats.append(counts)
    stats = merge_stats(*(state.done[u.id].stats for u in work)) + tuple(leaf_stats)
    samples = tuple(
        to_sample(r, by_unit[r["_unit"]], state.leaf, pipeline, teacher, options) for r in records
    )
    result = LeafResult(state.leaf.path, state.leaf.kind, samples, stats, len(work), resumed)
    if not samples:
        raise GenerateError(zero_kept_message(result), path=state.leaf.path)
    return result


def zero_kept_message(result: LeafResult) -> str:
    """Name the block that dropped the last records, and why."""
    if result.units == 0:
        return "kept 0 samples: the leaf has no unit of work (a knowledge leaf without documents?)"
    for stats in result.stats:
        if stats.inputs and not stats.outputs:
            reasons = "; ".join(f"{why}: {n}" for why, n in stats.dropped.items()) or "no output"
            return (
                f"kept 0 samples: block {stats.block} ({stats.kind}) dropped all "
                f"{stats.inputs} records ({reasons})"
            )
    return "kept 0 samples"
