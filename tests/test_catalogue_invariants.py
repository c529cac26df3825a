"""Invariants of the terms over the whole catalogue, and terms checked against the texts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clearweights.licenses import catalogue, get, identify, summarize
from clearweights.licenses._clauses import extract
from clearweights.licenses.model import Category, Licence, Naming, OutputUse, Term
from tests.conftest import CORPUS

ROOT = Path(__file__).resolve().parent.parent
OPEN_DATA = {Category.OPEN_DATA, Category.OPEN_DOCUMENTATION}


def test_commercial_use_is_the_negation_of_non_commercial() -> None:
    wrong = []
    for lic in catalogue():
        commercial, non_commercial = lic.terms.commercial_use, lic.terms.non_commercial
        if commercial.value is None:
            if non_commercial.value is not None:
                wrong.append(lic.id)
        elif non_commercial.value is not (not commercial.value):
            wrong.append(lic.id)
    assert wrong == []


def test_research_only_implies_non_commercial() -> None:
    wrong = [
        lic.id
        for lic in catalogue()
        if lic.terms.research_only.value
        and not (lic.terms.non_commercial.value and lic.terms.commercial_use.value is False)
    ]
    assert wrong == []


def test_open_licences_state_no_output_threshold_or_use_policy() -> None:
    wrong = []
    for lic in catalogue():
        if not (lic.osi_approved or lic.category in OPEN_DATA):
            continue
        t = lic.terms
        output = t.output_use_restriction.value
        if output is None or output.restricted:
            wrong.append((lic.id, "output_use_restriction"))
        for name, term in (("user_threshold", t.user_threshold), ("aup", t.acceptable_use_policy)):
            if not (term.absent and term.value is None):
                wrong.append((lic.id, name))
    assert wrong == []
    assert any(lic.osi_approved for lic in catalogue())


def test_permissive_and_copyleft_spdx_licences_are_not_revocable() -> None:
    checked = [
        lic
        for lic in catalogue()
        if lic.spdx_id and lic.category in {Category.PERMISSIVE, Category.COPYLEFT}
    ]
    assert len(checked) > 300
    assert [lic.id for lic in checked if lic.terms.revocable.value is not False] == []


def test_every_unknown_term_says_why() -> None:
    wrong = [
        (lic.id, name)
        for lic in catalogue()
        for name, term in lic.terms.items()
        if not term.known and not term.reason
    ]
    assert wrong == []


def _states(term: str, value: Any) -> bool:
    """Whether an extracted value asserts the term (a restriction, a duty, a law)."""
    if isinstance(value, OutputUse):
        return value.restricted
    if isinstance(value, Naming):
        return bool(value.attribution or value.name_prefix)
    return bool(value)


def _denies(term: Term[Any]) -> bool:
    """Whether a catalogue term states that the licence has no such term."""
    if term.absent or term.value is False:
        return True
    return isinstance(term.value, OutputUse) and not term.value.restricted


def _reference(lic: Licence) -> str | None:
    path = CORPUS / "licences" / f"{lic.id}.txt"
    return path.read_text(encoding="utf-8") if path.exists() else None


def test_no_term_stated_false_is_contradicted_by_its_own_text() -> None:
    """A term stated false (or absent) must not be stated by a clause of the reference text,
    unless a person decided it and quoted the clause that decides it."""
    contradicted = []
    checked = 0
    for lic in catalogue():
        if (text := _reference(lic)) is None:
            continue
        checked += lic.is_ai
        for found in extract(text):
            term: Term[Any] = getattr(lic.terms, found.term)
            if not (_states(found.term, found.value) and _denies(term)):
                continue
            if term.cite is not None and term.cite.source in {"spdx", "category"}:
                continue  # follows from the licence family, not from extraction
            if term.cite is not None and term.cite.source == "curated" and term.cite.quote:
                continue
            contradicted.append((lic.id, found.term, found.evidence.text))
    assert checked >= 35
    assert contradicted == []


def test_a_curated_false_that_overrides_a_clause_quotes_the_deciding_clause() -> None:
    """Where the text mentions a term the catalogue denies, the quote must be real text."""
    for lic in catalogue():
        if not lic.is_ai or (text := _reference(lic)) is None:
            continue
        flat = " ".join(text.replace("\u201c", '"').replace("\u201d", '"').split()).lower()
        for found in extract(text):
            term: Term[Any] = getattr(lic.terms, found.term)
            if _states(found.term, found.value) and _denies(term) and term.cite is not None:
                first = term.cite.quote.split("...")[0].replace("\u201c", '"')
                first = " ".join(first.replace("\u201d", '"').split()).lower()
                assert first[:40] in flat, (lic.id, found.term, first)


@pytest.mark.parametrize(
    "name", ["llama2", "tongyi-qianwen", "openrail++", "bigcode-openrail-m", "deepseek"]
)
def test_commercial_licences_with_conditions_are_not_non_commercial(name: str) -> None:
    terms = get(name).terms
    assert terms.commercial_use.value is True
    assert terms.non_commercial.value is False
    assert terms.research_only.value is False


@pytest.mark.parametrize("name", ["CC-BY-NC-SA-4.0", "bigcode-openrail-m"])
def test_output_use_is_decided(name: str) -> None:
    output = get(name).terms.output_use_restriction.value
    assert output is not None and output.restricted is False


def test_bigcode_counts_models_trained_on_outputs_as_modifications() -> None:
    output = get("bigcode-openrail-m").terms.output_use_restriction
    assert output.value is not None and output.value.distillation_is_derivative is True
    assert output.cite is not None and "Output of the Model" in output.cite.quote


def test_stability_community_notice_is_commercial_below_a_revenue_threshold() -> None:
    found = identify("This model is licensed under the Stability AI Community License.")
    licence = found.licences[0].licence
    assert licence.name == "Stability AI Community License Agreement"
    terms = licence.terms
    assert terms.commercial_use.value is True
    assert terms.non_commercial.value is False
    assert terms.user_threshold.value is not None
    assert terms.user_threshold.value.unit == "USD annual revenue"


def test_licences_without_a_text_say_so_for_their_unknown_terms() -> None:
    terms = get("grok2-community").terms
    assert terms.commercial_use.value is None
    assert "no reference text" in terms.commercial_use.reason


def test_ai_licence_terms_page_is_current() -> None:
    tool = ROOT / "tools" / "gen_terms_doc.py"
    assert subprocess.run([sys.executable, str(tool), "--check"], check=False).returncode == 0
    page = (ROOT / "docs" / "ai-licence-terms.md").read_text(encoding="utf-8")
    assert page.count("\n## ") == len([lic for lic in catalogue() if lic.is_ai])


RESEARCH_CLAUSE = "The Model may be used solely for research purposes."


def _consistent(lic: Licence) -> bool:
    t = lic.terms
    if t.research_only.value and not (t.non_commercial.value and t.commercial_use.value is False):
        return False
    if t.commercial_use.value is None:
        return t.non_commercial.value is None
    return t.non_commercial.value is (not t.commercial_use.value)


@pytest.mark.parametrize(
    "text",
    [
        # A custom licence nobody catalogued: terms come from extraction alone.
        "ACME MODEL LICENSE AGREEMENT\n\n1. Grant. Acme grants you a licence to use the Model "
        "solely for research purposes.\n\n2. This Agreement is governed by the laws of the "
        "State of New York.\n",
        # The MIT text with a research-only clause added: a modified licence.
        (CORPUS / "licences" / "MIT.txt")
        .read_text(encoding="utf-8")
        .replace("THE SOFTWARE IS PROVIDED", f"{RESEARCH_CLAUSE}\n\nTHE SOFTWARE IS PROVIDED"),
    ],
)
def test_records_built_at_run_time_obey_the_same_rules(text: str) -> None:
    licences = [m.licence for m in identify(text).licences]
    assert licences
    research = [lic for lic in licences if lic.terms.research_only.value]
    assert research, [lic.id for lic in licences]
    assert all(_consistent(lic) for lic in licences)
    assert all(lic.terms.non_commercial.value is True for lic in research)


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("MIT", "yes"),
        ("deepseek", "conditional"),  # use-based restrictions bind commercial products too
        ("openrail++", "conditional"),
        ("llama2", "conditional"),  # a user threshold
        ("CC-BY-NC-SA-4.0", "no"),
    ],
)
def test_commercial_answer_in_plain_words(name: str, answer: str) -> None:
    answers = {a.question: a.answer for a in summarize(get(name)).answers}
    assert answers["May I use it commercially?"] == answer
