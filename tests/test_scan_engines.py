"""``clearweights scan`` engines and interruption: Ray gives the local results; SIGTERM resumes."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearweights.scale import scan, sources_for
from clearweights.scale.engines import PoolEngine, ray_engine
from clearweights.store import open_store
from tests.scale_corpus import (
    NAMES,
    audits,
    card_only_dirs,
    generated_rows,
    hub_row,
    write_jsonl,
    write_parquet,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ray_local() -> Iterator[None]:
    """A local Ray instance of two CPUs for this module's tests, shut down at the end."""
    ray = pytest.importorskip("ray")
    # A loaded machine (the whole suite on two cores) starts the raylet slowly: wait for it.
    os.environ.setdefault("RAY_raylet_start_wait_time_s", "300")
    # ... and answers health checks late: a node marked dead would end the test with SIGTERM.
    os.environ.setdefault("RAY_health_check_timeout_ms", "60000")
    os.environ.setdefault("RAY_health_check_failure_threshold", "20")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             object_store_memory=128 << 20)  # fmt: skip
    try:
        yield
    finally:
        ray.shutdown()


def test_ray_engine_gives_the_local_engines_results(tmp_path: Path, ray_local: None) -> None:
    """Directories and dump rows through Ray tasks: the same JSON Lines, in the same order."""
    card_only_dirs(tmp_path / "dirs")
    dump = write_jsonl(generated_rows(12), tmp_path / "rows.jsonl")
    sources = [str(tmp_path / "dirs"), str(dump)]
    local, remote = io.StringIO(), io.StringIO()
    scan(sources_for(sources), sink=local, engine=PoolEngine(2), batch=7)
    db = tmp_path / "ray.db"
    store = open_store(str(db))
    try:
        summary = scan(sources_for(sources), sink=remote, store=store,
                       engine=ray_engine(), batch=7)  # fmt: skip
        again = scan(sources_for(sources), store=store, engine=ray_engine())
    finally:
        store.close()
    assert summary.failed == 0
    assert remote.getvalue() == local.getvalue()
    assert len(audits(remote.getvalue())) == summary.audited == 12 + 7
    assert (again.audited, again.unchanged) == (0, 19)
    with sqlite3.connect(db) as connection:
        assert connection.execute("select count(*) from audits").fetchone() == (19,)


def _stored(db: Path) -> dict[tuple[str, str, str], tuple[object, ...]]:
    """Each stored audit with its normalised rows, by release identity (ids and times left out)."""
    query = """select r.source, r.key, r.revision, a.status, a.error is not null, a.name,
        a.weights_license, a.document, a.tool_version, a.catalogue_version,
        (select group_concat(component || '|' || license_id || '|' || category, ';')
         from (select * from audit_licenses l where l.audit_id = a.id order by l.id)),
        (select group_concat(framework || '|' || verdict || '|' || coalesce(label, ''), ';')
         from (select * from audit_verdicts v where v.audit_id = a.id order by v.id)),
        (select group_concat(code || '|' || severity || '|' || message, ';')
         from (select * from audit_findings f where f.audit_id = a.id order by f.id))
        from audits a join releases r on r.id = a.release_id"""
    with sqlite3.connect(db) as connection:
        return {tuple(row[:3]): tuple(row[3:]) for row in connection.execute(query)}


def test_ray_data_stores_what_the_local_engine_stores(tmp_path: Path, ray_local: None) -> None:
    """A Parquet dump read, audited and streamed back by Ray Data: the local engine's audits."""
    import pyarrow.parquet as pq

    from clearweights.cli.main import main
    from clearweights.scale.ray_data import scan_parquet

    malformed = {"id": None, "card": "---\nlicense: mit\n---\n# a row without an id\n"}
    rows = [hub_row(name) for name in NAMES[:2]] + generated_rows(6) + [malformed]
    dump = str(write_parquet(rows, tmp_path / "dump.parquet"))
    local_out = io.StringIO()
    local_store = open_store(str(tmp_path / "local.db"))
    try:
        scan(sources_for([dump]), sink=local_out, store=local_store, engine=PoolEngine(2), batch=4)
    finally:
        local_store.close()
    ray_db, ray_out = tmp_path / "ray.db", tmp_path / "ray.jsonl"
    command = ["scan", dump, "--engine", "ray", "--store", str(ray_db), "-o", str(ray_out), "-q"]
    assert main(command) == 3  # the malformed row could not be audited; the others are stored
    ray_store = open_store(str(ray_db))
    try:
        again = scan_parquet([dump], store=ray_store, batch=4)
    finally:
        ray_store.close()
    assert (again.audited, again.failed, again.unchanged) == (1, 1, len(rows) - 1)  # errors retried
    local, remote = _stored(tmp_path / "local.db"), _stored(ray_db)
    [failed] = [k for k, v in remote.items() if v[0] == "error"]
    assert failed[1].startswith(dump + "#") and failed[1] != dump + f"#{len(rows)}"  # Ray Data's
    ok = {k: v for k, v in local.items() if v[0] == "ok"}
    assert len(ok) == len(rows) - 1
    assert ok == {k: v for k, v in remote.items() if k != failed}
    assert [a for a in audits(ray_out.read_text()) if a.get("error") is None] == [
        a for a in audits(local_out.getvalue()) if a.get("error") is None
    ]  # the JSON Lines too, in the dump's order
    results = tmp_path / "results"
    assert main(["scan", dump, "--engine", "ray", "--results-parquet", str(results), "-q"]) == 0
    written = pq.read_table(results).to_pylist()
    assert sorted(r["document"] for r in written if r["error"] is None) == sorted(
        str(v[4]) for v in ok.values()
    )


def test_ray_address_needs_the_ray_engine(capsys: pytest.CaptureFixture[str]) -> None:
    from clearweights.cli.main import main

    assert main(["scan", ".", "--ray-address", "127.0.0.1:1"]) == 2
    assert "--ray-address needs --engine ray" in capsys.readouterr().err


def _count(db: Path, query: str) -> int:
    if not db.with_name(db.name + "-wal").exists():
        return 0  # not in WAL mode yet: a reader now would block the switch to it
    with sqlite3.connect(db, timeout=10) as connection:
        try:
            return int(connection.execute(query).fetchone()[0])
        except sqlite3.OperationalError:  # the schema is not there yet
            return 0


def test_sigterm_loses_at_most_the_batches_in_flight(tmp_path: Path) -> None:
    rows = generated_rows(400)
    dump = write_jsonl(rows, tmp_path / "rows.jsonl")
    db = tmp_path / "s.db"
    command = [sys.executable, "-m", "clearweights.cli.main", "scan", str(dump),
               "--store", str(db), "--jobs", "2", "-q"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while _count(db, "select count(*) from audits") < 64 and time.monotonic() < deadline:
            assert child.poll() is None, "the scan ended before it could be interrupted"
            time.sleep(0.05)
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=60)
    finally:  # never leave the scan and its workers running when the test fails
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 3
    assert b"interrupted: the releases audited before it are stored" in err
    assert b"Traceback" not in err
    stored = _count(db, "select count(*) from audits")
    assert 64 <= stored < len(rows)
    assert _count(db, "select count(*) from runs where finished_at is not null") == 1
    rerun = subprocess.run(command, env=env, capture_output=True, timeout=300, check=False)
    assert rerun.returncode == 0, rerun.stderr
    with sqlite3.connect(db) as connection:
        keys = [k for (k,) in connection.execute("select key from releases")]
        second = connection.execute("select audited, unchanged from runs where id = 2").fetchone()
        assert connection.execute("select count(*) from audits").fetchone() == (len(rows),)
    assert sorted(keys) == sorted(r["id"] for r in rows)  # complete, nothing twice
    assert second == (len(rows) - stored, stored)  # only the rest was audited
