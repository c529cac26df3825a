"""``generate``: teacher licence first, then the probe, then every leaf, then the files."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from clearweights._async import run_sync
from clearweights.errors import GenerateError, InputError
from clearweights.generate.card import data_component, documents, obligations, render_card
from clearweights.generate.model import GenerateResult, GenLeaf, LeafResult, Teacher
from clearweights.generate.observe import GenerateObserver, SilentObserver
from clearweights.generate.run import GenerateOptions, run_leaf
from clearweights.generate.teacher import TeacherClient
from clearweights.generate.teacher_license import check_teacher_license

DATA_FILE = "messages.jsonl"
CARD_FILE = "README.md"
BOM_FILE = "dataset.cdx.json"


def mix(leaves: Sequence[LeafResult], seed: int, max_per_leaf: int | None) -> list[dict[str, Any]]:
    """All leaves' samples in one list: each leaf capped, then shuffled with the run's seed."""
    samples = [s for leaf in leaves for s in leaf.samples[:max_per_leaf]]
    random.Random(seed).shuffle(samples)
    return samples


def _write(path: Path, text: str) -> None:
    """Write whole or not at all (a kill never leaves half a dataset)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", path=path) from None


def _settings(options: GenerateOptions, leaves: Sequence[GenLeaf]) -> dict[str, Any]:
    kinds = sorted({leaf.kind for leaf in leaves})
    return {
        "pipelines": {
            k.value: {
                "name": options.pipeline(k).name,
                "prompt_template_sha256": options.pipeline(k).template_hash(),
            }
            for k in kinds
        },
        "sampling": options.sampling.as_dict(),
        "seed": options.seed,
        "scale": options.scale,
        "system_prompt": options.system_prompt,
        "preview": options.preview,
        "max_per_leaf": options.max_per_leaf,
    }


async def _leaves(
    leaves: Sequence[GenLeaf],
    teacher: Teacher,
    client: TeacherClient,
    options: GenerateOptions,
    observer: GenerateObserver,
) -> list[LeafResult]:
    results: list[LeafResult] = []
    failed: list[str] = []
    for leaf in leaves:
        started = asyncio.get_running_loop().time()
        try:
            result = await run_leaf(leaf, teacher, client, options, observer)
        except GenerateError as exc:  # a leaf that kept nothing: the others still run
            failed.append(exc.diagnostics())
            continue
        observer.leaf_finished(result, asyncio.get_running_loop().time() - started)
        results.append(result)
    if failed:
        raise GenerateError(
            f"{len(failed)} of {len(leaves)} leaves kept no sample:\n  " + "\n  ".join(failed),
            hint="change the pipeline's filters or the teacher; what was generated is kept in "
            "the checkpoints and reused by the next run",
        )
    return results


async def _run(
    leaves: Sequence[GenLeaf],
    teacher: Teacher,
    options: GenerateOptions,
    api_key: str | None,
    observer: GenerateObserver,
    transport: httpx.AsyncBaseTransport | None,
) -> tuple[Teacher, list[LeafResult]]:
    async with TeacherClient(
        teacher.url,
        teacher.model,
        api_key=api_key,
        concurrency=options.concurrency,
        timeout=options.timeout,
        retries=options.retries,
        backoff=options.backoff,
        stream=options.stream,
        transport=transport,
    ) as client:
        await client.probe()
        return teacher, await _leaves(leaves, teacher, client, options, observer)


def generate(
    leaves: Sequence[GenLeaf],
    teacher: Teacher,
    options: GenerateOptions,
    *,
    teacher_release: str | None = None,
    api_key: str | None = None,
    observer: GenerateObserver | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> GenerateResult:
    """Generate training data for *leaves* and write the dataset, its card and BOM component.

    The teacher's licence (*teacher_release*, audited with clearweights' own audit) is checked
    before any request; *teacher.student_family* names the student it is checked for.

    Raises:
        TeacherLicenceRefused: the licence forbids training the student on the outputs.
        TeacherError: the teacher is unreachable, speaks another format, or keeps failing.
        GenerateError: a leaf kept no sample (the others are generated and checkpointed).
    """
    watcher = observer or SilentObserver()
    verdict = check_teacher_license(teacher_release, teacher.student_family)
    if verdict.allowed is None:
        watcher.warning(
            "TEACHER LICENCE UNKNOWN: "
            + "; ".join(verdict.reasons)
            + ". It is recorded as unknown in every sample and in the dataset card; the data "
            "may not be usable to train another model."
        )
    teacher = replace(teacher, license=verdict.license, duties=verdict.duties)
    for leaf in leaves:
        options.pipeline(leaf.kind).check()
    teacher, results = run_sync(_run(leaves, teacher, options, api_key, watcher, transport))
    return _write_outputs(leaves, results, teacher, options)


def _write_outputs(
    leaves: Sequence[GenLeaf],
    results: list[LeafResult],
    teacher: Teacher,
    options: GenerateOptions,
) -> GenerateResult:
    out = options.directory
    out.mkdir(parents=True, exist_ok=True)
    samples = mix(results, options.seed, options.max_per_leaf)
    data = "".join(json.dumps(s, sort_keys=True, ensure_ascii=False) + "\n" for s in samples)
    digest = hashlib.sha256(data.encode()).hexdigest()
    docs = documents(results, [d for leaf in leaves for d in leaf.documents])
    duty = obligations(docs, teacher)
    name = out.resolve().name
    settings = _settings(options, leaves)
    card = render_card(name, results, teacher, duty, settings, DATA_FILE, len(samples))
    _write(out / DATA_FILE, data)
    _write(out / CARD_FILE, card)
    _write(out / BOM_FILE, data_component(name, digest, len(samples), docs, teacher, DATA_FILE))
    return GenerateResult(
        tuple(results),
        teacher,
        str(out / DATA_FILE),
        str(out / CARD_FILE),
        str(out / BOM_FILE),
        preview=bool(options.preview),
        written=len(samples),
    )
