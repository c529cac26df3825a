"""The scan's faster writers give the text of the standard ones, and fall back where they would not.

orjson writes a worker's audit documents where its text is ``json.dumps``'s; libyaml's emitter
writes the front matter of a Hub row without a card where its text is PyYAML's. Both are
checked here against the standard writer on real inputs (the example releases' audits, real
cards' front matter) and on the values where they differ.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from clearweights._untrusted import FRONT_MATTER
from clearweights.audit import audit_collected
from clearweights.audit.model import AuditReport
from clearweights.audit.obligations import for_licence
from clearweights.formats.json import document
from clearweights.licenses import get
from clearweights.scale import _json
from clearweights.scale._document import _exact, audit_document
from clearweights.scale._json import json_plain, same_floats, sorted_json
from clearweights.scale.rows import TextPool, _short_ascii, _yaml, row_item, row_release
from tests.scale_corpus import EXAMPLES, NAMES, hub_row

CARDS = Path(__file__).resolve().parent / "corpus" / "cards"


def _standard(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def test_audit_documents_are_json_dumps_text(tmp_path: Path) -> None:
    """Every example release's audit document, written as the worker decides, is json's text."""
    pytest.importorskip("orjson")
    written = 0
    for name in NAMES:
        item = row_item(hub_row(name), name)
        audit = audit_collected(row_release(item, TextPool(str(tmp_path))), name)
        doc = document(AuditReport((audit,)))
        exact = _exact(audit)  # False where the card's model-index holds scores
        assert audit_document(doc, exact) == audit_document(doc, exact=False), name
        written += exact
    assert 2 <= written < len(NAMES)  # orjson wrote some, json those with floats


@pytest.mark.parametrize(
    "value",
    [
        "".join(chr(i) for i in range(0x80)),  # every control character and ASCII
        "caf\u00e9 \u4e2d\u6587 \U0001f600 \u2028 \u2029 \ufeff \x7f \x85",
        {"\u00e9": 1, "z": [None, True, False, 2**63], "A": {"b": "", "a": -1}},
        [[[]], {}, ["\\", '"', "\n\t\r\b\f"]],
    ],
)
def test_plain_values_are_written_as_json_writes_them(value: Any) -> None:
    pytest.importorskip("orjson")
    assert json_plain(value)
    assert sorted_json(value, exact=True) == _standard(value)


@pytest.mark.parametrize(
    "value",
    ["\ud800 lone surrogate", 2**64 + 1, {1: "an integer key"}, [10**30]],
)
def test_what_orjson_refuses_is_written_by_json(value: Any) -> None:
    assert sorted_json(value, exact=True) == _standard(value)


def test_floats_and_other_scalars_are_not_plain() -> None:
    import datetime

    assert not json_plain({"a": [1, 0.5]})
    assert not json_plain({"when": datetime.date(2024, 1, 1)})
    assert not json_plain({1: "x"})
    # orjson writes these otherwise: a caller that knows of them passes exact=False.
    assert sorted_json([1e-05, float("nan")], exact=False) == "[1e-05,NaN]"


def test_same_floats_accepts_only_floats_written_alike() -> None:
    orjson = pytest.importorskip("orjson")
    accepted = [0.0, -0.0, 1e-4, 0.05, 1 / 3, 33.333333, 100.0, 123456.789, 9.99e15]
    assert same_floats(accepted)
    for v in accepted:
        assert orjson.dumps(v).decode() == repr(v)
    for refused in (1e-05, 1e16, float("nan"), float("inf")):
        assert not same_floats([refused])


def test_without_orjson_json_writes_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_json, "_orjson", None)
    value = {"b": "\u00e9", "a": [1, None]}
    assert sorted_json(value, exact=True) == _standard(value)


def _front_matters() -> list[dict[str, Any]]:
    """The front matter of every real card and example release, as YAML reads it."""
    found = []
    for path in [*sorted(CARDS.rglob("*.md")), *sorted(EXAMPLES.glob("*/README.md"))]:
        match = FRONT_MATTER.search(path.read_text(encoding="utf-8"))
        if match is None:
            continue
        try:
            data = yaml.safe_load(match["block"])
        except yaml.YAMLError:
            continue
        if isinstance(data, dict):
            found.append(data)
    return found


def test_card_metadata_is_written_as_pyyaml_writes_it() -> None:
    fronts = _front_matters()
    assert len(fronts) >= 20
    fronts += [
        {"license": "mit"},
        {"license": ["mit", "apache-2.0"], "base_model": "meta-llama/Llama-3.1-8B-Instruct"},
        {"license": "other", "license_name": "yes", "tags": ["null", "1.0", "- a", "a: b", "#x"]},
        {"datasets": ["it's", '"q"', "2020-01-01", "on", "~"], "n": 10**20, "ok": True},
    ]
    short = 0
    for data in fronts:
        assert _yaml(data) == yaml.safe_dump(data, sort_keys=True, allow_unicode=True)
        short += _short_ascii(data, 0)
    assert short >= 8  # libyaml's emitter did write some of them


@pytest.mark.parametrize(
    "data",
    [
        {"": "an empty key"},  # libyaml writes it without PyYAML's "? ''" complex key
        {"license_link": "https://example.org/" + "a-long-path/" * 8},  # folded otherwise
        {"model_name": "caf\u00e9 \U0001f600"},
        {"a": {"b": {"c": {"d": {"e": "deep"}}}}},
        {"score": 0.5},
    ],
)
def test_other_metadata_goes_to_pyyaml(data: dict[str, Any]) -> None:
    assert not _short_ascii(data, 0)
    assert _yaml(data) == yaml.safe_dump(data, sort_keys=True, allow_unicode=True)


def test_duties_are_built_once_and_never_shared_as_a_list() -> None:
    llama = get("Llama-3.1")
    first = for_licence(llama, ("NOTICE",))
    first.clear()  # a caller's change of its list
    again = for_licence(llama, ("NOTICE",))
    assert again and again == for_licence(llama, ("NOTICE",))
    # The notice files are part of what is remembered: each list names its own.
    assert any("NOTICE.txt" in d.text for d in for_licence(get("Apache-2.0"), ("NOTICE.txt",)))
    assert not any("NOTICE.txt" in d.text for d in for_licence(get("Apache-2.0"), ()))


def test_a_new_store_has_large_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    from clearweights.store import open_store

    old = tmp_path / "old.db"
    with sqlite3.connect(old) as connection:
        connection.execute("PRAGMA page_size=4096")
        connection.execute("VACUUM")
    for path, size in ((tmp_path / "new.db", 16384), (old, 4096)):
        open_store(str(path)).close()
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA page_size").fetchone() == (size,)
            assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
