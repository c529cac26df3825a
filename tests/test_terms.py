"""Catalogue terms match the verified facts in the AI licence table, each with a citation."""

from __future__ import annotations

import pytest

from clearweights.licenses import catalogue, get, identify, summarize
from clearweights.licenses.model import Category
from tests.conftest import corpus


def test_llama_3_bans_output_training_and_3_1_does_not() -> None:
    llama3 = get("llama3").terms
    assert llama3.output_use_restriction.value is not None
    assert llama3.output_use_restriction.value.restricted is True
    assert llama3.derivative_naming.value is not None
    assert llama3.derivative_naming.value.attribution == ("Built with Meta Llama 3",)
    assert llama3.derivative_naming.value.name_prefix == "Llama 3"
    llama31 = get("llama3.1").terms
    assert llama31.output_use_restriction.value is not None
    assert llama31.output_use_restriction.value.restricted is False
    assert llama31.derivative_naming.value is not None
    assert llama31.derivative_naming.value.attribution == ("Built with Llama",)
    assert llama31.derivative_naming.value.name_prefix == "Llama"


@pytest.mark.parametrize(
    "hf_id", ["llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4"]
)
def test_llama_threshold_and_law(hf_id: str) -> None:
    terms = get(hf_id).terms
    assert terms.user_threshold.value is not None
    assert terms.user_threshold.value.value == 700e6
    assert terms.user_threshold.value.unit == "monthly active users"
    assert terms.governing_law.value is not None and "California" in terms.governing_law.value
    assert terms.acceptable_use_policy.value is not None
    assert terms.user_threshold.cite is not None and terms.user_threshold.cite.quote


@pytest.mark.parametrize("hf_id", ["llama3.2", "llama3.3", "llama4"])
def test_eu_multimodal_exclusion(hf_id: str) -> None:
    assert get(hf_id).terms.territorial_exclusions.value


@pytest.mark.parametrize(
    ("name", "commercial"),
    [
        ("tongyi-qianwen", True),
        ("tongyi-qianwen-research", False),
        ("qwen-research", False),
        ("flux-1-dev-non-commercial-license", False),
        ("microsoft-research-license", False),
        ("apple-amlr", False),
        ("CC-BY-NC-4.0", False),
        ("Apache-2.0", True),
        ("nvidia-open-model-license", True),
        ("gemma", True),
    ],
)
def test_commercial_use(name: str, commercial: bool) -> None:
    assert get(name).terms.commercial_use.value is commercial


def test_stability_community_revenue_threshold() -> None:
    threshold = get("stabilityai-ai-community").terms.user_threshold.value
    assert threshold is not None
    assert (threshold.value, threshold.unit) == (1e6, "USD annual revenue")


def test_rail_remote_restriction_and_gemma_distillation() -> None:
    assert get("bigscience-openrail-m").terms.remote_restriction.value is True
    gemma = get("gemma").terms.output_use_restriction.value
    assert gemma is not None and gemma.distillation_is_derivative is True


def test_tongyi_law_is_china() -> None:
    law = get("tongyi-qianwen").terms.governing_law.value
    assert law is not None and "China" in law


def test_every_known_term_is_cited() -> None:
    for licence in catalogue():
        for name, term in licence.terms.items():
            if term.known:
                assert term.cite is not None, (licence.id, name)


def test_every_catalogue_category_is_used() -> None:
    assert {lic.category for lic in catalogue()} == set(Category)


def test_spdx_list_flags_are_carried() -> None:
    assert get("Apache-2.0").osi_approved is True
    assert get("GPL-3.0-only").fsf_libre is True
    assert get("CC-BY-NC-4.0").osi_approved is False
    assert len([lic for lic in catalogue() if lic.spdx_id]) > 700


def test_custom_licence_terms_are_extracted_with_spans() -> None:
    text = corpus("..", "..", "examples", "licences", "LICENSE-custom.txt").read_text(
        encoding="utf-8"
    )
    found = identify(text)
    terms = {e.term: e for e in found.extracted}
    assert set(terms) >= {
        "user_threshold",
        "derivative_naming",
        "non_commercial",
        "revocable",
        "governing_law",
        "output_use_restriction",
    }
    span = terms["governing_law"].evidence
    assert "New York" in text[span.start : span.end]
    assert found.licences[0].match.value == "extracted"


def test_summary_answers_in_plain_words() -> None:
    summary = summarize(get("llama3"))
    answers = {a.question: a.answer for a in summary.answers}
    assert answers["May I use its outputs to train another model?"] == "no"
    assert any("Built with Meta Llama 3" in item for item in summary.must_do)
    mit = {a.question: a.answer for a in summarize(get("MIT")).answers}
    assert mit["May I use it commercially?"] == "yes"


def test_catalogue_page_is_current() -> None:
    import subprocess
    import sys
    from pathlib import Path

    tool = Path(__file__).resolve().parent.parent / "tools" / "gen_catalogue_doc.py"
    assert subprocess.run([sys.executable, str(tool), "--check"], check=False).returncode == 0
