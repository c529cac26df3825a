"""AI model licences identified from the files their makers ship, with the terms those files state.

The inputs are the makers' own licence files (tests/corpus/real/ai/SOURCES.tsv says where each
comes from), read as shipped and as they turn up in model repositories: Windows line endings,
re-flowed paragraphs, a markdown heading on top and markdown section headings. Several differ
from the catalogue's reference text (Yi ships a Chinese translation after the English text,
Chameleon's reference is ScanCode's copy), so a byte comparison could not pass them.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from clearweights.errors import UnknownLicenceError
from clearweights.licenses import Category, Licence, MatchKind, get, identify, summarize
from tests.conftest import CORPUS, corpus

REAL = CORPUS / "real" / "ai"


@dataclass(frozen=True)
class Expected:
    """What a maker's file must be identified as, and the terms its text states."""

    licence_id: str
    name: str
    commercial_use: bool
    research_only: bool
    threshold: float | None = None  # user or revenue threshold above which rights stop
    outputs_restricted: bool | None = None
    territories: tuple[str, ...] = ()


EXPECTED: dict[str, Expected] = {
    "databricks-dbrx-LICENSE": Expected(
        "LicenseRef-clearweights-databricks-open-model",
        "Databricks Open Model License",
        commercial_use=True,
        research_only=False,
        threshold=700_000_000,
        outputs_restricted=True,
    ),
    "yi-MODEL_LICENSE_AGREEMENT.txt": Expected(
        "LicenseRef-clearweights-yi-1.0",
        "Yi Series Models License Agreement 1.0",
        commercial_use=False,
        research_only=False,
        outputs_restricted=False,
    ),
    "thudm-chatglm-6b-MODEL_LICENSE": Expected(
        "LicenseRef-clearweights-chatglm-6b",
        "The ChatGLM-6B License (revised, no commercial-use limit)",
        commercial_use=True,
        research_only=False,
        outputs_restricted=False,
    ),
    "thudm-chatglm-6b-MODEL_LICENSE-2023-03": Expected(
        "LicenseRef-clearweights-chatglm-6b-2023-03",
        "The ChatGLM-6B License (first version, non-commercial research)",
        commercial_use=False,
        research_only=True,
        outputs_restricted=False,
    ),
    "thudm-chatglm2-6b-MODEL_LICENSE": Expected(
        "LicenseRef-clearweights-chatglm2-6b",
        "The ChatGLM2-6B License",
        commercial_use=True,
        research_only=False,
        outputs_restricted=False,
    ),
    "thudm-chatglm3-MODEL_LICENSE": Expected(
        "LicenseRef-clearweights-chatglm3-6b",
        "The ChatGLM3-6B License",
        commercial_use=True,
        research_only=False,
        outputs_restricted=False,
    ),
    "glm-4-voice-LICENSE": Expected(
        "LicenseRef-clearweights-glm-4",
        "The glm-4 License (GLM-4 open models)",
        commercial_use=True,
        research_only=False,
        outputs_restricted=False,
    ),
    "chameleon-LICENSE": Expected(
        "LicenseRef-scancode-chameleon-research-2024",
        "Chameleon Research License",
        commercial_use=False,
        research_only=True,
        outputs_restricted=True,
    ),
    "pixio-LICENSE": Expected(
        "LicenseRef-clearweights-fair-noncommercial-research",
        "FAIR Noncommercial Research License v1",
        commercial_use=False,
        research_only=True,
        outputs_restricted=True,
    ),
    "voicecraft-LICENSE-MODEL": Expected(
        "LicenseRef-clearweights-coqui-cpml-1.0.0",
        "Coqui Public Model License 1.0.0",
        commercial_use=False,
        research_only=False,
        outputs_restricted=True,
    ),
    "hunyuanvideo-LICENSE.txt": Expected(
        "LicenseRef-clearweights-tencent-hunyuan-community",
        "Tencent Hunyuan Community License Agreement",
        commercial_use=True,
        research_only=False,
        threshold=100_000_000,
        outputs_restricted=True,
        territories=("European Union", "United Kingdom", "South Korea"),
    ),
    "hunyuandit-LICENSE.txt": Expected(
        "LicenseRef-clearweights-tencent-hunyuan-community-2024-05",
        "Tencent Hunyuan Community License Agreement (2024-05-14)",
        commercial_use=True,
        research_only=False,
        threshold=100_000_000,
        outputs_restricted=True,
    ),
    "deepfloyd-if-LICENSE-MODEL": Expected(
        "LicenseRef-clearweights-deepfloyd-if",
        "DeepFloyd IF License Agreement",
        commercial_use=False,
        research_only=True,
        outputs_restricted=True,
    ),
}


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def _reflowed(text: str) -> str:
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n\n".join(textwrap.fill(" ".join(p.split()), width=79) for p in paragraphs)


def _markdown(text: str) -> str:
    lines = [f"### {line}" if re.match(r"\d+\.\s", line) else line for line in text.splitlines()]
    return "# Model License\n\n" + "\n".join(lines) + "\n"


SHAPES: dict[str, Callable[[str], str]] = {
    "as-shipped": lambda text: text,
    "crlf": _crlf,
    "reflowed": _reflowed,
    "markdown": _markdown,
}


def _fixture(name: str) -> str:
    return corpus("real", "ai", name).read_text(encoding="utf-8")


def test_every_fixture_has_a_source_and_an_expectation() -> None:
    listed = {
        line.split("\t")[0]
        for line in (REAL / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    files = {p.name for p in REAL.iterdir() if p.name != "SOURCES.tsv"}
    assert files == listed == set(EXPECTED)


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_makers_file_is_identified_and_named(name: str, shape: str) -> None:
    expected = EXPECTED[name]
    found = identify(SHAPES[shape](_fixture(name))).licences
    assert [m.licence.id for m in found] == [expected.licence_id]
    assert found[0].match in (MatchKind.EXACT, MatchKind.FUZZY)
    assert found[0].licence.name == expected.name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_makers_file_gives_the_terms_its_text_states(name: str) -> None:
    expected = EXPECTED[name]
    licence = identify(_fixture(name)).licences[0].licence
    terms = licence.terms
    assert terms.commercial_use.value is expected.commercial_use
    assert terms.non_commercial.value is (not expected.commercial_use)
    assert terms.research_only.value is expected.research_only
    threshold = terms.user_threshold.value
    assert (threshold.value if threshold else None) == expected.threshold
    assert terms.user_threshold.known
    outputs = terms.output_use_restriction.value
    assert outputs is not None and outputs.restricted is expected.outputs_restricted
    assert (terms.territorial_exclusions.value or ()) == expected.territories
    assert licence.osi_approved is False
    assert licence.category not in (Category.PERMISSIVE, Category.COPYLEFT)
    for _, term in terms.items():
        if term.known:
            assert term.cite is not None and term.cite.clause


def test_yi_translation_appended_by_the_maker_does_not_hide_the_licence() -> None:
    text = _fixture("yi-MODEL_LICENSE_AGREEMENT.txt")
    english, chinese = text.split("Yi系列模型许可协议", 1)
    assert "许可方" in chinese
    for part in (text, english):
        assert identify(part).licences[0].licence.id == "LicenseRef-clearweights-yi-1.0"


def test_deepfloyd_is_not_reported_as_llama_1() -> None:
    deepfloyd = _fixture("deepfloyd-if-LICENSE-MODEL")
    llama1 = corpus("licences", "LicenseRef-scancode-llama-license-2023.txt").read_text("utf-8")
    for shape in SHAPES.values():
        assert [m.licence.id for m in identify(shape(deepfloyd)).licences] == [
            "LicenseRef-clearweights-deepfloyd-if"
        ]
        assert [m.licence.id for m in identify(shape(llama1)).licences] == [
            "LicenseRef-scancode-llama-license-2023"
        ]
    assert "Stability AI" in deepfloyd and "Stability AI" not in llama1


def test_chatglm_generations_are_told_apart() -> None:
    ids = {
        name: EXPECTED[name].licence_id
        for name in EXPECTED
        if name.startswith("thudm-") or name.startswith("glm-4")
    }
    assert len(set(ids.values())) == 5
    for name, licence_id in ids.items():
        for shape in SHAPES.values():
            assert identify(shape(_fixture(name))).licences[0].licence.id == licence_id


def test_hunyuan_territorial_exclusion_is_reported_with_its_clause() -> None:
    licence = identify(_reflowed(_fixture("hunyuanvideo-LICENSE.txt"))).licences[0].licence
    term = licence.terms.territorial_exclusions
    assert term.cite is not None and "1.l" in term.cite.clause
    forbidden = summarize(licence).forbidden
    for region in ("European Union", "United Kingdom", "South Korea"):
        assert f"Use by those excluded: {region}" in forbidden


def test_hunyuan_versions_are_told_apart_by_the_territory_clause() -> None:
    later = _fixture("hunyuanvideo-LICENSE.txt")
    earlier = _fixture("hunyuandit-LICENSE.txt")
    assert "DOES NOT APPLY IN THE EUROPEAN UNION" in later
    assert "DOES NOT APPLY IN THE EUROPEAN UNION" not in earlier
    for shape in SHAPES.values():
        found = identify(shape(earlier)).licences[0].licence
        assert found.id == EXPECTED["hunyuandit-LICENSE.txt"].licence_id
        assert found.terms.territorial_exclusions.absent
        assert identify(shape(later)).licences[0].licence.id == HUNYUAN


def test_hunyuan_3d_keeps_its_own_hundredfold_lower_threshold() -> None:
    three_d = "LicenseRef-scancode-tencent-hunyuan-3d-2.0-cla"
    text = corpus("licences", f"{three_d}.txt").read_text("utf-8")
    for shape in SHAPES.values():
        licence = identify(shape(text)).licences[0].licence
        assert licence.id == three_d
        threshold = licence.terms.user_threshold.value
        assert threshold is not None and threshold.value == 1_000_000
        assert (
            licence.terms.territorial_exclusions.value
            == EXPECTED["hunyuanvideo-LICENSE.txt"].territories
        )


KIMI = "LicenseRef-scancode-moonshot-ai-modified-mit-2025"


def test_kimi_k2_display_duty_is_conditional_and_not_a_threshold() -> None:
    text = corpus("licences", f"{KIMI}.txt").read_text("utf-8")
    shipped = text.replace(
        "Modified MIT License\n", "Modified MIT License\n\nCopyright (c) 2025 Moonshot AI\n", 1
    )
    for shape in SHAPES.values():
        found = identify(shape(shipped)).licences
        assert [m.licence.id for m in found] == [KIMI]
    licence = get(KIMI)
    naming = licence.terms.derivative_naming.value
    assert naming is not None and naming.attribution == ("Kimi K2",)
    assert naming.condition is not None and "100 million monthly active users" in naming.condition
    assert "20 million" in naming.condition
    assert licence.terms.user_threshold.value is None and licence.terms.user_threshold.absent
    assert licence.terms.commercial_use.value is True
    must = summarize(licence).must_do
    assert any(line.startswith('Display "Kimi K2" (prominently') for line in must)


def test_plain_mit_is_not_taken_for_kimi_k2() -> None:
    mit = corpus("licences", "MIT.txt").read_text("utf-8")
    assert [m.licence.id for m in identify(mit).licences] == ["MIT"]


HUNYUAN = "LicenseRef-clearweights-tencent-hunyuan-community"
NAMES = {
    # as model cards and READMEs write them
    "Databricks Open Model License": "LicenseRef-clearweights-databricks-open-model",
    "databricks-open-model-license": "LicenseRef-clearweights-databricks-open-model",
    "Yi Series Models License Agreement": "LicenseRef-clearweights-yi-1.0",
    "glm-4": "LicenseRef-clearweights-glm-4",
    "The glm-4-9b License": "LicenseRef-clearweights-glm-4",
    "ChatGLM2-6B License": "LicenseRef-clearweights-chatglm2-6b",
    "fair-noncommercial-research-license": "LicenseRef-clearweights-fair-noncommercial-research",
    "Chameleon Research License": "LicenseRef-scancode-chameleon-research-2024",
    "coqui-public-model-license": "LicenseRef-clearweights-coqui-cpml-1.0.0",
    "Coqui Public Model License 1.0.0": "LicenseRef-clearweights-coqui-cpml-1.0.0",
    "tencent-hunyuan-community": HUNYUAN,
    "TENCENT HUNYUAN COMMUNITY LICENSE AGREEMENT": HUNYUAN,
    "deepfloyd-if-license": "LicenseRef-clearweights-deepfloyd-if",
    "TII Falcon LLM License 1.0": "LicenseRef-clearweights-tii-falcon-llm-1.0",
    "baichuan2-community-license": "LicenseRef-clearweights-baichuan2-community",
    "Community License for Baichuan2 Model": "LicenseRef-clearweights-baichuan2-community",
    "Skywork Community License": "LicenseRef-clearweights-skywork-community",
    "BAAI Aquila Model License Agreement": "LicenseRef-clearweights-baai-aquila",
    "Jamba Open Model License": "LicenseRef-clearweights-jamba-open-model",
    "MiniMax Model Agreement": "LicenseRef-clearweights-minimax-model",
    "health-ai-developer-foundations": "LicenseRef-clearweights-hai-def",
    "Health AI Developer Foundations Terms of Use": "LicenseRef-clearweights-hai-def",
    "c4ai-cc-by-nc-license": "LicenseRef-clearweights-cohere-c4ai-cc-by-nc",
    "XVERSE Model License Agreement": "LicenseRef-clearweights-xverse",
}


@pytest.mark.parametrize(("name", "licence_id"), sorted(NAMES.items()))
def test_names_people_write_resolve(name: str, licence_id: str) -> None:
    assert get(name).id == licence_id


@pytest.mark.parametrize("name", ["yi-license", "The ChatGLM-6B License"])
def test_names_shared_by_versions_with_opposite_terms_pick_none(name: str) -> None:
    # yi-license named Yi 1.0 (non-commercial) and 2.1 (commercial) alike; the ChatGLM-6B
    # licence kept its title when it dropped its non-commercial clause.
    with pytest.raises(UnknownLicenceError):
        get(name)


def test_falcon_llm_1_is_never_apache() -> None:
    falcon = get("TII Falcon LLM License 1.0")
    assert falcon.osi_approved is False and falcon.category is Category.RESTRICTED_OPEN_WEIGHTS
    threshold = falcon.terms.user_threshold.value
    assert threshold is not None and threshold.unit == "USD annual attributable revenue"
    found = identify("Falcon-40B is made available under the TII Falcon LLM License 1.0.").licences
    assert [m.licence.id for m in found] == ["LicenseRef-clearweights-tii-falcon-llm-1.0"]


NOTICES = {
    # the notice texts the licences themselves require, as they appear in NOTICE files and cards
    "DBRX is provided under and subject to the Databricks Open Model License, Copyright © "
    "Databricks, Inc. All rights reserved.": "LicenseRef-clearweights-databricks-open-model",
    "Tencent Hunyuan is licensed under the Tencent Hunyuan Community License Agreement, "
    "Copyright © 2025 Tencent. All Rights Reserved.": (
        "LicenseRef-clearweights-tencent-hunyuan-community"
    ),
    "Chameleon is licensed under the Chameleon Research License, Copyright (c) Meta Platforms, "
    "Inc. All Rights Reserved.": "LicenseRef-scancode-chameleon-research-2024",
    "DeepFloyd is licensed under the DeepFloyd License, Copyright (c) Stability AI "
    "Ltd. All Rights Reserved.": "LicenseRef-clearweights-deepfloyd-if",
    "HAI-DEF is provided under and subject to the Health AI Developer Foundations Terms of Use "
    "found at https://developers.google.com/health-ai-developer-foundations/terms": (
        "LicenseRef-clearweights-hai-def"
    ),
}


@pytest.mark.parametrize(("notice", "licence_id"), sorted(NOTICES.items()))
def test_required_notices_name_their_licence(notice: str, licence_id: str) -> None:
    assert [m.licence.id for m in identify(notice).licences] == [licence_id]


def _new_records() -> list[Licence]:
    ids = {m.licence_id for m in EXPECTED.values()} | set(NAMES.values()) | {KIMI}
    return [get(i) for i in sorted(ids)]


def test_new_records_keep_the_catalogue_invariants() -> None:
    for licence in _new_records():
        terms = licence.terms
        if terms.commercial_use.value is not None:
            assert terms.non_commercial.value is (not terms.commercial_use.value), licence.id
        if terms.research_only.value:
            assert terms.non_commercial.value is True, licence.id
        assert licence.osi_approved is False, licence.id


def test_records_without_a_text_say_so() -> None:
    for licence in _new_records():
        if not licence.has_reference_text:
            assert "identified by name" in licence.notes.lower(), licence.id
            assert "no reference text" in licence.source


def _sources_of(path: Path) -> dict[str, str]:
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    return {row.split("\t")[0]: row for row in rows if row}


def test_catalogue_texts_name_their_origin() -> None:
    sources = _sources_of(
        Path(__file__).parent.parent / "tools" / "sources" / "texts" / "SOURCES-extra.tsv"
    )
    for licence in _new_records():
        if licence.has_reference_text and "file:" in licence.source:
            filename = licence.source.split("file:")[1].split(" ")[0]
            assert filename in sources, licence.id
            assert sources[filename].split("\t")[1] in licence.source


def test_falcon_llm_1_real_text_is_its_own_record_not_apache() -> None:
    """The Falcon-40B LICENSE.txt as TII shipped it (May 2023): the TII record, never Apache."""
    path = Path(__file__).parent / "corpus" / "real" / "common" / "falcon-40b-LICENSE.txt"
    text = path.read_text(encoding="utf-8")
    for shaped in (text, text.replace("\n", "\r\n"), "# LICENSE\n\n" + text):
        found = [m.licence for m in identify(shaped).licences]
        assert [lic.id for lic in found] == ["LicenseRef-clearweights-tii-falcon-llm-1.0"]
        assert found[0].osi_approved is False
        threshold = found[0].terms.user_threshold.value
        assert threshold is not None and threshold.value == 1_000_000
