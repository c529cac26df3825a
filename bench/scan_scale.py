"""Benchmark ``clearweights scan`` at scale: memory from 10,000 to 200,000 releases, PostgreSQL
beside SQLite, and Ray's overhead against the local pool at equal cores.

Uses ``bench/scan_releases.py``'s generated Hub-like dump and its measuring child (each scan in a
fresh interpreter: wall time, CPU of the scanning process and of every worker, peak resident
memory of the scanning process and of the largest worker), with a store URL instead of a path so
PostgreSQL can be measured too. PostgreSQL is a throwaway server from ``tests/postgres.py``
(``initdb`` in a temporary folder, a free port of 127.0.0.1, stopped at the end; fsync off, as
the test cluster runs: SQLite's WAL with ``synchronous=NORMAL`` does not sync each commit either).

Run (each part may be left out):

    python bench/scan_scale.py --sizes 10000 200000 --jobs 2 \
        --postgres-sizes 10000 --ray-rows 2000

``--work DIR`` keeps the generated dumps in DIR (a second run skips generating them).

Resumed scans alone (``--resumed``): each size's dump (JSON Lines, and the same rows as Parquet)
is scanned once into SQLite (and PostgreSQL for the sizes of ``--resumed-postgres``), then
scanned again, every row unchanged, ``--rounds`` times: through the library (``scan()`` timed
alone, as above) and through the command line (``clearweights scan DUMP --store URL -q``: the
whole process, start-up included). ``--baseline-src`` (another checkout's ``src``) measures
that code too, alternating, on the same dumps and stores. ``--work DIR`` keeps dumps and
stores between runs (a first scan of 100,000 rows takes minutes)::

    python bench/scan_scale.py --sizes --resumed 10000 100000 --resumed-postgres 10000 \
        --rounds 3 --work /tmp/scan-resume
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src"), str(ROOT / "bench")]

from scan_releases import _CHILD, child_figures, generate  # noqa: E402

# The same child, with a third engine: Ray Data over a Parquet dump.
_SCAN = "summary = scan(sources_for([dump]), store=store, **options)"
assert _SCAN in _CHILD, "bench/scan_releases.py's child changed: update the Ray Data branch"
_CHILD = _CHILD.replace(
    _SCAN,
    # Imported only for it: Ray and Ray Data would weigh on the other engines' memory.
    "summary = (__import__('clearweights.scale.ray_data', fromlist=['x']).scan_parquet(\n"
    "               [dump], store=store, jobs=jobs) if engine == 'ray-data'\n"
    "           else scan(sources_for([dump]), store=store, **options))",
)


def measure(
    dump: Path, store: str, jobs: int, engine: str = "local", src: Path = ROOT / "src"
) -> dict[str, Any]:
    """One scan of *dump* into the store at URL *store*, in a fresh interpreter."""
    env = {"RAY_raylet_start_wait_time_s": "300", **os.environ, "PYTHONPATH": str(src)}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(dump), store, str(jobs), engine],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"the scan failed:\n{result.stderr[-3000:]}")
    wall = time.perf_counter() - start
    got = json.loads(result.stdout.strip().splitlines()[-1])
    figures = child_figures(got)
    figures["scan_seconds"] = figures.pop("seconds")
    figures["process_seconds"] = round(wall, 2)
    figures["scanning_process_cpu_seconds"] = round(got["own_cpu"], 2)
    print(json.dumps({"store": store.split("://", 1)[0], "engine": engine, **figures}),
          file=sys.stderr, flush=True)  # fmt: skip
    return figures


def _dump(tmp: Path, size: int, report: dict[str, Any]) -> Path:
    dump = tmp / f"rows-{size}.jsonl"
    if not dump.exists():
        start = time.perf_counter()
        generate(dump, size)
        report[f"generate_{size}_s"] = round(time.perf_counter() - start, 2)
        report[f"dump_{size}_mib"] = round(dump.stat().st_size / 2**20, 1)
    return dump


def _head(dump: Path, rows: int, target: Path) -> Path:
    with dump.open("rb") as source, target.open("wb") as out:
        for _, line in zip(range(rows), source, strict=False):
            out.write(line)
    return target


def _parquet(dump: Path) -> Path:
    """The rows of a JSON Lines dump as a Parquet dump (Ray Data reads Parquet), written by a
    child process: the rows read whole would stay in this process's memory, and every scan it
    starts would report that high-water mark as its own (Linux keeps it across exec)."""
    paths = [str(ROOT), str(ROOT / "src"), str(ROOT / "bench")]
    script = f"import sys; sys.path[:0] = {paths!r}; import scan_scale as s; "
    script += "s._to_parquet(s.Path(sys.argv[1]))"
    subprocess.run([sys.executable, "-c", script, str(dump)], check=True)
    return dump.with_suffix(".parquet")


def _to_parquet(dump: Path) -> Path:
    """The conversion itself (in a child process: see _parquet)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines()]
    flat = [{**r, "cardData": json.dumps(r["cardData"])} if "cardData" in r else r for r in rows]
    keys = sorted({k for r in flat for k in r})  # from_pylist takes the first row's keys only
    flat = [{k: r.get(k) for k in keys} for r in flat]
    target = dump.with_suffix(".parquet")
    pq.write_table(pa.Table.from_pylist(flat), target)
    return target


def main() -> None:
    """Run the parts asked for and print one JSON report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 200_000])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--postgres-sizes", type=int, nargs="*", default=[])
    parser.add_argument("--ray-rows", type=int, default=0, help="rows for Ray against the pool")
    parser.add_argument("--ray-rounds", type=int, default=2, help="runs of each engine")
    parser.add_argument("--no-resume", action="store_true", help="first scans only")
    parser.add_argument("--tmp", type=Path, help="folder for dumps and stores (kept)")
    parser.add_argument("--resumed", type=int, nargs="*", default=[], help="rows, resumed only")
    parser.add_argument(
        "--resumed-postgres",
        type=int,
        nargs="*",
        default=[],
        help="rows, resumed only, PostgreSQL (each also in --resumed)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="with --resumed: runs of each")
    parser.add_argument("--baseline-src", type=Path, help="with --resumed: another src, to compare")
    parser.add_argument(
        "--work", type=Path, help="dumps kept here (generated once); with --resumed, stores too"
    )
    args = parser.parse_args()
    report: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "jobs": args.jobs,
        "load_average_at_start": os.getloadavg(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with tempfile.TemporaryDirectory(dir=args.tmp) as name:
        tmp = Path(name)
        for size in args.sizes:
            dump = _dump(args.work or tmp, size, report)  # --work: dumps kept between runs
            store = tmp / f"sqlite-{size}.db"
            report[f"sqlite_first_{size}"] = measure(dump, str(store), args.jobs)
            if not args.no_resume:
                report[f"sqlite_resumed_{size}"] = measure(dump, str(store), args.jobs)
            report[f"sqlite_store_{size}_mib"] = round(store.stat().st_size / 2**20, 1)
            store.unlink()
        if args.postgres_sizes:
            _postgres(tmp, args, report)
        if args.resumed:
            from scan_resumed import resumed

            report["resumed"] = resumed(args.work or tmp, args, measure, _dump, _parquet)
        if args.ray_rows:
            dump = _parquet(_head(_dump(tmp, max(args.ray_rows, 1000), report), args.ray_rows,
                                  tmp / "ray-rows.jsonl"))  # fmt: skip
            # Alternating: the load drifts. One Parquet dump for all three.
            for engine in ("local", "ray", "ray-data") * args.ray_rounds:
                store = tmp / f"ray-{engine}.db"
                store.unlink(missing_ok=True)
                report.setdefault(f"{engine}_{args.ray_rows}", []).append(
                    measure(dump, str(store), args.jobs, engine)
                )
    report["load_average_at_end"] = os.getloadavg()
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(json.dumps(report, indent=2))


def _postgres(tmp: Path, args: argparse.Namespace, report: dict[str, Any]) -> None:
    from tests.postgres import Cluster

    cluster = Cluster().start()
    try:
        for size in args.postgres_sizes:
            dump = _dump(tmp, size, report)
            url = cluster.create_database(f"bench{size}")
            report[f"postgres_first_{size}"] = measure(dump, url, args.jobs)
            if not args.no_resume:
                report[f"postgres_resumed_{size}"] = measure(dump, url, args.jobs)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
