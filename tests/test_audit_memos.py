"""The audit's memos (frameworks' verdicts, MOF classes, restrictions, lineage) change nothing.

Real inputs: the first rows of the benchmark's generated Hub dump (cards of many shapes, base
models, datasets, papers), the varied rows of the fast-scan tests (real Hub cards, the Hub's
generated card, tag-only and cardData rows, listed files, licence texts) and the example
releases, whole. Each is audited with every memo on, then with every memo off, in more than one
order: the documents a bulk scan stores must be the same, byte for byte.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import random
from pathlib import Path

import pytest

import clearweights.audit._lineage as lineage_findings
import clearweights.frameworks._common as common
from clearweights import lineage
from clearweights.audit import audit_collected
from clearweights.components import Component, MofComponent
from clearweights.errors import ClearweightsError
from clearweights.frameworks import _memo, interface, mof
from clearweights.licenses import get
from clearweights.licenses._expression import all_of, any_of, leaf
from clearweights.release.model import Release
from clearweights.scale import worker
from clearweights.scale.rows import TextPool, row_item, row_release
from clearweights.sources.local import LocalDirectory
from tests.scale_corpus import EXAMPLES, NAMES
from tests.test_scan_fast import _rows_varied

ROOT = Path(__file__).resolve().parent.parent


def generate(path: Path, count: int) -> None:
    """The benchmark's Hub-like dump (bench/scan_releases.py, a script: loaded from its file)."""
    spec = importlib.util.spec_from_file_location(
        "scan_releases", ROOT / "bench" / "scan_releases.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(path, count)


# the module, not the function the audit package exports under its name
obligations = importlib.import_module("clearweights.audit.obligations")
MODULES = (_memo, mof, common, interface, lineage, lineage_findings, obligations)


def _clear() -> None:
    for table in (
        _memo._memo, _memo._parts, _memo._criteria, _memo._results, _memo._kept, _memo._own,
        interface._made,
        mof._classes, common._restrictions, lineage._passed, lineage_findings._kept,
        obligations._kept,
    ):  # fmt: skip
        table.clear()


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Release]]:
    folder = tmp_path_factory.mktemp("memos")
    dump = folder / "rows.jsonl"
    generate(dump, 600)
    rows = [json.loads(line) for line in dump.read_text("utf-8").splitlines()]
    rows += _rows_varied()
    pool = TextPool(str(folder))
    out: list[tuple[str, Release]] = []
    for n, raw in enumerate(rows, 1):
        item = row_item(raw, f"rows:{n}")
        try:
            out.append((f"{n}:{item.key}", row_release(item, pool)))
        except ClearweightsError:  # a row with no release: an error outcome, no audit
            continue
    out += [(name, LocalDirectory(EXAMPLES / name).collect()) for name in NAMES]
    return out


def _documents(releases: list[tuple[str, Release]]) -> dict[str, str]:
    return {
        key: worker.fast_document(audit_collected(release, key))[1] for key, release in releases
    }


def test_audits_are_the_same_with_and_without_the_memos(
    releases: list[tuple[str, Release]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear()
    remembered = _documents(releases)
    again = _documents(releases[::-1])  # from the memos, in the other order
    shuffled = list(releases)
    random.Random(5).shuffle(shuffled)
    _clear()
    fresh_order = _documents(shuffled)  # filled in another order
    for module in MODULES:
        monkeypatch.setattr(module, "MEMO", False)
    _clear()
    plain = _documents(releases)
    assert not _memo._memo and not mof._classes and not lineage._passed
    assert len(plain) == len(releases) > 600
    assert remembered == plain
    assert again == plain
    assert fresh_order == plain
    # The varied corpus reaches what the memos keep: bases, MOF classes, verdicts.
    assert any('"bases":[{' in line for line in plain.values())
    assert any("LIN-" in line for line in plain.values())


def test_a_memo_hit_hands_out_what_a_fresh_audit_builds(
    releases: list[tuple[str, Release]],
) -> None:
    """The second audit of each release comes from the memos, and equals the first."""
    _clear()
    first = [audit_collected(release, key) for key, release in releases]
    second = [audit_collected(release, key) for key, release in releases]
    for a, b in zip(first, second, strict=True):
        assert a.profiles == b.profiles
        assert a.findings == b.findings
        assert a.obligations == b.obligations
        assert a.lineage == b.lineage
        assert a.components == b.components


def test_duties_are_kept_apart_by_all_they_are_worked_out_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same records under another expression, with other notice files or other bases give
    other duties: each equal to what the duties are without the memo."""
    apache, gpl = get("Apache-2.0"), get("GPL-3.0-only")
    weights = MofComponent.MODEL_PARAMETERS_FINAL
    both = (apache, gpl)
    choice = any_of([leaf(apache), leaf(gpl)])
    every = all_of([leaf(apache), leaf(gpl)])
    llama = lineage.Lineage((_base(),))
    cases = [
        ((Component(weights, licences=both, expression=choice),), (), None),
        ((Component(weights, licences=both, expression=every),), (), None),
        ((Component(weights, licences=both),), (), None),
        ((Component(weights, licences=both),), ("NOTICE",), None),
        ((Component(weights, licences=both),), ("NOTICE", "docs/NOTICE"), None),
        ((Component(weights, licences=both),), (), llama),
    ]
    obligations._kept.clear()
    remembered = [obligations.obligations(*case) for case in cases * 2]
    # An OR binds only who chooses it; an AND as no expression; notices and bases add duties.
    choose, all_apply, plain_all, notice, notices, based = remembered[: len(cases)]
    assert choose != all_apply == plain_all
    assert len({plain_all, notice, notices, based}) == 4
    monkeypatch.setattr(obligations, "MEMO", False)
    plain = [obligations.obligations(*case) for case in cases]
    assert remembered == plain * 2


def _base() -> lineage.BaseModel:
    found = lineage.family_of("meta-llama/Llama-3.1-8B")
    assert found is not None
    return lineage.BaseModel(
        "meta-llama/Llama-3.1-8B", "finetune", "README.md", found.expression, "family", "test"
    )
