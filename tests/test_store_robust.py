"""The store under bad conditions: old schemas, newer schemas, missing drivers, full disks."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from sqlalchemy import event

from clearweights.errors import StoreError
from clearweights.scale import scan, sources_for
from clearweights.store import MIGRATIONS, Store, open_store
from tests.net import free_port
from tests.scale_corpus import NAMES
from tests.test_store import rows
from tests.test_store_queries import folder, run

__all__ = ["folder"]  # a fixture

TABLES = ("runs", "releases", "audits", "audit_licenses", "audit_verdicts", "audit_findings")


def everything(url: str) -> dict[str, list[tuple[object, ...]]]:
    return {t: rows(url, f"select * from {t} order by id") for t in TABLES}


def downgrade(store: Store, revision: str) -> None:
    """Take the schema back to *revision*, as an older clearweights left it."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_a_store_of_the_previous_schema_is_migrated_with_nothing_lost(
    store_url: str, folder: Path
) -> None:
    store = open_store(store_url)
    try:
        scan(sources_for([str(folder)]), store=store)
        before = everything(store_url)
        downgrade(store, "0001")
    finally:
        store.close()
    assert rows(store_url, "select version_num from alembic_version") == [("0001",)]
    assert everything(store_url) == before
    assert len(before["audits"]) == len(NAMES) and before["audit_verdicts"]
    store = open_store(store_url)  # as the new clearweights opens it
    try:
        assert rows(store_url, "select version_num from alembic_version") == [(_head(),)]
        assert everything(store_url) == before
        again = scan(sources_for([str(folder)]), store=store)
    finally:
        store.close()
    assert (again.audited, again.unchanged) == (0, len(NAMES))  # resumes on the old rows


def test_a_refused_newer_schema_leaves_no_connection_open(
    store_url: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "scan", str(folder / "gemma-release"), "--store", store_url)[0] == 0
    rows(store_url, "update alembic_version set version_num = '0999'")
    for command in ("stats", "check"):
        args = ("--policy", "pragmatic") if command == "check" else ()
        code, out, err = run(capsys, command, "--store", store_url, *args)
        assert (code, out) == (3, "")
        assert "its schema is at revision 0999, newer than this clearweights knows" in err
    with pytest.raises(StoreError, match="0999"):
        open_store(store_url)
    if "://" in store_url:  # the server counts the connections still open to the database
        others = rows(store_url, "select count(*) from pg_stat_activity where datname = "
                                 "current_database() and pid <> pg_backend_pid()")  # fmt: skip
        assert others == [(0,)]
    assert rows(store_url, "select version_num from alembic_version") == [("0999",)]


def test_a_full_disk_loses_nothing_already_stored(tmp_path: Path, folder: Path) -> None:
    """SQLite's own 'database or disk is full', by capping the file at its current size."""
    db = str(tmp_path / "s.db")
    store = open_store(db)
    try:
        scan(sources_for([str(folder)]), store=store, batch=2)
    finally:
        store.close()
    before = everything(db)
    [(pages,)] = rows(db, "pragma page_count")
    store = open_store(db)
    store.engine.dispose()  # new connections get the cap

    def cap(connection: object, _record: object) -> None:
        cursor = connection.cursor()  # type: ignore[attr-defined]
        cursor.execute(f"pragma max_page_count = {pages}")
        cursor.close()

    event.listen(store.engine, "connect", cap)
    # Replacing audits reuses their pages: a release new to the store, last in the run, is
    # what needs the disk to grow (the bulk writer grows the file only for new rows).
    extra = tmp_path / "more"
    shutil.copytree(folder / NAMES[0], extra / "zz-new-release")
    try:
        with pytest.raises(
            StoreError, match="could not be written or read: database or disk is full"
        ):
            scan(sources_for([str(folder), str(extra)]), store=store, force=True, batch=2)
    finally:
        store.close()
    # Batches stored before the disk filled replaced their audits; the rest kept theirs:
    # every release still has its one complete audit.
    after = everything(db)
    assert len(after["audits"]) == len(before["audits"]) == len(NAMES)
    assert {(a[1], a[5], a[7]) for a in after["audits"]} == {
        (a[1], a[5], a[7]) for a in before["audits"]
    }
    kept = {a[0] for a in after["audits"]} & {a[0] for a in before["audits"]}
    assert kept and len(kept) < len(NAMES)  # it did fill in the middle of the run
    per_audit = rows(db, "select count(distinct audit_id) from audit_verdicts")
    assert per_audit == [(len(NAMES),)]
    assert rows(db, "pragma integrity_check") == [("ok",)]


def test_a_read_only_postgresql_database_loses_nothing(
    postgres: object, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.postgres import Cluster

    if not isinstance(postgres, Cluster):
        pytest.skip("CLEARWEIGHTS_SKIP_POSTGRES=1")
    url = postgres.create_database("read_only_store")
    assert run(capsys, "scan", str(folder), "--store", url, "-q")[0] == 0
    before = everything(url)
    rows(url, "alter database read_only_store set default_transaction_read_only = on")
    code, out, err = run(capsys, "scan", str(folder), "--store", url, "--force", "-q")
    assert (code, out) == (3, "")
    assert "could not be written or read: cannot execute INSERT in a read-only transaction" in err
    assert everything(url) == before
    # Queries of the stored audits still work on a read-only database (a replica).
    code, out, err = run(capsys, "stats", "--store", url, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["audited"] == len(before["audits"])


def test_an_unreachable_server_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql+psycopg://clearweights@127.0.0.1:{free_port()}/nowhere"
    for args in (("stats",), ("check", "--policy", "pragmatic"), ("scan", "x")):
        code, out, err = run(capsys, *args, "--store", url)
        assert (code, out) == (3, "")
        assert err.startswith(f"clearweights: {url}: could not be opened: connection failed")
        assert "Traceback" not in err


def test_missing_packages_name_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # None: importing it raises ImportError
    with pytest.raises(StoreError, match="needs the database driver psycopg") as caught:
        open_store("postgresql+psycopg://u@127.0.0.1:5/db")
    assert caught.value.hint is not None and "clearweights[store]" in caught.value.hint
    monkeypatch.setitem(sys.modules, "alembic", None)
    code, _, err = run(capsys, "scan", "x", "--store", str(tmp_path / "s.db"))
    assert code == 3
    assert "cannot be migrated: alembic is not installed" in err
    assert "pip install 'clearweights[store]'" in err
    for name in [m for m in sys.modules if m.startswith("clearweights.store")]:
        monkeypatch.delitem(sys.modules, name)  # restored after the test
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    for args in (("stats",), ("check", "--policy", "pragmatic")):
        code, out, err = run(capsys, *args, "--store", str(tmp_path / "s.db"))
        assert (code, out) == (3, "")
        assert "needs SQLAlchemy and Alembic (sqlalchemy is missing)" in err
        assert "pip install 'clearweights[store]'" in err


def test_a_damaged_store_is_named_not_traced(
    store_url: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "scan", str(folder / "gemma-release"), "--store", store_url)[0] == 0
    rows(store_url, "drop table audit_findings")
    rows(store_url, "alter table audits rename column document to stored")
    for args, damage in (
        (("stats",), "audit_findings"),
        (("check", "--policy", "pragmatic"), "document"),
    ):
        code, out, err = run(capsys, *args, "--store", store_url)
        assert (code, out) == (3, ""), err
        assert err.startswith("clearweights: ")
        assert "could not be written or read: " in err and damage in err
        assert "Traceback" not in err and "internal error" not in err


def _head() -> str:
    """The newest migration this clearweights ships (a later one is added by each schema change)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from clearweights.store import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_a_store_opened_while_another_connection_writes_waits_for_it(tmp_path: Path) -> None:
    """Switching a new file to WAL needs a lock: the open waits for a writer, never fails."""
    import sqlite3
    import threading

    path = tmp_path / "busy.sqlite"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE held (x INTEGER)")
    writer.execute("BEGIN EXCLUSIVE")
    writer.execute("INSERT INTO held VALUES (1)")
    release = threading.Timer(0.5, lambda: writer.execute("COMMIT"))
    release.start()
    try:
        store = open_store(str(path))
        store.close()
    finally:
        release.join()
        writer.close()
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
