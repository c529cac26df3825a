"""Migration 0100 (the server's tables): from an empty store, and from 0001 with data in it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient

from clearweights.cli.main import main
from clearweights.server import Settings, create_app
from clearweights.store import MIGRATIONS, open_store
from tests.server_support import EXAMPLE_NAMES, copy_store, examples_store

SERVER_TABLES = {"registry_entries", "policy_results", "api_tokens", "submissions", "server_state"}


def tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as connection:
        return {
            r[0] for r in connection.execute("select name from sqlite_master where type='table'")
        }


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute(f"select count(*) from {table}").fetchone()[0])


def to_revision(db: Path, revision: str) -> None:
    store = open_store(str(db))
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        store.close()


def test_serve_migrate_creates_an_empty_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "new.db"
    assert main(["serve", "migrate", "--store", str(db)]) == 0
    assert "up to date" in capsys.readouterr().err
    assert tables(db) >= SERVER_TABLES
    with sqlite3.connect(db) as connection:
        assert connection.execute("select version_num from alembic_version").fetchall() == [
            ("0100",)
        ]
    with TestClient(create_app(Settings(store=str(db)))) as client:
        assert client.get("/api/v1/releases").json() == {"items": [], "next_cursor": None}
        assert client.get("/api/v1/counts").json()["releases"] == 0


def test_a_store_from_the_previous_schema_keeps_every_audit(tmp_path: Path) -> None:
    db = copy_store(examples_store(), tmp_path / "old.db")
    audits = count(db, "audits")
    to_revision(db, "0001")  # the schema `clearweights scan` wrote before the server existed
    assert not SERVER_TABLES & tables(db)
    assert count(db, "audits") == audits == len(EXAMPLE_NAMES)
    with TestClient(create_app(Settings(store=str(db)))) as client:  # migrates on start
        listed = client.get("/api/v1/releases", params={"limit": 200}).json()["items"]
        assert sorted(i["name"] for i in listed) == EXAMPLE_NAMES
        assert all(i["audit_id"] is not None for i in listed)
    assert tables(db) >= SERVER_TABLES
    assert count(db, "audits") == audits
    assert count(db, "audit_verdicts") > 0 and count(db, "registry_entries") == audits


def test_a_forced_rescan_moves_the_entry_to_the_new_audit(tmp_path: Path) -> None:
    from clearweights.scale import scan, sources_for
    from tests.server_support import EXAMPLES

    db = copy_store(examples_store(), tmp_path / "store.db")
    with TestClient(create_app(Settings(store=str(db), refresh_seconds=0))) as client:
        before = client.get("/api/v1/releases", params={"q": "gemma"}).json()["items"][0]
        store = open_store(str(db))
        try:  # --force deletes the audit by the same versions and writes a new one
            scan(sources_for([str(EXAMPLES / "gemma-release")]), store=store, force=True)
        finally:
            store.close()
        after = client.get("/api/v1/releases", params={"q": "gemma"}).json()["items"]
        assert len(after) == 1 and after[0]["id"] == before["id"]
        assert after[0]["audit_id"] != before["audit_id"]
        detail = client.get(f"/api/v1/releases/{before['id']}").json()
        assert detail["audit"]["name"] == "gemma-release"
