"""Benchmark release hashing against `sha256sum`.

1. One 2 GiB file: clearweights' streamed SHA-256 vs `sha256sum` (target: >= 80 % of its
   throughput). Both read from the page cache (the file is read once before timing).
2. Eight 256 MiB files: clearweights with 1 worker vs one worker per core (target: near-linear).

Run: ``python bench/hashing.py`` (or ``make bench``).
"""

from __future__ import annotations

import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

from clearweights.bom.hashing import hash_files, sha256_file

GIB = 1 << 30


def _write(path: Path, size: int) -> None:
    block = os.urandom(1 << 20)
    with path.open("wb") as handle:
        for _ in range(size >> 20):
            handle.write(block)


def _best(fn: object, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    cores = os.cpu_count() or 1
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        big = Path(tmp) / "big.bin"
        _write(big, 2 * GIB)
        sha256_file(big)  # warm the page cache
        ours = _best(lambda: sha256_file(big))
        theirs = _best(
            lambda: subprocess.run(["sha256sum", str(big)], check=True, capture_output=True)
        )
        print(
            f"2 GiB file: clearweights {2 / ours:.2f} GiB/s, sha256sum {2 / theirs:.2f} GiB/s "
            f"({theirs / ours:.0%} of sha256sum's throughput)"
        )
        big.unlink()
        names = []
        for i in range(8):
            path = Path(tmp) / f"shard-{i}.bin"
            _write(path, 256 << 20)
            names.append(path.name)
        hash_files(Path(tmp), names, workers=1)  # warm
        one = _best(lambda: hash_files(Path(tmp), names, workers=1))
        many = _best(lambda: hash_files(Path(tmp), names, workers=cores))
        print(
            f"8 x 256 MiB files: 1 worker {one:.2f} s, {cores} workers {many:.2f} s "
            f"(speed-up {one / many:.2f}x on {cores} cores)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
