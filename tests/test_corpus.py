"""Every catalogue reference text, verbatim and perturbed, is identified at the right version."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from clearweights.licenses import MatchKind, identify
from clearweights.licenses._catalogue import load
from tests.conftest import CORPUS, corpus

TEXTS = sorted((CORPUS / "licences").glob("*.txt"))
AI_TEXTS = [
    p for p in TEXTS if p.stem.startswith("LicenseRef-") or p.stem in {"AML", "OpenMDW-1.0"}
]
COMMON = [
    corpus("licences", f"{i}.txt")
    for i in (
        "Apache-2.0",
        "MIT",
        "BSD-3-Clause",
        "BSD-2-Clause",
        "GPL-3.0-only",
        "GPL-2.0-only",
        "LGPL-2.1-only",
        "MPL-2.0",
        "CC-BY-4.0",
        "CC-BY-SA-4.0",
        "CC-BY-NC-4.0",
        "CC-BY-NC-SA-4.0",
        "CC0-1.0",
        "CDLA-Permissive-2.0",
        "ODbL-1.0",
        "PDDL-1.0",
        "C-UDA-1.0",
        "OGL-UK-3.0",
    )
]


def _text(licence_id: str) -> str:
    return corpus("licences", f"{licence_id}.txt").read_text(encoding="utf-8")


def _same_text(expected: str) -> set[str]:
    """Ids whose reference text normalises identically to *expected*'s (SPDX has duplicates)."""
    cat = load()
    digest = next(r.sha256 for r in cat.references if r.licence == expected)
    return {r.licence for r in cat.references if r.sha256 == digest}


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.stem)
def test_reference_text_identified(path: Path) -> None:
    found = identify(path.read_text(encoding="utf-8"))
    assert found.licences, f"nothing found in {path.name}"
    best = found.licences[0]
    assert best.licence.id in _same_text(path.stem)
    assert best.match is MatchKind.EXACT
    assert best.confidence == 1.0


_STRAIGHT: dict[str, str | int | None] = {
    "\u201c": '"',
    "\u201d": '"',
    "\u2018": "'",
    "\u2019": "'",
}


def _straight_quotes(text: str) -> str:
    return text.translate(str.maketrans(_STRAIGHT))


def _curly_quotes(text: str) -> str:
    return re.sub(r'"([^"\n]*)"', "\u201c\\1\u201d", text)


def _markdown(text: str) -> str:
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip())
    lines[first] = f"# **{lines[first].strip()}**"
    return "\n".join(
        f"> {line}" if i % 7 == 3 and line.strip() else line for i, line in enumerate(lines)
    )


def _rewrap(text: str) -> str:
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n\n".join(textwrap.fill(" ".join(p.split()), width=57) for p in paragraphs)


def _no_dates(text: str) -> str:
    return "\n".join(
        line
        for line in text.splitlines()
        if not re.search(
            r"(release date|last modified|last updated|dated|effective date)\s*:", line, re.I
        )
    )


def _header(text: str) -> str:
    return f"LICENSE\n\nCopyright 2025 Example Labs Ltd. All rights reserved.\n\n{text}"


PERTURBATIONS: dict[str, Callable[[str], str]] = {
    "straight-quotes": _straight_quotes,
    "curly-quotes": _curly_quotes,
    "markdown": _markdown,
    "rewrapped": _rewrap,
    "no-date-lines": _no_dates,
    "added-header": _header,
}


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
@pytest.mark.parametrize("path", AI_TEXTS + COMMON, ids=lambda p: p.stem)
def test_perturbed_text_keeps_identity(path: Path, name: str) -> None:
    text = PERTURBATIONS[name](path.read_text(encoding="utf-8"))
    found = identify(text)
    assert found.licences, f"nothing found in {name} {path.name}"
    best = found.licences[0]
    assert best.licence.id in _same_text(path.stem), (name, best.licence.id, best.score)
    assert best.match in (MatchKind.EXACT, MatchKind.FUZZY)


@pytest.mark.parametrize("path", sorted((CORPUS / "unrelated").iterdir()), ids=lambda p: p.name)
def test_unrelated_text_has_no_licence(path: Path) -> None:
    assert identify(path.read_text(encoding="utf-8")).licences == ()


def test_llama_versions_are_told_apart() -> None:
    expected = {
        "LicenseRef-clearweights-llama-3": "3",
        "LicenseRef-scancode-llama-3.1-license-2024": "3.1",
        "LicenseRef-scancode-llama-3.2-license-2024": "3.2",
        "LicenseRef-scancode-llama-3.3-license-2024": "3.3",
        "LicenseRef-scancode-llama-4-cla-2025": "4",
    }
    for licence_id, version in expected.items():
        text = _no_dates(
            _straight_quotes(corpus("licences", f"{licence_id}.txt").read_text(encoding="utf-8"))
        )
        best = identify(text).licences[0]
        assert (best.licence.id, best.licence.version) == (licence_id, version)


def test_tongyi_research_is_not_the_commercial_licence() -> None:
    text = corpus("licences", "LicenseRef-clearweights-tongyi-qianwen-research.txt").read_text(
        encoding="utf-8"
    )
    best = identify(_rewrap(text)).licences[0]
    assert best.licence.id == "LicenseRef-clearweights-tongyi-qianwen-research"
    assert best.licence.terms.commercial_use.value is False


def test_rewritten_text_is_a_variant_with_the_differences() -> None:
    text = _text("LicenseRef-scancode-llama-3.1-license-2024")
    paragraphs = text.split("\n\n")
    clause = (
        "Additional restriction. You must not deploy the Llama Materials in any product offered "
        "to customers located in Atlantis, Lemuria or Mu, nor in any satellite service."
    )
    variant = "\n\n".join(paragraphs[:8] + paragraphs[11:] + [clause])
    best = identify(variant).licences[0]
    # Paragraphs 8 to 10 are clauses: without them the text is not the licence itself.
    assert best.licence.id == "LicenseRef-clearweights-incomplete-scancode-llama-3.1-license-2024"
    assert "lacks" in best.licence.notes
    assert best.licence.osi_approved is False
    assert best.match is MatchKind.VARIANT
    assert 0.80 <= best.confidence < 0.95
    assert best.coverage is not None and best.coverage < 0.95
    assert [d.text for d in best.differences] == [clause]


def test_added_clause_is_reported_as_a_difference() -> None:
    text = corpus("licences", "LicenseRef-scancode-llama-3.1-license-2024.txt").read_text(
        encoding="utf-8"
    )
    clause = (
        "\n\nAdditional restriction. You must not deploy the Llama Materials in any product "
        "offered to customers located in Atlantis, Lemuria or Mu, nor in any satellite service, "
        "and you must report each deployment to Meta within thirty days of launch, listing the "
        "number of users, the hardware used, and every fine-tuned checkpoint derived from it. "
        "Every such report must be signed by an officer of your company "
        "and sent by registered mail.\n\n"
    )
    paragraphs = text.split("\n\n")
    variant = "\n\n".join(paragraphs[:6] + [clause] * 3 + paragraphs[6:])
    best = identify(variant).licences[0]
    assert best.licence.id == "LicenseRef-scancode-llama-3.1-license-2024"
    assert best.match in (MatchKind.VARIANT, MatchKind.FUZZY)
    assert best.confidence < 1.0
    assert any("Atlantis" in d.text for d in best.differences)


def test_concatenated_licences_are_all_reported() -> None:
    parts = ["MIT", "Apache-2.0", "LicenseRef-scancode-llama-3.1-license-2024"]
    text = "\n\n".join(corpus("licences", f"{p}.txt").read_text(encoding="utf-8") for p in parts)
    ids = {m.licence.id for m in identify(text).licences}
    assert ids >= set(parts)
