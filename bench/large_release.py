"""Benchmark releases with many files: the audit and the BOM must stay linear.

1. 50,000 files in 2,500 folders (code, JSON and text), one LICENSE at the top.
2. 20,000 licence files: a LICENSE in each of 20,000 folders, next to one code file each.

Each is timed as a whole ``clearweights audit PATH --format json`` process and a whole
``clearweights bom PATH`` process (best wall and best CPU time of ``--repeat`` runs).
Run: ``python bench/large_release.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIT = (ROOT / "tests" / "corpus" / "licences" / "MIT.txt").read_text(encoding="utf-8")
APACHE = (ROOT / "tests" / "corpus" / "licences" / "Apache-2.0.txt").read_text(encoding="utf-8")


def many_files(folder: Path, count: int = 50_000, per_folder: int = 20) -> None:
    """A release of *count* small files, *per_folder* to a folder, with one top LICENSE."""
    folder.mkdir(parents=True)
    (folder / "LICENSE").write_text(APACHE, encoding="utf-8")
    (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n# Many files\n")
    suffixes = (".py", ".json", ".txt", ".md")
    for i in range(count - 2):
        sub = folder / f"part{i // per_folder:05d}"
        if i % per_folder == 0:
            sub.mkdir()
        (sub / f"file{i:06d}{suffixes[i % len(suffixes)]}").write_text(f"# {i}\n")


def many_licences(folder: Path, count: int = 20_000) -> None:
    """A release of *count* folders, each with a LICENSE (MIT) and one code file."""
    folder.mkdir(parents=True)
    (folder / "LICENSE").write_text(APACHE, encoding="utf-8")
    for i in range(count):
        sub = folder / f"pkg{i:05d}"
        sub.mkdir()
        (sub / "LICENSE").write_text(MIT, encoding="utf-8")
        (sub / "module.py").write_text("x = 1\n")


def timed(argv: list[str], repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (user + system) of the command over *repeat* runs.

    CPU time is what a shared machine does not distort; both are reported.
    """
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_cpu = min(best_cpu, cpu)
    return best, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "clearweights.cli.main"]
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, build in (("50,000 files", many_files), ("20,000 licences", many_licences)):
            folder = Path(tmp) / label.replace(",", "").replace(" ", "-")
            build(folder)
            for command in ("audit", "bom"):
                argv = [*cli, command, str(folder)]
                if command == "audit":
                    argv += ["--format", "json"]
                seconds, cpu = timed(argv, args.repeat)
                print(f"{label}: clearweights {command}: {seconds:.2f} s wall, {cpu:.2f} s CPU")
    os.sync()


if __name__ == "__main__":
    main()
