"""The name search (`q`) through the trigram index: the same answers as a substring match.

Each case is checked against an oracle that shares no code with the search: the store's own
``lower()`` and a literal position search (``instr`` in SQLite, ``strpos`` in PostgreSQL),
where ``%``, ``_`` and quotes are plain characters. Run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, event, insert, text, update

from clearweights.server import Settings, catalog, create_app, search
from clearweights.server.records import ReleaseQuery, Sort
from clearweights.store import open_store
from clearweights.store.models import EntryRow
from tests.postgres import SKIP, Cluster
from tests.server_support import EXAMPLE_NAMES, copy_store, examples_store

# Names the way people and scripts write them, with every character a search must take
# literally: LIKE wildcards, the escape character, quotes, FTS5 operators, SQL, non-ASCII.
NAMES = [
    "meta-llama/Llama-3.1-8B-Instruct",
    "mistralai/Mistral-7B-v0.1",
    "google/gemma-2-9b-it",
    "Qwen/Qwen2.5-72B-Instruct",
    "acme/50%_off-model",
    "acme/5000-off-model",
    "acme/a_b",
    "acme/axb",
    "it's/o'reilly-7b",
    'quote"d/"name"',
    "slash/escape//double",
    "back\\slash/model",
    "ÉCOLE/modèle-Français",
    "école/MODÈLE-français",
    "straße/Maße-1b",
    "日本語/モデル-v1",
    "emoji/🙂-smile",
    "sql/'; DROP TABLE registry_entries; --",
    "fts/NEAR(a b) OR c AND NOT d*",
    "fts/col:value ^start {x y} -minus +plus",
    "tab\there/x",
    "MiXeD/CaSe-NaMe",
]
TERMS = [
    # three characters or more (the index narrows them)
    "llama", "LLAMA", "Instruct", "7b", "-7B-", "qwen2.5", "zzz-none",
    "50%", "%_o", "50%_off", "a_b", "5000", "_b", "it's", "o'r", "'; drop", 'quote"d', '"name"',
    '""', "//d", "h/e", "\\sl", "back\\", "école", "ÉCOLE", "modè", "MODÈ", "ÈLE", "straße",
    "STRASSE", "aße", "日本語", "モデル", "🙂-s", "drop table", "NEAR(", "OR c", "AND NOT",
    "d*", "col:value", "^start", "{x y}", "-minus", "+plus", "\there", "mixed/case", "b-v0.1",
    # under three characters (no trigram: read in name order)
    "%", "_", "'", '"', "\\", "/", "é", "É", "日本", "🙂", "7", "b-", "Ma", "%_",
]  # fmt: skip


_databases = itertools.count(1)


def _filled(location: str) -> Engine:
    store = open_store(location)
    with store.engine.begin() as connection:
        connection.execute(insert(EntryRow), [_entry(i, n) for i, n in enumerate(NAMES, 1)])
    return store.engine


def _location(request: pytest.FixtureRequest, folder: Path) -> str:
    if request.param == "sqlite":
        return str(folder / f"s{next(_databases)}.db")
    cluster: Cluster | None = request.getfixturevalue("postgres")
    if cluster is None:
        pytest.skip(f"PostgreSQL store tests skipped: {SKIP}=1")
    return cluster.create_database(f"search_{os.getpid()}_{next(_databases)}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def entries(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A migrated store holding the names above as registry entries (read only)."""
    return _filled(_location(request, tmp_path_factory.mktemp("search")))


@pytest.fixture(params=["sqlite", "postgresql"])
def changing(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    """The same, for a test that changes the entries."""
    return _filled(_location(request, tmp_path))


def _entry(number: int, name: str) -> dict[str, Any]:
    return {
        "id": number,
        "source": "hf-metadata",
        "key": f"key-{number}",
        "audit_id": None,
        "revision": "main",
        "status": "ok",
        "name": name,
        "weights_open": 0,
        "open_washing": 0,
        "audited_at": f"2026-11-{1 + number % 28:02d}T10:00:00+00:00",
        "tool_version": "1.0",
        "catalogue_version": "1",
    }


def found(engine: Engine, term: str, **options: Any) -> list[str]:
    """The names the registry's search finds for *term*, every page of them."""
    names: list[str] = []
    query = ReleaseQuery(q=term, limit=3, **options)
    with engine.connect() as connection:
        while True:
            page = catalog.list_releases(connection, query)
            names += [item.name for item in page.items]
            if page.next_cursor is None:
                return names
            query = ReleaseQuery(q=term, limit=3, cursor=page.next_cursor, **options)


def oracle(engine: Engine, term: str) -> list[str]:
    """Names holding *term*, case folded by the store's lower(), by a literal position search."""
    position = "instr(lower(name), lower(:t))" if engine.dialect.name == "sqlite" else (
        "strpos(lower(name), lower(:t))"
    )  # fmt: skip
    with engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT name FROM registry_entries WHERE {position} > 0 ORDER BY name, id"),
            {"t": term.strip()},
        )
        return [str(r[0]) for r in rows]


def test_the_search_index_exists_after_migrating(entries: Engine) -> None:
    with entries.connect() as connection:
        if entries.dialect.name == "sqlite":
            assert search.indexed(connection)
            assert connection.execute(text("SELECT count(*) FROM registry_search")).scalar() == len(
                NAMES
            )
        else:
            names = connection.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'registry_entries'")
            ).scalars()
            assert "ix_entry_name_trgm" in set(names)


@pytest.mark.parametrize("window", [1000, 4, 1])
def test_a_search_finds_exactly_the_names_holding_the_term(
    entries: Engine, window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A window of every entry answers from the window; a small one, from the index as well.
    monkeypatch.setattr(search, "WINDOW", window)
    for term in TERMS:
        expected = oracle(entries, term)
        assert found(entries, term) == expected, term
        assert found(entries, f"  {term}  ") == expected, term  # stripped, as before
        newest = found(entries, term, sort=Sort.AUDITED_DESC)
        assert sorted(newest) == sorted(expected), term


def test_every_tricky_name_is_found_by_itself(entries: Engine) -> None:
    for name in NAMES:
        assert name in found(entries, name), name


def test_ascii_case_is_ignored_and_other_characters_compare_as_the_store_folds_them(
    entries: Engine,
) -> None:
    assert found(entries, "LLAMA-3") == ["meta-llama/Llama-3.1-8B-Instruct"]
    assert found(entries, "mixed/case") == ["MiXeD/CaSe-NaMe"]
    assert found(entries, "50%_") == ["acme/50%_off-model"]  # not "5000-": % is a character
    assert found(entries, "a_b") == ["acme/a_b"]  # not "axb": _ is a character
    # SQLite's LIKE and lower() fold ASCII only, as the C locale does in PostgreSQL.
    assert found(entries, "école") == ["école/MODÈLE-français"]


def test_search_combines_with_filters_and_sorts(changing: Engine) -> None:
    entries = changing
    with entries.begin() as connection:
        connection.execute(
            update(EntryRow).where(EntryRow.name.like("%Instruct")).values(license_family="llama")
        )
    assert found(entries, "instruct", license_family="llama") == [
        "Qwen/Qwen2.5-72B-Instruct",
        "meta-llama/Llama-3.1-8B-Instruct",
    ]
    newest_first = found(entries, "model", sort=Sort.AUDITED_DESC)
    assert sorted(newest_first) == sorted(oracle(entries, "model"))


def test_the_index_follows_renamed_removed_and_new_entries(changing: Engine) -> None:
    entries = changing
    with entries.begin() as connection:
        connection.execute(
            update(EntryRow).where(EntryRow.name == "acme/axb").values(name="acme/renamed-xyz")
        )
        connection.execute(delete(EntryRow).where(EntryRow.name == "acme/a_b"))
        connection.execute(insert(EntryRow), [_entry(100, "new/arrival-xyz")])
    assert found(entries, "axb") == []
    assert found(entries, "a_b") == []
    assert found(entries, "xyz") == ["acme/renamed-xyz", "new/arrival-xyz"]
    assert found(entries, "-xyz") == oracle(entries, "-xyz")


def test_without_the_trigram_table_sqlite_searches_the_same(tmp_path: Path) -> None:
    """A store migrated where FTS5's trigram tokenizer was missing: LIKE alone, same answers."""
    location = str(tmp_path / "plain.db")
    store = open_store(location)
    with store.engine.begin() as connection:
        connection.execute(insert(EntryRow), [_entry(i, n) for i, n in enumerate(NAMES, 1)])
        for trigger in ("insert", "delete", "update"):
            connection.execute(text(f"DROP TRIGGER registry_search_{trigger}"))
        connection.execute(text("DROP TABLE registry_search"))
    store.close()
    plain = open_store(location).engine  # a new engine looks for the table again
    with plain.connect() as connection:
        assert not search.indexed(connection)
    for term in TERMS:
        assert found(plain, term) == oracle(plain, term), term


def test_the_api_searches_through_the_index(tmp_path: Path) -> None:
    db = copy_store(examples_store(), tmp_path / "api.db")
    with TestClient(create_app(Settings(store=str(db)))) as client:
        everyone = client.get("/api/v1/releases", params={"limit": 200}).json()["items"]
        for term in ("gemma", "GEMMA-r", "lease", "%", "e_r", "'; DROP TABLE audits; --"):
            answer = client.get("/api/v1/releases", params={"q": term, "limit": 200})
            assert answer.status_code == 200
            expected = [i["name"] for i in everyone if term.lower() in i["name"].lower()]
            assert [i["name"] for i in answer.json()["items"]] == expected, term
        hits = client.get("/api/v1/search", params={"q": "Gemma"}).json()["releases"]
        assert [h["name"] for h in hits] == ["gemma-release"]
    with open_store(str(db)).engine.connect() as connection:  # nothing was dropped
        assert connection.execute(text("SELECT count(*) FROM audits")).scalar() == len(
            EXAMPLE_NAMES
        )


def test_on_postgresql_the_search_can_use_the_trigram_index(entries: Engine) -> None:
    """The condition the search sends matches the index's expression (``lower(name)``).

    With sequential and plain index scans priced out, only a bitmap scan of the trigram
    index is left: a condition the index cannot serve (``name ILIKE``) falls back to the
    sequential scan anyway.
    """
    if entries.dialect.name != "postgresql":
        pytest.skip("the pg_trgm index is PostgreSQL's")
    sent: list[tuple[str, Any]] = []

    def keep(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "registry_entries" in statement and "EXPLAIN" not in statement:
            sent.append((statement, parameters))

    event.listen(entries, "before_cursor_execute", keep)
    try:
        with entries.connect() as connection:
            assert [
                r.name for r in catalog.list_releases(connection, ReleaseQuery(q="Qwen2")).items
            ] == ["Qwen/Qwen2.5-72B-Instruct"]
            statement, parameters = sent[0]
            raw = connection.connection.dbapi_connection
            assert raw is not None
            cursor = raw.cursor()
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = "\n".join(str(row[0]) for row in cursor.fetchall())
            cursor.close()
    finally:
        event.remove(entries, "before_cursor_execute", keep)
    assert "ix_entry_name_trgm" in plan, plan
