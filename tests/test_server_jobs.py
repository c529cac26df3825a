"""Durable jobs: a queue that outlives the server, claimed once across processes and databases."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from clearweights.scale.items import Item, directory_digest
from clearweights.server import Settings, create_app
from clearweights.server.archive import spool_folder, unpack
from clearweights.server.jobs import JobPool, Submission
from clearweights.server.registry import Registry
from clearweights.server.tokens import Scope, create_token
from clearweights.store import now
from clearweights.store.models import RunRow, StateRow, SubmissionRow
from tests.server_support import EXAMPLES, store_location
from tests.test_server_archive import tar_of

API = "/api/v1"


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_location(request, tmp_path)


def settings_for(location: str, tmp_path: Path, **changes: object) -> Settings:
    values: dict[str, object] = {"refresh_seconds": 0, "workers": 1, "job_poll_seconds": 0.2,
                                 "data_dir": str(tmp_path / "data"), **changes}  # fmt: skip
    return Settings(store=location, **values)  # type: ignore[arg-type]


def wait_for(client: TestClient, job: int, auth: dict[str, str]) -> dict[str, object]:
    state: dict[str, object] = {"state": "queued"}
    deadline = time.monotonic() + 180
    while state["state"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        state = client.get(f"{API}/submissions/{job}", headers=auth).json()
    return state


def spool_upload(pool: JobPool, example: str, name: str) -> tuple[Submission, Path]:
    """An archive submission as the upload route makes it: unpacked into the spool, queued."""
    root = spool_folder(pool.spool)
    (root / "r").mkdir()
    unpack(tar_of(EXAMPLES / example), root / "r")
    item = Item("upload", name, "sha256:" + example, location=str(root / "r" / example))
    job, new = pool.submit("archive", name, item, token=None, extra={"upload": str(root)})
    assert new and job.state == "queued"
    return job, root


def test_a_job_queued_when_the_server_stopped_runs_after_a_restart(
    location: str, tmp_path: Path
) -> None:
    settings = settings_for(location, tmp_path)
    registry = Registry(settings)
    pool = JobPool(registry)  # never started: the server stops before any runner takes it
    job, root = spool_upload(pool, "open-washing", "acme/queued-at-stop")
    lost, lost_root = spool_upload(pool, "gemma-release", "acme/spool-lost")
    pool.shutdown()
    registry.close()
    assert root.is_dir() and root.parent == tmp_path / "data" / "clearweights-spool"
    for path in lost_root.rglob("*"):  # the spool lost this upload while the server was down
        if path.is_file():
            path.unlink()
    lost_root.joinpath("r", "gemma-release").rmdir()
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.registry.engine  # type: ignore[attr-defined]
        auth = {"Authorization": f"Bearer {create_token(engine, 'ci', Scope.SUBMIT)[1]}"}
        state = wait_for(client, job.id, auth)
        assert state["state"] == "done", state
        release = client.get(f"{API}/releases/{state['release_id']}").json()
        assert release["release"]["name"] == "acme/queued-at-stop"
        assert {f["code"] for f in release["audit"]["findings"]} >= {"OW-LIC"}
        gone = wait_for(client, lost.id, auth)
        assert gone["state"] == "failed"
        assert "uploaded files are gone" in str(gone["message"])
    assert not root.exists() and not lost_root.exists()  # the spool keeps nothing once done


def _left_running(registry: Registry, owner: str, key: str) -> int:
    """A job row as a server process leaves it when it dies in the middle of the audit."""
    path = str(EXAMPLES / key)
    item = {"source": "directory", "key": path, "revision": directory_digest(path),
            "location": path}  # fmt: skip
    values = {"kind": "hub", "target": key, "state": "running", "created_at": now(),
              "started_at": now(), "active_key": f"directory:{path}@{item['revision']}",
              "payload": json.dumps({"item": item, "owner": owner})}  # fmt: skip
    with registry.engine.begin() as connection:
        job = connection.execute(insert(SubmissionRow).returning(SubmissionRow.id), values)
        return int(job.scalar_one())


def test_a_job_left_running_by_a_dead_process_runs_again(location: str, tmp_path: Path) -> None:
    settings = settings_for(location, tmp_path, job_stale_seconds=30.0)
    registry = Registry(settings)
    dead = _left_running(registry, "killed-process", "cc-by-nc-release")
    alive = _left_running(registry, "other-live-process", "deepseek-pattern")
    with registry.engine.begin() as connection:  # the other process beats; the killed one stopped
        connection.execute(insert(StateRow), [
            {"name": "jobs-alive:other-live-process", "value": now()},
            {"name": "jobs-alive:killed-process", "value": "2026-01-01T00:00:00+00:00"},
        ])  # fmt: skip
    registry.close()
    with TestClient(create_app(settings)) as client:
        pool: JobPool = client.app.state.jobs  # type: ignore[attr-defined]
        engine = client.app.state.registry.engine  # type: ignore[attr-defined]
        auth = {"Authorization": f"Bearer {create_token(engine, 'ci', Scope.SUBMIT)[1]}"}
        state = wait_for(client, dead, auth)
        assert state["state"] == "done", state
        assert state["audit_id"] and state["release_id"]
        # A job another live process runs is left to it.
        assert (job := pool.get(alive)) is not None and job.state == "running"
        with engine.begin() as connection:  # until that process is no longer heard from
            connection.execute(
                update(StateRow)
                .where(StateRow.name == "jobs-alive:other-live-process")
                .values(value="2026-01-01T00:00:00+00:00")
            )
        assert pool.recover() == 1
        assert wait_for(client, alive, auth)["state"] == "done"


def test_two_pools_on_one_store_never_claim_the_same_job(location: str, tmp_path: Path) -> None:
    settings = settings_for(location, tmp_path)
    registries = [Registry(settings), Registry(settings)]
    pools = [JobPool(r) for r in registries]
    jobs = [
        pools[n % 2].submit("hub", f"acme/m{n}", Item("hf-cache", f"acme/m{n}", "c" * 40),
                            token=None)[0].id
        for n in range(40)
    ]  # fmt: skip
    claimed: list[tuple[int, str]] = []
    lock = threading.Lock()

    def take(pool: JobPool) -> None:
        while (row := pool.claim()) is not None:
            with lock:
                claimed.append((row.id, pool.worker))

    threads = [threading.Thread(target=take, args=(p,)) for p in pools for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = Counter(job for job, _ in claimed)
    assert sorted(counts) == sorted(jobs) and set(counts.values()) == {1}
    with registries[0].engine.connect() as connection:
        rows = connection.execute(select(SubmissionRow.id, SubmissionRow.payload)).all()
    owners = {row.id: json.loads(row.payload)["owner"] for row in rows}
    assert owners == dict(claimed)  # the row names the process that took it
    for pool, registry in zip(pools, registries, strict=True):
        pool.shutdown()
        registry.close()


def test_two_started_pools_run_each_job_once(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    settings = settings_for(str(db), tmp_path, workers=2)  # 2 pools x 2 runners, 3 jobs
    registries = [Registry(settings), Registry(settings)]
    pools = [JobPool(r) for r in registries]
    names = ["cc-by-nc-release", "deepseek-pattern", "gemma-release"]
    jobs = []
    for n, name in enumerate(names):
        path = str(EXAMPLES / name)
        item = Item("directory", path, directory_digest(path), location=path)
        jobs.append(pools[n % 2].submit("hub", name, item, token=None)[0].id)
    for pool in pools:
        pool.start()
    deadline = time.monotonic() + 180
    while pools[0].pending() and time.monotonic() < deadline:
        time.sleep(0.2)
    for pool in pools:
        pool.shutdown()
    states = [pools[0].get(j) for j in jobs]
    assert all(s is not None and s.state == "done" for s in states), states
    identities = [("directory", str(EXAMPLES / n), directory_digest(str(EXAMPLES / n)))
                  for n in names]  # fmt: skip
    assert len(registries[0].store.done(identities, *_versions())) == len(names)
    with registries[0].engine.connect() as connection:
        runs = connection.execute(select(RunRow.id)).all()
        owners = connection.execute(select(SubmissionRow.payload)).all()
    assert len(runs) == len(names)  # each job audited and stored once
    assert {json.loads(r.payload)["owner"] for r in owners} <= {p.worker for p in pools}
    for registry in registries:
        registry.close()


def _versions() -> tuple[str, str]:
    from clearweights import __version__
    from clearweights.licenses import catalogue_version

    return __version__, catalogue_version()
