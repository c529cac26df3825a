"""Benchmark releases with many files: the audit and the BOM must stay linear.

1. 50,000 files in 2,500 folders (code, JSON and text), one LICENSE at the top.
2. 20,000 licence files: a LICENSE in each of 20,000 folders, next to one code file each.

Each is timed as a whole ``clearweights audit PATH --format json`` process, a whole
``clearweights bom PATH`` (CycloneDX) process and a whole ``clearweights bom PATH --format
spdx3`` process (best wall and best CPU time of ``--repeat`` runs, and the largest peak RSS),
then ``clearweights bom validate FILE`` of each BOM written.
Run: ``python bench/large_release.py`` (``--only 50000`` for the first release alone,
``--command audit`` for the audit alone).
"""

from __future__ import annotations

import argparse
import os
import platform
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


def timed(argv: list[str], repeat: int) -> tuple[float, float, float]:
    """Best wall time, best CPU time (user + system) and the largest peak RSS (MB) of the
    command over *repeat* runs.

    CPU time is what a shared machine does not distort; both are reported.
    """
    best, best_cpu, peak = float("inf"), float("inf"), 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        best = min(best, time.perf_counter() - start)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(argv)} failed")
        best_cpu = min(best_cpu, usage.ru_utime + usage.ru_stime)
        peak = max(peak, usage.ru_maxrss / 1024)  # kilobytes on Linux
    return best, best_cpu, peak


COMMANDS = {
    "audit": ["audit", "--format", "json"],
    "CycloneDX BOM": ["bom", "-q", "-o", "{out}/bom.cdx.json"],
    "SPDX 3 BOM": ["bom", "-q", "--format", "spdx3", "-o", "{out}/bom.spdx3.json"],
}
VALIDATIONS = {"validate CycloneDX": "bom.cdx.json", "validate SPDX 3": "bom.spdx3.json"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=("50000", "20000"), help="one release alone")
    parser.add_argument("--command", choices=tuple(COMMANDS), help="one command alone")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "clearweights.cli.main"]
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"# load average {os.getloadavg()[0]:.2f} at the start")
    releases = (("50,000 files", many_files), ("20,000 licences", many_licences))
    with tempfile.TemporaryDirectory() as tmp:
        for label, build in releases:
            if args.only and not label.startswith(args.only[:2]):
                continue
            folder = Path(tmp) / label.replace(",", "").replace(" ", "-")
            build(folder)
            runs = [
                (name, [*cli, command[0], str(folder), *(a.format(out=tmp) for a in command[1:])])
                for name, command in COMMANDS.items()
            ]
            runs += [
                (name, [*cli, "bom", "validate", f"{tmp}/{f}"]) for name, f in VALIDATIONS.items()
            ]
            if args.command:  # that command alone, no validation
                runs = [(name, argv) for name, argv in runs if name == args.command]
            for name, argv in runs:
                seconds, cpu, peak = timed(argv, args.repeat)
                print(
                    f"{label}: {name}: {seconds:.2f} s wall, {cpu:.2f} s CPU, {peak:.0f} MB peak",
                    flush=True,
                )
    print(f"# load average {os.getloadavg()[0]:.2f} at the end")
    os.sync()


if __name__ == "__main__":
    main()
