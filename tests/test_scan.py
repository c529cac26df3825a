"""``clearweights scan``: every source gives the same audit for the same card and files."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from clearweights.cli.main import main
from clearweights.scale import scan, sources_for
from tests.scale_corpus import (
    EXAMPLES,
    NAMES,
    audits,
    card_only_dirs,
    essence,
    hub_row,
    write_jsonl,
    write_parquet,
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def by_name(jsonl: str) -> dict[str, dict[str, object]]:
    return {str(a["name"]).rsplit("/", 1)[-1]: essence(a) for a in audits(jsonl)}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("releases")
    card_only_dirs(root)
    return root


@pytest.fixture(scope="module")
def expected(folder: Path) -> dict[str, dict[str, object]]:
    """The audits of the example folders (weights removed), read as directories."""
    out = io.StringIO()
    summary = scan(sources_for([str(folder)]), sink=out)
    assert (summary.audited, summary.failed) == (len(NAMES), 0)
    return by_name(out.getvalue())


def test_folder_of_releases_matches_audit_json(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "scan", str(folder), "--jobs", "1", "-q")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == len(NAMES)
    target = str(folder / "open-washing")
    code, single, _ = run(capsys, "audit", target, "--format", "json")
    assert code == 0  # no --fail-on: findings do not change the exit code
    [line] = [x for x in lines if json.loads(x)["audits"][0]["path"] == target]
    assert json.loads(line) == json.loads(single)


@pytest.mark.parametrize("writer", [write_jsonl, write_parquet], ids=["jsonl", "parquet"])
def test_dump_rows_audit_as_their_directories(
    tmp_path: Path, writer: object, expected: dict[str, dict[str, object]]
) -> None:
    rows = [hub_row(name) for name in NAMES]
    dump = writer(rows, tmp_path / ("dump.jsonl" if writer is write_jsonl else "dump.parquet"))  # type: ignore[operator]
    out = io.StringIO()
    summary = scan(sources_for([str(dump)]), sink=out)
    assert summary.failed == 0
    got = by_name(out.getvalue())
    assert got == expected
    assert got["open-washing"]["findings"]  # the rows are not audited as empty releases
    first = audits(out.getvalue())[0]
    assert first["source"] == "hf-metadata"


def test_public_card_dump_shape_is_a_card_only_audit(tmp_path: Path) -> None:
    """``modelId``, ``card``, ``tags``, ``downloads``: no files, so the card alone decides."""
    card = (EXAMPLES / "cc-by-nc-release" / "README.md").read_text(encoding="utf-8")
    dump = write_jsonl(
        [{"modelId": "someone/nc-model", "card": card, "tags": ["license:cc-by-nc-4.0"],
          "downloads": 12, "lastModified": "2025-02-03T04:05:06.000Z"}],
        tmp_path / "cards.jsonl",
    )  # fmt: skip
    alone = tmp_path / "nc-model"
    alone.mkdir()
    (alone / "README.md").write_text(card, encoding="utf-8")
    rows, dirs = io.StringIO(), io.StringIO()
    scan(sources_for([str(dump)]), sink=rows)
    scan(sources_for([str(alone)]), sink=dirs)
    [row] = audits(rows.getvalue())
    assert essence(row) == essence(audits(dirs.getvalue())[0])
    weights = next(c for c in row["components"] if c["name"] == "Model parameters (Final)")
    assert weights["license"]["expression"] == "CC-BY-NC-4.0"
    assert row["profiles"]["osaid-1.0"]["verdict"] == "fail"


def test_card_data_without_card_text(tmp_path: Path) -> None:
    """``list_models(cardData=True)`` gives the front matter as a mapping, not the card."""
    dump = write_jsonl(
        [{"id": "org/llama-ft", "sha": "a" * 40, "cardData": {"license": "llama3.1"},
          "siblings": [{"rfilename": "README.md"}, {"rfilename": "config.json"},
                       {"rfilename": "model.safetensors",
                        "lfs": {"size": 10, "sha256": "0" * 64}}]}],
        tmp_path / "d.jsonl",
    )  # fmt: skip
    out = io.StringIO()
    scan(sources_for([str(dump)]), sink=out)
    [audit] = audits(out.getvalue())
    weights = next(c for c in audit["components"] if c["name"] == "Model parameters (Final)")
    assert weights["license"]["expression"] == "LicenseRef-scancode-llama-3.1-license-2024"
    assert weights["paths"] == []  # listed on the Hub, not read: the card-only path
    assert audit["profiles"]["osaid-1.0"]["verdict"] == "fail"


def _cache(root: Path, repo: str, snapshots: dict[str, str], main_ref: str) -> None:
    """A Hugging Face cache layout: blobs by hash, snapshots of symlinks, refs/main."""
    folder = root / ("models--" + repo.replace("/", "--"))
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text(main_ref, encoding="utf-8")
    for commit, example in snapshots.items():
        for path in sorted((EXAMPLES / example).rglob("*")):
            if not path.is_file():
                continue
            blob = folder / "blobs" / f"{abs(hash(path.read_bytes())):x}"
            blob.parent.mkdir(parents=True, exist_ok=True)
            blob.write_bytes(path.read_bytes())
            link = folder / "snapshots" / commit / path.relative_to(EXAMPLES / example)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(os.path.relpath(blob, link.parent))


def test_hf_cache_every_repo_at_main_or_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "hub"
    new, old = "1" * 40, "2" * 40
    _cache(cache, "meta/llama-ft", {new: "llama-3.1-finetune", old: "open-washing"}, new)
    _cache(cache, "allenai/olmo-like", {new: "open-olmo-style"}, new)
    code, out, err = run(capsys, "scan", "--hf-cache", str(cache), "--jobs", "1", "-q")
    assert code == 0, err
    found = {a["name"]: a for a in audits(out)}
    assert sorted(found) == ["allenai/olmo-like", "meta/llama-ft"]
    assert found["meta/llama-ft"]["source"] == "hf-cache"
    direct = io.StringIO()
    scan(sources_for([str(EXAMPLES / "llama-3.1-finetune")]), sink=direct)
    assert essence(found["meta/llama-ft"]) == essence(audits(direct.getvalue())[0])
    code, out, _ = run(capsys, "scan", "--hf-cache", str(cache), "--revision", old, "-q")
    assert code == 3  # olmo-like has no such revision: recorded, the other one audited
    [audit] = [a for a in audits(out) if a["error"] is None]
    assert any(f["code"].startswith("OW-") for f in audit["findings"])  # the old snapshot
    assert "no snapshot for revision" in next(a["error"] for a in audits(out) if a["error"])


def test_from_file_and_globs(
    tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(
        f"# releases to check\n{folder / 'gemma-release'}\n\n"
        f"{tmp_path / 'gone'}\nnot-cached/repo\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "scan", "--from-file", str(listing), "--hf-cache",
                         str(tmp_path / "empty-cache"), "--jobs", "1")  # fmt: skip
    assert code == 3
    results = audits(out)
    assert results[0]["error"] is None
    errors = [a["error"] for a in results if a["error"]]
    assert any("gone: no such file or directory" in e for e in errors)
    assert any("not-cached/repo: is not in the local Hugging Face cache" in e for e in errors)
    assert "could not be audited" in err
    code, out, _ = run(capsys, "scan", str(folder / "*-release"), "-q", "--jobs", "1")
    assert code == 0
    assert sorted(a["name"] for a in audits(out)) == ["cc-by-nc-release", "gemma-release"]


def test_bad_rows_are_recorded_and_the_rest_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.dumps(hub_row("gemma-release")).encode()
    dump = tmp_path / "dump.jsonl"
    dump.write_bytes(
        good + b"\n"
        + b'{"id": "broken", "card": \n'
        + b'{"id": "org/latin1", "card": "Licence: \xe9t\xe9"}\n'
        + b'{"card": "no id"}\n'
        + b'{"id": "org/odd", "siblings": "model.safetensors"}\n'
    )  # fmt: skip
    store = tmp_path / "s.db"
    code, out, err = run(capsys, "scan", str(dump), "--store", str(store), "--format", "jsonl")
    assert code == 3
    results = audits(out)
    assert [a["error"] is None for a in results] == [True, False, False, False, False]
    errors = [a["error"] for a in results[1:]]
    assert f"{dump}:2: malformed row: not JSON" in errors[0]
    assert f"{dump}:3: malformed row: not UTF-8 text" in errors[1]
    assert "no id or modelId" in errors[2]
    assert "siblings is str, not a list" in errors[3]
    assert "4 could not be audited" in err
    code, out, _ = run(capsys, "stats", "--store", str(store), "--format", "json")
    stats = json.loads(out)
    assert (stats["audited"], stats["failed"]) == (1, 4)


def test_non_utf8_card_in_parquet_reads_as_the_directory_does(tmp_path: Path) -> None:
    card = "---\nlicense: apache-2.0\n---\n# Mod\u00e8le\n\nCopyright \u00a9 Acme.\n".encode(
        "latin-1"
    )
    write_parquet(
        [{"id": "acme/latin1", "sha": "b" * 40, "card": card,
          "siblings": [{"rfilename": "README.md"}]}],
        tmp_path / "d.parquet",
    )  # fmt: skip
    alone = tmp_path / "latin1"
    alone.mkdir()
    (alone / "README.md").write_bytes(card)
    rows, dirs = io.StringIO(), io.StringIO()
    assert scan(sources_for([str(tmp_path / "d.parquet")]), sink=rows).failed == 0
    scan(sources_for([str(alone)]), sink=dirs)
    [row] = audits(rows.getvalue())
    assert essence(row) == essence(audits(dirs.getvalue())[0])
    assert row["card"]["license"] == "apache-2.0"


def test_a_file_that_is_not_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.db"
    assert run(capsys, "scan", str(EXAMPLES / "gemma-release"), "--store", str(store))[0] == 0
    fake = tmp_path / "dump.parquet"
    fake.write_text("id,card\norg/x,hello\n", encoding="utf-8")
    code, _, err = run(capsys, "scan", str(fake), "--store", str(store))
    assert code == 3
    assert f"{fake}: not a Parquet file" in err
    assert "Traceback" not in err
    code, out, _ = run(capsys, "stats", "--store", str(store), "--format", "json")
    assert json.loads(out)["audited"] == 1  # what was stored is still there


def test_process_pool_gives_the_same_results(
    folder: Path, expected: dict[str, dict[str, object]]
) -> None:
    out = io.StringIO()
    summary = scan(sources_for([str(folder)]), sink=out, jobs=2, batch=3)
    assert (summary.audited, summary.failed) == (len(NAMES), 0)
    assert by_name(out.getvalue()) == expected
    assert [a["name"] for a in audits(out.getvalue())] == NAMES  # in source order


def test_scan_needs_a_source(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "scan")[0] == 2
    code, _, err = run(capsys, "scan", "--from-file", str(tmp_path / "missing.txt"))
    assert code == 3
    assert "missing.txt: no such file" in err
