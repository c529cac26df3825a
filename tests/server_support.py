"""Shared pieces of the server tests: a store of the example releases, apps and live servers."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from clearweights.scale import scan, sources_for
from clearweights.store import open_store
from tests.net import free_port
from tests.postgres import SKIP, USER, Cluster

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "releases"
EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())


def scan_examples(db: Path | str) -> Path | str:
    """A store holding one audit of every example release directory (audited for real)."""
    store = open_store(str(db))
    try:
        scan(sources_for([str(EXAMPLES / n) for n in EXAMPLE_NAMES]), store=store, jobs=1)
    finally:
        store.close()
    return db


def copy_store(source: Path, target: Path) -> Path:
    """A private copy of an SQLite store (closed stores keep no WAL behind)."""
    shutil.copyfile(source, target)
    return target


@contextmanager
def live_server(store: str, *args: str, log: Path | None = None) -> Iterator[str]:
    """`clearweights serve` in a child process on 127.0.0.1; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "clearweights.cli.main", "serve", "--store", store,
               "--host", "127.0.0.1", "--port", str(port), *args]  # fmt: skip
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/counts", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start (exit {process.poll()})")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            out.close()  # type: ignore[union-attr]  # NOTE: a file when log is given


_CACHE: dict[str, Path] = {}


def examples_store() -> Path:
    """The example releases' store, scanned once per test run (copy it before writing)."""
    if "db" not in _CACHE:
        import atexit
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="clearweights-server-tests-"))
        atexit.register(shutil.rmtree, folder, True)
        _CACHE["db"] = Path(scan_examples(folder / "examples.db"))
    return _CACHE["db"]


_COPIES = itertools.count(1)


def postgres_copy(cluster: Cluster) -> str:
    """A fresh PostgreSQL database holding the example releases (a copy of one scanned once)."""
    import psycopg

    if "pg" not in _CACHE:
        url = cluster.create_database("server_examples")
        scan_examples(url)
        _CACHE["pg"] = Path("server_examples")
    name = f"server_{os.getpid()}_{next(_COPIES)}"
    dsn = f"host=127.0.0.1 port={cluster.port} user={USER} dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'create database "{name}" template "server_examples"')
    return cluster.database_url(name)


def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The example store for a test parametrised over ``sqlite`` and ``postgresql``."""
    if request.param == "sqlite":
        return str(copy_store(examples_store(), tmp_path / "store.db"))
    cluster: Cluster | None = request.getfixturevalue("postgres")
    if cluster is None:
        pytest.skip(f"PostgreSQL server tests skipped: {SKIP}=1")
    return postgres_copy(cluster)
