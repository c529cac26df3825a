"""The teacher's licence, audited before any request: real licence texts, cards as makers write
them, and the fixture teacher counting requests (none must arrive when generation is refused)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clearweights import licenses
from clearweights.errors import InputError, TeacherLicenceRefused
from clearweights.generate import GenerateOptions, LeafKind, Teacher, generate
from clearweights.generate.observe import SilentObserver
from clearweights.generate.teacher_license import _EXCEPTED_LINES, assess, check_teacher_license
from tests.generate_servers.fixtures import FixtureTeacher, fixture_teacher
from tests.generate_servers.scenario import HAIKU, RULES, small_knowledge

__all__ = ["fixture_teacher"]

CORPUS = Path(__file__).parent / "corpus" / "licences"

LLAMA3_CARD = """\
---
language:
- en
pipeline_tag: text-generation
tags:
- facebook
- meta
- pytorch
- llama
- llama-3
license: llama3
---
## Model Details

Meta developed and released the Meta Llama 3 family of large language models (LLMs).
"""

LLAMA31_CARD = """\
---
language:
- en
license: llama3.1
pipeline_tag: text-generation
tags:
- facebook
- meta
- llama
---
## Model Information

The Meta Llama 3.1 collection of multilingual large language models.
"""

QWEN_CARD = """\
---
language:
- zh
- en
tags:
- qwen
pipeline_tag: text-generation
inference: false
---

# Qwen-7B-Chat

If you find our work helpful, feel free to give us a cite.
"""


def _release(tmp_path: Path, name: str, card: str, licence: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "README.md").write_text(card, encoding="utf-8")
    shutil.copy(CORPUS / f"{licence}.txt", root / "LICENSE")
    return root


class Warnings(SilentObserver):
    """Keeps the warnings."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def warning(self, message: str) -> None:
        """Keep it."""
        self.seen.append(message)


def _options(tmp_path: Path) -> GenerateOptions:
    return GenerateOptions(
        tmp_path / "data", scale=1, backoff=0.01, pipelines={LeafKind.KNOWLEDGE: small_knowledge()}
    )


def test_llama3_teacher_is_refused_before_any_request(
    fixture_teacher: FixtureTeacher, tmp_path: Path
) -> None:
    fixture_teacher.rules(RULES)
    release = _release(tmp_path, "Meta-Llama-3-8B", LLAMA3_CARD, "LicenseRef-clearweights-llama-3")
    with pytest.raises(TeacherLicenceRefused) as caught:
        generate(
            [HAIKU],
            Teacher(fixture_teacher.url, "t", student_family="mistral"),
            _options(tmp_path),
            teacher_release=str(release),
        )
    message = caught.value.message
    assert "for a mistral student" in message
    assert '"improve any other large language model"' in message  # the clause, quoted
    assert "LicenseRef-clearweights-llama-3 forbids it: b. Redistribution and Use." in message
    assert caught.value.exit_code == 1
    assert fixture_teacher.stats() == {}  # not even the probe was sent


def test_llama3_teacher_allows_a_llama_student_with_duties(
    fixture_teacher: FixtureTeacher, tmp_path: Path
) -> None:
    fixture_teacher.rules(RULES)
    release = _release(tmp_path, "Meta-Llama-3-8B", LLAMA3_CARD, "LicenseRef-clearweights-llama-3")
    result = generate(
        [HAIKU],
        Teacher(fixture_teacher.url, "t", student_family="Llama-3"),
        _options(tmp_path),
        teacher_release=str(release),
    )
    meta = json.loads(Path(result.dataset).read_text().splitlines()[0])["metadata"]
    assert meta["teacher_license"] == "LicenseRef-clearweights-llama-3"
    assert meta["student_family"] == "Llama-3"
    duties = meta["inherited_duties"]
    assert any("'Built with Meta Llama 3'" in d for d in duties)
    assert any("must begin with 'Llama 3'" in d for d in duties)
    assert any("the student must stay a Meta Llama 3 model" in d for d in duties)
    card = Path(result.card).read_text(encoding="utf-8")
    assert "Inherited by the student: Meta Llama 3 Community License" in card


@pytest.mark.parametrize(
    ("license_id", "student", "allowed"),
    [
        ("LicenseRef-clearweights-llama-3", "llama", False),  # the maker is not the line
        ("LicenseRef-clearweights-llama-3", "llama-2", False),
        ("LicenseRef-clearweights-llama-3", "Llama 3.1", False),  # another licence's model
        ("LicenseRef-clearweights-llama-3", "Meta Llama 3", True),
        ("LicenseRef-scancode-llama-2-license-2023", "llama-3", False),
        ("LicenseRef-scancode-llama-2-license-2023", "Llama 2", True),
        ("LicenseRef-scancode-tongyi-qianwen-2023", "qwen", True),
        ("LicenseRef-clearweights-databricks-open-model", "llama", False),
    ],
)
def test_only_the_excepted_model_line_may_learn_from_a_restricted_teacher(
    license_id: str, student: str, allowed: bool
) -> None:
    verdict = assess((licenses.get(license_id),), student)
    assert verdict.allowed is allowed
    if not allowed:
        assert any("student is excepted" in r for r in verdict.reasons)


def test_every_family_exception_in_the_catalogue_names_its_model_line() -> None:
    for lic in licenses.catalogue():
        cite = lic.terms.output_use_restriction.cite
        if cite and "improve any other" in cite.quote.lower():
            assert lic.id in _EXCEPTED_LINES, lic.id


def test_llama31_teacher_allows_any_student_with_naming_duties(tmp_path: Path) -> None:
    release = _release(
        tmp_path, "Llama-3.1-8B", LLAMA31_CARD, "LicenseRef-scancode-llama-3.1-license-2024"
    )
    verdict = check_teacher_license(str(release), "mistral")
    assert verdict.allowed is True
    assert verdict.license == "LicenseRef-scancode-llama-3.1-license-2024"
    assert any("'Built with Llama'" in d for d in verdict.duties)
    assert any("must begin with 'Llama'" in d for d in verdict.duties)


def test_tongyi_qianwen_teacher_is_refused(tmp_path: Path) -> None:
    licence = "LicenseRef-scancode-tongyi-qianwen-2023"
    release = _release(tmp_path, "Qwen-7B-Chat", QWEN_CARD, licence)
    with pytest.raises(TeacherLicenceRefused, match="tongyi-qianwen-2023 forbids it"):
        check_teacher_license(str(release), None)
    assert check_teacher_license(str(release), "qwen").allowed is True  # its own family


def test_permissive_teacher_brings_no_duty() -> None:
    verdict = check_teacher_license("examples/releases/open-olmo-style", None)
    assert verdict.allowed is True and verdict.duties == ()
    assert "Apache-2.0" in verdict.license


def test_restrictions_no_family_lifts() -> None:
    coqui = licenses.get("LicenseRef-clearweights-coqui-cpml-1.0.0")
    assert assess((coqui,), "coqui").allowed is False
    dbrx = licenses.get("LicenseRef-clearweights-databricks-open-model")
    assert assess((dbrx,), "DBRX").allowed is True  # the licence excepts DBRX models
    assert assess((dbrx,), "databricks").allowed is False  # not every model of the maker
    assert assess((dbrx,), "llama").allowed is False


def test_no_teacher_licence_is_unknown_and_loud(
    fixture_teacher: FixtureTeacher, tmp_path: Path
) -> None:
    fixture_teacher.rules(RULES)
    seen = Warnings()
    result = generate([HAIKU], Teacher(fixture_teacher.url, "t"), _options(tmp_path), observer=seen)
    assert result.teacher.license == "unknown"
    assert seen.seen and seen.seen[0].startswith("TEACHER LICENCE UNKNOWN: no --teacher-release")


def test_unreadable_teacher_release_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        check_teacher_license(str(tmp_path / "missing"), None)
    assert caught.value.path == str(tmp_path / "missing")


def test_a_student_of_a_rail_teacher_inherits_its_terms() -> None:
    rail = licenses.get("LicenseRef-scancode-bigscience-open-rail-m")
    verdict = assess((rail,), None)
    assert verdict.allowed is True
    assert any("is a derivative of the teacher" in d for d in verdict.duties)
