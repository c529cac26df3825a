"""``clearweights generate`` on the example taxonomy (documents in git repositories at pinned
commits), against the fixture teacher; and pipelines in their YAML form."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from clearweights.cli.main import main
from clearweights.errors import UsageError
from clearweights.generate import LeafKind, builtin, from_dict, load, to_yaml
from tests.generate_servers.fixtures import FixtureTeacher, fixture_teacher
from tests.generate_servers.scenario import RULES

__all__ = ["fixture_teacher"]

EXAMPLE = Path(__file__).parents[1] / "examples" / "taxonomy"


@pytest.fixture
def taxonomy(tmp_path: Path) -> Path:
    """A copy of the example taxonomy with its document repositories built."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = shutil.copytree(
        EXAMPLE, tmp_path / "taxonomy", ignore=shutil.ignore_patterns(".documents")
    )
    subprocess.run(["sh", str(root / "build-documents.sh")], check=True, capture_output=True)
    return root


def _run(fixture: FixtureTeacher, taxonomy: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "generate", str(taxonomy), "--teacher-url", fixture.url, "--teacher-model", "t",
            "-o", str(out), "--scale", "1", "--retries", "1", *extra,
        ]
    )  # fmt: skip


def test_a_leaf_under_a_refused_licence_stops_the_run(
    fixture_teacher: FixtureTeacher,
    taxonomy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fixture_teacher.rules(RULES)
    assert _run(fixture_teacher, taxonomy, tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert "knowledge/history/technology/printing_press (CC-BY-NC-4.0)" in err
    assert fixture_teacher.stats() == {}
    assert not (tmp_path / "out").exists()


def test_the_project_config_allow_list_applies_to_generate(
    fixture_teacher: FixtureTeacher,
    taxonomy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``[taxonomy] licenses`` in clearweights.toml judges leaves in generate as in validate."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "clearweights.toml").write_text(
        '[taxonomy]\nlicenses = ["CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC0-1.0"]\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(project)
    fixture_teacher.rules(RULES)
    code = _run(fixture_teacher, taxonomy, tmp_path / "out", "--leaf", "knowledge/history")
    err = capsys.readouterr().err
    assert "outside the allow-list" not in err
    assert code == 0, err


def test_generates_from_the_example_taxonomy(
    fixture_teacher: FixtureTeacher,
    taxonomy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fixture_teacher.rules(RULES)
    out = tmp_path / "out"
    leaves = ("--leaf", "knowledge/science", "--leaf", "compositional_skills")
    assert _run(fixture_teacher, taxonomy, out, *leaves) == 0
    err = capsys.readouterr().err
    assert "WARNING: TEACHER LICENCE UNKNOWN" in err
    assert "knowledge/science/astronomy/constellations/phoenix: kept" in err
    assert "judge_faithfulness" in err and "dropped" not in err.split("WARNING")[0]
    records = [json.loads(x) for x in (out / "messages.jsonl").read_text().splitlines()]
    by_leaf = {r["metadata"]["leaf"] for r in records}
    assert by_leaf == {
        "knowledge/science/astronomy/constellations/phoenix",
        "compositional_skills/grounded/extraction/invoice_totals",
        "compositional_skills/writing/freeform/haiku",
    }
    phoenix = next(r for r in records if r["metadata"]["leaf"].endswith("phoenix"))
    doc = phoenix["metadata"]["documents"][0]
    assert doc["repo"] == ".documents/phoenix"
    assert doc["commit"] == "6be35a9702915d8ed40bb24612d73f82c3f244ea"
    assert doc["path"] == "phoenix_constellation.md"
    assert doc["license"] == "CC-BY-SA-4.0"
    grounded = [r for r in records if "invoice" in r["metadata"]["leaf"]]
    first = next(r for r in grounded if r["metadata"]["seed_ids"][0].endswith("totals#0"))
    context, question = first["messages"][1]["content"].split("\n\n", 1)
    assert context.startswith("Invoice 2024-117. Consulting, 12 hours at 80.00 EUR")
    assert question.startswith("Like '") and first["messages"][2]["content"].startswith("From")
    card = (out / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\nlicense: cc-by-sa-4.0\n")


def test_preview_prints_samples(
    fixture_teacher: FixtureTeacher,
    taxonomy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fixture_teacher.rules(RULES)
    code = _run(
        fixture_teacher,
        taxonomy,
        tmp_path / "out",
        "--leaf",
        "compositional_skills/writing",
        "--preview",
        "1",
    )
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and json.loads(lines[0])[1]["role"] == "user"
    assert (tmp_path / "out" / "preview" / "messages.jsonl").exists()


def test_missing_teacher_options_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "somewhere"]) == 2
    assert "--teacher-url and --teacher-model are required" in capsys.readouterr().err


def test_show_pipeline_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for kind in LeafKind:
        assert main(["generate", "--show-pipeline", kind.value, "--scale", "5"]) == 0
        path = tmp_path / f"{kind.value}.yaml"
        path.write_text(capsys.readouterr().out, encoding="utf-8")
        assert load(path) == builtin(kind, 5)
        assert load(path).template_hash() == builtin(kind, 5).template_hash()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(extra=1), "unknown key 'extra'"),
        (lambda d: d["blocks"][1].update(pattern="(open"), "blocks[1].pattern: not a regular"),
        (lambda d: d["blocks"][0].update(prompt="{nowhere}"), "block gen_qa reads {nowhere}"),
        (lambda d: d.update(user="{answer2}"), "the user template reads {answer2}"),
        (lambda d: d["blocks"][3].update(pattern="YES"), "needs a (?P<verdict>...) group"),
        (lambda d: d["blocks"][2].update(scope="global"), "blocks[2].scope: unit or leaf"),
        (lambda d: d.update(version=2), "version must be 1"),
    ],
)  # fmt: skip
def test_bad_pipeline_files_are_named(change: object, message: str) -> None:
    data = json.loads(
        json.dumps(__import__("yaml").safe_load(to_yaml(builtin(LeafKind.KNOWLEDGE))))
    )
    change(data)  # type: ignore[operator]  # NOTE: the parametrised lambdas
    with pytest.raises(UsageError) as caught:
        from_dict(data, "my-pipeline.yaml")
    assert caught.value.path == "my-pipeline.yaml"
    assert message in caught.value.message


def _alias_bomb() -> bytes:
    """Nine levels of nine aliases each: 9**9 values once expanded, 400 bytes written."""
    lines = [b"a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(8):
        name, previous = bytes([98 + i]), bytes([97 + i])
        lines.append(name + b": &" + name + b" [" + b", ".join([b"*" + previous] * 9) + b"]")
    return b"\n".join(lines) + b"\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_alias_bomb(), "alias bomb"),
        (b"blocks: " + b"[" * 5000 + b"]" * 5000, "nest"),  # ours or the C parser's limit
        (b"\xff\xfe not utf-8", "not a YAML pipeline"),
    ],
)  # fmt: skip
def test_hostile_pipeline_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content)
    with pytest.raises(UsageError) as caught:
        load(path)
    assert caught.value.path == str(path)
    assert message in caught.value.message


def test_a_missing_document_commit_names_the_leaf(
    fixture_teacher: FixtureTeacher,
    taxonomy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    qna = taxonomy / "knowledge/science/astronomy/constellations/phoenix/qna.yaml"
    qna.write_text(qna.read_text().replace("6be35a9702915d8ed40bb24612d73f82c3f244ea", "0" * 40))
    fixture_teacher.rules(RULES)
    assert _run(fixture_teacher, taxonomy, tmp_path / "out", "--leaf", "knowledge/science") == 3
    err = capsys.readouterr().err
    assert "in document repository .documents/phoenix" in err
    assert "hint: pin a commit that is pushed to the repository" in err
    assert fixture_teacher.stats() == {}
