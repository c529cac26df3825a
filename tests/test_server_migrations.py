"""Migrations 0100 (the server's tables) and 0101 (the search index): empty and with data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

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


def to_revision(db: Path | str, revision: str) -> None:
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
            ("0103",)
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


def test_0101_indexes_the_names_of_a_0100_store_and_goes_back(tmp_path: Path) -> None:
    db = copy_store(examples_store(), tmp_path / "search.db")
    with TestClient(create_app(Settings(store=str(db)))):  # the index, under 0101
        pass
    to_revision(db, "0100")  # the schema before the search index, with its entries
    assert "registry_search" not in tables(db)
    entries = count(db, "registry_entries")
    assert entries == len(EXAMPLE_NAMES)
    with TestClient(create_app(Settings(store=str(db)))) as client:  # migrates on start
        hits = client.get("/api/v1/releases", params={"q": "GEMMA-rel"}).json()["items"]
        assert [h["name"] for h in hits] == ["gemma-release"]
    assert count(db, "registry_search") == entries == count(db, "audits")
    with sqlite3.connect(db) as connection:
        assert connection.execute("select version_num from alembic_version").fetchall() == [
            ("0103",)
        ]
        # the trigram table holds every name the entries hold (a full-text query of each)
        for (name,) in connection.execute("select name from registry_entries").fetchall():
            phrase = '"' + name.replace('"', '""') + '"'
            hit = connection.execute(
                "select rowid from registry_search where registry_search match ?", (phrase,)
            ).fetchall()
            assert hit, name
    to_revision(db, "0100")
    assert "registry_search" not in tables(db)
    with sqlite3.connect(db) as connection:
        triggers = connection.execute("select name from sqlite_master where type='trigger'")
        assert not [t for (t,) in triggers if t.startswith("registry_search")]
    assert count(db, "registry_entries") == entries


def test_0101_on_postgresql_adds_and_drops_the_trigram_index(
    request: pytest.FixtureRequest,
) -> None:
    from tests.postgres import SKIP, Cluster
    from tests.server_support import postgres_copy

    cluster: Cluster | None = request.getfixturevalue("postgres")
    if cluster is None:
        pytest.skip(f"PostgreSQL server tests skipped: {SKIP}=1")
    url = postgres_copy(cluster)

    def trigram_index() -> bool:
        engine = create_engine(url)  # not open_store: it would migrate
        try:
            with engine.connect() as connection:
                names = connection.execute(
                    text("select indexname from pg_indexes where tablename = 'registry_entries'")
                ).scalars()
                return "ix_entry_name_trgm" in set(names)
        finally:
            engine.dispose()

    to_revision(url, "0100")
    assert not trigram_index()
    with TestClient(create_app(Settings(store=url))) as client:  # migrates on start
        hits = client.get("/api/v1/releases", params={"q": "GEMMA-rel"}).json()["items"]
        assert [h["name"] for h in hits] == ["gemma-release"]
        listed = client.get("/api/v1/releases", params={"limit": 200}).json()["items"]
        assert sorted(i["name"] for i in listed) == EXAMPLE_NAMES
    assert trigram_index()


def test_0102_orders_the_filter_indexes_by_name_without_losing_entries(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A populated 0101 store (SQLite, then PostgreSQL) goes to 0102 and back, rows intact."""
    from sqlalchemy import inspect

    from tests.postgres import Cluster
    from tests.server_support import postgres_copy

    cluster: Cluster | None = request.getfixturevalue("postgres")
    locations = [str(copy_store(examples_store(), tmp_path / "order.db"))]
    if cluster is not None:  # None when the PostgreSQL tests are skipped
        locations.append(postgres_copy(cluster))

    def state(location: str) -> tuple[dict[str, list[str | None]], list[tuple[object, ...]]]:
        url = location if "://" in location else f"sqlite:///{location}"
        engine = create_engine(url)  # not open_store: it would migrate
        try:
            with engine.connect() as connection:
                indexes = {
                    str(i["name"]): list(i["column_names"])
                    for i in inspect(connection).get_indexes("registry_entries")
                }
                entries = connection.execute(
                    text("select * from registry_entries order by id")
                ).all()
        finally:
            engine.dispose()
        return indexes, [tuple(r) for r in entries]

    for location in locations:
        with TestClient(create_app(Settings(store=location))):  # head, with the entries
            pass
        to_revision(location, "0101")
        old_indexes, entries = state(location)
        assert old_indexes["ix_entry_family"] == ["license_family", "id"]
        assert len(entries) == len(EXAMPLE_NAMES)
        with TestClient(create_app(Settings(store=location))) as client:  # migrates on start
            llama = client.get("/api/v1/releases", params={"license_family": "llama"}).json()
            assert [i["name"] for i in llama["items"]] == ["llama-3.1-finetune", "open-washing"]
        new_indexes, after = state(location)
        assert after == entries
        for name, column in (("ix_entry_family", "license_family"),
                             ("ix_entry_category", "license_category"),
                             ("ix_entry_mof", "mof_class"),
                             ("ix_entry_base", "base_model")):  # fmt: skip
            assert new_indexes[name] == [column, "name", "id"], name
        to_revision(location, "0101")
        assert state(location) == (old_indexes, entries)
