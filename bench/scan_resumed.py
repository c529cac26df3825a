"""Resumed scans for ``bench/scan_scale.py --resumed``: every row unchanged, through the library
(``scan()`` timed alone, in a fresh interpreter) and through the command line (the whole
process: interpreter, imports, store opening, the scan, the summary line).

The command's CPU is the child's user and system time (``getrusage`` of the waited-for child);
the library's is the scanning process's own, as ``bench/scan_releases.py``'s child measures it.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_CLI = "import sys; from clearweights.cli.main import main; sys.exit(main())"


def command(dump: Path, url: str, jobs: int, src: Path, rows: int) -> dict[str, Any]:
    """``clearweights scan DUMP --store URL -q`` in a fresh interpreter: wall and CPU time."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    argv = [sys.executable, "-c", _CLI, "scan", str(dump), "--store", url, "-q"]
    done = subprocess.run(
        [*argv, "--jobs", str(jobs)], capture_output=True, text=True, check=False, env=env
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"the scan failed:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        "per_second": round(rows / wall, 1),
        "per_cpu_second": round(rows / cpu, 1),
        "load_average": round(os.getloadavg()[0], 2),
    }


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        f"median_{k}": round(statistics.median(r[k] for r in runs), 1)
        for k in ("per_second", "per_cpu_second")
    } | {"runs": runs}


def resumed(
    work: Path,
    args: Any,
    measure: Callable[..., dict[str, Any]],
    make_dump: Callable[[Path, int, dict[str, Any]], Path],
    make_parquet: Callable[[Path], Path],
) -> dict[str, Any]:
    """Resumed scans of each size of ``args.resumed``, alternating the trees, round by round."""
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    trees = [("now", ROOT / "src")]
    if args.baseline_src:
        trees.append(("baseline", args.baseline_src.resolve()))
    cluster = None
    if args.resumed_postgres:
        sys.path.insert(0, str(ROOT))
        from tests.postgres import Cluster

        cluster = Cluster().start()
    try:
        for size in args.resumed:
            jsonl = make_dump(work, size, report)
            parquet = jsonl.with_suffix(".parquet")
            if not parquet.exists():
                make_parquet(jsonl)
            urls = {"sqlite": str(work / f"resumed-{size}.db")}
            if cluster is not None and size in args.resumed_postgres:
                urls["postgres"] = cluster.create_database(f"resumed{size}")
            for name, url in urls.items():
                if name != "sqlite" or not Path(url).exists():  # the first scan, once
                    report[f"{name}_first_{size}"] = measure(jsonl, url, args.jobs)
                report |= _rounds(name, size, url, {"jsonl": jsonl, "parquet": parquet},
                                  trees, args, measure)  # fmt: skip
    finally:
        if cluster is not None:
            cluster.stop()
    return report


def _rounds(
    name: str,
    size: int,
    url: str,
    dumps: dict[str, Path],
    trees: list[tuple[str, Path]],
    args: Any,
    measure: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """Each tree in turn, round after round (the load drifts): library, then command."""
    runs: dict[str, list[dict[str, Any]]] = {}
    for _ in range(args.rounds):
        for tree, src in trees:
            for form, dump in dumps.items():
                library = measure(dump, url, args.jobs, src=src)
                if library["audited"]:
                    print(f"warning: {library['audited']} audited in a resumed scan",
                          file=sys.stderr)  # fmt: skip
                runs.setdefault(f"{name}_{form}_{size}_{tree}_library", []).append(library)
                cli = command(dump, url, args.jobs, src, size)
                print(f"{name} {form} {size} {tree} command {cli}", file=sys.stderr, flush=True)
                runs.setdefault(f"{name}_{form}_{size}_{tree}_command", []).append(cli)
    return {key: _summary(values) for key, values in runs.items()}
