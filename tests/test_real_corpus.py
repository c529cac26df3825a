"""Licence files as they appear in real repositories, and texts about licences that are none."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from clearweights.components import MofComponent
from clearweights.inventory import build_inventory
from clearweights.licenses import MatchKind, identify, identify_bytes, identify_name
from clearweights.licenses._catalogue import load
from clearweights.licenses._clauses import extract
from clearweights.licenses._modified import is_open
from clearweights.sources import open_release
from tests.build import card, safetensors, write
from tests.conftest import CORPUS, corpus

REAL = CORPUS / "real"
UNIDENTIFIED = "LicenseRef-clearweights-unidentified"


def _labels(folder: str) -> list[tuple[str, str]]:
    rows = []
    for line in (REAL / folder / "LABELS.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, expected = line.split("\t")
            rows.append((name, expected))
    return rows


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _reference(licence_id: str) -> str:
    return _text(corpus("licences", f"{licence_id}.txt"))


@pytest.mark.parametrize(("name", "expected"), _labels("common"), ids=lambda v: str(v)[:40])
def test_real_licence_file(name: str, expected: str) -> None:
    found = identify(_text(REAL / "common" / name)).licences
    ids = {str(m.licence.id) for m in found}
    if expected == "not-open":
        assert found, name
        assert not any(is_open(m.licence) for m in found), ids
        assert "Apache-2.0" not in ids
    else:
        assert ids == set(expected.split()), name


@pytest.mark.parametrize(("name", "expected"), _labels("common"), ids=lambda v: str(v)[:40])
def test_real_files_are_not_reference_copies(name: str, expected: str) -> None:
    text = _text(REAL / "common" / name)
    for licence_id in expected.split():
        if (CORPUS / "licences" / f"{licence_id}.txt").exists():
            assert text.strip() != _reference(licence_id).strip(), (name, licence_id)


def test_every_real_file_has_a_label_and_a_source() -> None:
    for folder in ("common", "custom"):
        files = {p.name for p in (REAL / folder).iterdir()} - {"LABELS.tsv", "SOURCES"}
        labelled = {name for name, _ in _labels(folder)}
        sources = (REAL / folder / "SOURCES").read_text(encoding="utf-8")
        assert files == labelled, folder
        assert all(f"{name}\t" in sources for name in files), folder


NEGATIVE = sorted(p for p in (CORPUS / "negative").iterdir() if p.name != "SOURCES")


def test_negative_set_is_large_and_sourced() -> None:
    assert len(NEGATIVE) >= 30
    sources = _text(CORPUS / "negative" / "SOURCES")
    assert all(f"{p.name}\t" in sources for p in NEGATIVE)


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.name)
def test_text_about_licences_is_no_licence(path: Path) -> None:
    assert identify(_text(path)).licences == ()


@pytest.mark.parametrize(("name", "terms"), _labels("custom"))
def test_unknown_licence_keeps_every_extracted_term(name: str, terms: str) -> None:
    found = identify(_text(REAL / "custom" / name))
    assert [m.licence.id for m in found.licences] == [UNIDENTIFIED]
    match = found.licences[0]
    assert match.match is MatchKind.EXTRACTED
    for term in terms.split():
        assert getattr(match.licence.terms, term).value is True, term
    assert match.licence.terms.commercial_use.value is False
    assert {t.term for t in found.extracted} <= {
        name for name, term in match.licence.terms.items() if term.value is not None
    }


def test_one_extracted_term_is_enough() -> None:
    found = identify(_text(REAL / "custom" / "echo-quality-WEIGHTS_LICENSE.md"))
    assert [t.term for t in found.extracted] == ["non_commercial"]
    assert found.licences[0].licence.terms.non_commercial.value is True


def _apache_without_appendix() -> str:
    return _reference("Apache-2.0").split("END OF TERMS AND CONDITIONS")[0]


def test_flattened_apache_without_appendix_is_apache_not_pixar() -> None:
    flat = "\n".join(line.strip() for line in _apache_without_appendix().splitlines())
    for text in (flat, _rewrap(flat), f"# LICENSE\n\n{flat}"):
        best = identify(text).licences[0]
        assert best.licence.id == "Apache-2.0"
        assert best.match in (MatchKind.EXACT, MatchKind.FUZZY)
    assert identify(_reference("Pixar")).licences[0].licence.id == "Pixar"


def _rewrap(text: str) -> str:
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n\n".join(textwrap.fill(" ".join(p.split()), width=66) for p in paragraphs)


def _royalty_section() -> str:
    text = _text(REAL / "common" / "falcon-40b-LICENSE.txt")
    return text[text.index("8\tCommercial Use") : text.index("9\tDisclaimer of Warranty")]


def test_apache_with_an_added_royalty_section_is_not_open() -> None:
    for text in (
        _reference("Apache-2.0") + "\n\nADDITIONAL TERMS\n\n" + _royalty_section(),
        _royalty_section() + "\n\n" + _reference("Apache-2.0"),
    ):
        found = identify(text).licences
        assert found
        assert not any(is_open(m.licence) for m in found), [m.licence.id for m in found]
        modified = found[0].licence
        assert modified.osi_approved is False
        assert modified.terms.commercial_use.value is not True
        assert modified.terms.user_threshold.value is not None


def test_apache_with_a_readme_around_it_stays_apache() -> None:
    text = (
        "# tiny-model\n\nWeights and code for a small demo model.\n\n## License\n\n"
        + _reference("Apache-2.0")
        + "\n\n## Citation\n\nPlease cite the paper if you use this model.\n"
    )
    assert [m.licence.id for m in identify(text).licences] == ["Apache-2.0"]


def test_bsd_2_and_bsd_3_in_one_file_are_both_reported() -> None:
    bsd2 = _text(REAL / "common" / "surface-experiment-pack-License.md")
    bsd3 = _reference("BSD-3-Clause")
    for text in (f"{bsd2}\n\n{bsd3}", f"{bsd3}\n\n{bsd2}"):
        ids = [m.licence.id for m in identify(text).licences]
        assert sorted(ids) == ["BSD-2-Clause", "BSD-3-Clause"]


def test_mit_twice_with_other_holders_is_one_mit() -> None:
    mit = _reference("MIT")
    text = f"Copyright (c) 2019 Alice\n\n{mit}\n\nCopyright (c) 2024 Bob\n\n{mit}"
    found = identify(text).licences
    assert [m.licence.id for m in found] == ["MIT"]
    assert len(found[0].evidence) == 2


def _close_relatives() -> list[str]:
    """AI licences (and Apache-2.0, Pixar) with a near-identical relative (Dice >= 0.8),
    long enough to lose a title line: family members and forks."""
    cat = load()
    refs = [r for r in cat.references if (CORPUS / "licences" / f"{r.licence}.txt").exists()]
    prints = {r.licence: frozenset(cat.fingerprint(r)) for r in refs}
    close: set[str] = set()
    for a in refs:
        if not (a.licence.startswith("LicenseRef-") or a.licence in {"Apache-2.0", "Pixar"}):
            continue
        if len(_reference(a.licence).strip().splitlines()) < 15:
            continue
        fa = prints[a.licence]
        for b in refs:
            fb = prints[b.licence]
            if a.sha256 != b.sha256 and 2 * len(fa & fb) >= 0.8 * (len(fa) + len(fb)):
                close.add(a.licence)
                break
    return sorted(close)


RELATIVES = _close_relatives()


def test_relatives_include_the_families_that_matter() -> None:
    assert {
        "Apache-2.0",
        "Pixar",
        "LicenseRef-scancode-llama-3.1-license-2024",
        "LicenseRef-scancode-llama-3.2-license-2024",
        "LicenseRef-clearweights-tongyi-qianwen-research",
    } <= set(RELATIVES)


@pytest.mark.parametrize("licence_id", RELATIVES)
def test_relatives_are_told_apart_without_their_titles(licence_id: str) -> None:
    # Without the title line, anchors on the title cannot decide: the passages only one
    # relative has must (Apache-2.0 and Pixar, Llama 3 and 3.1, LLaMA 1 and its forks).
    lines = _reference(licence_id).strip().splitlines()
    best = identify("\n".join(lines[1:])).licences[0]
    assert best.licence.id in _same_text(licence_id), (licence_id, best.licence.id)


def _same_text(licence_id: str) -> set[str]:
    cat = load()
    digest = next(r.sha256 for r in cat.references if r.licence == licence_id)
    return {str(r.licence) for r in cat.references if r.sha256 == digest}


def test_governing_law_survives_a_line_wrap() -> None:
    text = (
        "This Agreement will be governed and construed under the laws of the State of\n"
        "California without regard to choice of law principles."
    )
    law = {t.term: t.value for t in extract(text)}["governing_law"]
    assert law == "State of California"


@pytest.mark.parametrize(
    ("name", "expected", "hf_id"),
    [
        ("GPL-3.0", "GPL-3.0-only", "gpl-3.0"),
        ("LGPL-2.1", "LGPL-2.1-only", "lgpl-2.1"),
        ("GPL-2.0+", "GPL-2.0-or-later", None),
        ("Apache License, Version 2.0", "Apache-2.0", "apache-2.0"),
        ("BSD 3-Clause", "BSD-3-Clause", "bsd-3-clause"),
        ("CC-BY 4.0", "CC-BY-4.0", "cc-by-4.0"),
    ],
)
def test_deprecated_ids_and_spellings_resolve_to_current_and_hub_ids(
    name: str, expected: str, hf_id: str | None
) -> None:
    match = identify_name(name)
    assert match is not None
    assert (match.licence.id, match.licence.hf_id) == (expected, hf_id)


@pytest.mark.parametrize(("name", "terms"), _labels("custom"))
def test_licence_text_after_an_open_licence_is_not_dropped(name: str, terms: str) -> None:
    text = f"{_reference('MIT')}\n\n{_text(REAL / 'custom' / name)}"
    found = identify(text).licences
    assert found
    assert not all(is_open(m.licence) for m in found), [m.licence.id for m in found]
    for term in terms.split():
        assert any(getattr(m.licence.terms, term).value is True for m in found), term


def test_deepfloyd_if_is_not_the_llama_1_licence() -> None:
    deepfloyd = "LicenseRef-clearweights-deepfloyd-if"
    llama_1 = "LicenseRef-scancode-llama-license-2023"
    for licence_id in (deepfloyd, llama_1):
        for text in (_reference(licence_id), _rewrap(_reference(licence_id))):
            best = identify(text).licences[0]
            assert best.licence.id == licence_id


def _reflow(text: str) -> str:
    """Indentation flattened, paragraphs re-wrapped, a markdown title: how repositories copy."""
    flat = "\n".join(line.strip() for line in text.splitlines())
    lines = _rewrap(flat).splitlines()
    return "\n".join([f"## {lines[0]}", *lines[1:]])


@pytest.mark.parametrize("licence_id", ["Apache-2.0", "MIT", "BSD-2-Clause", "BSD-3-Clause"])
def test_reflowed_common_licences_are_the_licence(licence_id: str) -> None:
    text = _reference(licence_id)
    if licence_id == "Apache-2.0":
        text = _apache_without_appendix()
    best = identify(_reflow(text)).licences
    assert [m.licence.id for m in best] == [licence_id]
    assert best[0].match in (MatchKind.EXACT, MatchKind.FUZZY)
    assert best[0].licence.osi_approved is True


# What LICENSE files hold when they give no licence: a bare reservation, a pointer, a sales
# contact. Each is a licence file whose licence is unknown, never nothing.
NOT_A_LICENCE_TEXT = [
    ("LICENSE", "Copyright (c) 2023 Acme AI Lab. All rights reserved.\n"),
    ("LICENSE.md", "# License\n\nSee the model card for the terms of use of these weights.\n"),
    ("LICENSE", "Proprietary - contact sales@acme.example for a commercial licence.\n"),
    ("MODEL_LICENSE", "All rights reserved.\n"),
]


@pytest.mark.parametrize(("name", "text"), NOT_A_LICENCE_TEXT)
def test_a_licence_file_without_a_licence_is_unknown(name: str, text: str) -> None:
    result = identify_bytes(text.encode(), name)
    assert result.identification is not None
    [match] = result.identification.licences
    assert match.licence.id == UNIDENTIFIED
    assert not is_open(match.licence)
    assert match.licence.terms.commercial_use.value is None
    assert "licence is unknown" in match.licence.notes
    assert any(name in note and "unknown" in note for note in result.notes)
    # The same words in a README are no licence at all.
    readme = identify_bytes(text.encode(), "README.md").identification
    assert readme is not None and readme.licences == ()


def test_a_reserved_licence_file_is_not_replaced_by_the_card(tmp_path: Path) -> None:
    root = tmp_path / "acme-7b"
    write(root / "LICENSE", "Copyright (c) 2023 Acme AI Lab. All rights reserved.\n")
    safetensors(root / "model.safetensors")
    write(root / "README.md", card("license: mit", "# Acme 7B"))
    release = build_inventory(open_release(str(root)))
    weights = release.components[MofComponent.MODEL_PARAMETERS_FINAL]
    assert "MIT" not in {str(lic.id) for lic in weights.licences}
    assert not any(is_open(lic) for lic in weights.licences)
