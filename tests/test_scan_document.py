"""A worker's audit line, written from parts encoded once, is the plain path's line byte for byte.

``scale._document`` keeps the JSON of catalogue records, criteria, verdicts, obligations,
lineage and components, keyed by the objects they are made of, and splices them into each
audit's line. Checked here against the plain path (``document`` then ``audit_document``, what
``audit --format json`` holds) on real inputs: the bench's Hub-like dump, the example releases
as Hub rows and as folders (weights, pickles, config.json's settings), real cards, and cards
written oddly, as some makers write them (non-ASCII, licence expressions, lists, YAML dates,
scores in model-index such as ``1e-05``, text that only ``json`` writes). With the parts kept
and without, in several orders, with tables so small that they start again mid-audit.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from clearweights.audit import audit_collected
from clearweights.audit.model import AuditReport, ReleaseAudit
from clearweights.formats.json import JsonFormat, document
from clearweights.scale import _document
from clearweights.scale._document import audit_document, audit_line, audit_rows, encode
from clearweights.scale._json import sorted_json
from clearweights.scale.rows import TextPool, row_item, row_release
from clearweights.scale.worker import _rows, audit_batch
from clearweights.sources.local import LocalDirectory
from tests.scale_corpus import EXAMPLES, NAMES, hub_row

ROOT = Path(__file__).resolve().parent.parent
CARDS = sorted((ROOT / "tests" / "corpus" / "cards").rglob("*.md"))

orjson = pytest.importorskip("orjson")


def _scores(*values: str) -> str:
    """A model-index as the Hub's card editor writes it, with these metric values."""
    metrics = "".join(f"    - type: m{i}\n      value: {v}\n" for i, v in enumerate(values))
    return (
        "model-index:\n- name: acme-7b\n  results:\n  - task:\n      type: text-generation\n"
        "    dataset:\n      name: MMLU\n      type: cais/mmlu\n    metrics:\n" + metrics
    )


def _odd_rows() -> list[dict[str, Any]]:
    """Cards written oddly, as some makers write them."""
    fronts = [
        "license: mit OR apache-2.0",
        "license: apache-2.0 OR mit",
        "license: (mit AND bsd-3-clause) OR apache-2.0",
        "license: mit AND apache-2.0",
        "license: gpl-2.0-only WITH classpath-exception-2.0",
        "license:\n- mit\n- apache-2.0",
        "license: 2024-01-01",
        "license: 3.0",
        "license: true",
        "license: other\nlicense_name: acme-research\nlicense_link: LICENSE",
        "license: llama3.1\nbase_model: meta-llama/Llama-3.1-8B-Instruct",
        "license: apache-2.0\nbase_model:\n- meta-llama/Llama-3.1-8B\n- google/gemma-2-9b",
        "license: cc-by-nc-4.0\nbase_model: mistralai/Mistral-7B-v0.1\nbase_model_relation: merge",
        "license: mit\ntags:\n- caf\u00e9\n- \u4e2d\u6587\n- 2023-05-01\n- 7",
        "license: apache-2.0\n" + _scores("1.0e-05", "0.8731", ".nan", "2024-02-29"),
        "license: mit\n" + _scores("72", "123456789012345678901234", "0", "'n/a'"),
        "license: openrail\ndatasets:\n- \u00e9t\u00e9/donn\u00e9es\npipeline_tag: text-generation",
    ]
    bodies = [
        "# Mod\u00e8le\nCe mod\u00e8le est enti\u00e8rement open source. \U0001f680\n",
        "# Model\nThis model is fully open source and the weights are public.\n\n## Uses\nChat.\n",
        "# Model\nLimitations: \u2028 odd separators \u2029 and \x7f.\n",
        "# Model\nNothing claimed.\n",
    ]
    rows: list[dict[str, Any]] = []
    for i, front in enumerate(fronts):
        card = f"---\n{front}\n---\n{bodies[i % len(bodies)]}"
        rows.append({"id": f"odd/card-{i}", "sha": f"{i:040x}", "card": card})
    rows += [
        {"id": "odd/lone-surrogate", "sha": "e1", "card": "---\nlicense: mit\n---\n# A \ud800\n"},
        {"id": "odd/card-data", "cardData": {"license": "apache-2.0", "base_model": "x/y"}},
        {"id": "odd/tags-only", "sha": "e2", "tags": ["license:mit", "license:apache-2.0"]},
        {"id": "odd/nothing", "sha": "e3"},
    ]
    spdx = ["MIT OR Apache-2.0", "Apache-2.0 OR MIT", "(MIT OR Apache-2.0) AND BSD-3-Clause"]
    for i, expression in enumerate(spdx):  # a LICENSE file that says so in its first line
        text = f"SPDX-License-Identifier: {expression}\n"
        rows.append(
            {
                "id": f"odd/spdx-{i}",
                "sha": f"f{i}",
                "card": "---\nlicense: other\n---\n# Dual\n",
                "siblings": [{"rfilename": "README.md"}, {"rfilename": "LICENSE", "size": 40}],
                "texts": {"LICENSE": text},
            }
        )
    return rows


def _bench_rows(tmp: Path, count: int) -> list[dict[str, Any]]:
    """The first rows of the bench's Hub-like dump (the rows the 1,000/s target is set on)."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from scan_releases import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    path = tmp / "rows.jsonl"
    generate(path, count)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def audits(tmp_path_factory: pytest.TempPathFactory) -> list[ReleaseAudit]:
    tmp = tmp_path_factory.mktemp("document")
    rows = [
        *_bench_rows(tmp, 300),
        *(hub_row(name) for name in NAMES),
        *({"id": f"real/{p.stem}", "card": p.read_text(encoding="utf-8")} for p in CARDS),
        *_odd_rows(),
    ]
    out = []
    for n, raw in enumerate(rows):
        try:
            release = row_release(row_item(raw, f"rows:{n}"), TextPool(str(tmp)))
        except Exception:  # a row that describes no release: its own test below
            continue
        out.append(audit_collected(release, release.location))
    for name in NAMES:  # folders: weights, pickles, config.json's settings
        out.append(audit_collected(LocalDirectory(EXAMPLES / name).collect(), name))
    out.append(ReleaseAudit("broken/release", None, error="README.md: not valid UTF-8"))
    return out


def _plain(audit: ReleaseAudit) -> tuple[str, dict[str, Any]]:
    doc = document(AuditReport((audit,)))
    return audit_document(doc), _rows(doc["audits"][0])


def test_the_inputs_are_varied(audits: list[ReleaseAudit]) -> None:
    """The checks below meet every path: orjson alone, json for the release's own values, the
    plain path for what orjson refuses."""
    exact = [a for a in audits if _document._exact(a)]
    assert 0 < len(exact) < len(audits)
    assert any(a.weights for a in audits) and any(a.pickles for a in audits)
    cards = [a.release.card for a in audits if a.release and a.release.card]
    assert any("1e-05" in repr(c.model_index) for c in cards)  # orjson writes it otherwise
    assert any("\ud800" in s for c in cards for s in c.sections)
    assert any(a.lineage.bases for a in audits) and any(a.obligations for a in audits)
    trees = {json.dumps(c["license"]["tree"]) for a in audits for c in _shown(a) if c["license"]}
    assert any('"OR"' in t for t in trees) and any('"AND"' in t for t in trees)
    assert len({lic.id for a in audits for c in a.components for lic in c.licences}) >= 10


def _shown(audit: ReleaseAudit) -> list[dict[str, Any]]:
    components: list[dict[str, Any]] = document(AuditReport((audit,)))["audits"][0]["components"]
    return components


def test_each_line_and_its_rows_are_the_plain_paths(audits: list[ReleaseAudit]) -> None:
    _document.forget()
    for audit in audits:
        line, rows = _plain(audit)
        assert encode(audit) == (rows, line), audit.path
        assert audit_rows(audit) == rows, audit.path  # the rows of the plain path's audits
    for audit in audits[::7]:  # and what `audit --format json` prints
        rendered = JsonFormat().render(AuditReport((audit,)))
        assert json.loads(audit_line(audit)) == json.loads(rendered)


@pytest.mark.parametrize("order", ["forward", "reversed", "shuffled", "twice"])
def test_kept_parts_give_the_lines_written_without_them(
    audits: list[ReleaseAudit], order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In any order, and with tables so small that they start again mid-audit."""
    plain = {id(a): _plain(a)[::-1] for a in audits}
    ordered = {
        "forward": audits,
        "reversed": audits[::-1],
        "shuffled": random.Random(5).sample(audits, len(audits)),
        "twice": audits + audits,
    }[order]
    _document.forget()
    if order == "shuffled":
        for kept in _document._ALL:
            monkeypatch.setattr(kept, "most", 3)
    for audit in ordered:
        assert encode(audit) == plain[id(audit)], audit.path
    monkeypatch.setattr(_document, "enabled", False)
    for audit in ordered[:50]:
        assert encode(audit) == plain[id(audit)], audit.path


def test_what_orjson_refuses_goes_the_plain_way(audits: list[ReleaseAudit]) -> None:
    """A lone surrogate (a JSON dump's card may hold one) is written as json writes it."""
    [odd] = [a for a in audits if a.path.endswith("lone-surrogate")]
    line = audit_line(odd)
    assert "\ud800" in line and line == _plain(odd)[0]


def test_failed_items_are_documented_as_the_plain_path_documents_them(tmp_path: Path) -> None:
    items = [row_item({"id": "odd/nothing-at-all"}, "rows:1"), row_item({"sha": "x"}, "rows:2")]
    for item, outcome in zip(items, audit_batch(items), strict=True):
        assert outcome.failed and outcome.error
        failed = ReleaseAudit(item.location or item.key, None, error=outcome.error)
        assert outcome.document == _plain(failed)[0]
        assert audit_line(failed) == outcome.document


def test_the_parts_kept_are_bounded(audits: list[ReleaseAudit]) -> None:
    _document.forget()
    for audit in audits:
        encode(audit)
    assert all(0 < len(kept) <= kept.most for kept in _document._ALL)
    _document.forget()
    assert not any(_document._ALL)


def test_a_component_part_is_its_plain_json() -> None:
    """Components equal but for their expression (an exception, the order of a choice, how
    it nests) get their own parts."""
    from clearweights.components import Component, MofComponent
    from clearweights.formats._audit_json import component_json
    from clearweights.licenses import get
    from clearweights.licenses._expression import all_of, any_of, leaf

    gpl, mit, apache = get("GPL-2.0-only"), get("MIT"), get("Apache-2.0")
    expressions = [
        leaf(gpl),
        leaf(gpl, "Classpath-exception-2.0"),
        any_of([mit, apache]),
        any_of([apache, mit]),
        all_of([mit, apache]),
        all_of([any_of([mit, apache]), gpl]),
        any_of([all_of([mit, apache]), gpl]),
    ]
    kind = MofComponent.MODEL_PARAMETERS_FINAL
    # One declared name for all (a MOF file's free text): only the expression tells them apart.
    components = [
        Component(kind, ("model.safetensors",), "see LICENSE", e.licences, "LICENSE", "weights",
                  expression=e)
        for e in expressions if e is not None
    ]  # fmt: skip
    components += [  # no expression: their records are what they hold
        Component(kind, ("model.safetensors",), "see LICENSE", (lic,), "LICENSE", "weights")
        for lic in (mit, apache, gpl)
    ]
    _document.forget()
    for _ in range(2):  # encoded, then kept
        encoded = _document._Encoded(exact=True)
        parts = [encoded.component(c) for c in components]
        assert len(set(map(id, parts))) == len(components)
        written = [orjson.dumps([p], option=orjson.OPT_SORT_KEYS).decode() for p in parts]
        plain = [sorted_json([component_json(c)], exact=False) for c in components]
        assert written == plain
