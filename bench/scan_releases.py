"""Benchmark ``clearweights scan``: card-only Hub metadata rows and full-file releases.

The dump is generated reproducibly (seeded) from Hub-like distributions: licence tags in the
shares the Hub shows (apache-2.0 and mit lead, 14 % without one), a third of the cards the
Hub's own generated card (huggingface_hub's template, rendered by huggingface_hub), the rest
the example releases' real cards under the row's own name, base models, datasets and pipeline
tags in the front matter, claims in some bodies, a file list in a quarter of the rows and no
card text (only ``cardData``, as ``list_models(cardData=True)`` gives) in a tenth.

Each scan runs in a fresh interpreter into a fresh SQLite store: wall time, CPU time of the
scanning process and of its workers (releases per CPU-second is the per-core figure, stable on
a shared machine), peak resident memory of the scanning process and the largest worker. Then
the same scan again (resumed: every release unchanged).

Run: ``python bench/scan_releases.py --sizes 10000 200000 --jobs 2``; ``--worker-rows 4000``
adds a worker's own CPU per release (the first 4,000 rows audited in one process, no pool, no
store); ``--engine ray`` adds a
Ray run at the same cores; ``--full 100`` scans 100 copies of each example release (weights
and all) with ``--jobs 1``. ``--baseline-src`` (another checkout's ``src``) runs every scan with
that code too, on the same dump, alternating with this tree's (``--repeat N`` times each).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "releases"
# Roughly the shares of the licence tags on Hub model repos (apache-2.0 and mit lead).
LICENCES = [
    ("apache-2.0", 30), ("mit", 14), ("other", 8), ("openrail", 5), ("creativeml-openrail-m", 4),
    ("cc-by-nc-4.0", 5), ("llama3.1", 3), ("llama3", 2), ("llama2", 3), ("gemma", 2),
    ("cc-by-4.0", 3), ("gpl-3.0", 2), ("bsd-3-clause", 1), ("afl-3.0", 1),
    ("bigscience-openrail-m", 1), ("cc-by-sa-4.0", 1), ("unknown", 1), (None, 14),
]  # fmt: skip
BASES = [None, None, None, "meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-7B-Instruct",
         "mistralai/Mistral-7B-v0.1", "google/gemma-2-9b", "google-bert/bert-base-uncased",
         "openai/whisper-small", "stabilityai/stable-diffusion-xl-base-1.0"]  # fmt: skip
DATASETS = [None, None, "HuggingFaceH4/ultrachat_200k", "tatsu-lab/alpaca", "imdb", "squad"]
PIPELINES = ["text-generation", "text-classification", "automatic-speech-recognition",
             "text-to-image", "feature-extraction", None]  # fmt: skip
CLAIMS = ["", "", "\nThis model is fully open source.\n", "\nWe release the open weights.\n"]


def _bodies() -> list[str]:
    """The example cards' bodies (front matter removed: it is drawn per row)."""
    out = []
    for card in sorted(EXAMPLES.glob("*/README.md")):
        text = card.read_text(encoding="utf-8")
        out.append(text.split("---", 2)[2] if text.startswith("---") else text)
    return out


def _hub_template(licence: str | None, base: str | None) -> str:
    """The body of the card the Hub generates for a new repo (huggingface_hub's template)."""
    from huggingface_hub import ModelCard, ModelCardData

    data = ModelCardData(license=licence, base_model=base)
    card = str(ModelCard.from_template(data, model_id="MODEL_ID"))
    return card.split("---", 2)[2] if card.startswith("---") else card


def _front(rng: random.Random) -> dict[str, Any]:
    names, weights = zip(*LICENCES, strict=True)
    fields = {
        "license": rng.choices(names, weights)[0],
        "base_model": rng.choice(BASES),
        "datasets": [d] if (d := rng.choice(DATASETS)) else None,
        "pipeline_tag": rng.choice(PIPELINES),
        "library_name": rng.choice(["transformers", "transformers", "diffusers", "peft"]),
    }
    return {k: v for k, v in fields.items() if v is not None}


def generate(path: Path, count: int, seed: int = 11) -> None:
    """Write *count* rows in the shape of ``list_models(full=True)`` and the card dumps."""
    import yaml

    rng = random.Random(seed)
    bodies = _bodies()
    templates: dict[str, str] = {}
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            repo = f"user{i % 997}/model-{i}"
            front = _front(rng)
            row: dict[str, Any] = {"modelId": repo, "sha": f"{i:040x}",
                                   "downloads": rng.randint(0, 10**6)}  # fmt: skip
            shape = rng.random()
            head = f"---\n{yaml.safe_dump(front, sort_keys=False)}---\n" if front else ""
            if shape < 0.1:
                row["cardData"] = front
            elif shape < 0.43:
                key = f"{front.get('license')}|{front.get('base_model')}"
                if key not in templates:
                    templates[key] = _hub_template(front.get("license"), front.get("base_model"))
                row["card"] = head + templates[key].replace("MODEL_ID", repo)
            else:
                row["card"] = f"{head}\n# {repo.split('/')[1]}\n{rng.choice(bodies)}"
                row["card"] += rng.choice(CLAIMS)
            if rng.random() < 0.25:
                row["siblings"] = [
                    {"rfilename": "README.md"}, {"rfilename": "config.json"},
                    {"rfilename": "model.safetensors", "size": 10**9,
                     "lfs": {"sha256": f"{i:064x}", "size": 10**9}},
                ]  # fmt: skip
            out.write(json.dumps(row) + "\n")


_CHILD = """
import json, os, resource, sys, threading, time
from clearweights.scale import scan, sources_for
from clearweights.store import open_store
try:
    from clearweights.scale.engines import local_engine, ray_engine
except ImportError:  # a clearweights before engines (the baseline): scan(jobs=...)
    local_engine = ray_engine = None

def _stat(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    with open(f"/proc/{pid}/status") as handle:
        status = dict(l.split(":", 1) for l in handle if ":" in l)
    tick = os.sysconf("SC_CLK_TCK")
    # ppid, own CPU (utime + stime), peak RSS (kB)
    return (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick,
            int(status["VmHWM"].split()[0]))

def descendants():
    found = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                found[int(pid)] = _stat(pid)
            except (OSError, KeyError, IndexError):
                pass
    family = {os.getpid()}
    for _ in range(4):
        family |= {p for p, s in found.items() if s[0] in family}
    return {p: found[p] for p in family - {os.getpid()} if p in found}

def watch(seen, spent):
    # Workers are children of the forkserver (or of Ray's raylet), not of this process.
    # This thread's own CPU (reading /proc of a busy machine) is not the scan's: kept apart.
    while True:
        for pid, stat in descendants().items():
            seen[pid] = stat
        spent[0] = time.thread_time()
        time.sleep(0.2)

if __name__ == "__main__":
    dump, db, jobs, engine = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    seen, spent = {}, [0.0]
    threading.Thread(target=watch, args=(seen, spent), daemon=True).start()
    store = open_store(db)
    if local_engine is None:
        options = {"jobs": jobs}
    else:
        options = {"engine": ray_engine(None, jobs) if engine == "ray" else local_engine(jobs)}
    start, cpu0, watched0 = time.perf_counter(), time.process_time(), spent[0]
    summary = scan(sources_for([dump]), store=store, **options)
    seconds = time.perf_counter() - start
    own_cpu = time.process_time() - cpu0 - (spent[0] - watched0)
    store.close()
    for pid, stat in descendants().items():
        seen[pid] = stat
    # Each process's own CPU, last seen (a worker's last 0.2 s may be missed); never the
    # forkserver's reaped-children total as well, which would count the workers twice.
    workers_cpu = sum(s[1] for s in seen.values())
    print(json.dumps({"audited": summary.audited, "unchanged": summary.unchanged,
                      "failed": summary.failed, "seconds": seconds, "own_cpu": own_cpu,
                      "workers_cpu": workers_cpu,
                      "own_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "worker_kib": max((s[2] for s in seen.values()), default=0)}))
"""


def _rate(releases: int, cpu: float) -> float:
    return round(releases / cpu, 1) if cpu else 0.0


def child_figures(got: dict[str, Any]) -> dict[str, float]:
    """The rates, CPU and memory of one child scan, from the JSON line it printed."""
    total = got["audited"] + got["unchanged"]
    # The scanning process and every process under it, last seen (workers, Ray's processes).
    cpu = got["own_cpu"] + got["workers_cpu"]
    return {
        "releases": total,
        "audited": got["audited"],
        "failed": got["failed"],
        "seconds": round(got["seconds"], 2),
        "per_second": round(total / got["seconds"], 1),
        "cpu_seconds": round(cpu, 2),
        "per_cpu_second": round(total / cpu, 1) if cpu else 0.0,
        # Apart: the scanning process (reading, sending, storing) and the workers (auditing).
        "scanning_process_per_cpu_second": _rate(total, got["own_cpu"]),
        "workers_per_cpu_second": _rate(total, got["workers_cpu"]),
        "parent_mib": round(got["own_kib"] / 1024, 1),
        "worker_mib": round(got["worker_kib"] / 1024, 1),
        "load_average": round(os.getloadavg()[0], 2),
    }


def measure(source: Path, store: Path, jobs: int, engine: str = "local",
            src: Path = ROOT / "src") -> dict[str, float]:  # fmt: skip
    """One scan in a fresh interpreter: rates, CPU seconds, peak resident memory (MiB)."""
    # A loaded machine starts Ray's raylet slowly: wait for it rather than fail.
    env = {"RAY_raylet_start_wait_time_s": "300", **os.environ, "PYTHONPATH": str(src)}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(source), str(store), str(jobs), engine],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    got = json.loads(result.stdout.strip().splitlines()[-1])
    figures = child_figures(got)
    cpu = figures["cpu_seconds"]
    figures["scanning_process_cpu_share"] = round(got["own_cpu"] / cpu, 2) if cpu else 0.0
    print(json.dumps({"source": str(source), "engine": engine, **figures}), file=sys.stderr)
    return figures


_WORKER = """
import itertools, json, sys, time
from clearweights.scale import sources_for
from clearweights.scale.worker import audit_batch
rows = itertools.chain.from_iterable(s.items() for s in sources_for([sys.argv[1]]))
items = list(itertools.islice(rows, int(sys.argv[2]) + 64))
audit_batch(items[:64])  # imports, the catalogue: not per release
items = items[64:]
start = time.process_time()
for at in range(0, len(items), 64):
    audit_batch(items[at : at + 64])
print(json.dumps({"releases": len(items), "cpu": time.process_time() - start}))
"""


def worker_cpu(dump: Path, rows: int, src: Path) -> dict[str, float]:
    """A worker's own CPU per card-only release: *rows* rows audited in one process."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    result = subprocess.run(
        [sys.executable, "-c", _WORKER, str(dump), str(rows)],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    got = json.loads(result.stdout.strip().splitlines()[-1])
    figures = {
        "releases": got["releases"],
        "cpu_ms_per_release": round(1000 * got["cpu"] / got["releases"], 3),
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps({"worker": str(src), **figures}), file=sys.stderr)
    return figures


def full_releases(tmp: Path, copies: int) -> Path:
    """*copies* copies of every example release, weights and all, in one folder."""
    folder = tmp / "full"
    for name in sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()):
        for i in range(copies):
            shutil.copytree(EXAMPLES / name, folder / f"{name}-{i}", symlinks=True)
    return folder


def main() -> None:
    """Run the benchmark and print JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 200_000])
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--engine", choices=["local", "ray"], action="append", default=[])
    parser.add_argument("--full", type=int, default=0, help="copies of each example release")
    parser.add_argument("--baseline-src", type=Path, help="another checkout's src, to compare")
    parser.add_argument("--repeat", type=int, default=1, help="alternating runs of each tree")
    parser.add_argument(
        "--worker-rows", type=int, default=0, help="also a worker's CPU per release, in process"
    )
    args = parser.parse_args()
    report: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "jobs": args.jobs,
        "load_average_at_start": os.getloadavg(),
    }
    trees = [("now", ROOT / "src")]
    if args.baseline_src:
        trees.append(("baseline", args.baseline_src))
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for size in args.sizes:
            dump = tmp / f"rows-{size}.jsonl"
            start = time.perf_counter()
            generate(dump, size)
            report[f"generate_{size}_s"] = round(time.perf_counter() - start, 2)
            for turn, (label, src) in itertools.product(range(args.repeat), trees):
                if args.worker_rows:  # alternating, as the scans below
                    tag = f"{label}_worker" + (f"_{turn + 1}" if args.repeat > 1 else "")
                    report[f"{tag}_{size}"] = worker_cpu(dump, args.worker_rows, src)
            # Alternating runs of each tree, so that both see the same load.
            for turn, (label, src), engine in itertools.product(
                range(args.repeat), trees, args.engine or ["local"]
            ):
                store = tmp / f"store-{size}-{engine}-{label}.db"
                tag = f"{label}_{engine}" + (f"_{turn + 1}" if args.repeat > 1 else "")
                report[f"{tag}_first_{size}"] = measure(dump, store, args.jobs, engine, src)
                report[f"{tag}_resumed_{size}"] = measure(dump, store, args.jobs, engine, src)
                report[f"{tag}_store_{size}_mib"] = round(store.stat().st_size / 2**20, 1)
                store.unlink()
        if args.full:
            folder = full_releases(tmp, args.full)
            for turn, (label, src) in itertools.product(range(args.repeat), trees):
                tag = f"full_{label}" + (f"_{turn + 1}" if args.repeat > 1 else "")
                report[tag] = measure(folder, tmp / f"{tag}.db", 1, src=src)
        report["load_average_at_end"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
