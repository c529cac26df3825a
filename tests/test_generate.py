"""``generate`` end to end against the deterministic fixture teacher (a real HTTP process)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from clearweights.bom.validate import validate_cyclonedx
from clearweights.errors import GenerateError, TeacherError
from clearweights.generate import GenerateOptions, LeafKind, Teacher, generate
from tests.generate_servers.fixtures import FixtureTeacher, fixture_teacher
from tests.generate_servers.scenario import HAIKU, PHOENIX, RULES, small_knowledge

__all__ = ["fixture_teacher"]  # the fixture, imported for pytest


def _options(tmp_path: Path, **extra: Any) -> GenerateOptions:
    base: dict[str, Any] = {
        "output": tmp_path / "data",
        "scale": 2,
        "backoff": 0.01,
        "retries": 2,
        "timeout": 10.0,
        "pipelines": {LeafKind.KNOWLEDGE: small_knowledge()},
    }
    return GenerateOptions(**{**base, **extra})


def _lines(path: str | Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def test_knowledge_and_skills_with_provenance(
    fixture_teacher: FixtureTeacher, tmp_path: Path
) -> None:
    fixture_teacher.rules(RULES)
    teacher = Teacher(fixture_teacher.url, "fixture-teacher", revision="r1")
    result = generate([PHOENIX, HAIKU], teacher, _options(tmp_path))

    phoenix = result.leaves[0]
    counts = {s.block: (s.inputs, s.outputs, dict(s.dropped)) for s in phoenix.stats}
    # 4 chunks x 2 requests; identical answers per chunk, so half are duplicates; one rumour.
    assert counts == {
        "gen_qa": (8, 8, {}),
        "parse_qa": (8, 8, {}),
        "dedup_questions": (8, 4, {"duplicate of an earlier sample": 4}),
        "judge_faithfulness": (4, 3, {"judged NO": 1}),
        "judge_relevance": (3, 3, {}),
        "dedup_samples": (3, 3, {}),
    }
    records = _lines(result.dataset)
    assert len(records) == 3 + len(result.leaves[1].samples)
    knowledge = [r for r in records if r["metadata"]["leaf"] == PHOENIX.path]
    assert {r["messages"][2]["content"] for r in knowledge} == {
        "Phoenix is a minor constellation of the southern sky named after a mythical bird.",
        "Ankaa is the brightest star of Phoenix, an orange giant of magnitude 2.4.",
        "The Phoenicids are a meteor shower first observed in December 1956.",
    }
    meta = knowledge[0]["metadata"]
    assert [m["role"] for m in knowledge[0]["messages"]] == ["system", "user", "assistant"]
    assert meta["documents"][0]["license"] == "CC-BY-SA-4.0"
    assert meta["documents"][0]["commit"] == PHOENIX.documents[0].commit
    assert meta["teacher"]["model"] == "fixture-teacher"
    assert meta["teacher"]["revision"] == "r1"
    assert meta["teacher"]["system_fingerprint"] == "fixture-1"
    assert meta["teacher_license"] == "unknown"
    assert meta["prompt_template_sha256"] == small_knowledge().template_hash()
    assert meta["sampling"] == {"max_tokens": 1024, "temperature": 0.7, "top_p": 1.0}
    assert meta["seed"] == 42
    assert meta["seed_ids"][0] in {s.id for s in PHOENIX.seeds}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["generated_at"])
    assert [r["block"] for r in meta["requests"]] == [
        "gen_qa", "judge_faithfulness", "judge_relevance",
    ]  # fmt: skip
    skills = [r for r in records if r["metadata"]["leaf"] == HAIKU.path]
    assert skills and all(r["messages"][2]["content"].startswith("Waves fold") for r in skills)
    assert all(r["metadata"]["documents"] == [] for r in skills)


def test_dataset_card_and_bom(fixture_teacher: FixtureTeacher, tmp_path: Path) -> None:
    fixture_teacher.rules(RULES)
    result = generate([PHOENIX], Teacher(fixture_teacher.url, "t"), _options(tmp_path))
    card = Path(result.card).read_text(encoding="utf-8")
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["license"] == "cc-by-sa-4.0"  # share-alike document: the data inherits it
    assert front["configs"][0]["data_files"][0]["path"] == "messages.jsonl"
    assert "Share-alike: the data must be shared under CC-BY-SA-4.0." in card
    assert "Wikipedia contributors" in card
    assert "The teacher's licence is UNKNOWN" in card
    assert (
        "| knowledge/astronomy/phoenix | judge_faithfulness | judge-filter | 4 | 3 | judged NO: 1 |"
        in card
    )
    bom = json.loads(Path(result.bom).read_text(encoding="utf-8"))
    assert validate_cyclonedx(bom) == []
    component = bom["metadata"]["component"]
    assert component["type"] == "data"
    assert component["licenses"][0]["license"]["id"] == "CC-BY-SA-4.0"


def test_zero_kept_names_the_filter(fixture_teacher: FixtureTeacher, tmp_path: Path) -> None:
    rules = [r for r in RULES if "fully supported" not in r["match"]]
    fixture_teacher.rules([{"match": "fully supported", "reply": "[Judgment] NO"}, *rules])
    with pytest.raises(GenerateError) as caught:
        generate([PHOENIX, HAIKU], Teacher(fixture_teacher.url, "t"), _options(tmp_path))
    message = caught.value.diagnostics()
    assert "1 of 2 leaves kept no sample" in message
    assert "block judge_faithfulness (judge-filter) dropped all 4 records (judged NO: 4)" in message
    assert not (tmp_path / "data" / "messages.jsonl").exists()
    checkpoint = tmp_path / "data" / "checkpoints" / "knowledge__astronomy__phoenix.jsonl"
    assert len(checkpoint.read_text().splitlines()) == 1 + 4  # header + every unit kept


def test_failed_run_resumes_without_redoing_work(
    fixture_teacher: FixtureTeacher, tmp_path: Path
) -> None:
    broken = {"match": r"Now read this part.*rumour", "status": 500, "reply": "overloaded"}
    fixture_teacher.rules([broken, *RULES])
    one_at_a_time = _options(tmp_path, concurrency=1)  # units in order: the third one fails
    with pytest.raises(TeacherError) as caught:
        generate([PHOENIX], Teacher(fixture_teacher.url, "t"), one_at_a_time)
    message = caught.value.diagnostics()
    assert "knowledge/astronomy/phoenix unit doc:phoenix.md#2 block gen_qa" in message
    assert "HTTP 500: overloaded (3 attempts)" in message
    first = fixture_teacher.stats()
    checkpoint = tmp_path / "data" / "checkpoints" / "knowledge__astronomy__phoenix.jsonl"
    finished = [json.loads(x)["unit"] for x in checkpoint.read_text().splitlines()[1:]]
    assert finished == ["doc:phoenix.md#0", "doc:phoenix.md#1"]
    fixture_teacher.rules([{**broken, "status": 200, "reply": "unused"}, *RULES])
    result = generate([PHOENIX], Teacher(fixture_teacher.url, "t"), _options(tmp_path))
    assert result.leaves[0].resumed == 2
    second = fixture_teacher.stats()
    # Only the failed unit was generated again: its 2 generation requests hit rule 0 anew.
    assert second["0"] - first["0"] == 2
    assert len(_lines(result.dataset)) == 3  # rumour unit: "unused" does not parse


def test_retries_rate_limits_then_succeeds(fixture_teacher: FixtureTeacher, tmp_path: Path) -> None:
    limited = {"match": "Now read this part", "status": 429, "reply": "slow down", "times": 3}
    fixture_teacher.rules([limited, *RULES])
    result = generate([PHOENIX], Teacher(fixture_teacher.url, "t"), _options(tmp_path))
    assert fixture_teacher.stats()["0"] == 3
    assert len(result.leaves[0].samples) == 3


def test_empty_answers_are_dropped_with_the_reason(
    fixture_teacher: FixtureTeacher, tmp_path: Path
) -> None:
    fixture_teacher.rules([{"match": "Ankaa", "reply": ""}, *RULES])
    result = generate([PHOENIX], Teacher(fixture_teacher.url, "t"), _options(tmp_path))
    gen = result.leaves[0].stats[0]
    assert (gen.inputs, gen.outputs, dict(gen.dropped)) == (
        8, 6, {"empty answer from the teacher": 2},
    )  # fmt: skip


def test_preview_writes_apart_and_streams(fixture_teacher: FixtureTeacher, tmp_path: Path) -> None:
    fixture_teacher.rules(RULES)
    options = _options(tmp_path, preview=1, stream=True)
    result = generate([PHOENIX, HAIKU], Teacher(fixture_teacher.url, "t"), options)
    assert result.preview and Path(result.dataset).parent == tmp_path / "data" / "preview"
    assert [leaf.units for leaf in result.leaves] == [1, 1]
    assert not (tmp_path / "data" / "messages.jsonl").exists()


def test_system_prompt_is_configurable_and_recorded(
    fixture_teacher: FixtureTeacher, tmp_path: Path
) -> None:
    fixture_teacher.rules(RULES)
    options = _options(tmp_path, system_prompt="You are Phoenix-bot.")
    result = generate([HAIKU], Teacher(fixture_teacher.url, "t"), options)
    record = _lines(result.dataset)[0]
    assert record["messages"][0] == {"role": "system", "content": "You are Phoenix-bot."}
    assert record["metadata"]["system_prompt"] == "You are Phoenix-bot."


def test_changed_configuration_refuses_the_old_checkpoint(
    fixture_teacher: FixtureTeacher, tmp_path: Path
) -> None:
    fixture_teacher.rules(RULES)
    generate([HAIKU], Teacher(fixture_teacher.url, "t"), _options(tmp_path))
    with pytest.raises(Exception, match="another pipeline, teacher, sampling, seed"):
        generate([HAIKU], Teacher(fixture_teacher.url, "t"), _options(tmp_path, seed=7))


def test_max_per_leaf_caps_the_mix(fixture_teacher: FixtureTeacher, tmp_path: Path) -> None:
    fixture_teacher.rules(RULES)
    options = _options(tmp_path, max_per_leaf=1)
    result = generate([PHOENIX, HAIKU], Teacher(fixture_teacher.url, "t"), options)
    assert len(result.leaves[0].samples) == 3 and result.kept == 2
    assert len(_lines(result.dataset)) == 2
    assert ": 2 samples in `messages.jsonl`" in Path(result.card).read_text(encoding="utf-8")


def test_obligations_follow_every_document_licence() -> None:
    from clearweights.generate.card import obligations
    from clearweights.generate.model import SourceDocument

    def doc(path: str, lic: str | None) -> SourceDocument:
        return SourceDocument("repo", "c0ffee", path, "text", lic, f"credit for {path}")

    teacher = Teacher("u", "m", license="Apache-2.0", duties=("display 'Built with X'",))
    duty = obligations([doc("a.md", "CC-BY-4.0 AND MIT"), doc("b.md", "CC0-1.0")], teacher)
    assert duty.license == "other" and duty.share_alike == () and duty.unknown == ()
    assert duty.attribution == ("repo a.md at c0ffee (CC-BY-4.0 AND MIT): credit for a.md",)
    assert "Inherited by the student: display 'Built with X'" in duty.lines
    single = obligations([doc("b.md", "CC0-1.0")], teacher)
    assert (single.license, single.attribution) == ("cc0-1.0", ())
    unknown = obligations([doc("c.md", None), doc("d.md", "CC-BY-SA-4.0")], teacher)
    assert unknown.license == "cc-by-sa-4.0"  # share-alike binds whatever else is unknown
    assert unknown.unknown == ("repo c.md at c0ffee",)
