"""Audits of the example releases, checked against expectations written from the licence texts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from clearweights.audit import Declarations, audit, audit_release
from clearweights.cli.main import main
from clearweights.components import MofComponent
from clearweights.formats import OutputFormat

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "releases"
NO_RISK = Declarations(systemic_risk=False, monetised=False)

# release: (redhat, osaid-1.0, MOF class, eu-ai-act-53-2, findings at high or medium severity)
EXPECTED = {
    "open-olmo-style": ("pass", "pass", 1, "pass", set()),
    "llama-3.1-finetune": ("fail", "fail", 0, "fail", set()),
    "gemma-release": ("fail", "fail", 0, "fail", set()),
    "deepseek-pattern": ("fail", "fail", 0, "fail", {"OW-LIC", "OW-RESTRICT"}),
    "cc-by-nc-release": ("fail", "fail", 0, "fail", set()),
    "open-washing": ("fail", "fail", 0, "fail", {"OW-LIC", "OW-RESTRICT", "OW-OSAID"}),
    "unsafe-pickle": ("pass", "fail", 0, "pass", {"SEC-PICKLE"}),
    "mof-release.yml": ("pass", "fail", 3, "fail", set()),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_verdicts(name: str) -> None:
    result = audit_release(str(EXAMPLES / name), declarations=NO_RISK)
    assert result.error is None
    redhat, osaid, mof_class, eu, findings = EXPECTED[name]
    assert result.profile("redhat").verdict.value == redhat  # type: ignore[union-attr]
    assert result.profile("osaid-1.0").verdict.value == osaid  # type: ignore[union-attr]
    assert result.profile("mof").mof_class == mof_class  # type: ignore[union-attr]
    assert result.profile("eu-ai-act-53-2").verdict.value == eu  # type: ignore[union-attr]
    serious = {f.code for f in result.findings if f.severity.value in ("high", "medium")}
    assert serious == findings


def test_llama_obligations_come_from_the_licence_text() -> None:
    result = audit_release(str(EXAMPLES / "llama-3.1-finetune"))
    texts = [o.text for o in result.obligations]
    assert 'Display "Built with Llama"' in texts
    assert any('"Llama"' in t and t.startswith("Begin the name") for t in texts)
    assert any("Llama 3.1 Acceptable Use Policy" in t for t in texts)
    assert any("700,000,000 monthly active users" in t for t in texts)
    assert any("NOTICE" in t for t in texts)


def test_gemma_notice_and_distillation() -> None:
    result = audit_release(str(EXAMPLES / "gemma-release"))
    texts = [o.text for o in result.obligations]
    assert any("Gemma is provided under and subject to the Gemma Terms of Use" in t for t in texts)
    assert any("distilled" in t for t in texts)
    weights = next(c for c in result.components if c.kind is MofComponent.MODEL_PARAMETERS_FINAL)
    assert weights.licence_name == "LicenseRef-scancode-gemma-tou-2024-04-01"


def test_deepseek_code_and_weights_are_licensed_separately() -> None:
    result = audit_release(str(EXAMPLES / "deepseek-pattern"))
    by_kind = {c.kind: c for c in result.components}
    assert by_kind[MofComponent.INFERENCE_CODE].licence_name == "MIT"
    assert (
        by_kind[MofComponent.MODEL_PARAMETERS_FINAL].licence_name
        == "LicenseRef-scancode-deepseek-la-1.0"
    )


def test_open_release_components_and_weights() -> None:
    result = audit_release(str(EXAMPLES / "open-olmo-style"))
    kinds = {c.kind for c in result.components}
    assert len(kinds) == 17
    final = next(w for w in result.weights if w.path == "model.safetensors")
    assert final.parameters == 64 * 16 + 16 * 16 + 32 * 16 + 64 * 16
    assert final.dtypes == ("F16",)
    assert final.metadata == {"format": "pt"}


def test_unsafe_pickle_is_found_without_loading_it() -> None:
    result = audit_release(str(EXAMPLES / "unsafe-pickle"))
    scan = result.pickles[0]
    assert scan.unsafe == ("os.system",)
    finding = next(f for f in result.findings if f.code == "SEC-PICKLE")
    assert finding.severity.value == "high"


def test_metadata_conflict_is_a_finding(tmp_path: Path) -> None:
    release = tmp_path / "conflict"
    shutil.copytree(EXAMPLES / "llama-3.1-finetune", release)
    card = (
        (release / "README.md")
        .read_text(encoding="utf-8")
        .replace("license: llama3.1", "license: apache-2.0")
    )
    (release / "README.md").write_text(card, encoding="utf-8")
    result = audit_release(str(release))
    meta = next(f for f in result.findings if f.code == "OW-META")
    assert "Apache-2.0" in meta.message and "llama-3.1" in meta.message
    assert result.profile("redhat").verdict.value == "fail"  # type: ignore[union-attr]


def test_license_other_without_a_licence_is_unclear(tmp_path: Path) -> None:
    release = tmp_path / "unclear"
    release.mkdir()
    (release / "README.md").write_text("---\nlicense: other\n---\n# Model\n", encoding="utf-8")
    (release / "model.safetensors").write_bytes(
        (EXAMPLES / "cc-by-nc-release" / "model.safetensors").read_bytes()
    )
    result = audit_release(str(release))
    assert "OW-UNCLEAR" in {f.code for f in result.findings}


def test_json_output_shape_and_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "audit",
            str(EXAMPLES / "open-olmo-style"),
            str(EXAMPLES / "open-washing"),
            "--format",
            "json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    doc = json.loads(out)
    schema = json.loads((ROOT / "docs" / "audit-schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)
    first = doc["audits"][0]
    assert first["profiles"]["mof"]["class"] == 1
    assert first["profiles"]["mof"]["progress"] == {"1": 100.0, "2": 100.0, "3": 100.0}
    assert {"name", "license", "paths"} <= set(first["components"][0])
    washing = doc["audits"][1]
    assert {"code", "severity", "message", "evidence"} <= set(washing["findings"][0])


def test_json_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["audit", str(EXAMPLES / "llama-3.1-finetune"), "--format", "json"]
    main(args)
    first = capsys.readouterr().out
    main(args)
    assert capsys.readouterr().out == first


def test_fail_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(EXAMPLES / "open-olmo-style"), "--fail-on", "redhat"]) == 0
    assert main(["audit", str(EXAMPLES / "cc-by-nc-release"), "--fail-on", "redhat"]) == 1
    code = main(
        ["audit", str(EXAMPLES / "cc-by-nc-release"), "--profile", "mof", "--fail-on", "redhat"]
    )
    assert code == 2
    capsys.readouterr()


def test_mof_yaml_export_is_valid_and_round_trips(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    main(["audit", str(EXAMPLES / "open-olmo-style"), "--format", OutputFormat.MOF_YAML.value])
    text = capsys.readouterr().out
    doc = yaml.safe_load(text)
    schema = json.loads(
        (ROOT / "src" / "clearweights" / "data" / "mof_schema.json").read_text(encoding="utf-8")
    )
    jsonschema.validate(doc, schema)
    exported = tmp_path / "exported.yml"
    exported.write_text(text, encoding="utf-8")
    again = audit_release(str(exported))
    assert again.profile("mof").mof_class == 1  # type: ignore[union-attr]


def test_mot_mode_flag(capsys: pytest.CaptureFixture[str]) -> None:
    main(
        [
            "audit",
            str(EXAMPLES / "mof-release.yml"),
            "--profile",
            "mof",
            "--mof-mode",
            "mot",
            "--format",
            "json",
        ]
    )
    mof = json.loads(capsys.readouterr().out)["audits"][0]["profiles"]["mof"]
    assert mof["class"] == 3
    assert mof["progress"]["2"] == pytest.approx(70.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("framework: {name: x}\n", "fails the MOF schema"),
        ("release: [unclosed\n", "not valid YAML"),
        ("!!python/object/apply:os.system ['echo hi']\n", "not valid YAML"),
    ],
)
def test_bad_mof_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(content, encoding="utf-8")
    code = main(["audit", str(path), str(EXAMPLES / "gemma-release"), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 3
    assert "Traceback" not in captured.err
    doc = json.loads(captured.out)
    assert message in doc["audits"][0]["error"]
    assert doc["audits"][1]["error"] is None


def test_bad_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    plain = tmp_path / "notes.txt"
    plain.write_text("hello", encoding="utf-8")
    code = main(["audit", str(empty), str(plain), str(tmp_path / "missing"), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 3
    errors = [a["error"] for a in json.loads(captured.out)["audits"]]
    assert errors == [
        "is an empty directory, not a release",
        "is not a release: expected a directory, a MOF YAML file or a Hub repo id",
        "no such file or directory",
    ]


def test_hostile_card_and_escaping_symlink(tmp_path: Path) -> None:
    release = tmp_path / "hostile"
    shutil.copytree(EXAMPLES / "cc-by-nc-release", release)
    (release / "README.md").write_text(
        "---\nlicense: !!python/object/apply:os.system ['echo hi']\n---\n# x\n"
    )
    secret = tmp_path / "secret.txt"
    secret.write_text("outside", encoding="utf-8")
    (release / "leak.txt").symlink_to(secret)
    before = {p: p.read_bytes() for p in release.rglob("*") if p.is_file() and not p.is_symlink()}
    result = audit_release(str(release))
    codes = {f.code for f in result.findings}
    assert "CARD-INVALID" in codes
    assert any("symlink leading out" in s.reason for s in result.skipped)
    assert {p: p.read_bytes() for p in before} == before


def test_hub_cache_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "hub"
    snapshot = cache / "models--example--tiny" / "snapshots" / "abc123"
    blobs = cache / "models--example--tiny" / "blobs"
    blobs.mkdir(parents=True)
    snapshot.mkdir(parents=True)
    (cache / "models--example--tiny" / "refs").mkdir()
    (cache / "models--example--tiny" / "refs" / "main").write_text("abc123")
    for name in ("LICENSE", "README.md", "config.json", "model.safetensors"):
        blob = blobs / name.replace(".", "-")
        blob.write_bytes((EXAMPLES / "cc-by-nc-release" / name).read_bytes())
        (snapshot / name).symlink_to(Path("..") / ".." / "blobs" / blob.name)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    result = audit_release("example/tiny")
    assert result.error is None
    assert result.release is not None and result.release.kind == "hf-cache"
    assert result.profile("redhat").verdict.value == "fail"  # type: ignore[union-attr]
    missing = audit_release("example/not-cached")
    assert missing.error is not None and "not in the local Hugging Face cache" in missing.error


def test_many_releases_in_one_call() -> None:
    report = audit([str(p) for p in sorted(EXAMPLES.iterdir())], declarations=NO_RISK)
    assert report.complete
    assert len(report.audits) == len(EXPECTED)


def test_every_finding_code_is_documented_and_in_the_schema() -> None:
    from clearweights.audit.findings import CODES

    frameworks_doc = (ROOT / "docs" / "frameworks.md").read_text(encoding="utf-8")
    schema = json.loads((ROOT / "docs" / "audit-schema.json").read_text(encoding="utf-8"))
    schema_codes = set(schema["$defs"]["finding"]["properties"]["code"]["enum"])
    for code in CODES:
        assert f"`{code}`" in frameworks_doc, code
        assert code in schema_codes, code


def test_unreadable_config_json_is_named_and_the_rest_still_audited(tmp_path: Path) -> None:
    """A config.json nested past the limit is named (REL-SKIPPED), never silently dropped."""
    release = tmp_path / "deep-config"
    release.mkdir()
    (release / "README.md").write_text("---\nlicense: mit\n---\n# Tiny\n", encoding="utf-8")
    (release / "config.json").write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    result = audit_release(str(release))
    assert result.error is None
    skipped = [s for s in result.skipped if s.path == "config.json"]
    assert skipped and "nested" in skipped[0].reason
    assert any(f.code == "REL-SKIPPED" and "config.json" in f.message for f in result.findings)
    assert any(c.licence_name == "MIT" for c in result.components)


@pytest.mark.parametrize("closing", ["---", "--- ", "---\t"])
def test_front_matter_limits_apply_to_the_block_the_hub_parses(closing: str) -> None:
    """A closing line with trailing blanks is still front matter, so it is still checked."""
    from clearweights.release.card import CardError, parse_card

    deep = "---\na: " + "[" * 150 + "]" * 150 + f"\n{closing}\n# Model\n"
    with pytest.raises(CardError, match="nested"):
        parse_card(deep)
