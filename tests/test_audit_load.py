"""Audit documents loaded back: the same report, so every consumer gives the same answer."""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from clearweights.audit import AuditReport, ReleaseAudit, audit
from clearweights.audit.load import load_audits
from clearweights.bom.cyclonedx import build as cyclonedx
from clearweights.bom.spdx3 import build as spdx3
from clearweights.bom.subject import build_subject
from clearweights.errors import AuditDocumentError
from clearweights.formats import CHECK_FORMATS, REPORT_FORMATS, OutputFormat
from clearweights.policy import BUILT_IN, check_audits, load_policy
from clearweights.release.model import CardData
from tests.build import card, config, licence, safetensors, write

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(str(p) for p in (ROOT / "examples" / "releases").iterdir())


def tricky(root: Path) -> list[str]:
    """Releases that exercise what the examples do not: a dual licence, a base model found
    through a local copy, a card licence list with a model-index holding a date, an
    unreadable config, a licence file's use policy, and a path that is no release."""
    dual = root / "dual"
    write(dual / "README.md", card("license:\n- apache-2.0\n- mit", "# Dual\n\nEither licence."))
    write(dual / "LICENSE", "SPDX-License-Identifier: Apache-2.0 OR MIT\n")
    safetensors(dual / "model.safetensors")
    config(dual / "config.json", "LlamaForCausalLM", "llama")
    ft = root / "finetune"
    index = (
        "model-index:\n- name: ft\n  results:\n  - task: {type: text-generation}\n"
        "    dataset: {name: wiki, type: wiki, split: test}\n"
        "    metrics:\n    - {type: accuracy, value: 0.5, date: 2025-01-02}\n"
    )
    write(
        ft / "README.md",
        card(f"license: apache-2.0\nbase_model: local/base\ntags: [a, b]\n{index}",
             "# FT\n\n## Limitations\n\nMany. This model is open source.\n"),
    )  # fmt: skip
    write(ft / "config.json", "{not json")
    write(ft / "adapter_config.json", '{"base_model_name_or_path": "local/base"}')
    licence("Apache-2.0", ft / "LICENSE")
    return [str(dual), str(ft), str(root / "no-such-release")]


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> AuditReport:
    root = tmp_path_factory.mktemp("tricky")
    shutil.copytree(ROOT / "examples" / "releases" / "gemma-release", root / "base")
    return audit([*EXAMPLES, *tricky(root)], bases={"local/base": str(root / "base")})


@pytest.fixture(scope="module")
def loaded(original: AuditReport) -> AuditReport:
    return load_audits(OutputFormat.JSON.to_format().render(original), name="audit.json")


def test_every_format_renders_the_loaded_report_as_the_original(
    original: AuditReport, loaded: AuditReport
) -> None:
    assert len(loaded.audits) == len(EXAMPLES) + 3
    for fmt in REPORT_FORMATS:
        rendered = fmt.to_format().render(loaded)
        assert rendered == fmt.to_format().render(original), fmt
    mof = OutputFormat.MOF_YAML.to_format()
    for before in original.audits:
        if before.error is None:
            one = AuditReport((before,))
            assert mof.render(load_audits(_json(one))) == mof.render(one)


def _json(report: AuditReport) -> str:
    return OutputFormat.JSON.to_format().render(report)


def test_the_loaded_report_is_the_original(original: AuditReport, loaded: AuditReport) -> None:
    """Beyond what formats show: the dataclasses consumers read are equal."""
    for before, after in zip(original.audits, loaded.audits, strict=True):
        # MOF progress is written to six decimals
        assert after.profiles == tuple(
            replace(p, progress={k: round(v, 6) for k, v in p.progress.items()})
            for p in before.profiles
        )
        assert after.findings == before.findings
        assert after.obligations == before.obligations
        assert after.lineage.inherited == before.lineage.inherited
        assert after.lineage.dropped == before.lineage.dropped
        assert [c.licence_expression for c in after.components] == [
            c.licence_expression for c in before.components
        ]
        assert [lf.licences for lf in after.licence_files] == [
            lf.licences for lf in before.licence_files
        ]
        if before.release is not None:
            assert after.release is not None
            # YAML dates in a card's model-index are kept as their text: JSON has no dates
            assert _card(after) == _card(before)
            assert [f.path for f in after.release.files] == [f.path for f in before.release.files]
    finetune = next(a for a in loaded.audits if Path(a.path).name == "finetune")
    nearest = finetune.lineage.bases[0]
    assert (nearest.repo_id, nearest.resolved_by) == ("local/base", "path")
    assert finetune.skipped  # the unreadable config.json
    assert loaded.audits[-1].error is not None and loaded.audits[-1].release is None


def _card(audited: ReleaseAudit) -> CardData | None:
    card = audited.release.card if audited.release else None
    if card is None:
        return None
    return replace(card, model_index=json.loads(json.dumps(card.model_index, default=str)))


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_policies_judge_the_loaded_report_as_the_original(
    name: str, original: AuditReport, loaded: AuditReport
) -> None:
    policy, base = load_policy(name)
    today = date(2026, 11, 30)
    before = check_audits(original.audits, policy, base=base, today=today)
    after = check_audits(loaded.audits, policy, base=base, today=today)
    assert after == before
    for fmt in CHECK_FORMATS:
        assert fmt.to_format().render(after) == fmt.to_format().render(before)
    assert not before.passed  # the examples include releases every built-in policy refuses


def test_boms_of_the_loaded_report_equal_the_original(
    original: AuditReport, loaded: AuditReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764460800")
    built = 0
    for before, after in zip(original.audits, loaded.audits, strict=True):
        if before.error or before.release is None or before.release.kind == "mof-file":
            continue
        subject = build_subject(before)
        assert build_subject(after) == subject
        assert cyclonedx(build_subject(after), "1.6") == cyclonedx(subject, "1.6")
        assert spdx3(build_subject(after)) == spdx3(subject)
        built += 1
    assert built == len(EXAMPLES) + 1  # every directory but the MOF file; both tricky ones


def test_the_json_of_a_loaded_document_is_the_document(loaded: AuditReport) -> None:
    text = _json(loaded)
    assert _json(load_audits(text.encode("utf-8"))) == text
    assert _json(load_audits(json.loads(text))) == text


def test_a_scan_line_is_an_audit_document(tmp_path: Path) -> None:
    from clearweights.scale import scan, sources_for
    from tests.scale_corpus import hub_row, write_jsonl

    dump = write_jsonl([hub_row("open-washing")], tmp_path / "dump.jsonl")
    out = io.StringIO()
    scan(sources_for([str(dump)]), sink=out)
    [line] = out.getvalue().splitlines()
    report = load_audits(line, name="dump line 1")
    assert report.audits[0].release is not None
    assert report.audits[0].release.kind == "hf-metadata"
    assert json.loads(_json(report)) == json.loads(line)


def _document(tmp: AuditReport) -> dict[str, object]:
    return json.loads(_json(tmp))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(schema_version="1.7"), r'schema_version "1\.7", newer than this'),
        (lambda d: d.update(schema_version="2.0"), r'schema_version "2\.0", newer'),
        (lambda d: d.update(schema_version="0.9"), r'schema_version "0\.9"; this clearweights'),
        (lambda d: d.pop("schema_version"), r"schema_version null"),
        (lambda d: d.update(tool="other"), r"at tool: 'clearweights' was expected"),
        (lambda d: d["audits"][0].update(components=[{"name": "x"}]), r"at audits\[0\]\.comp"),
        (lambda d: d["audits"][0]["components"][0].update(cid=99), r"cid 99, not a MOF"),
        (lambda d: d["audits"][0]["profiles"]["mof"].update(verdict="great"), r"\.verdict"),
        (lambda d: d["audits"][0]["release"]["files"].append({"path": 1}), r"files\[\d+\]"),
    ],
)
def test_malformed_documents_are_named_and_explained(
    loaded: AuditReport, change: object, expected: str
) -> None:
    doc = _document(AuditReport(loaded.audits[:1]))
    change(doc)  # type: ignore[operator]
    with pytest.raises(AuditDocumentError, match=expected) as caught:
        load_audits(doc, name="stored.json")
    assert caught.value.path == "stored.json"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("", "is not JSON: Expecting value"),
        ("{", "is not JSON"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        ("[1, 2]", "is not an audit document"),
        ('{"schema_version": "1.0"}', "is not an audit document"),
        ("[" * 100_000 + "]" * 100_000, "is not"),
    ],
)
def test_what_is_not_an_audit_document(document: str | bytes, expected: str) -> None:
    with pytest.raises(AuditDocumentError, match=expected) as caught:
        load_audits(document, name="posted")
    assert caught.value.diagnostics().startswith("posted: ")


def test_the_packaged_schema_is_the_documented_one() -> None:
    """The package's schema is a link to docs/audit-schema.json, so the two never drift."""
    from importlib import resources

    shipped = resources.files("clearweights").joinpath("data/audit-schema.json")
    documented = ROOT / "docs" / "audit-schema.json"
    assert shipped.read_bytes() == documented.read_bytes()


def test_a_forged_record_never_makes_a_restricted_licence_open() -> None:
    """An audit document from 'another catalogue' keeps its records, but one that calls open
    what the catalogue does not is replaced by the catalogue's record."""
    doc = json.loads(_json(audit([str(ROOT / "examples" / "releases" / "llama-3.1-finetune")])))
    doc["catalogue_version"] = "1999.01.01"
    forged = 0
    for component in doc["audits"][0]["components"]:
        for record in (component.get("license") or {}).get("licenses") or ():
            if "llama" in record["id"].lower():
                record.update(category="permissive")
                record["terms"]["osi_approved"] = True
                forged += 1
    assert forged
    rebuilt = load_audits(json.dumps(doc), name="forged")
    for component in rebuilt.audits[0].components:
        for lic in component.licences:
            if "llama" in lic.id.lower():
                assert lic.category.value == "restricted-open-weights" and not lic.osi_approved
