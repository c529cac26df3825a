"""The scan's fast paths give, byte for byte, what the plain audit path gives.

A worker encodes each catalogue record once and splices it into every audit's JSON; the card's
front matter is read by libyaml; claims skip paragraphs that cannot hold a term; the store
writes by prepared statements. Each is checked here against the plain path on real inputs:
the example releases' cards, real cards from the Hub (claiming and honest ones), the Hub's
generated card, cards with no text (only ``cardData``), licence tags only, file lists with
weights, licence texts carried by the row.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from clearweights.audit import audit_collected
from clearweights.audit.model import AuditReport
from clearweights.formats.json import JsonFormat, document
from clearweights.release.card import parse_card
from clearweights.release.claims import find_statements
from clearweights.scale import scan, sources_for
from clearweights.scale.items import Item
from clearweights.scale.rows import TextPool, row_item, row_release
from clearweights.scale.worker import _rows, audit_batch, audit_document
from tests.scale_corpus import EXAMPLES, NAMES, hub_row, write_jsonl

CORPUS = Path(__file__).resolve().parent / "corpus"
REAL_CARDS = sorted((CORPUS / "cards").rglob("*.md"))
LICENCE_TEXTS = CORPUS / "licences"


def _card(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _hub_template(licence: str | None) -> str:
    """The card huggingface_hub generates for a new repository."""
    from huggingface_hub import ModelCard, ModelCardData

    data = ModelCardData(license=licence, base_model="meta-llama/Llama-3.1-8B-Instruct")
    return str(ModelCard.from_template(data, model_id="acme/new-model"))


def _rows_varied() -> list[dict[str, Any]]:
    """Dump rows of many shapes: licences, cards, no card, tags, files, licence texts."""
    rows: list[dict[str, Any]] = [hub_row(name) for name in NAMES]
    for i, path in enumerate(REAL_CARDS):
        rows.append({"modelId": f"real/{path.stem}", "sha": f"{i:040x}", "card": _card(path)})
    for i, licence in enumerate(["apache-2.0", "llama3.1", "cc-by-nc-4.0", "other", None]):
        rows.append({"id": f"hub/template-{i}", "sha": f"t{i}", "card": _hub_template(licence)})
    front = {"license": "other", "license_name": "deepseek", "base_model": "deepseek-ai/x"}
    rows += [
        {"id": "meta/card-data", "lastModified": "2026-01-01", "cardData": front},
        {"id": "meta/card-data-json", "cardData": json.dumps({"license": "gemma"})},
        {"id": "meta/tag-only", "sha": "a1", "tags": ["license:mit", "text-generation"]},
        {"id": "meta/two-tags", "sha": "a2", "tags": ["license:mit", "license:apache-2.0"]},
        {
            "id": "files/weights-listed",
            "sha": "b1",
            "card": "---\nlicense: openrail\n---\n# A model\nThis model is fully open source.\n",
            "siblings": [
                {"rfilename": "README.md"},
                {"rfilename": "model.safetensors", "lfs": {"sha256": "0" * 64, "size": 10**9}},
            ],
        },
        {
            "id": "files/licence-text",
            "sha": "b2",
            "card": "# No front matter\nWe release the open weights under the licence below.\n",
            "siblings": [{"rfilename": "LICENSE", "size": 11357}],
            "texts": {"LICENSE": (LICENCE_TEXTS / "Apache-2.0.txt").read_text(encoding="utf-8")},
        },
        {"id": "cards/link-splice", "sha": "c1", "card": "# X\nThis model is op[en](x) source.\n"},
        {"id": "cards/broken-yaml", "sha": "c2", "card": "---\nlicense: [mit\n---\n# Broken\n"},
        {"id": "cards/list-yaml", "sha": "c3", "card": "---\n- a\n- b\n---\n# A list\n"},
        {"id": "cards/false-yaml", "sha": "c4", "card": "---\nfalse\n---\n# Not a mapping\n"},
        {"id": "empty/nothing", "sha": "d1"},
    ]
    return rows


def _items() -> list[Item]:
    rows = _rows_varied()
    # Each row twice, so that the second audit of a licence reuses its encoded record.
    return [row_item(raw, f"rows:{n}") for n, raw in enumerate(rows + rows, 1)]


def _plain(item: Item, texts: str) -> tuple[str, dict[str, Any], str] | None:
    """The plain path: the release read, audited, and its document encoded in one piece."""
    try:
        release = row_release(item, TextPool(texts))
    except Exception:
        return None
    audit = audit_collected(release, item.location or item.key)
    doc = document(AuditReport((audit,)))
    rendered = JsonFormat().render(AuditReport((audit,)))
    return audit_document(doc), _rows(doc["audits"][0]), rendered


def test_worker_documents_are_byte_identical_to_the_plain_audit(tmp_path: Path) -> None:
    items = _items()
    outcomes = audit_batch(items)
    compared = 0
    for item, outcome in zip(items, outcomes, strict=True):
        plain = _plain(item, str(tmp_path))
        if plain is None:  # no release in the row: an error outcome, as before
            assert outcome.failed, item.key
            continue
        line, rows, rendered = plain
        assert outcome.document == line, item.key
        assert json.loads(line) == json.loads(rendered)  # what `audit --format json` prints
        assert (outcome.weights_license, outcome.licenses) == (
            rows["weights_license"],
            rows["licenses"],
        )
        assert (outcome.verdicts, outcome.findings) == (rows["verdicts"], rows["findings"])
        compared += 1
    assert compared >= 2 * (len(NAMES) + len(REAL_CARDS) + 10)
    licences = {lic for o in outcomes for _, lic, _ in o.licenses}
    assert {"Apache-2.0", "MIT", "CC-BY-NC-4.0"} <= licences  # varied indeed
    assert any("llama" in lic for lic in licences) and len(licences) >= 8


def test_front_matter_reads_as_huggingface_hub_reads_it() -> None:
    """libyaml's reading of every real card's front matter equals the Hub library's own."""
    from huggingface_hub import ModelCard

    cards = [*REAL_CARDS, *sorted(EXAMPLES.glob("*/README.md"))]
    checked = 0
    for path in cards:
        text = _card(path)
        if not text.startswith("---"):
            continue
        expected = ModelCard(text, ignore_metadata_errors=True).data.to_dict()  # type: ignore[no-untyped-call]
        parsed = parse_card(text, path.name)
        assert parsed.license == expected.get("license"), path
        assert list(parsed.base_model) in (
            [],
            [expected.get("base_model")],
            expected.get("base_model"),
        )
        assert list(parsed.tags) == [str(t) for t in expected.get("tags") or []], path
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("license: [mit", "front matter is not valid YAML"),
        ("- a\n- b", "repo card metadata block should be a dict"),
        ("false", "repo card metadata block should be a dict"),
    ],
)
def test_front_matter_refusals_are_kept(block: str, message: str) -> None:
    from clearweights.release.card import CardError

    with pytest.raises(CardError, match=message):
        parse_card(f"---\n{block}\n---\n# Card\n")


def test_claims_across_a_link_or_an_anchor_are_still_read() -> None:
    """Cleaning joins a link's text to its neighbours: such a paragraph is never skipped."""
    linked = find_statements("This model is op[en](https://x.org) source.\n")
    anchored = find_statements('Our model is op<a href="x">en</a> source.\n')
    plain = find_statements("Our model is fully open source.\n\nA paragraph about data.\n")
    assert [text for _, text in linked.claims] == ["This model is open source."]
    assert [text for _, text in anchored.claims] == ["Our model is open source."]
    assert plain.claims == ((1, "Our model is fully open source."),)
    assert find_statements("Nothing to see here.\nWeights are publicly available.\n").open_weights


def _table(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as connection:
        return sorted(connection.execute(sql).fetchall())


def test_store_rows_match_the_outcomes(tmp_path: Path) -> None:
    """What the prepared statements store is each outcome's document and normalised rows."""
    from clearweights.store import open_store

    rows = _rows_varied()
    dump = write_jsonl(rows, tmp_path / "dump.jsonl")
    db = tmp_path / "audits.db"
    store = open_store(str(db))
    try:
        summary = scan(sources_for([str(dump)]), store=store, batch=7)
    finally:
        store.close()
    assert summary.audited == len(rows)
    items = [row_item(raw, f"{dump}:{n}") for n, raw in enumerate(rows, 1)]
    outcomes = {o.item.key: o for o in audit_batch(items)}
    stored = _table(
        db,
        "select r.key, a.document, a.status from audits a join releases r on r.id = a.release_id",
    )
    assert len(stored) == len(rows)
    for key, doc, status in stored:
        assert doc == outcomes[key].document, key
        assert status == ("error" if outcomes[key].failed else "ok")
    verdicts = _table(
        db,
        "select r.key, v.framework, v.verdict, v.label from audit_verdicts v "
        "join audits a on a.id = v.audit_id join releases r on r.id = a.release_id",
    )
    expected = sorted((k, *v) for k, o in outcomes.items() for v in o.verdicts)
    assert verdicts == expected
    licences = _table(
        db,
        "select r.key, l.component, l.license_id, l.category from audit_licenses l "
        "join audits a on a.id = l.audit_id join releases r on r.id = a.release_id",
    )
    assert licences == sorted((k, *v) for k, o in outcomes.items() for v in o.licenses)


def test_one_write_of_two_versions_stores_each_with_its_rows(tmp_path: Path) -> None:
    """A batch mixing versions (not what a scan writes, but what a caller may) keeps both."""
    import dataclasses

    from clearweights.store import open_store

    items = [row_item(hub_row(name), name) for name in NAMES[:3]]
    outcomes = audit_batch(items)
    older = [dataclasses.replace(o, tool_version="0.0.1") for o in outcomes]
    db = tmp_path / "audits.db"
    store = open_store(str(db))
    try:
        store.write(store.start_run("0.0.1", "old"), [*older, *outcomes])
        store.write(store.start_run("0.0.1", "old"), outcomes)  # the same again: replaced
    finally:
        store.close()
    audits = _table(db, "select tool_version, count(*) from audits group by tool_version")
    assert audits == sorted([(outcomes[0].tool_version, 3), ("0.0.1", 3)])
    per_audit = _table(db, "select audit_id, count(*) from audit_verdicts group by audit_id")
    assert len(per_audit) == 6
    assert {n for _, n in per_audit} == {len(outcomes[0].verdicts)}


@pytest.mark.parametrize(
    "text",
    [
        "---\nlicense: mit\n---\n# Model\n",
        "  \n---\r\nlicense: mit\r\n---\r\nbody",
        "---\rlicense: mit\r---\rbody",
        "---\nlicense: mit\n---   \nbody",
        "---\nlicense: mit\n---",
        "---\nlicense: mit\n---\r",
        "---\nlicense: mit\n--- trailing\nmore\n---\nbody",
        "---\nlicense: mit\nno closing line\n",
        "# Title\n---\nlicense: mit\n---\n",
        "---\n---\nbody",
        "---\n\n---\n",
        "text\n",
    ],
)
def test_front_matter_is_split_where_the_hub_splits_it(text: str) -> None:
    """clearweights' own split of a card (no Hub client import) equals the Hub library's."""
    from huggingface_hub.repocard import REGEX_YAML_BLOCK

    from clearweights._untrusted import FRONT_MATTER

    theirs, ours = REGEX_YAML_BLOCK.search(text), FRONT_MATTER.search(text)
    assert (theirs is None) == (ours is None)
    if theirs is not None and ours is not None:
        assert (ours["block"], ours.end()) == (theirs.group(2), theirs.end())


def test_a_card_saved_with_a_byte_order_mark_keeps_its_front_matter() -> None:
    """Windows editors start a UTF-8 file with a BOM: the declared licence is still read."""
    text = (
        "\ufeff---\r\nlicense: llama3\r\nbase_model: meta-llama/Meta-Llama-3-8B\r\n---\r\n"
        "# My fine-tune\r\n"
    )
    card = parse_card(text, "README.md")
    assert card.license == "llama3"
    assert list(card.base_model) == ["meta-llama/Meta-Llama-3-8B"]
