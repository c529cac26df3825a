"""`clearweights taxonomy validate | diff` on the example taxonomy and the fixtures."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from clearweights.cli.main import main
from clearweights.cli.taxonomy import TaxonomyFormat
from clearweights.taxonomy.report import ValidationReport
from tests.taxonomy.repos import HERE, build_fixture_repos, copy_tree, git

EXAMPLE = Path(__file__).parent.parent / "examples" / "taxonomy"
VALID = HERE / "valid"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example taxonomy with its document repositories built by its own script."""
    root = tmp_path_factory.mktemp("example") / "taxonomy"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".documents"))
    done = subprocess.run(
        ["sh", str(root / "build-documents.sh")], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == [
        "phoenix",
        "6be35a9702915d8ed40bb24612d73f82c3f244ea",
        "printing",
        "69a72d32da1364fee398071f1ebdeb3e8eaa4472",
    ]
    return root


def test_the_example_shows_one_licence_violation_and_one_pii_finding(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["taxonomy", "validate", str(example), "--offline"]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    findings = [line for line in lines if "[" in line and line[:1] not in (" ", "")]
    assert [line.split(" [", 1)[1].split("]")[0] for line in findings] == [
        "license/not-allowed",
        "pii/email",
        "license/not-allowed",
    ]
    pii = next(line for line in findings if "[pii/email]" in line)
    leaf = example / "compositional_skills/grounded/extraction/invoice_totals/qna.yaml"
    assert pii.startswith(f"{leaf}:11:44 [pii/email] seed 1 context holds what looks like")
    assert "jonas.keller" not in out
    assert "knowledge/history/technology/printing_press: not-allowed (CC-BY-NC-4.0)" in out
    assert "phoenix: allowed (CC-BY-SA-4.0); duties: attribution, share-alike" in out
    assert err == "4 leaves checked: 3 error(s), 0 warning(s), 0 not checked; failed\n"


def test_json_is_versioned_and_deterministic(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = []
    for _ in range(2):
        main(["taxonomy", "validate", str(example), "--format", "json", "--jobs", "1"])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    data = json.loads(outputs[0])
    assert list(data)[:2] == ["schema_version", "tool_version"]
    assert data["schema_version"] == "1" and data["ok"] is False
    assert data["summary"] == {"errors": 3, "leaves": 4, "not_checked": 0, "warnings": 0}
    phoenix = next(i for i in data["licenses"] if i["leaf"].endswith("phoenix"))
    assert phoenix["duties"][0]["share_alike"] is True
    assert phoenix["document"]["commit"] == "6be35a9702915d8ed40bb24612d73f82c3f244ea"
    rules = [f["rule"] for f in data["findings"]]
    assert rules == ["license/not-allowed", "pii/email", "license/not-allowed"]


def test_every_format_renders(example: Path) -> None:
    from clearweights.taxonomy.validate import ValidationOptions, validate

    report: ValidationReport = validate([example], ValidationOptions())
    for fmt in TaxonomyFormat:
        assert "pii/email" in fmt.render(report)


def test_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mirrors = build_fixture_repos(tmp_path / "repos")
    phoenix = "https://github.com/clearweights-fixtures/phoenix-docs"
    assert (
        main(["taxonomy", "validate", str(VALID), "--mirror", f"{phoenix}={mirrors[phoenix]}"]) == 0
    )
    # Offline, the knowledge leaf's repository is out of reach: not checked.
    assert main(["taxonomy", "validate", str(VALID), "--offline"]) == 3
    assert "not available offline" in capsys.readouterr().out
    assert main(["taxonomy", "validate", str(tmp_path / "nowhere")]) == 3
    err = capsys.readouterr().err
    assert "nowhere: no such file or directory" in err and "Traceback" not in err
    assert main(["taxonomy", "validate", str(VALID), "--mirror", "no-equals-sign"]) == 2
    assert main(["taxonomy", "validate", str(VALID), "--allow-license", "NoSuchLicence-9"]) == 2
    assert main(["taxonomy", "validate", str(VALID), "--offline", "--allow-license", "CC-BY-SA-4.0",
                 "--mirror", f"{phoenix}={mirrors[phoenix]}"]) == 1  # fmt: skip


def test_diff_checks_the_branch_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_tree(VALID, tmp_path / "taxonomy")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "-c", "commit.gpgsign=false", "commit", "--quiet", "-m", "base")
    assert main(["taxonomy", "diff", str(root), "--base", "main", "--offline"]) == 0
    assert capsys.readouterr().err.startswith("0 leaves checked")
    haiku = root / "compositional_skills/writing/freeform/haiku/qna.yaml"
    haiku.write_text(haiku.read_text() + "\n\n", encoding="utf-8")
    assert main(["taxonomy", "diff", str(root), "--base", "main", "--offline"]) == 1
    out = capsys.readouterr().out
    assert f"{haiku}:31:1 [yaml/empty-lines] too many blank lines (2 > 0)" in out
    assert main(["taxonomy", "diff", str(root), "--base", "no-such-ref"]) == 3
    assert "--base empty" in capsys.readouterr().err


def test_the_project_config_sets_the_allow_list_and_mirrors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_fixture_repos(tmp_path / "repos")
    leaf = HERE / "broken/compositional_skills/rules/license_non_commercial"
    config = tmp_path / "pyproject.toml"
    config.write_text(
        '[tool.clearweights.taxonomy]\nlicenses = ["CC-BY-NC-4.0", "CC-BY-SA-4.0"]\n'
        'mirrors = { "https://github.com/clearweights-fixtures/phoenix-docs" = "repos/phoenix" }\n'
        "context-words = 40\n",
        encoding="utf-8",
    )
    assert main(["taxonomy", "validate", str(leaf), "--no-config"]) == 1
    capsys.readouterr()
    assert main(["taxonomy", "validate", str(leaf), "--config", str(config)]) == 0
    capsys.readouterr()
    # The mirror is found from the config file's folder; the size guidance is the config's.
    assert (
        main(["taxonomy", "validate", str(VALID), "--config", str(config), "--format", "json"]) == 1
    )
    data = json.loads(capsys.readouterr().out)
    assert data["not_checked"] == []
    assert {f["rule"] for f in data["findings"]} == {"license/not-allowed", "size/context-words"}
    # The command line wins over the file.
    assert main(["taxonomy", "validate", str(leaf), "--config", str(config),
                 "--allow-license", "MIT"]) == 1  # fmt: skip


def test_a_wrong_config_key_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "clearweights.toml"
    config.write_text('[taxonomy]\nlicences = ["MIT"]\n', encoding="utf-8")
    assert main(["taxonomy", "validate", str(VALID), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{config}: [taxonomy] licences: unknown key" in err
    config.write_text('[taxonomy]\nqna-words = "many"\n', encoding="utf-8")
    assert main(["taxonomy", "validate", str(VALID), "--config", str(config)]) == 2
    assert "qna-words: expected a positive integer, got 'many'" in capsys.readouterr().err
