"""Benchmark the release audit.

1. A release of 20 files holding 10 GB of safetensors (sparse files: only headers are real;
   the audit reads headers only), audited as one process would: target <= 1 s.
2. 1,000 releases the size of the examples (copies of examples/releases), audited with one
   worker per core: target <= 60 s on 2 cores.

Run: ``make bench`` or ``python bench/audit_releases.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "releases"
CLI = Path(sys.executable).parent / "clearweights"


def big_release(folder: Path, total_bytes: int = 10 * 1024**3, shards: int = 16) -> None:
    """Write a release whose safetensors shards are sparse files of ``total_bytes`` in all."""
    folder.mkdir(parents=True)
    per_shard = total_bytes // shards
    elements = per_shard // 2
    for i in range(shards):
        tensor = {"dtype": "F16", "shape": [elements], "data_offsets": [0, elements * 2]}
        header = {f"model.layers.{i}.weight": tensor}
        raw = json.dumps(header).encode()
        raw += b" " * (-len(raw) % 8)
        path = folder / f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        with path.open("wb") as handle:
            handle.write(struct.pack("<Q", len(raw)) + raw)
            handle.truncate(8 + len(raw) + elements * 2)
    shutil.copyfile(EXAMPLES / "open-olmo-style" / "LICENSE", folder / "LICENSE")
    shutil.copyfile(EXAMPLES / "open-olmo-style" / "README.md", folder / "README.md")
    shutil.copyfile(EXAMPLES / "open-olmo-style" / "config.json", folder / "config.json")
    (folder / "model.safetensors.index.json").write_text("{}", encoding="utf-8")


def time_big(folder: Path, runs: int = 5) -> tuple[float, float]:
    """Median wall time of the CLI auditing the big release, and of the audit in-process."""
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [str(CLI), "audit", str(folder), "--format", "json"], check=True, capture_output=True
        )
        walls.append(time.perf_counter() - start)
    from clearweights.audit import audit_release

    audit_release(str(folder))  # warm imports and the licence index
    start = time.perf_counter()
    result = audit_release(str(folder))
    in_process = time.perf_counter() - start
    assert result.error is None and len(result.weights) == 16
    return sorted(walls)[len(walls) // 2], in_process


def _audit_chunk(paths: list[str]) -> int:
    from clearweights.audit import audit

    report = audit(paths)
    return sum(a.error is None for a in report.audits)


def many_releases(folder: Path, count: int) -> list[str]:
    """Copy the example releases until there are *count* of them."""
    sources = sorted(p for p in EXAMPLES.iterdir())
    out = []
    for i in range(count):
        src = sources[i % len(sources)]
        dst = folder / f"{i:04d}-{src.name}"
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)
        out.append(str(dst))
    return out


def time_many(paths: list[str], workers: int) -> float:
    """Wall time to audit every release with one process per worker."""
    chunks = [paths[i::workers] for i in range(workers)]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        done = sum(pool.map(_audit_chunk, chunks))
    elapsed = time.perf_counter() - start
    assert done == len(paths)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--releases", type=int, default=1000)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big-release"
        big_release(big)
        files = sum(1 for _ in big.iterdir())
        size = sum(p.stat().st_size for p in big.iterdir()) / 1024**3
        cli, in_process = time_big(big)
        print(f"big release: {files} files, {size:.1f} GiB of safetensors (sparse)")
        print(f"  clearweights audit (whole process, median of 5): {cli:.2f} s")
        print(f"  audit_release in-process, after start-up: {in_process * 1000:.0f} ms")
        paths = many_releases(Path(tmp), args.releases)
        start = time.perf_counter()
        subprocess.run(
            [str(CLI), "audit", *paths, "--format", "json"], check=True, capture_output=True
        )
        cli_many = time.perf_counter() - start
        one = time_many(paths, 1)
        both = time_many(paths, cores)
        print(f"{len(paths)} example-sized releases:")
        print(f"  one `clearweights audit` call (one process): {cli_many:.1f} s")
        speedup = one / both
        print(f"  library, 1 worker: {one:.1f} s; {cores} workers: {both:.1f} s ({speedup:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
