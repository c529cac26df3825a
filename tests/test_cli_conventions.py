"""Conventions every command shares: config file, precedence, outputs, env vars, verbosity."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from clearweights.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "releases"
NC = str(EXAMPLES / "cc-by-nc-release")  # CC BY-NC 4.0: violates every built-in policy
OPEN = str(EXAMPLES / "open-olmo-style")  # Apache-2.0 throughout: passes pragmatic


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project checkout (its own repository root) whose nested folder is the working one."""
    (tmp_path / ".git").mkdir()
    work = tmp_path / "models" / "team"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    for name in ("CONFIG", "NO_CONFIG", "CHECK_POLICY", "CHECK_FORMAT", "AUDIT_FORMAT"):
        monkeypatch.delenv(f"CLEARWEIGHTS_{name}", raising=False)
    return tmp_path


def policy_of(out: str) -> str:
    doc = json.loads(out)
    assert doc["schema_version"] == "1.0"
    return str(doc["policy"])


def test_precedence_command_line_then_env_then_config(
    capsys: pytest.CaptureFixture[str], repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "acme"\n\n[tool.clearweights]\npolicy = "commercial-product"\n'
        '\n[tool.clearweights.check]\nformat = "json"\n'
    )
    code, out, _ = run(capsys, "check", OPEN)
    assert code == 0
    assert policy_of(out) == "commercial-product"  # config wins over no default
    monkeypatch.setenv("CLEARWEIGHTS_CHECK_POLICY", "strict-osaid")
    assert policy_of(run(capsys, "check", OPEN)[1]) == "strict-osaid"  # env over config
    code, out, _ = run(capsys, "check", OPEN, "--policy", "pragmatic")
    assert (code, policy_of(out)) == (0, "pragmatic")  # command line over both
    code, out, _ = run(capsys, "check", OPEN, "--format", "text", "--policy", "pragmatic")
    assert out.startswith("Policy pragmatic")  # --format over the config


def test_config_paths_start_from_the_file_and_no_config_ignores_it(
    capsys: pytest.CaptureFixture[str], repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policies = repo / ".clearweights"
    policies.mkdir()
    (policies / "policy.yml").write_text(
        "policy: acme\nversion: 1\nrules:\n  pickles: forbid\n", encoding="utf-8"
    )
    (repo / "clearweights.toml").write_text(
        'policy = ".clearweights/policy.yml"\n[check]\nformat = "json"\n'
    )
    code, out, err = run(capsys, "check", OPEN, "-v")
    assert (code, policy_of(out)) == (0, "acme")
    assert f"config: {repo / 'clearweights.toml'}" in err
    policy = repo / ".clearweights" / "policy.yml"
    assert f"  --policy = '{policy}' from clearweights.toml policy\n" in err
    assert "  --format = 'json' from clearweights.toml [check] format\n" in err
    code, _, err = run(capsys, "check", OPEN, "--no-config")
    assert code == 2
    assert "Missing option '--policy'" in err
    other = repo / "other.toml"
    other.write_text('policy = "strict-osaid"\nformat = "json"\n')
    assert policy_of(run(capsys, "check", OPEN, "--config", str(other))[1]) == "strict-osaid"
    code, _, err = run(capsys, "check", OPEN, "--config", str(other), "--no-config")
    assert code == 2
    assert "give --config FILE or --no-config, not both" in err
    monkeypatch.setenv("CLEARWEIGHTS_CONFIG", str(other))
    assert policy_of(run(capsys, "check", OPEN)[1]) == "strict-osaid"
    assert run(capsys, "check", OPEN, "--no-config")[0] == 2  # no policy: the line wins


BAD_CONFIGS = [
    ("[tool.clearweights\n", "not valid TOML"),
    ("[tool.clearweights.check]\npolcy = 'pragmatic'\n",
     "[tool.clearweights.check] polcy: not an option of clearweights check"),
    ("[tool.clearweights.check]\nformat = 'yaml'\n",
     "[tool.clearweights.check] format: 'yaml' is not one of 'text', 'json', 'markdown', "
     "'sarif', 'junit'"),
    ("[tool.clearweights]\nsystemic-risk = 'no'\n",
     "[tool.clearweights] systemic-risk: expected true or false, got a string ('no')"),
    ("[tool.clearweights]\nbase = 'vendor/missing'\n", "[tool.clearweights] base: "),
    ("[tool.clearweights.check.output-format]\nsarif = 'x.sarif'\nhtml = 'x.html'\n",
     "[tool.clearweights.check] output-format: 'html=" ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS)
def test_bad_config_exit_2_naming_file_key_and_reason(
    capsys: pytest.CaptureFixture[str], repo: Path, text: str, message: str
) -> None:
    (repo / "pyproject.toml").write_text(text)
    code, out, err = run(capsys, "check", OPEN, "--policy", "pragmatic")
    assert code == 2
    assert out == ""
    assert err.startswith(f"clearweights: {repo / 'pyproject.toml'}: ")
    assert message in err
    assert "Traceback" not in err
    assert not list(repo.rglob("*.sarif"))


def test_feature_sections_are_left_to_their_feature(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    (repo / "pyproject.toml").write_text(
        "[tool.clearweights.taxonomy]\nlicenses = ['apache-2.0']\n"
        "[tool.clearweights.check]\npolicy = 'pragmatic'\nformat = 'json'\n"
    )
    code, out, _ = run(capsys, "check", OPEN)
    assert (code, policy_of(out)) == (0, "pragmatic")


def test_one_run_writes_every_format(capsys: pytest.CaptureFixture[str], repo: Path) -> None:
    reports = repo / "reports"
    args = [
        "check", NC, "--policy", "pragmatic", "--format", "text",
        "--output-format", f"sarif={reports / 'clearweights.sarif'}",
        "--output-format", f"junit={reports / 'junit.xml'}",
        "--output-format", f"json={reports / 'check.json'}",
    ]  # fmt: skip
    code, out, err = run(capsys, *args)
    assert code == 1
    assert "cc-by-nc-release" in out and "FAIL" in out  # the table for people
    sarif = json.loads((reports / "clearweights.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"]
    suite = ET.fromstring((reports / "junit.xml").read_text(encoding="utf-8"))
    assert suite.iter("failure").__next__() is not None
    doc = json.loads((reports / "check.json").read_text(encoding="utf-8"))
    assert doc["passed"] is False
    assert doc["checks"][0]["name"] == "cc-by-nc-release"
    assert f"wrote {reports / 'junit.xml'}" in err
    assert sorted(p.name for p in reports.iterdir()) == ["check.json", "clearweights.sarif",
                                                         "junit.xml"]  # fmt: skip


def test_output_files_from_the_config_and_quiet(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    (repo / "pyproject.toml").write_text(
        "[tool.clearweights.audit]\nformat = 'json'\noutput = 'out/audit.json'\n"
        "output-format = { markdown = 'out/audit.md' }\n"
    )
    code, out, err = run(capsys, "audit", OPEN, "-q")
    assert (code, out, err) == (0, "", "")
    doc = json.loads((repo / "out" / "audit.json").read_text(encoding="utf-8"))
    assert doc["audits"][0]["card"]["license"] == "apache-2.0"
    assert "open-olmo-style" in (repo / "out" / "audit.md").read_text(encoding="utf-8")


def test_a_failed_write_leaves_every_file_as_it_was(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    sarif = repo / "results.sarif"
    sarif.write_text("previous run\n")
    blocker = repo / "not-a-folder"
    blocker.write_text("")
    code, out, err = run(
        capsys, "check", NC, "--policy", "pragmatic", "-o", str(sarif), "--format", "sarif",
        "--output-format", f"junit={blocker / 'junit.xml'}",
    )  # fmt: skip
    assert code == 3
    assert out == ""
    assert f"clearweights: {blocker / 'junit.xml'}: cannot write" in err
    assert sarif.read_text() == "previous run\n"
    assert sorted(p.name for p in repo.iterdir()) == [".git", "models", "not-a-folder",
                                                      "results.sarif"]  # fmt: skip


def test_two_outputs_to_one_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    code, _, err = run(
        capsys, "check", NC, "--policy", "pragmatic", "-o", "x.sarif",
        "--output-format", "sarif=./x.sarif",
    )  # fmt: skip
    assert code == 2
    assert "is named as an output twice" in err
    code, _, err = run(capsys, "audit", NC, "--output-format", "sarif=x.sarif")
    assert code == 2
    assert "'sarif' is not one of text, json, markdown, mof-yaml" in err
    code, _, err = run(capsys, "audit", NC, "--output-format", "json")
    assert code == 2
    assert "expected FORMAT=FILE" in err
    code, _, err = run(capsys, "audit", NC, "--output-format", f"json={repo}")
    assert code == 2
    assert f"{repo} is a directory" in err
    assert not list(repo.rglob("x.sarif"))


def test_env_vars_reach_one_command_only(
    capsys: pytest.CaptureFixture[str], repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEARWEIGHTS_CHECK_FORMAT", "sarif")  # not a format audit offers
    monkeypatch.setenv("CLEARWEIGHTS_LICENSE_SHOW_FORMAT", "json")
    code, out, _ = run(capsys, "audit", OPEN)
    assert code == 0
    assert out.lstrip().startswith("Openness verdicts")
    code, out, _ = run(capsys, "license", "show", "mit")
    assert json.loads(out)["schema_version"]
    code, out, _ = run(capsys, "license", "list", "--category", "proprietary")
    assert not out.startswith("{")
    monkeypatch.setenv("CLEARWEIGHTS_AUDIT_FORMAT", "json")
    assert json.loads(run(capsys, "audit", OPEN)[1])["audits"]


def test_missing_path_is_named(capsys: pytest.CaptureFixture[str], repo: Path) -> None:
    code, _, err = run(capsys, "audit", "no/such-dir/here")
    assert code == 3
    assert "clearweights: no/such-dir/here: no such file or directory" in err
    code, _, err = run(capsys, "check", "acme/not-cached", "--policy", "pragmatic")
    assert code == 3
    assert (
        "acme/not-cached: is not in the local Hugging Face cache "
        "(nor is it a file or folder here; pass --download to fetch it from the Hub)"
    ) in err


def cached_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """acme/tiny in a Hugging Face cache: main is Apache-2.0, the tag v1 was CC BY-NC."""
    folder = tmp_path / "hub" / "models--acme--tiny"
    for commit, release in (("a" * 40, "open-olmo-style"), ("b" * 40, "cc-by-nc-release")):
        snapshot = folder / "snapshots" / commit
        snapshot.mkdir(parents=True)
        for name in ("README.md", "LICENSE", "config.json"):
            shutil.copy(EXAMPLES / release / name, snapshot / name)
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text("a" * 40)
    (folder / "refs" / "v1").write_text("b" * 40)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))


def test_revision_of_a_cached_repo(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached_repo(tmp_path, monkeypatch)

    def licence(*extra: str) -> str:
        code, out, _ = run(capsys, "audit", "acme/tiny", "--format", "json", *extra)
        assert code == 0
        return str(json.loads(out)["audits"][0]["card"]["license"])

    assert licence() == "apache-2.0"
    assert licence("--revision", "v1") == "cc-by-nc-4.0"
    assert licence("--revision", "b" * 40) == "cc-by-nc-4.0"
    code, _, err = run(capsys, "audit", "acme/tiny", "--revision", "v2")
    assert code == 3
    assert "acme/tiny: has no snapshot for revision 'v2' in the local Hugging Face cache" in err
    code, _, err = run(capsys, "badge", "acme/tiny", "--revision", "../../x")
    assert code == 3
    assert "'../../x' is not a revision" in err


def test_license_and_bom_write_files(capsys: pytest.CaptureFixture[str], repo: Path) -> None:
    code, out, err = run(capsys, "license", "show", "mit", "--format", "json", "-o", "mit.json")
    assert (code, out) == (0, "")
    assert json.loads((repo / "models" / "team" / "mit.json").read_text())["schema_version"]
    assert "wrote mit.json" in err
    code, out, _ = run(capsys, "bom", OPEN, "-o", "bom.json", "-q")
    assert (code, out) == (0, "")
    assert json.loads(Path("bom.json").read_text())["bomFormat"] == "CycloneDX"


def test_a_wrong_table_is_reported_by_every_command(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    (repo / "clearweights.toml").write_text("[audit]\nfail_on = ['redhat']\n")
    code, out, err = run(capsys, "license", "show", "mit")
    assert (code, out) == (2, "")
    assert err == (
        f"clearweights: {repo / 'clearweights.toml'}: [audit] fail_on: "
        "not an option of clearweights audit (did you mean 'fail-on'?)\n"
    )


def test_a_shared_store_is_for_scan_and_stats_not_check(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    (repo / "pyproject.toml").write_text(
        "[tool.clearweights]\nstore = 'audits.db'\nsystemic-risk = false\nmonetised = false\n"
        "[tool.clearweights.check]\npolicy = 'pragmatic'\nformat = 'json'\n"
    )
    code, _, _ = run(capsys, "scan", OPEN, "-q")
    assert code == 0
    assert (repo / "audits.db").is_file()  # relative to the config file, not the working dir
    code, out, _ = run(capsys, "check", NC)  # audits NC: the shared store is not check's
    assert code == 1
    assert json.loads(out)["checks"][0]["name"] == "cc-by-nc-release"
    # Shared declarations are defaults, not a request: --store still judges stored audits.
    code, out, err = run(capsys, "check", "--store", str(repo / "audits.db"))
    assert code == 0, err
    assert [c["name"] for c in json.loads(out)["checks"]] == ["open-olmo-style"]
    code, _, err = run(capsys, "check", "--store", "audits.db", "--no-systemic-risk")
    assert code == 2
    assert "--store judges stored audits" in err


def test_a_feature_command_takes_its_own_table_only(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import click

    from clearweights.cli._conventions import apply_conventions

    seen: dict[str, object] = {}

    @click.group()
    def root() -> None:
        """A command tree like clearweights', with a feature command."""

    @root.group()
    def feature() -> None:
        """A feature with settings of its own."""

    @feature.command()
    @click.option("--base", default="HEAD")  # a git ref here, not a base model
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
    def diff(base: str, fmt: str) -> None:
        seen.update(base=base, fmt=fmt)

    apply_conventions(root)
    (repo / "pyproject.toml").write_text(
        "[tool.clearweights]\nbase = 'vendor/llama'\nformat = 'markdown'\n"
        "[tool.clearweights.feature]\nformat = 'json'\nlicenses = ['mit']\n"
    )
    root.main(["feature", "diff"], standalone_mode=False)
    assert seen == {"base": "HEAD", "fmt": "json"}
    monkeypatch.setenv("CLEARWEIGHTS_FEATURE_DIFF_BASE", "main")
    root.main(["feature", "diff"], standalone_mode=False)
    assert seen == {"base": "main", "fmt": "json"}
