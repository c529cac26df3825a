"""Benchmark `clearweights serve` with many releases in the store.

1. **Store**: a pool of card-only releases is generated as ``bench/scan_releases.py`` does
   (the example cards, licences drawn from a Hub-like distribution) and audited for real; the
   pool's outcomes are then written for N distinct releases (new repo ids and revisions, the
   documents' names rewritten), a tenth of them audited twice (a new revision), through the
   store's own write path. The server's index is built once, before measuring.
2. **Server**: ``clearweights serve`` on 127.0.0.1 (a free port), ``--workers W``.
3. **Load**: a small HTTP/1.1 keep-alive client over asyncio, bounded by a request count and a
   time limit, that refuses any host but 127.0.0.1. Release search and the release page are
   measured one request at a time (latency); the badge endpoint with C connections at once
   (throughput and latency).

Run: ``python bench/server_load.py --releases 100000`` (``--postgres URL`` for PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from clearweights.scale import scan, sources_for  # noqa: E402
from clearweights.scale.items import Item, Outcome  # noqa: E402
from clearweights.store import open_store  # noqa: E402
from clearweights.store.models import AuditRow, ReleaseRow  # noqa: E402
from scan_releases import generate  # noqa: E402  (a sibling script)

SEARCHES = ["llama", "model-1", "gemma", "user42/", "mistral", "open", "qwen", "zzz-none"]
FILTERS = [
    {},
    {"license_family": "llama"},
    {"verdict": "redhat:pass"},
    {"finding": "OW-LIC"},
    {"license_category": "non-commercial"},
    {"sort": "-audited"},
    {"mof_class": "1"},
]


def pool_outcomes(folder: Path, size: int) -> list[Outcome]:
    """*size* generated card-only releases, audited for real, read back as outcomes."""
    dump, seed = folder / "pool.jsonl", folder / "pool.db"
    generate(dump, size, seed=7)
    store = open_store(str(seed))
    try:
        scan(sources_for([str(dump)]), store=store, jobs=max(1, len(os.sched_getaffinity(0))))
        from sqlalchemy import select

        with store.engine.connect() as connection:
            rows = connection.execute(
                select(ReleaseRow.key, ReleaseRow.revision, AuditRow).join(
                    AuditRow, AuditRow.release_id == ReleaseRow.id
                )
            ).all()
    finally:
        store.close()
    from clearweights.scale.worker import _rows

    out = []
    for row in rows:
        if row.status != "ok":
            continue
        doc = json.loads(row.document)
        item = Item("hf-metadata", row.key, row.revision)
        rows_of = _rows(doc["audits"][0])
        versions = (row.tool_version, row.catalogue_version)
        out.append(
            Outcome(item, *versions, row.seconds, name=row.name, document=row.document, **rows_of)
        )
    return out


def fill(location: str, pool: list[Outcome], count: int, seed: int = 3) -> float:
    """Write *count* releases made from the pool (a tenth audited twice); returns the seconds.

    Rows go in by bulk inserts with their ids given (the store is empty), as the scan would
    have written them one by one; the documents are the pool's, renamed.
    """
    from sqlalchemy import insert

    from clearweights.store.models import FindingRow, LicenceRow, RunRow, VerdictRow

    rng = random.Random(seed)
    store = open_store(location)
    start = time.perf_counter()
    tables: dict[type, list[dict[str, object]]] = {}

    def flush() -> None:
        with store.engine.begin() as connection:
            for table in (ReleaseRow, AuditRow, LicenceRow, VerdictRow, FindingRow):
                if tables.get(table):
                    connection.execute(insert(table), tables[table])
        tables.clear()

    try:
        with store.engine.begin() as connection:
            connection.execute(
                insert(RunRow).values(
                    id=1,
                    started_at="2026-11-01T00:00:00+00:00",
                    tool_version=pool[0].tool_version,
                    catalogue_version=pool[0].catalogue_version,
                    audited=count,
                    unchanged=0,
                    failed=0,
                )
            )
        audit = 0
        for i in range(count):
            base = rng.choice(pool)
            repo = f"org{i % 1999}/model-{i}"
            revisions = [f"{i:040x}"] if i % 10 else [f"{i:040x}", f"{i + 1:040x}"]
            for n, revision in enumerate(revisions):
                audit += 1
                day = 1 + (i * 7 + n * 13) % 28
                add = tables.setdefault
                add(ReleaseRow, []).append(
                    {"id": audit, "source": "hf-metadata", "key": repo, "revision": revision}
                )
                add(AuditRow, []).append(
                    {
                        "id": audit,
                        "release_id": audit,
                        "run_id": 1,
                        "tool_version": base.tool_version if n == len(revisions) - 1 else "0.0.9",
                        "catalogue_version": base.catalogue_version,
                        "status": "ok",
                        "error": None,
                        "name": repo,
                        "weights_license": base.weights_license,
                        "document": (base.document or "").replace(base.item.key, repo),
                        "audited_at": f"2026-{9 + n:02d}-{day:02d}T10:00:00+00:00",
                        "seconds": 0.01,
                    }
                )
                add(LicenceRow, []).extend(
                    {"audit_id": audit, "component": c, "license_id": lid, "category": k}
                    for c, lid, k in base.licenses
                )
                add(VerdictRow, []).extend(
                    {"audit_id": audit, "framework": f, "verdict": v, "label": lab}
                    for f, v, lab in base.verdicts
                )
                add(FindingRow, []).extend(
                    {"audit_id": audit, "code": c, "severity": sev, "message": m}
                    for c, sev, m in base.findings
                )
            if len(tables.get(AuditRow, [])) >= 2000:
                flush()
        flush()
    finally:
        store.close()
    return time.perf_counter() - start


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def _worker(host: str, port: int, paths: list[str], times: list[float], until: float) -> None:
    assert host == "127.0.0.1", "the load generator only talks to the local server"
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for path in paths:
            if time.perf_counter() > until:
                break
            start = time.perf_counter()
            status = await _get(reader, writer, path)
            if status != 200:
                raise RuntimeError(f"{path}: HTTP {status}")
            times.append(time.perf_counter() - start)
    finally:
        writer.close()


def load(port: int, paths: list[str], connections: int, limit_s: float) -> dict[str, float]:
    """Send *paths* over *connections* keep-alive connections (bounded by *limit_s*)."""
    times: list[float] = []
    shares = [paths[i::connections] for i in range(connections)]

    async def main() -> float:
        until = time.perf_counter() + limit_s
        start = time.perf_counter()
        await asyncio.gather(*(_worker("127.0.0.1", port, s, times, until) for s in shares))
        return time.perf_counter() - start

    seconds = asyncio.run(main())
    ordered = sorted(times)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)

    return {
        "requests": len(times),
        "per_second": round(len(times) / seconds, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(times) * 1000, 2),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(location: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    """Start the server and wait until it answers."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [
        sys.executable,
        "-m",
        "clearweights.cli.main",
        "serve",
        "--store",
        location,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(
        command, env=env, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            load(port, ["/api/v1/releases?limit=1"], 1, 5)
            return process, port
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the server did not start")


def scenarios(count: int, rng: random.Random) -> dict[str, list[str]]:
    """The request paths of each measurement."""
    search = []
    for _ in range(400):
        params = dict(rng.choice(FILTERS))
        params["q"] = rng.choice(SEARCHES)
        search.append("/api/v1/releases?" + "&".join(f"{k}={quote(v)}" for k, v in params.items()))
    pages = [f"/api/v1/releases/{rng.randint(1, count)}" for _ in range(400)]
    kinds = ["redhat", "osaid", "mof", "eu", "licence"]
    hot = [rng.randint(1, count) for _ in range(200)]  # embedded badges: a few are read often
    badges = [
        f"/api/v1/badges/{rng.choice(kinds)}.svg?release={rng.choice(hot)}" for _ in range(40_000)
    ]
    return {"search": search, "page": pages, "badge": badges}


def main() -> None:
    """Build the store, serve it, measure, print JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--releases", type=int, default=100_000)
    parser.add_argument("--pool", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database")
    args = parser.parse_args()
    report: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "releases": args.releases,
        "workers": args.workers,
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        location = args.postgres or str(folder / "registry.db")
        pool = pool_outcomes(folder, args.pool)
        report["fill_seconds"] = round(fill(location, pool, args.releases), 1)
        start = time.perf_counter()
        from clearweights.server.registry import Registry
        from clearweights.server.settings import Settings

        Registry(Settings(store=location)).close()  # the index, built once
        report["index_seconds"] = round(time.perf_counter() - start, 1)
        process, port = serve(location, args.workers)
        try:
            paths = scenarios(args.releases, random.Random(5))
            load(port, paths["search"][:40] + paths["page"][:40], 1, 60)  # warm up
            report["search"] = load(port, paths["search"], 1, 120)
            report["page"] = load(port, paths["page"], 1, 120)
            report["badge"] = load(port, paths["badge"], args.connections, 30)
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
