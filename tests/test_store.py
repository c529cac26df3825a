"""The result store: incremental and resumable scans, schema versions, stats from the store."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from clearweights.cli.main import main
from clearweights.errors import StoreError
from clearweights.scale import scan, sources_for
from clearweights.scale import worker as scale_worker
from clearweights.store import open_store, store_url
from tests.scale_corpus import NAMES, card_only_dirs


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    if args[0] == "scan":  # in this process: a pool's start-up costs more than these releases
        args = (*args, "--jobs", "1")
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def rows(url: str | Path, query: str) -> list[tuple[object, ...]]:
    """Run SQL on the store at *url* (an SQLite path or a database URL), whatever its dialect."""
    engine = create_engine(store_url(str(url)), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(query))
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    card_only_dirs(tmp_path / "releases")
    return tmp_path / "releases"


def test_second_run_audits_only_what_changed(store_url: str, folder: Path) -> None:
    store = open_store(store_url)
    try:
        first = scan(sources_for([str(folder)]), store=store)
        assert (first.audited, first.unchanged) == (len(NAMES), 0)
        again = scan(sources_for([str(folder)]), store=store)
        assert (again.audited, again.unchanged) == (0, len(NAMES))
        card = folder / "gemma-release" / "README.md"
        card.write_text(card.read_text(encoding="utf-8") + "\nMore words.\n", encoding="utf-8")
        os.utime(card, ns=(1, 1))  # a rewrite, whatever the clock says
        changed = io.StringIO()
        third = scan(sources_for([str(folder)]), store=store, sink=changed)
        assert (third.audited, third.unchanged) == (1, len(NAMES) - 1)
        assert json.loads(changed.getvalue())["audits"][0]["name"] == "gemma-release"
        forced = scan(sources_for([str(folder)]), store=store, force=True)
        assert (forced.audited, forced.unchanged) == (len(NAMES), 0)
    finally:
        store.close()
    db = store_url
    # gemma's two contents are two releases; each (release, versions) has one audit row
    assert rows(db, "select count(*) from releases") == [(len(NAMES) + 1,)]
    assert rows(db, "select count(*) from audits") == [(len(NAMES) + 1,)]
    assert rows(db, "select audited, unchanged, failed from runs order by id") == [
        (len(NAMES), 0, 0), (0, len(NAMES), 0), (1, len(NAMES) - 1, 0), (len(NAMES), 0, 0),
    ]  # fmt: skip
    if "://" not in db:
        assert rows(db, "pragma journal_mode") == [("wal",)]


def test_new_clearweights_version_audits_again(store_url: str, folder: Path) -> None:
    store = open_store(store_url)
    try:
        scan(sources_for([str(folder / "gemma-release")]), store=store)
        rows(store_url, "update audits set tool_version = '0.0.1'")
        again = scan(sources_for([str(folder / "gemma-release")]), store=store)
        assert (again.audited, again.unchanged) == (1, 0)
    finally:
        store.close()
    versions = rows(store_url, "select tool_version from audits order by id")
    assert versions[0] == ("0.0.1",)
    assert len(versions) == 2  # the older version's audit is kept


def test_a_killed_run_keeps_finished_batches_and_resumes(
    store_url: str, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = scale_worker.audit_collected
    calls = []

    def dies_on_the_fifth(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the third batch
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scale_worker, "audit_collected", dies_on_the_fifth)
    db = store_url
    store = open_store(db)
    try:
        with pytest.raises(KeyboardInterrupt):
            scan(sources_for([str(folder)]), store=store, batch=2)
        assert rows(db, "select count(*) from audits where status = 'ok'") == [(4,)]
        assert rows(db, "select finished_at is not null, audited from runs") == [(1, 4)]
        monkeypatch.setattr(scale_worker, "audit_collected", real)
        resumed = scan(sources_for([str(folder)]), store=store, batch=2)
    finally:
        store.close()
    assert (resumed.audited, resumed.unchanged) == (len(NAMES) - 4, 4)
    assert rows(db, "select count(*) from audits") == [(len(NAMES),)]


def test_normalised_tables(store_url: str, folder: Path) -> None:
    store = open_store(store_url)
    try:
        scan(
            sources_for([str(folder / "open-washing"), str(folder / "open-olmo-style")]),
            store=store,
        )
    finally:
        store.close()
    db = store_url
    weights = {str(n): w for n, w in rows(db, "select name, weights_license from audits")}
    assert weights == {
        "open-washing": "LicenseRef-clearweights-llama-3",
        "open-olmo-style": "Apache-2.0",
    }
    codes = rows(db, "select distinct code from audit_findings f join audits a "
                     "on a.id = f.audit_id where a.name = 'open-washing' and code like 'OW-%' "
                     "order by code")  # fmt: skip
    assert codes == [("OW-LIC",), ("OW-OSAID",), ("OW-RESTRICT",)]
    mof = rows(db, "select a.name, v.verdict, v.label from audit_verdicts v join audits a "
                   "on a.id = v.audit_id where framework = 'mof' order by a.name")  # fmt: skip
    assert mof == [("open-olmo-style", "pass", "Class II - Open Tooling Model"),
                   ("open-washing", "fail", "Unclassified")]  # fmt: skip
    categories = rows(db, "select distinct category from audit_licenses l join audits a "
                          "on a.id = l.audit_id where a.name = 'open-washing'")  # fmt: skip
    assert categories == [("restricted-open-weights",)]
    [(document,)] = rows(db, "select document from audits where name = 'open-washing'")
    assert json.loads(str(document))["schema_version"] == "1.0"


def test_newer_schema_is_refused_and_left_alone(
    store_url: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = store_url
    assert run(capsys, "scan", str(folder / "gemma-release"), "--store", db)[0] == 0
    rows(db, "update alembic_version set version_num = '0042'")
    with pytest.raises(StoreError, match="schema is at revision 0042, newer than"):
        open_store(db)
    code, _, err = run(capsys, "scan", str(folder), "--store", db)
    assert code == 3
    assert "revision 0042" in err
    assert "upgrade clearweights" in err
    assert rows(db, "select count(*) from audits") == [(1,)]
    assert rows(db, "select version_num from alembic_version") == [("0042",)]


def test_unusable_stores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "scan", "x", "--store", str(tmp_path / "no" / "such" / "s.db"))
    assert (code, "could not be opened" in err) == (3, True)
    text = tmp_path / "notes.db"
    text.write_text("not a database, just notes\n" * 100, encoding="utf-8")
    code, _, err = run(capsys, "stats", "--store", str(text))
    assert code == 3
    assert "file is not a database" in err
    assert text.read_text(encoding="utf-8").startswith("not a database")
    code, _, err = run(capsys, "stats", "--store", str(tmp_path / "missing.db"))
    assert (code, "no such store file" in err) == (3, True)
    code, _, err = run(capsys, "stats", "--store", "nosuchdialect://x")
    assert (code, "is not a usable store URL" in err) == (3, True)


def test_stats_formats(
    tmp_path: Path, store_url: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = store_url
    assert run(capsys, "scan", str(folder), "--store", db, "-q")[0] == 0
    code, out, _ = run(capsys, "stats", "--store", db, "--format", "json")
    assert code == 0
    stats = json.loads(out)
    assert stats["schema_version"] == "1.0"
    assert (stats["releases"], stats["audited"], stats["failed"]) == (len(NAMES), len(NAMES), 0)
    licences = {e["license"]: e["releases"] for e in stats["licenses"]}
    assert licences["Apache-2.0"] == 2  # open-olmo-style and unsafe-pickle
    assert licences["CC-BY-NC-4.0"] == 1
    assert sum(stats["verdicts"]["mof"].values()) == len(NAMES)
    assert stats["verdicts"]["mof"]["pass"] == 1
    assert stats["open_washing"]["releases"] == 2
    code, out, _ = run(capsys, "stats", "--store", db, "--format", "csv")
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["section", "name", "value", "releases"]
    assert ["license", "CC-BY-NC-4.0", "", "1"] in table
    assert ["verdict", "mof", "pass", "1"] in table
    code, out, _ = run(capsys, "stats", "--store", db, "--format", "markdown")
    assert "| Weights licence | Releases |" in out
    assert "| CC-BY-NC-4.0 | 1 |" in out
    code, out, _ = run(capsys, "stats", "--store", db)
    assert "open-washing: 2" in out
    assert "OW-RESTRICT" in out
    report = tmp_path / "stats.md"
    assert run(capsys, "stats", "--store", db, "--format", "markdown", "-o", str(report))[0] == 0
    assert report.read_text(encoding="utf-8").startswith("## Releases: 7")


def test_stats_count_each_release_once_by_its_latest_audit(
    store_url: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = store_url
    release = folder / "cc-by-nc-release"
    assert run(capsys, "scan", str(release), "--store", db)[0] == 0
    card = release / "README.md"
    card.write_text(
        card.read_text(encoding="utf-8").replace("cc-by-nc-4.0", "apache-2.0"), encoding="utf-8"
    )
    (release / "LICENSE").unlink()
    os.utime(card, ns=(2, 2))
    assert run(capsys, "scan", str(release), "--store", db)[0] == 0
    stats = json.loads(run(capsys, "stats", "--store", db, "--format", "json")[1])
    assert stats["releases"] == 1
    assert [e["license"] for e in stats["licenses"]] == ["Apache-2.0"]


def test_migrations_build_the_schema_the_models_describe(store_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from clearweights.server.search import is_search_object
    from clearweights.store.models import Base

    def modelled(_object: object, name: str | None, *_: object) -> bool:
        return not is_search_object(name)  # dialect-specific, made by migration 0101 alone

    store = open_store(store_url)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_object": modelled})
            differences = compare_metadata(context, Base.metadata)
    finally:
        store.close()
    assert differences == []
    assert rows(store_url, "select version_num from alembic_version") == [("0103",)]
