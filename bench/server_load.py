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
import contextlib
import json
import math
import os
import platform
import random
import selectors
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

# Names are "org{i % 1999}/model-{i}": common, rare, absent, mixed-case and odd terms.
SEARCHES = ["llama", "model-1", "gemma", "org42/", "Model-777", "99/model-9", "zzz-none", "50%_"]
SHORT_SEARCHES = ["7", "g4", "-9", "zz", "%"]  # under three characters: no trigram narrows them
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
    dump, seed = folder / f"pool-{size}.jsonl", folder / f"pool-{size}.db"
    fresh = not seed.exists()
    if fresh:
        generate(dump, size, seed=7)
    store = open_store(str(seed))
    try:
        if fresh:  # audited for real once; the cache keeps the audits
            jobs = max(1, len(os.sched_getaffinity(0)))
            scan(sources_for([str(dump)]), store=store, jobs=jobs)
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


DATABASE_PIDS: list[int] = []  # a local PostgreSQL server's postmaster, when the bench runs one


def _server_cpu(pid: int) -> float:
    """CPU seconds of a process, its threads and its children (the uvicorn workers).

    From /proc's schedstat (nanoseconds; the clock-tick counts of /proc/PID/stat are too
    coarse for one request); 0 where there is no /proc.
    """
    total = 0
    pids = [pid, *DATABASE_PIDS]
    while pids:
        current = pids.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for task in tasks:
            try:
                total += int(Path(f"/proc/{current}/task/{task}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue  # a thread that just ended
        pids.extend(int(c) for c in children)
    return total / 1e9


class _Connection:
    """One keep-alive connection sending up to *depth* requests ahead (HTTP/1.1 pipelining)."""

    def __init__(
        self, port: int, paths: list[str], depth: int, schedule: list[float] | None = None
    ):
        self.schedule = schedule  # at a fixed rate: when each request is due (open loop)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.requests = [f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() for p in paths]
        self.paths = paths
        self.depth = depth
        self.sent: list[float] = []  # send times of the requests in flight, oldest first
        self.next = 0
        self.buffer = b""

    def send(self, until: float) -> None:
        """Fill the pipeline (nothing new once *until* has passed)."""
        now = time.perf_counter()
        if now > until:
            return
        batch = []
        if self.schedule is not None:
            # Every request that is due goes out now, however many are in flight, and its
            # latency counts from when it was due: a slow answer cannot hide the ones behind it.
            while self.next < len(self.requests) and self.schedule[self.next] <= now:
                batch.append(self.requests[self.next])
                self.sent.append(self.schedule[self.next])
                self.next += 1
        while (
            self.schedule is None and len(self.sent) < self.depth and self.next < len(self.requests)
        ):
            batch.append(self.requests[self.next])
            self.sent.append(now)
            self.next += 1
        if batch:
            self.sock.sendall(b"".join(batch))  # small: fits the socket buffer

    def receive(self, times: list[float]) -> None:
        """Read what arrived; record each complete response's latency."""
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise RuntimeError("the server closed the connection")
        self.buffer += chunk
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].lower()
            at = head.find(b"content-length:")
            stop = head.find(b"\r\n", at)
            length = 0 if at < 0 else int(head[at + 15 : stop if stop > 0 else len(head)])
            if len(self.buffer) < head_end + 4 + length:
                return
            status = int(head[9:12])
            done = self.next - len(self.sent)
            if status != 200:
                raise RuntimeError(f"{self.paths[done]}: HTTP {status}")
            times.append(time.perf_counter() - self.sent.pop(0))
            self.buffer = self.buffer[head_end + 4 + length :]

    @property
    def finished(self) -> bool:
        return not self.sent and (self.schedule is None or self.next >= len(self.requests))

    def due(self) -> float:
        """When this connection's next request is due (infinity when none is)."""
        if self.schedule is None or self.next >= len(self.requests):
            return math.inf
        return self.schedule[self.next]


def load(
    port: int,
    paths: list[str],
    connections: int,
    limit_s: float,
    depth: int = 1,
    pid: int = 0,
    rate: float | None = None,
) -> dict[str, float]:
    """Send *paths* over *connections* keep-alive connections, *depth* requests ahead on each,
    or, with *rate*, each request when it is due at that many per second (open loop).

    Bounded by the request count and *limit_s*; talks to 127.0.0.1 only. One thread, raw
    non-blocking sockets and a selector: the generator's own CPU is reported (it shares the
    cores with the server).
    """
    times: list[float] = []
    selector = selectors.DefaultSelector()
    start = time.perf_counter() + 0.05
    if rate is not None:
        paths = paths[: int(rate * limit_s)]
    mine = [paths[i::connections] for i in range(connections)]
    conns = [
        _Connection(
            port,
            own,
            depth,
            None
            if rate is None
            else [start + (k * connections + i) / rate for k in range(len(own))],
        )
        for i, own in enumerate(mine)
    ]
    cpu, server = time.process_time(), _server_cpu(pid) if pid else 0.0
    until = start + limit_s
    try:
        for conn in conns:
            selector.register(conn.sock, selectors.EVENT_READ, conn)
            conn.send(until)
        while any(not c.finished for c in conns):
            wait = min(c.due() for c in conns) - time.perf_counter()
            ready = [key.data for key, _ in selector.select(timeout=min(30.0, max(0.0, wait)))]
            for conn in ready:
                conn.receive(times)
            for conn in conns if rate is not None else ready:
                conn.send(until)
    finally:
        for conn in conns:
            conn.sock.close()
        selector.close()
    seconds = time.perf_counter() - start
    client_cpu = time.process_time() - cpu
    server_cpu = (_server_cpu(pid) - server) if pid else 0.0
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
        "client_cpu_share": round(client_cpu / seconds, 2),  # of one core
        "client_cpu_ms_per_request": round(client_cpu / len(times) * 1000, 3),
        "server_cpu_share": round(server_cpu / seconds, 2),
        "server_cpu_ms_per_request": round(server_cpu / len(times) * 1000, 3),
    }


def sequential(port: int, paths: list[str], limit_s: float, pid: int) -> dict[str, float]:
    """*paths* one at a time on one connection, with the server's CPU time of each request.

    The server's CPU per request (read from /proc around each one) is what its latency would
    be on an idle machine; the wall-clock latency also holds the time other processes took.
    """
    conn = _Connection(port, paths, 1)
    conn.sock.setblocking(True)
    cpu: list[float] = []
    times: list[float] = []
    until = time.perf_counter() + limit_s
    try:
        while conn.next < len(paths) and time.perf_counter() < until:
            before = _server_cpu(pid)
            conn.send(until)
            while not conn.finished:
                conn.receive(times)
            cpu.append(_server_cpu(pid) - before)
    finally:
        conn.sock.close()
    ordered, spent = sorted(times), sorted(cpu)

    def pct(values: list[float], p: float) -> float:
        return round(values[min(len(values) - 1, int(p * len(values)))] * 1000, 2)

    return {
        "requests": len(times),
        "p50_ms": pct(ordered, 0.5),
        "p95_ms": pct(ordered, 0.95),
        "p99_ms": pct(ordered, 0.99),
        "server_cpu_p50_ms": pct(spent, 0.5),
        "server_cpu_p95_ms": pct(spent, 0.95),
        "server_cpu_mean_ms": round(statistics.fmean(spent) * 1000, 2),
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
        "--reaudit-limit",  # a store from an older catalogue must not re-audit while measured
        "0",
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


def scenarios(count: int, rng: random.Random, badges: int) -> dict[str, list[str]]:
    """The request paths of each measurement."""

    def searches(terms: list[str]) -> list[str]:
        out = []
        for _ in range(400):
            params = dict(rng.choice(FILTERS))
            params["q"] = rng.choice(terms)
            out.append("/api/v1/releases?" + "&".join(f"{k}={quote(v)}" for k, v in params.items()))
        return out

    pages = [f"/api/v1/releases/{rng.randint(1, count)}" for _ in range(400)]
    ui_pages = [f"/releases/{rng.randint(1, count)}" for _ in range(200)]
    kinds = ["redhat", "osaid", "mof", "eu", "licence"]
    hot = [rng.randint(1, count) for _ in range(200)]  # embedded badges: a few are read often
    badge = [
        f"/api/v1/badges/{rng.choice(kinds)}.svg?release={rng.choice(hot)}" for _ in range(badges)
    ]
    return {
        "search": searches(SEARCHES),
        "search_short": searches(SHORT_SEARCHES),
        "page": pages,
        "page_ui": ui_pages,
        "badge": badge,
    }


def _store(args: argparse.Namespace, cache: Path, report: dict[str, object]) -> str:
    """The store to serve: built once per parameters and kept in *cache* (SQLite), or filled
    into the given PostgreSQL database (kept there too: a database already holding the
    releases is used as it is)."""
    from sqlalchemy import func, select

    from clearweights.server.registry import Registry
    from clearweights.server.settings import Settings

    cache.mkdir(parents=True, exist_ok=True)
    location = args.postgres or str(cache / f"registry-{args.releases}-{args.pool}.db")
    done = cache / f"registry-{args.releases}-{args.pool}.done"
    store = open_store(location)
    try:
        with store.engine.connect() as connection:
            audits = connection.execute(select(func.count()).select_from(AuditRow)).scalar()
    finally:
        store.close()
    if not audits or (not args.postgres and not done.exists()):
        if audits:  # a build that stopped half way: start again
            Path(location).unlink()
        pool = pool_outcomes(cache, args.pool)
        report["fill_seconds"] = round(fill(location, pool, args.releases), 1)
    start = time.perf_counter()
    Registry(Settings(store=location)).close()  # the index, built once (and migrated)
    report["index_seconds"] = round(time.perf_counter() - start, 1)
    if args.postgres:
        report["vacuum_seconds"] = _vacuum(location)
    if not args.postgres:
        done.touch()
    return location


def _vacuum(location: str) -> float:
    """VACUUM ANALYZE a PostgreSQL store: a database in service has been vacuumed and
    analysed by autovacuum; a freshly filled one would be while measured (its CPU counted
    with the requests', its plans made without statistics)."""
    from sqlalchemy import create_engine

    start = time.perf_counter()
    engine = create_engine(location, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()
    return round(time.perf_counter() - start, 1)


def _postgres(args: argparse.Namespace, stack: contextlib.ExitStack) -> None:
    """``--postgres local``: a PostgreSQL server of the tests' helper, for this run."""
    if args.postgres != "local":
        return
    sys.path.insert(0, str(ROOT))
    from tests.postgres import Cluster

    cluster = Cluster().start()
    stack.callback(cluster.stop)
    args.postgres = cluster.create_database("bench")
    assert cluster.root is not None
    # The database's CPU counts with the server's (its backends are the postmaster's children).
    args.database_pid = int((cluster.root / "data" / "postmaster.pid").read_text().split()[0])


def main() -> None:
    """Build (or reuse) the store, serve it, measure, print JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--releases", type=int, default=100_000)
    parser.add_argument("--pool", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--depth", type=int, default=1, help="badge requests ahead per connection")
    parser.add_argument(
        "--badge-rate", type=float, default=1000.0, help="badges per second, sent when due"
    )
    parser.add_argument("--badges", type=int, default=40_000, help="badge requests to send")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database, or 'local'")
    parser.add_argument(
        "--database-pid",
        type=int,
        help="with --postgres URL: the postmaster's pid, to count the database's CPU too",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "clearweights-bench-server",
        help="where the built SQLite store is kept between runs",
    )
    parser.add_argument("--build-only", action="store_true", help="build the store and stop")
    args = parser.parse_args()
    report: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "releases": args.releases,
        "workers": args.workers,
        "store": "postgresql" if args.postgres else "sqlite",
    }
    with contextlib.ExitStack() as stack:
        _postgres(args, stack)
        if getattr(args, "database_pid", None):
            DATABASE_PIDS.append(args.database_pid)
            report["cpu_includes"] = "the server processes and the PostgreSQL server's"
        location = _store(args, args.cache, report)
        if not args.build_only:
            _measure(args, location, report)
    print(json.dumps(report, indent=2))


def _measure(args: argparse.Namespace, location: str, report: dict[str, object]) -> None:
    process, port = serve(location, args.workers)
    try:
        paths = scenarios(args.releases, random.Random(5), args.badges)
        pid = process.pid
        load(port, paths["search"][:40] + paths["page"][:40], 1, 60)  # warm up
        for name in ("search", "search_short", "page", "page_ui"):
            report[name] = sequential(port, paths[name], 120, pid)
        # Embedded badges are read again and again: measure the steady state, each hot
        # badge already drawn once by every server process.
        load(port, sorted(set(paths["badge"])) * 3, args.connections, 120)
        report["badge"] = load(
            port, paths["badge"], args.connections, 30, depth=args.depth, pid=pid
        )
        # The latency a page of embedded badges sees at the target's rate: requests sent
        # when due (not when the last answer came), latency counted from then.
        report["badge_at_rate"] = load(
            port, paths["badge"], args.connections, 20, pid=pid, rate=args.badge_rate
        )
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
