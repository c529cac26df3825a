"""A new licence catalogue re-audits what it may change, as jobs, with the reason in history."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from clearweights.licenses import catalogue_version
from clearweights.scale.items import Item
from clearweights.server import Settings, create_app
from clearweights.server.jobs import JobPool
from clearweights.server.reaudit import Queued, older, queue_reaudits
from clearweights.server.registry import Registry
from clearweights.server.rejudge import rejudge
from clearweights.server.tokens import Scope, create_token
from clearweights.store import open_store
from clearweights.store.models import AuditRow, ReleaseRow, RunRow, VerdictRow
from tests.server_support import EXAMPLE_NAMES, copy_store, examples_store, store_location

API = "/api/v1"
OLD = "2025.06.01"  # the catalogue version the store's audits were made with
MOVED = "/gone/cc-by-nc-release"  # a release whose files the server no longer holds


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_location(request, tmp_path)


def age(location: str) -> dict[str, str]:
    """Make the store look audited by catalogue OLD; returns each release's current document.

    The cc-by-nc release also moves to a folder that does not exist (so it can only be judged
    again from its stored audit), and the old catalogue is made to have called its MOF a pass.
    """
    store = open_store(location)
    originals: dict[str, str] = {}
    with store.engine.begin() as connection:
        rows = connection.execute(
            select(AuditRow.id, AuditRow.document, ReleaseRow.id.label("release"), ReleaseRow.key)
            .join(ReleaseRow, AuditRow.release_id == ReleaseRow.id)
        ).all()  # fmt: skip
        for row in rows:
            originals[Path(row.key).name] = row.document
            doc = json.loads(row.document)
            doc["catalogue_version"] = OLD
            if row.key.endswith("cc-by-nc-release"):
                doc["audits"][0]["profiles"]["mof"]["verdict"] = "pass"
                connection.execute(
                    update(VerdictRow)
                    .where(VerdictRow.audit_id == row.id, VerdictRow.framework == "mof")
                    .values(verdict="pass")
                )
                connection.execute(
                    update(ReleaseRow).where(ReleaseRow.id == row.release).values(key=MOVED)
                )
            connection.execute(
                update(AuditRow)
                .where(AuditRow.id == row.id)
                .values(catalogue_version=OLD, document=json.dumps(doc))
            )
        connection.execute(update(RunRow).values(catalogue_version=OLD))
    store.close()
    return originals


def test_versions_compare_by_their_numbers() -> None:
    assert older("2025.06.01", "2026.11.27") and older("0.9.0", "0.10.0")
    assert not older("2026.11.27", "2026.11.27") and not older("2099.01.01", "2026.11.27")
    assert older("unknown", "2026.11.27")  # an unreadable version is re-audited


def test_rejudging_a_stored_audit_gives_the_audit_itself(location: str) -> None:
    store = open_store(location)
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(ReleaseRow.source, ReleaseRow.key, ReleaseRow.revision, AuditRow.document)
            .join(AuditRow, AuditRow.release_id == ReleaseRow.id)
        ).all()  # fmt: skip
    store.close()
    assert len(rows) == len(EXAMPLE_NAMES)
    for row in rows:
        outcome = rejudge(Item(row.source, row.key, row.revision), row.document)
        assert outcome.error is None and outcome.document == row.document, row.key


def wait_for_reaudits(pool: JobPool) -> None:
    deadline = time.monotonic() + 240
    while pool.pending("reaudit") and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not pool.pending("reaudit")


def test_a_new_catalogue_reaudits_the_store(location: str, tmp_path: Path) -> None:
    originals = age(location)
    settings = Settings(store=location, refresh_seconds=0, workers=2, job_poll_seconds=0.2,
                        data_dir=str(tmp_path / "data"))  # fmt: skip
    registry = Registry(settings)
    pool = JobPool(registry)
    assert queue_reaudits(pool, 2) == Queued(2, len(EXAMPLE_NAMES) - 2)  # bounded a pass
    pool.shutdown()
    registry.close()
    with TestClient(create_app(settings)) as client:  # the start queues the rest
        pool = client.app.state.jobs  # type: ignore[attr-defined]
        wait_for_reaudits(pool)
        engine = client.app.state.registry.engine  # type: ignore[attr-defined]
        auth = {"Authorization": f"Bearer {create_token(engine, 'ops', Scope.ADMIN)[1]}"}
        jobs = [j for j in client.get(f"{API}/submissions", headers=auth).json()
                if j["kind"] == "reaudit"]  # fmt: skip
        assert len(jobs) == len(EXAMPLE_NAMES)
        reason = f"new licence catalogue {OLD} -> {catalogue_version()}"
        for job in jobs:
            assert job["state"] == "done", job
            assert job["message"].startswith(reason)
            how = "judged again from the stored audit" if job["target"] == MOVED else "files"
            assert how in job["message"], job
        moved = next(j for j in jobs if j["target"] == MOVED)
        history = client.get(f"{API}/releases/{moved['release_id']}/history").json()
        assert [h["reasons"] for h in history] == [["first audit"], [reason]]
        assert {"field": "mof", "before": "pass", "after": "fail"} in history[1]["changes"]
        stored = client.get(f"{API}/audits/{moved['audit_id']}").json()
        assert stored == json.loads(originals["cc-by-nc-release"])  # as a fresh audit says
        for name in EXAMPLE_NAMES:
            release = client.get(f"{API}/releases", params={"q": name}).json()["items"][0]
            assert release["catalogue_version"] == catalogue_version(), name
        assert queue_reaudits(pool, 100) == Queued(0, 0)  # nothing is left to re-audit


def test_a_reaudit_that_fails_keeps_the_audit_and_is_not_retried(tmp_path: Path) -> None:
    location = str(copy_store(examples_store(), tmp_path / "store.db"))
    age(location)
    store = open_store(location)
    with store.engine.begin() as connection:  # the stored audit of the moved release is broken
        connection.execute(
            update(AuditRow)
            .where(AuditRow.release_id.in_(select(ReleaseRow.id).where(ReleaseRow.key == MOVED)))
            .values(document='{"audits": [{"name": "cc-by-nc-release"}]}')
        )
    store.close()
    settings = Settings(store=location, refresh_seconds=0, workers=1, job_poll_seconds=0.2,
                        data_dir=str(tmp_path / "data"), reaudit_limit=1)  # fmt: skip
    with TestClient(create_app(settings)) as client:  # the oldest entry: the moved release
        pool = client.app.state.jobs  # type: ignore[attr-defined]
        wait_for_reaudits(pool)
        (failed,) = pool.recent()
        assert (failed.target, failed.state) == (MOVED, "failed")
        assert failed.message is not None and "stored audit" in failed.message
        release = client.get(f"{API}/releases", params={"key": MOVED}).json()["items"][0]
        assert release["catalogue_version"] == OLD and release["status"] == "ok"
        # The next pass takes the next release, not the one that failed.
        assert queue_reaudits(pool, 1) == Queued(1, len(EXAMPLE_NAMES) - 2)
        assert [j.target for j in pool.recent()].count(MOVED) == 1


def test_serve_reaudit_wait_exits_3_when_a_reaudit_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from clearweights.cli.main import main

    db = str(copy_store(examples_store(), tmp_path / "store.db"))
    age(db)
    store = open_store(db)
    with store.engine.begin() as connection:  # the first to be re-audited cannot be
        connection.execute(
            update(AuditRow)
            .where(AuditRow.release_id.in_(select(ReleaseRow.id).where(ReleaseRow.key == MOVED)))
            .values(document='{"audits": [{"name": "cc-by-nc-release"}]}')
        )
    store.close()
    command = ["serve", "reaudit", "--store", db, "--limit", "1", "--wait",
               "--data-dir", str(tmp_path / "data")]  # fmt: skip
    assert main(command) == 3
    err = capsys.readouterr().err
    assert f"{MOVED}: re-audit failed" in err and "(1 failed)" in err


def test_serve_reaudit_queues_a_bounded_pass_and_runs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from clearweights.cli.main import main

    db = str(copy_store(examples_store(), tmp_path / "store.db"))
    age(db)
    command = ["serve", "reaudit", "--store", db, "--limit", "1", "--wait",
               "--data-dir", str(tmp_path / "data")]  # fmt: skip
    assert main(command) == 0
    err = capsys.readouterr().err
    assert f"1 re-audit(s) queued, {len(EXAMPLE_NAMES) - 1} left for the next pass" in err
    assert "re-audits finished (0 failed)" in err
    store = open_store(db)
    with store.engine.connect() as connection:
        versions = connection.execute(select(AuditRow.catalogue_version)).scalars().all()
    store.close()
    assert versions.count(catalogue_version()) == 1
    # Without --wait the pass only queues: a running server (or its next start) runs them.
    assert main(["serve", "reaudit", "--store", db, "--data-dir", str(tmp_path / "data")]) == 0
    assert f"{len(EXAMPLE_NAMES) - 1} re-audit(s) queued" in capsys.readouterr().err


@pytest.mark.slow
def test_two_uvicorn_workers_run_each_reaudit_once(tmp_path: Path) -> None:
    import httpx

    from tests.server_support import live_server

    db = str(copy_store(examples_store(), tmp_path / "store.db"))
    age(db)
    store = open_store(db)
    auth = {"Authorization": f"Bearer {create_token(store.engine, 'ops', Scope.ADMIN)[1]}"}
    store.close()
    log = tmp_path / "server.log"
    with live_server(db, "--workers", "2", "--data-dir", str(tmp_path / "data"), log=log) as base:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            jobs = httpx.get(f"{base}{API}/submissions", headers=auth, timeout=10).json()
            if len(jobs) == len(EXAMPLE_NAMES) and all(j["state"] == "done" for j in jobs):
                break
            time.sleep(0.5)
    assert [j["state"] for j in jobs] == ["done"] * len(EXAMPLE_NAMES), jobs
    assert f"{len(EXAMPLE_NAMES)} re-audit(s) queued" in log.read_text(encoding="utf-8")
    store = open_store(db)
    with store.engine.connect() as connection:
        runs = connection.execute(select(RunRow.id)).all()
    store.close()
    assert len(runs) == 1 + len(EXAMPLE_NAMES)  # the first scan, then each re-audit once
