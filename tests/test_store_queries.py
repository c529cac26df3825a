"""Reading the store: policies on stored audits, verdict changes between runs, migrations."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from clearweights.cli.main import main
from clearweights.formats import CHECK_FORMATS
from clearweights.policy import check, load_policy
from clearweights.store import open_store
from tests.scale_corpus import NAMES, card_only_dirs
from tests.test_store import rows


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    if args[0] == "scan":  # in this process: a pool's start-up costs more than these releases
        args = (*args, "--jobs", "1")
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    card_only_dirs(tmp_path / "releases")
    return tmp_path / "releases"


def releases(folder: Path) -> list[str]:
    """The release folders, in the order the store lists them (by key)."""
    return sorted(str(p) for p in folder.iterdir())


def test_check_store_judges_stored_audits_as_check_judges_the_paths(
    store_url: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "scan", str(folder), "--store", store_url, "-q")[0] == 0
    for name in ("pragmatic", "commercial-product"):
        policy, base = load_policy(name)
        direct = check(releases(folder), policy, base=base)  # audits every release again
        assert not direct.passed
        for fmt in CHECK_FORMATS:
            code, out, err = run(capsys, "check", "--store", store_url, "--policy", name,
                                 "--format", str(fmt))  # fmt: skip
            assert out == fmt.to_format().render(direct), (name, fmt)
            assert (code, err) == (1, f"clearweights: policy {name} is violated\n")
    # and the command on the paths says the same
    stored = run(capsys, "check", "--store", store_url, "--policy", "pragmatic", "--format", "json")
    assert stored == run(capsys, "check", *releases(folder), "--policy", "pragmatic",
                         "--format", "json")  # fmt: skip
    assert len(json.loads(stored[1])["checks"]) == len(NAMES)


def test_check_store_never_reads_the_releases(
    store_url: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "scan", str(folder), "--store", store_url, "-q")[0] == 0
    before = run(capsys, "check", "--store", store_url, "--policy", "strict-osaid",
                 "--format", "sarif")  # fmt: skip
    shutil.rmtree(folder)
    after = run(capsys, "check", "--store", store_url, "--policy", "strict-osaid",
                "--format", "sarif")  # fmt: skip
    assert after == before
    assert json.loads(after[1])["runs"][0]["results"]


def test_check_store_selects_releases(
    store_url: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "scan", str(folder), "--store", store_url, "-q")[0] == 0

    def names(*selection: str) -> list[str]:
        code, out, err = run(capsys, "check", "--store", store_url, "--policy", "pragmatic",
                             "--format", "json", *selection)  # fmt: skip
        assert code in (0, 1), err
        return [r["name"] for r in json.loads(out)["checks"]]

    assert names("--release", "open-*") == ["open-olmo-style", "open-washing"]
    assert names("--release", str(folder / "gemma-release"), "--release", "unsafe-pickle") == [
        "gemma-release", "unsafe-pickle"
    ]  # fmt: skip
    one = run(capsys, "check", "--store", store_url, "--policy", "pragmatic",
              "--release", "open-olmo-style")  # fmt: skip
    assert one == run(capsys, "check", str(folder / "open-olmo-style"), "--policy", "pragmatic")
    code, out, err = run(capsys, "check", "--store", store_url, "--policy", "pragmatic",
                         "--release", "gemma-release", "--release", "no-such-*")  # fmt: skip
    assert (code, out) == (2, "")
    assert "no stored release matches 'no-such-*'" in err


def test_check_store_reports_releases_that_could_not_be_audited(
    store_url: str, folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "gone")
    assert run(capsys, "scan", missing, "--store", store_url, "-q")[0] == 3
    code, out, err = run(capsys, "check", "--store", store_url, "--policy", "pragmatic")
    assert code == 3  # as check on the path: could not audit
    assert "could not audit" in out
    assert f"clearweights: {missing}: " in err


def test_check_store_usage_and_store_errors(
    tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "s.db")
    code, _, err = run(capsys, "check", "--store", db, "--policy", "pragmatic")
    assert (code, "no such store file" in err) == (3, True)
    assert not Path(db).exists()  # a reader never creates a store
    open_store(db).close()
    code, _, err = run(capsys, "check", "--store", db, "--policy", "pragmatic")
    assert (code, "holds no audits" in err) == (3, True)
    code, _, err = run(capsys, "check", str(folder), "--store", db, "--policy", "pragmatic")
    assert (code, "no PATHs" in err) == (2, True)
    code, _, err = run(capsys, "check", "--store", db, "--policy", "pragmatic",
                       "--systemic-risk")  # fmt: skip
    assert (code, "declarations" in err) == (2, True)
    code, _, err = run(capsys, "check", "--policy", "pragmatic", "--release", "x")
    assert (code, "--release needs --store" in err) == (2, True)


def test_a_stored_document_that_cannot_be_loaded_is_named(
    store_url: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "scan", str(folder / "gemma-release"), "--store", store_url)[0] == 0
    rows(store_url, 'update audits set document = \'{"schema_version": "9.0", "audits": []}\'')
    code, out, err = run(capsys, "check", "--store", store_url, "--policy", "pragmatic")
    assert (code, out) == (3, "")
    assert "(audit 1 of " in err
    assert 'schema_version "9.0", newer than this clearweights reads' in err


def _change_licence(release: Path) -> None:
    card = release / "README.md"
    text = card.read_text(encoding="utf-8").replace("cc-by-nc-4.0", "apache-2.0")
    card.write_text(text, encoding="utf-8")
    (release / "LICENSE").unlink()
    os.utime(card, ns=(3, 3))


def test_stats_lists_the_releases_whose_verdicts_changed(
    store_url: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "stats", "--store", store_url, "--changes")
    assert code == 3 or "comparing needs two" in err  # no store yet: SQLite says no such file
    assert run(capsys, "scan", str(folder), "--store", store_url, "-q")[0] == 0
    code, _, err = run(capsys, "stats", "--store", store_url, "--changes")
    assert (code, "holds 1 run(s); comparing needs two" in err) == (2, True)
    _change_licence(folder / "cc-by-nc-release")
    assert run(capsys, "scan", str(folder), "--store", store_url, "-q")[0] == 0
    code, out, _ = run(capsys, "stats", "--store", store_url, "--changes", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["runs"], doc["compared"], doc["new_releases"]) == (
        {"from": 1, "to": 2}, len(NAMES), 0
    )  # fmt: skip
    [change] = doc["changed"]
    assert change["name"] == "cc-by-nc-release"
    assert change["license"] == {"from": "CC-BY-NC-4.0", "to": "Apache-2.0"}
    assert change["revision"]["from"] != change["revision"]["to"]
    redhat = next(v for v in change["verdicts"] if v["framework"] == "redhat")
    assert (redhat["from"]["verdict"], redhat["to"]["verdict"]) == ("fail", "unknown")
    assert run(capsys, "stats", "--store", store_url, "--compare", "1", "2", "--format",
               "json")[1] == out  # fmt: skip
    code, out, _ = run(capsys, "stats", "--store", store_url, "--compare", "1", "2",
                       "--format", "csv")  # fmt: skip
    assert out.splitlines()[0] == "from_run,to_run,release,name,what,from,to"
    key = str(folder / "cc-by-nc-release")
    assert f"1,2,{key},cc-by-nc-release,weights licence,CC-BY-NC-4.0,Apache-2.0" in out
    assert f"1,2,{key},cc-by-nc-release,redhat,fail,unknown" in out
    code, out, _ = run(capsys, "stats", "--store", store_url, "--changes", "--format", "markdown")
    assert "| cc-by-nc-release | redhat | fail | unknown |" in out
    code, out, _ = run(capsys, "stats", "--store", store_url, "--changes")
    assert "  weights licence: CC-BY-NC-4.0 → Apache-2.0" in out
    assert "  redhat: fail → unknown" in out
    # the other way round, and a run with itself
    back = json.loads(run(capsys, "stats", "--store", store_url, "--compare", "2", "1",
                          "--format", "json")[1])  # fmt: skip
    assert back["changed"][0]["license"] == {"from": "Apache-2.0", "to": "CC-BY-NC-4.0"}
    same = json.loads(run(capsys, "stats", "--store", store_url, "--compare", "2", "2",
                          "--format", "json")[1])  # fmt: skip
    assert same["changed"] == []
    code, _, err = run(capsys, "stats", "--store", store_url, "--compare", "1", "7")
    assert (code, "has no run 7 (runs: 1 to 2)" in err) == (2, True)


def test_a_release_that_fails_after_passing_is_a_change(
    store_url: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from clearweights.scale.items import Item
    from clearweights.scale.worker import failed

    release = str(folder / "open-olmo-style")
    assert run(capsys, "scan", release, "--store", store_url, "-q")[0] == 0
    # The next revision of the release could not be audited (as a worker records it).
    store = open_store(store_url)
    try:
        run_id = store.start_run("0.1.0", "x")
        store.write(
            run_id, [failed(Item("directory", release, "sha256:0"), "card unreadable", 0.1)]
        )
        store.finish_run(run_id, 0, 0, 1)
    finally:
        store.close()
    doc = json.loads(run(capsys, "stats", "--store", store_url, "--changes", "--format",
                         "json")[1])  # fmt: skip
    [change] = doc["changed"]
    assert change["license"] == {"from": "Apache-2.0", "to": None}
    audit = next(v for v in change["verdicts"] if v["framework"] == "(audit)")
    assert audit["from"] is None
    assert audit["to"] == {"verdict": "error", "label": "card unreadable"}
    mof = next(v for v in change["verdicts"] if v["framework"] == "mof")
    assert mof["to"] is None  # not judged: the audit failed


def test_a_configured_store_yields_to_paths(
    tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A project's ``store`` serves scan and stats; ``check PATH`` still audits the path."""
    db = tmp_path / "audits.db"
    config = tmp_path / "clearweights.toml"
    # A shared store serves scan and stats; check takes one only from its own table.
    config.write_text(f'store = "{db}"\npolicy = "pragmatic"\nsystemic-risk = false\n'
                      f'[check]\nstore = "{db}"\n', encoding="utf-8")  # fmt: skip
    release = str(folder / "open-washing")
    assert run(capsys, "scan", release, "--config", str(config), "-q")[0] == 0
    assert db.is_file()
    on_path = run(capsys, "check", release, "--config", str(config), "--format", "json")
    assert on_path == run(capsys, "check", release, "--policy", "pragmatic", "--format", "json")
    # without PATHs, the configured store is judged (its declarations were settled at audit)
    stored = run(capsys, "check", "--config", str(config), "--format", "json")
    assert stored == on_path
    code, _, err = run(capsys, "check", "--config", str(config), "--not-monetised")
    assert (code, "no PATHs, declarations or --base" in err) == (2, True)
