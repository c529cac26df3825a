"""Resumed scans of Hub metadata dumps: what is skipped, what is audited again, and the fast
paths of a resumed run (dump rows read by orjson, a run's look-ups answered from memory, a
store at the schema's head opened without Alembic) giving the same answers as the plain ones.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clearweights.scale import engine as scan_engine
from clearweights.scale import scan, sources_for
from clearweights.scale import sources as scan_sources
from clearweights.scale.sources import JsonLinesDump, fast_row_item
from clearweights.store import lookup, open_store
from clearweights.store.head import script_head
from tests.scale_corpus import NAMES, generated_rows, hub_row, write_jsonl, write_parquet
from tests.test_store import rows as sql

ROOT = Path(__file__).resolve().parent.parent


def dump_rows() -> list[dict[str, Any]]:
    """Example releases as the Hub lists them, generated card-only rows, one row without a
    revision (its identity is a digest of its content) and one that cannot be audited."""
    rows = [hub_row(name) for name in NAMES[:3]]
    rows += [{**r, "texts": {}, "siblings": []} for r in generated_rows(6)]
    rows.append({"id": "user/no-revision", "card": "---\nlicense: mit\n---\n# No revision\n"})
    rows.append({"id": "user/nothing-to-audit", "sha": "f" * 40, "card": None})
    for row in rows:  # one schema for Parquet: every row has every column
        row.setdefault("sha", None)
        row.setdefault("lastModified", None)
        row.setdefault("tags", [])
        row.setdefault("downloads", 0)
        row.setdefault("siblings", [])
        row.setdefault("texts", {})
    return rows


@pytest.fixture(params=["read-whole", "key-by-key", "outgrown"])
def lookups(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every way a run's look-ups are answered: the done audits read whole (then the run's own
    successes asked of the store), key by key, or read whole only while they are at most
    three (a store holding more is asked key by key)."""
    if request.param == "key-by-key":
        monkeypatch.setattr(lookup, "PRELOAD_MAX", -1)
    if request.param == "outgrown":
        monkeypatch.setattr(lookup, "PRELOAD_MAX", 3)
    return str(request.param)


def test_a_run_holds_only_the_audits_it_read_and_still_finds_what_it_wrote(
    store_url: str,
) -> None:
    """A first scan of millions of rows must not hold every release it writes in memory: the
    set read at the start stays as read (less the run's failures); the run's own successes
    are found done all the same, in the store."""
    from clearweights.scale.items import Item, Outcome

    items = [Item("dump", f"org/m{i}", "r") for i in range(6)]
    every = [i.identity for i in items]
    store = open_store(store_url)
    try:
        run = store.start_run("1", "2")
        assert store.done(every, "1", "2") == set()  # an empty store: read whole, nothing
        known = store._known
        assert known is not None and known.entries["dump"] == set()
        store.write(run, [Outcome(i, "1", "2", 0.1, document="{}") for i in items[:4]])
        assert known.entries["dump"] == set()
        assert store.done(every, "1", "2") == set(every[:4])
        store.finish_run(run, 4, 0, 0)

        run = store.start_run("1", "2")
        assert store.done(every, "1", "2") == set(every[:4])  # read whole: the four
        known = store._known
        assert known is not None and known.entries["dump"] == set(every[:4])
        assert not known.written
        store.write(run, [Outcome(items[0], "1", "2", 0.1, error="gone"),
                          Outcome(items[1], "1", "2", 0.1, document="{}"),
                          Outcome(items[4], "1", "2", 0.1, document="{}")])  # fmt: skip
        assert known.entries["dump"] == set(every[1:4])
        assert store.done(every, "1", "2") == set(every[1:5])
        assert store.done(every, "1", "3") == set()  # other versions: nothing done
    finally:
        store.close()


@pytest.mark.parametrize("form", ["jsonl", "parquet"])
def test_resumed_dump_scan_audits_only_what_changed(
    store_url: str, lookups: str, form: str, tmp_path: Path
) -> None:
    rows = dump_rows()
    dump = tmp_path / f"dump.{form}"
    write = write_jsonl if form == "jsonl" else write_parquet
    total = len(rows)
    store = open_store(store_url)
    try:
        first = scan(sources_for([str(write(rows, dump))]), store=store)
        assert (first.audited, first.unchanged, first.failed) == (total, 0, 1)
        # Unchanged: skipped; the release that could not be audited is tried again.
        again = scan(sources_for([str(dump)]), store=store)
        assert (again.audited, again.unchanged, again.failed) == (1, total - 1, 1)
        rows[1] = {**rows[1], "sha": "0" * 40}  # a new revision of a repository
        rows[4] = {**rows[4], "card": rows[4]["card"] + "\nMore words.\n"}  # same revision
        rows[-2] = {**rows[-2], "card": rows[-2]["card"] + "\nChanged.\n"}  # no revision
        changed = scan(sources_for([str(write(rows, dump))]), store=store)
        # The Hub's revision names the content: a card changed under the same sha is not seen.
        assert (changed.audited, changed.unchanged, changed.failed) == (3, total - 3, 1)
        sql(store_url, f"update audits set tool_version = '0.0.1' where release_id in "
            f"(select id from releases where key = '{rows[5]['id']}')")  # fmt: skip
        older = scan(sources_for([str(dump)]), store=store)
        assert (older.audited, older.unchanged, older.failed) == (2, total - 2, 1)
        forced = scan(sources_for([str(dump)]), store=store, force=True)
        assert (forced.audited, forced.unchanged, forced.failed) == (total, 0, 1)
    finally:
        store.close()
    counts = sql(store_url, "select audited, unchanged, failed from runs order by id")
    assert counts == [
        (total, 0, 1), (1, total - 1, 1), (3, total - 3, 1), (2, total - 2, 1), (total, 0, 1),
    ]  # fmt: skip


def test_a_release_audited_earlier_in_the_same_run_is_not_audited_again(
    store_url: str, lookups: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_engine, "LOOKUP", 4)  # look-ups of four rows: the copy is later
    rows = generated_rows(5)
    dump = write_jsonl([*rows, rows[0]], tmp_path / "dump.jsonl")
    store = open_store(store_url)
    try:
        summary = scan(sources_for([str(dump)]), store=store, batch=2)
    finally:
        store.close()
    assert (summary.audited, summary.unchanged) == (5, 1)


EDGE_LINES = [
    b'{"modelId": "a/b", "sha": "x", "card": "hi", "downloads": 1111111111111111111111111}',
    b'{"modelId": "a/b", "sha": "x", "card": "hi", "downloads": ' + b"9" * 5000 + b"}",
    b'{"modelId": "a/b", "sha": "x", "siblings": [{"rfilename": "m.bin", "size": 1' + b"0" * 24
    + b"}]}",
    b'{"modelId": "a/b", "cardData": {"license": "mit", "n": 11111111111111111111111}}',
    b'{"modelId": "a/b", "cardData": {"license": "mit", "n": 1.5e300}}',
    b'{"modelId": "a/b", "sha": "x", "card": "\\ud800 a lone surrogate"}',
    b'{"modelId": "a/b", "sha": "x", "card": "ok", "x": NaN}',
    b'{"modelId": "a/b", "sha": "x", "card": "ok", "x": 1e999}',
    b'\xef\xbb\xbf{"modelId": "a/b", "sha": "x"}',
    b'{"modelId": "a/b", "sha": "x", "card": "caf\xe9"}',
    b'{"modelId": "a/b", "sha": "x", "deep": ' + b"[" * 150 + b"]" * 150 + b"}",
    b'{"modelId": "a/b", "sha": "x", "deep": ' + b"[" * 99 + b"]" * 99 + b', "card": "c"}',
    b'{"modelId": "a/b", "sha": "x", "deep": ' + b"[" * 2000 + b"]" * 2000 + b"}",
    b'{"modelId": "a/b", "sha": 12345678901234567890123, "card": "c"}',
    b'{"modelId": "a/b", "sha": "", "lastModified": "2026-11-01", "card": "c"}',
    b'{"modelId": "a/b", "modelId": "c/d", "sha": "x", "card": "the last key wins"}',
    b'{"id": "a/b", "texts": {"LICENSE": 5}}',
    b'{"id": "a/b", "texts": "{\\"LICENSE\\": \\"MIT\\"}"}',
    b'{"id": "a/b", "cardData": 11111111111111111111111}',
    b'{"id": "a/b", "tags": "abc", "card": "t"}',
    b'{"id": "a/b", "tags": 5, "card": "t"}',
    b'{"id": "a/b", "siblings": [{"rfilename": "x", "lfs": {"size": 10}}], "card": ""}',
    b'["not", "an", "object"]',
    b'{"id": "a/b", "card": "tab\there"}',
    b'{"id": "a/b", "card": "x", "n": -0, "f": -0.0, "g": 1E5}',
    b'  {"id": "a/b", "card": "spaces around"}  \r',
    b'{"modelId": "a/b", "sha": "x", "deep": ' + b"[" * 100 + b"]" * 100 + b', "card": "c"}',
]  # fmt: skip


def test_fast_reader_reads_rows_as_the_standard_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("orjson")
    real = [json.dumps(hub_row(name)).encode() for name in NAMES]
    real += [json.dumps(r).encode() for r in generated_rows(20)]
    dump = tmp_path / "dump.jsonl"
    dump.write_bytes(b"\n".join(EDGE_LINES + real) + b"\n")
    fast = list(JsonLinesDump(str(dump)).items())
    monkeypatch.setattr(scan_sources, "_orjson", None)
    assert [fast_row_item(line) for line in EDGE_LINES + real] == [None] * len(fast)
    exact = list(JsonLinesDump(str(dump)).items())
    assert fast == exact
    monkeypatch.undo()
    # The fast path takes every real row, and leaves to the standard reader every row it
    # would read otherwise (numbers past 64 bits, NaN, lone surrogates, malformed rows).
    taken = [fast_row_item(line) is not None for line in EDGE_LINES + real]
    assert taken[len(EDGE_LINES) :] == [True] * len(real)
    fast_edges = [i for i, t in enumerate(taken[: len(EDGE_LINES)]) if t]
    assert fast_edges == [11, 14, 15, 17, 19, 21, 24, 25]
    malformed = [i for i, item in enumerate(exact) if item.error]
    assert malformed == [1, 8, 9, 10, 12, 16, 18, 20, 22, 23, 26]


def test_the_schema_head_is_read_as_alembic_reads_it() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from clearweights.store import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert script_head() == ScriptDirectory.from_config(config).get_current_head()


def test_catalogue_version_is_the_catalogue_s() -> None:
    from clearweights.licenses import catalogue_version
    from clearweights.licenses._catalogue import load

    assert catalogue_version() == load().meta["catalogue_version"]


_RESUMED = """
import json, sys
from clearweights.cli.main import main
code = main(["scan", sys.argv[1], "--store", sys.argv[2], "-q", "--jobs", "2"])
heavy = ("alembic", "clearweights.scale.worker", "clearweights.scale.engines")
print(json.dumps({"code": code, "loaded": [m for m in heavy if m in sys.modules]}))
"""


def test_a_resumed_run_where_nothing_changed_loads_no_audit_code(tmp_path: Path) -> None:
    dump = write_jsonl(generated_rows(4), tmp_path / "dump.jsonl")
    db = tmp_path / "s.db"
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}

    def run() -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-c", _RESUMED, str(dump), str(db)],
            capture_output=True, text=True, check=True, env=env, timeout=300,
        )  # fmt: skip
        return dict(json.loads(done.stdout.splitlines()[-1]))

    first = run()
    assert first["code"] == 0 and "clearweights.scale.worker" in first["loaded"]
    assert run() == {"code": 0, "loaded": []}
    assert sql(str(db), "select audited, unchanged from runs order by id") == [(4, 0), (0, 4)]
