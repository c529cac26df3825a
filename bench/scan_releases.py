"""Benchmark ``clearweights scan`` on card-only Hub metadata rows.

Generates a JSON Lines dump of N rows reproducibly (seeded): the example releases' cards as
templates, licences drawn from a Hub-like distribution, about a quarter of the rows with a file
list. Each size is scanned into a fresh SQLite store in a child process (releases per second,
peak memory of the parent and of the largest worker), then scanned again unchanged (the
resumed-run speed).

Run: ``python bench/scan_releases.py --sizes 10000 50000 --jobs 2``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "releases"
# Roughly the shares of the licence tags on Hub model repos (apache-2.0 and mit lead).
LICENCES = [
    ("apache-2.0", 30), ("mit", 14), ("other", 8), ("openrail", 5), ("creativeml-openrail-m", 4),
    ("cc-by-nc-4.0", 5), ("llama3.1", 3), ("llama3", 2), ("llama2", 3), ("gemma", 2),
    ("cc-by-4.0", 3), ("gpl-3.0", 2), ("bsd-3-clause", 1), ("afl-3.0", 1),
    ("bigscience-openrail-m", 1), ("cc-by-sa-4.0", 1), ("unknown", 1), (None, 14),
]  # fmt: skip
CLAIMS = ["", "\nThis model is fully open source.\n", "\nWe release the open weights.\n"]


def _templates() -> list[str]:
    """The example cards' bodies (front matter removed: the licence is drawn per row)."""
    out = []
    for card in sorted(EXAMPLES.glob("*/README.md")):
        text = card.read_text(encoding="utf-8")
        out.append(text.split("---", 2)[2] if text.startswith("---") else text)
    return out


def generate(path: Path, count: int, seed: int = 11) -> None:
    """Write *count* rows in the shape of ``list_models(full=True)`` and the card dumps."""
    rng = random.Random(seed)
    names, weights = zip(*LICENCES, strict=True)
    bodies = _templates()
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            licence = rng.choices(names, weights)[0]
            front = f"---\nlicense: {licence}\ntags:\n- text-generation\n---\n" if licence else ""
            card = front + rng.choice(bodies) + rng.choice(CLAIMS)
            row: dict[str, object] = {
                "modelId": f"user{i % 997}/model-{i}", "card": card, "sha": f"{i:040x}",
                "downloads": rng.randint(0, 10**6),
            }  # fmt: skip
            if rng.random() < 0.25:
                row["siblings"] = [
                    {"rfilename": "README.md"}, {"rfilename": "config.json"},
                    {"rfilename": "model.safetensors", "size": 10**9,
                     "lfs": {"sha256": f"{i:064x}", "size": 10**9}},
                ]  # fmt: skip
            out.write(json.dumps(row) + "\n")


_CHILD = """
import os, resource, sys, threading, time
from clearweights.scale import scan, sources_for
from clearweights.store import open_store

def descendants_peak(peak):
    # Workers are children of the forkserver, not of this process: walk /proc for them.
    while True:
        parents, found = {os.getpid()}, {}
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    with open(f"/proc/{pid}/status") as handle:
                        fields = dict(l.split(":", 1) for l in handle if ":" in l)
                except OSError:
                    continue
                found[int(pid)] = (int(fields["PPid"]), int(fields.get("VmHWM", "0 kB").split()[0]))
        for _ in range(3):
            parents |= {p for p, (pp, _) in found.items() if pp in parents}
        for p in parents - {os.getpid()}:
            peak[0] = max(peak[0], found.get(p, (0, 0))[1])
        time.sleep(0.5)

if __name__ == "__main__":
    peak = [0]
    threading.Thread(target=descendants_peak, args=(peak,), daemon=True).start()
    store = open_store(sys.argv[2])
    start = time.perf_counter()
    summary = scan(sources_for([sys.argv[1]]), store=store, jobs=int(sys.argv[3]))
    seconds = time.perf_counter() - start
    store.close()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(summary.audited, summary.unchanged, summary.failed, seconds, own, peak[0])
"""


def measure(dump: Path, store: Path, jobs: int) -> dict[str, float]:
    """One scan in a fresh interpreter: counts, seconds and peak resident memory (MiB)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(dump), str(store), str(jobs)],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    audited, unchanged, failed, seconds, own, workers = result.stdout.split()
    total = int(audited) + int(unchanged)
    return {
        "releases": total,
        "audited": int(audited),
        "failed": int(failed),
        "seconds": round(float(seconds), 2),
        "per_second": round(total / float(seconds), 1),
        "parent_mib": round(int(own) / 1024, 1),
        "worker_mib": round(int(workers) / 1024, 1),
    }


def main() -> None:
    """Run the benchmark and print JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    report: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "jobs": args.jobs,
        "self_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            dump, store = Path(tmp) / f"rows-{size}.jsonl", Path(tmp) / f"store-{size}.db"
            start = time.perf_counter()
            generate(dump, size)
            report[f"generate_{size}_s"] = round(time.perf_counter() - start, 2)
            report[f"first_{size}"] = measure(dump, store, args.jobs)
            report[f"resumed_{size}"] = measure(dump, store, args.jobs)
            report[f"store_{size}_mib"] = round(store.stat().st_size / 2**20, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
