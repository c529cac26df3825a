"""The GitHub Action's and the pre-commit hook's command lines, run as CI would run them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "releases"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the action runs in bash")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checked-out repository with two releases, a config file, and `clearweights` on PATH.

    The `clearweights` on PATH runs this source tree and counts its runs (CI audits once).
    """
    (tmp_path / ".git").mkdir()
    for name in ("open-olmo-style", "cc-by-nc-release"):
        shutil.copytree(EXAMPLES / name, tmp_path / "models" / name)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "acme-models"\n\n[tool.clearweights]\npolicy = "pragmatic"\n'
        "systemic-risk = false\n",
        encoding="utf-8",
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "clearweights"
    shim.write_text(
        "#!/bin/sh\n"
        'echo run >> "$CLEARWEIGHTS_TEST_RUNS"\n'
        f'PYTHONPATH="{ROOT / "src"}" exec "{sys.executable}" -m clearweights.cli.main "$@"\n',
        encoding="utf-8",
    )
    shim.chmod(0o755)
    return tmp_path


def environment(workspace: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLEARWEIGHTS_")}
    env["PATH"] = f"{workspace / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["CLEARWEIGHTS_TEST_RUNS"] = str(workspace / "runs.log")
    return {**env, **extra}


def runs(workspace: Path) -> int:
    log = workspace / "runs.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def action_step(step_id: str) -> dict[str, Any]:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    steps: list[dict[str, Any]] = action["runs"]["steps"]
    return next(s for s in steps if s.get("id") == step_id)


def run_action(workspace: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run the action's check step as the runner does: inputs as INPUT_* variables."""
    step = action_step("check")
    defaults = {"paths": "", "policy": "", "sarif": "clearweights.sarif", "junit": ""}
    values = {**defaults, "config": "", "args": "", **inputs}
    summary = workspace / "summary.md"
    env = environment(
        workspace,
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(workspace / "github-output"),
        **{f"INPUT_{k.upper()}": v for k, v in values.items()},
    )
    assert set(step["env"]) == {f"INPUT_{k.upper()}" for k in values}
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=workspace, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done, summary


def test_the_action_audits_once_and_writes_every_output(workspace: Path) -> None:
    done, summary = run_action(
        workspace, paths="models/open-olmo-style models/cc-by-nc-release", junit="junit.xml"
    )
    assert done.returncode == 1, done.stderr
    assert runs(workspace) == 1
    assert "### clearweights: policy `pragmatic` does not pass" in summary.read_text()
    assert summary.read_text() == done.stdout
    sarif = json.loads((workspace / "clearweights.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"]
    suite = ET.fromstring((workspace / "junit.xml").read_text(encoding="utf-8"))
    assert len(list(suite.iter("failure"))) >= 1
    assert (workspace / "github-output").read_text() == "exit-code=1\n"


def test_the_action_passes_a_compliant_release_with_its_own_policy(workspace: Path) -> None:
    done, summary = run_action(
        workspace, paths="models/open-olmo-style", policy="commercial-product", sarif=""
    )
    assert done.returncode == 0, done.stderr
    assert "commercial-product" in summary.read_text()
    assert not (workspace / "clearweights.sarif").exists()
    assert (workspace / "github-output").read_text() == "exit-code=0\n"


def test_the_action_stops_on_a_usage_error(workspace: Path) -> None:
    done, _ = run_action(workspace, paths="models/open-olmo-style", args="--format-typo")
    assert done.returncode == 2
    assert "No such option '--format-typo'" in done.stderr
    assert (workspace / "github-output").read_text() == "exit-code=2\n"


def test_the_pre_commit_hook(workspace: Path) -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "clearweights-check")
    assert hook["pass_filenames"] is False
    entry = hook["entry"].split()

    def commit(*args: str) -> subprocess.CompletedProcess[str]:
        # pre-commit runs `entry args...` from the repository's root, without a terminal.
        return subprocess.run(
            [*entry, *args], cwd=workspace, env=environment(workspace),
            capture_output=True, text=True, check=False,
        )  # fmt: skip

    ok = commit("models/open-olmo-style")
    assert ok.returncode == 0, ok.stderr
    assert "pragmatic" in ok.stdout  # the policy came from pyproject.toml
    bad = commit("models/cc-by-nc-release")
    assert bad.returncode == 1
    assert "clearweights: policy pragmatic is violated" in bad.stderr
    assert runs(workspace) == 2
