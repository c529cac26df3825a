"""The project config file on real project trees: discovery, types, paths, bad files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from clearweights.config import (
    NO_CONFIG,
    Options,
    discover_config,
    find_config,
    load_config,
)
from clearweights.errors import ConfigError, ExitCode

PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]

[project]
name = "acme-models"
version = "0.3.0"

[tool.ruff]
line-length = 100

[tool.clearweights]
policy = ".clearweights/policy.yml"
profile = ["redhat", "mof"]
systemic-risk = false
monetised = true
store = "audits.db"

[tool.clearweights.base]
"meta-llama/Llama-3.1-8B" = "vendor/Llama-3.1-8B"

[tool.clearweights.check]
policy = "pragmatic"
format = "markdown"
output-format = { sarif = "reports/clearweights.sarif", junit = "reports/junit.xml" }

[tool.clearweights.taxonomy]
licenses = ["apache-2.0", "mit", "llama3.1"]
"""


def project(tmp_path: Path, name: str = "pyproject.toml", text: str = PYPROJECT) -> Path:
    """A project tree with a config file at its root and a nested working folder."""
    (tmp_path / ".git").mkdir()
    (tmp_path / name).write_text(text, encoding="utf-8")
    nested = tmp_path / "models" / "my-model"
    nested.mkdir(parents=True)
    return nested


def test_found_from_a_nested_folder_with_paths_from_the_file(tmp_path: Path) -> None:
    nested = project(tmp_path)
    config = discover_config(nested)
    assert config.path == tmp_path / "pyproject.toml"
    shared = config.shared
    assert shared.policy == str(tmp_path / ".clearweights" / "policy.yml")
    assert shared.profile == ("redhat", "mof")
    assert shared.systemic_risk is False
    assert shared.monetised is True
    assert shared.store == str(tmp_path / "audits.db")
    assert shared.base == (("meta-llama/Llama-3.1-8B", tmp_path / "vendor" / "Llama-3.1-8B"),)


def test_a_command_table_wins_over_shared_keys(tmp_path: Path) -> None:
    config = discover_config(project(tmp_path))
    check = config.options("check")
    assert check.policy == "pragmatic"  # built-in names stay names
    assert check.format == "markdown"
    assert check.output_format == (
        ("sarif", tmp_path / "reports" / "clearweights.sarif"),
        ("junit", tmp_path / "reports" / "junit.xml"),
    )
    assert check.monetised is True  # shared, not overridden
    audit = config.options("audit")
    assert audit.policy == str(tmp_path / ".clearweights" / "policy.yml")
    assert audit.format is None
    assert "format" not in audit.set_keys()
    assert audit.set_keys()["profile"] == ("redhat", "mof")


def test_feature_sections_read_as_mappings(tmp_path: Path) -> None:
    config = discover_config(project(tmp_path))
    taxonomy = config.section("taxonomy")
    assert taxonomy["licenses"] == ("apache-2.0", "mit", "llama3.1")
    assert config.unknown_keys("taxonomy") == ("licenses",)
    assert config.section("absent") == {}
    with pytest.raises(TypeError):
        taxonomy["licenses"] = ()  # type: ignore[index]  # NOTE: read-only on purpose
    error = config.error("licenses", "'gpl' is not in the catalogue", table="taxonomy")
    assert error.diagnostics() == (
        f"{tmp_path / 'pyproject.toml'}: [tool.clearweights.taxonomy] licenses: "
        "'gpl' is not in the catalogue"
    )


def test_clearweights_toml_keys_at_top_level(tmp_path: Path) -> None:
    nested = project(tmp_path, "clearweights.toml", 'policy = "strict-osaid"\n[audit]\njobs = 4\n')
    config = discover_config(nested)
    assert config.path == tmp_path / "clearweights.toml"
    assert config.options("check").policy == "strict-osaid"
    assert config.options("audit").jobs == 4


def test_nearest_file_wins_and_a_pyproject_without_the_table_is_passed(tmp_path: Path) -> None:
    nested = project(tmp_path)
    (tmp_path / "models" / "pyproject.toml").write_text('[project]\nname = "inner"\n')
    assert find_config(nested) == tmp_path / "pyproject.toml"
    (nested / "clearweights.toml").write_text('format = "json"\n')
    assert find_config(nested) == nested / "clearweights.toml"


def test_the_walk_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "clearweights.toml").write_text('policy = "pragmatic"\n')
    repo = tmp_path / "checkout"
    (repo / "sub").mkdir(parents=True)
    (repo / ".hg").mkdir()
    assert find_config(repo / "sub") is None
    assert discover_config(repo / "sub") is NO_CONFIG
    assert NO_CONFIG.options("check") == Options()


@pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True, check=False).returncode != 0,
    reason="git is not installed",
)
def test_a_real_git_repository_is_a_root(tmp_path: Path) -> None:
    (tmp_path / "clearweights.toml").write_text('policy = "pragmatic"\n')
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert find_config(repo) is None
    (repo / "clearweights.toml").write_text('policy = "commercial-product"\n')
    assert load_config(find_config(repo) or "").shared.policy == "commercial-product"


def test_both_files_with_settings_in_one_folder_is_refused(tmp_path: Path) -> None:
    nested = project(tmp_path)
    (tmp_path / "clearweights.toml").write_text('policy = "pragmatic"\n')
    with pytest.raises(ConfigError, match=r"both clearweights\.toml and pyproject\.toml"):
        find_config(nested)


def test_another_tools_broken_pyproject_is_not_ours(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.ruff\nline-length = 1\n")
    assert find_config(tmp_path) is None
    (tmp_path / "pyproject.toml").write_text("[tool.clearweights\npolicy = 'pragmatic'\n")
    with pytest.raises(ConfigError) as info:
        find_config(tmp_path)
    assert info.value.path == str(tmp_path / "pyproject.toml")
    assert "not valid TOML" in info.value.message
    assert "line 1" in info.value.message
    assert info.value.exit_code == ExitCode.USAGE


BAD = [
    ("policy = 3\n", "policy: expected a string, got an integer (3)"),
    ("systemic-risk = 'yes'\n", "systemic-risk: expected true or false, got a string ('yes')"),
    ("jobs = true\n", "jobs: expected an integer, got true or false (True)"),
    ("jobs = 0\n", "jobs: expected a positive integer, got 0"),
    ("profile = ['redhat', 1]\n", "profile[1]: expected a string, got an integer (1)"),
    ("polcy = 'pragmatic'\n", "polcy: unknown key (did you mean 'policy'?)"),
    ("zzz = 1\n", "zzz: unknown key (known keys: base, download,"),
    ("[audit]\noutput = ''\n", "[audit] output: expected a non-empty string, got an empty one"),
    ("[check]\noutput-format = 'sarif=x'\n", "[check] output-format: expected a table"),
    ("[check.output-format]\nsarif = 1\n", "[check] output-format.sarif: expected a string"),
    ("base = ['a']\n", "base: expected a table, got an array (['a'])"),
    ("policy = 'pragmatic'\npolicy = 'strict'\n", "not valid TOML: Cannot overwrite a value"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_wrong_values_name_file_key_and_reason(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "clearweights.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.path == str(path)
    assert message in info.value.message
    assert info.value.exit_code == ExitCode.USAGE


def test_pyproject_messages_spell_the_table(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.clearweights.check]\nformat = ['json']\n")
    with pytest.raises(ConfigError, match=r"\[tool.clearweights.check\] format: expected a str"):
        load_config(path)
    path.write_text("[tool]\nclearweights = 'pragmatic'\n")
    with pytest.raises(ConfigError, match=r"tool\.clearweights: expected a table, got a string"):
        load_config(path)
    path.write_text('[project]\nname = "x"\n')
    with pytest.raises(ConfigError, match=r"has no \[tool.clearweights\] table"):
        load_config(path)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path)
    latin = tmp_path / "clearweights.toml"
    latin.write_bytes("title = 'Modèles'\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(latin)


def test_overlaid_and_items_round_trip() -> None:
    shared = Options(policy="pragmatic", jobs=2, profile=("mof",))
    own = Options(jobs=8, quiet=True)
    merged = shared.overlaid(own)
    assert merged == Options(policy="pragmatic", jobs=8, profile=("mof",), quiet=True)
    expected = {"policy": "pragmatic", "jobs": 8, "profile": ("mof",), "quiet": True}
    assert merged.set_keys() == expected


def test_output_files_belong_to_one_command(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.clearweights]\noutput = 'report.txt'\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.message == (
        "[tool.clearweights] output: belongs in a command's table, such as "
        "[tool.clearweights.check]"
    )


def test_the_documented_example_loads_and_every_key_is_documented(tmp_path: Path) -> None:
    from clearweights.config import KEYS

    doc = (Path(__file__).parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "pyproject.toml").write_text(example, encoding="utf-8")
    config = load_config(tmp_path / "pyproject.toml")
    check = config.options("check")
    assert check.policy == str(tmp_path / ".clearweights" / "policy.yml")
    assert dict(check.output_format)["junit"] == tmp_path / "reports" / "junit.xml"
    assert config.options("audit").fail_on == ("redhat",)
    reference = doc.split("| key | value | commands |", 1)[1].split("\n\n", 1)[0]
    for key in KEYS:
        assert f"`{key}`" in reference, key
