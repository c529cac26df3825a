"""A copy of a licence may lack its title, preamble, appendix or notes, never a clause."""

from __future__ import annotations

import gc
import re
import textwrap
import weakref
from pathlib import Path

import pytest

from clearweights.licenses import MatchKind, identify
from clearweights.licenses._modified import is_open
from clearweights.licenses.model import INCOMPLETE_PREFIX, Category
from tests.conftest import corpus


def _reference(licence_id: str) -> str:
    return corpus("licences", f"{licence_id}.txt").read_text(encoding="utf-8")


def _cut(text: str, start: str, end: str | None = None) -> str:
    """*text* without the lines from the one matching *start* to the one matching *end*."""
    first = re.search(start, text, re.MULTILINE)
    assert first is not None, start
    left = text.rfind("\n", 0, first.start()) + 1
    if end is None:
        return text[:left]
    last = re.search(end, text[first.end() :], re.MULTILINE)
    assert last is not None, end
    right = text.rfind("\n", 0, first.end() + last.start()) + 1
    return text[:left] + text[right:]


def _from(text: str, start: str) -> str:
    """*text* from the line matching *start* on."""
    first = re.search(start, text, re.MULTILINE)
    assert first is not None, start
    return text[text.rfind("\n", 0, first.start()) + 1 :]


def _rewrap(text: str, width: int = 66) -> str:
    """Each paragraph re-filled to *width* columns."""
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n\n".join(textwrap.fill(" ".join(p.split()), width=width) for p in paragraphs)


def _text(folder: str, name: str) -> str:
    return (Path(__file__).parent / "corpus" / folder / name).read_text(encoding="utf-8")


def _flatten(text: str) -> str:
    """Indentation dropped, as many repositories copy licences."""
    return "\n".join(line.strip() for line in text.splitlines())


# Copies as repositories ship them: without the appendix, the "How to apply" notes, the
# preamble, the licensor's notes or the title. Each is still the licence.
STILL_THE_LICENCE = [
    ("Apache-2.0", lambda t: _cut(t, r"^\s*APPENDIX: How to apply")),
    ("Apache-2.0", lambda t: _flatten(_cut(t, r"^\s*END OF TERMS AND CONDITIONS"))),
    ("GPL-3.0-only", lambda t: _cut(t, r"^\s*How to Apply These Terms")),
    ("GPL-3.0-only", lambda t: _cut(t, r"^\s*Preamble", r"^\s*TERMS AND CONDITIONS")),
    ("GPL-2.0-only", lambda t: _flatten(_cut(t, r"^\s*How to Apply These Terms"))),
    ("LGPL-2.1-only", lambda t: _cut(t, r"^\s*END OF TERMS AND CONDITIONS")),
    ("AGPL-3.0-only", lambda t: _cut(t, r"^\s*How to Apply These Terms")),
    (
        "CC-BY-4.0",
        lambda t: _cut(
            _cut(t, r"^Creative Commons is not a party"),
            r"^Attribution 4\.0 International",
            r"^Creative Commons Attribution 4\.0 International Public License",
        ),
    ),
    ("CC-BY-SA-4.0", lambda t: _cut(t, r"^Creative Commons is not a party")),
    ("CC-BY-NC-4.0", lambda t: _cut(t, r"^Creative Commons is not a party")),
    *(
        # As most repositories ship Creative Commons 4.0: no preamble ("Creative Commons
        # Corporation is not a law firm", "Using Creative Commons Public Licenses"), with
        # or without the closing "Creative Commons is not a party" notice.
        (cc, lambda t: _from(t, r"^\s*By exercising the Licensed Rights"))
        for cc in ("CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC-BY-NC-SA-4.0", "CC-BY-ND-4.0")
    ),
    (
        "CC-BY-NC-ND-4.0",
        lambda t: _cut(_from(t, r"^\s*By exercising the Licensed Rights"), r"^=+\s*$"),
    ),
    (
        "CC-BY-NC-4.0",
        lambda t: (
            "Creative Commons Attribution-NonCommercial 4.0 International Public License\n\n"
            + _cut(_from(t, r"^\s*By exercising the Licensed Rights"), r"^=+\s*$")
        ),
    ),
    ("CC0-1.0", lambda t: _from(t, r"^Statement of Purpose")),
    ("CC-BY-3.0", lambda t: _cut(_from(t, r"^License\s*$"), r"^Creative Commons Notice")),
    ("CC-BY-NC-SA-3.0", lambda t: _from(t, r"^License\s*$")),
    # Re-wrapped, re-flowed, with a header, another copyright line, a translation appended.
    ("MIT", _rewrap),
    ("MIT", lambda t: " ".join(t.split())),
    ("MIT", lambda t: "# LICENSE\n\nCopyright (c) 2024 Example Labs\n\n" + t),
    ("BSD-3-Clause", lambda t: "Copyright 2019-2024, The Example Authors.\n\n" + _rewrap(t)),
    ("Apache-2.0", lambda t: _rewrap(_cut(t, r"^\s*APPENDIX: How to apply"))),
    ("MIT", lambda t: t + "\n\n" + _text("translations", "MIT-zh.txt")),
    ("LicenseRef-scancode-llama-3.1-license-2024", lambda t: t.split("\n", 2)[2]),
    ("LicenseRef-scancode-gemma-tou-2024-04-01", lambda t: t.split("\n", 1)[1]),
]


@pytest.mark.parametrize(
    ("licence_id", "cut"),
    STILL_THE_LICENCE,
    ids=[f"{i}-{n}" for n, (i, _) in enumerate(STILL_THE_LICENCE)],
)
def test_a_copy_without_optional_parts_is_the_licence(licence_id: str, cut: object) -> None:
    text = cut(_reference(licence_id))  # type: ignore[operator]
    assert text.strip() != _reference(licence_id).strip()
    best = identify(text).licences
    assert [m.licence.id for m in best] == [licence_id]
    assert best[0].match in (MatchKind.EXACT, MatchKind.FUZZY)


# A clause deleted: the text is a modified licence, whatever its score.
CLAUSE_DELETED = [
    ("Apache-2.0", lambda t: _cut(t, r"^\s*2\. Grant of Copyright", r"^\s*4\. Redistribution")),
    ("Apache-2.0", lambda t: _cut(t, r"^\s*2\. Grant of Copyright", r"^\s*3\. Grant of Patent")),
    (
        "Apache-2.0",
        lambda t: _flatten(_cut(t, r"^\s*9\. Accepting Warranty", r"^\s*END OF TERMS")),
    ),
    ("Apache-2.0", lambda t: _cut(t, r"^\s*\(b\) You must cause", r"^\s*\(c\) You must retain")),
    ("MIT", lambda t: _cut(t, r"^The above copyright notice", r"^THE SOFTWARE IS PROVIDED")),
    # MIT cut short: the warranty disclaimer missing, or only its first half there.
    ("MIT", lambda t: t[: int(len(t) * 0.7)]),
    ("MIT", lambda t: t[: t.index("IN NO EVENT")]),
    ("MIT", lambda t: t[: t.index("TORT OR OTHERWISE")]),
    ("Apache-2.0", lambda t: _cut(t, r"^\s*4\. Redistribution\.", r"^\s*END OF TERMS")),
    ("GPL-3.0-only", lambda t: _cut(t, r"^\s*7\. Additional Terms\.", r"^\s*8\. Termination\.")),
    ("GPL-2.0-only", lambda t: _cut(t, r"^\s*3\. You may copy and distribute", r"^\s*4\. You may")),
    ("LGPL-2.1-only", lambda t: _cut(t, r"^\s*6\. As an exception", r"^\s*7\. You may")),
    ("AGPL-3.0-only", lambda t: _cut(t, r"^\s*13\. Remote Network", r"^\s*14\. Revised")),
    ("CC-BY-4.0", lambda t: _cut(t, r"^Section 3 -- License Conditions", r"^Section 4 --")),
    ("CC-BY-NC-4.0", lambda t: _cut(t, r"^Section 3 -- License Conditions", r"^Section 4 --")),
    (
        "LicenseRef-scancode-llama-3.1-license-2024",
        lambda t: _cut(t, r"^2\. Additional Commercial Terms", r"^3\. Disclaimer"),
    ),
    (
        "LicenseRef-scancode-gemma-tou-2024-04-01",
        lambda t: _cut(t, r"^3\.2 Use Restrictions", r"^3\.3 Generated Output"),
    ),
]


@pytest.mark.parametrize(
    ("licence_id", "cut"),
    CLAUSE_DELETED,
    ids=[f"{i}-{n}" for n, (i, _) in enumerate(CLAUSE_DELETED)],
)
def test_a_copy_without_a_clause_is_modified(licence_id: str, cut: object) -> None:
    text = cut(_reference(licence_id))  # type: ignore[operator]
    found = identify(text).licences
    assert found
    assert licence_id not in {m.licence.id for m in found}
    best = found[0]
    assert best.licence.id.startswith(INCOMPLETE_PREFIX), best.licence.id
    assert best.match is MatchKind.VARIANT
    assert "lacks" in best.licence.notes
    assert not is_open(best.licence)
    assert best.licence.osi_approved is False


def test_a_closed_licence_without_a_clause_keeps_its_category() -> None:
    # CC BY-NC 4.0 without its conditions is not CC BY-NC 4.0, and still non-commercial.
    text = _cut(_reference("CC-BY-NC-4.0"), r"^Section 3 -- License Conditions", r"^Section 4 --")
    licence = identify(text).licences[0].licence
    assert licence.id == f"{INCOMPLETE_PREFIX}CC-BY-NC-4.0"
    assert licence.category is Category.NON_COMMERCIAL
    assert licence.terms.non_commercial.value is True
    assert licence.terms.commercial_use.value is not True


def test_bsd_3_without_its_endorsement_clause_is_bsd_2() -> None:
    # The third clause is what BSD-3-Clause adds to BSD-2-Clause: without it, it is BSD-2.
    text = _cut(
        _reference("BSD-3-Clause"), r"^Neither the name of the ORGANIZATION", r"^THIS SOFTWARE"
    )
    assert [m.licence.id for m in identify(text).licences] == ["BSD-2-Clause"]


def test_missing_clauses_are_named() -> None:
    text = _cut(_reference("Apache-2.0"), r"^\s*2\. Grant of Copyright", r"^\s*4\. Redistribution")
    licence = identify(text).licences[0].licence
    assert licence.notes.endswith("lacks §2, §3.")
    mit = _reference("MIT")
    cut = identify(mit[: mit.index("IN NO EVENT")]).licences[0].licence
    assert cut.notes.endswith('lacks "THE SOFTWARE IS PROVIDED "AS IS", ...".')
    assert licence.name == "Apache License 2.0, modified: clauses missing"


def test_restrictions_of_a_modified_ai_licence_are_kept() -> None:
    # The Llama 3.1 text without its disclaimer still bars what Llama 3.1 bars.
    text = _cut(
        _reference("LicenseRef-scancode-llama-3.1-license-2024"),
        r"^3\. Disclaimer of Warranty",
        r"^4\. Limitation",
    )
    licence = identify(text).licences[0].licence
    assert licence.id == f"{INCOMPLETE_PREFIX}scancode-llama-3.1-license-2024"
    assert licence.terms.user_threshold.value is not None
    assert licence.terms.acceptable_use_policy.value is not None
    assert licence.terms.commercial_use.value is not True
    assert licence.category is Category.RESTRICTED_OPEN_WEIGHTS  # as the Llama 3.1 licence
    assert not is_open(licence)


def test_rival_sizes_live_and_die_with_their_catalogue() -> None:
    # Apache-2.0 without its appendix is compared with the Pixar licence, its near rival.
    from clearweights.licenses._catalogue import load

    fresh = load.__wrapped__()  # a catalogue of its own, as a rebuilt one would be
    assert fresh is not load()
    text = _reference("Apache-2.0").split("END OF TERMS AND CONDITIONS")[0]
    assert identify(text, catalogue=fresh).licences[0].licence.id == "Apache-2.0"
    assert fresh._exclusive
    by_offset = {ref.offset: ref for ref in fresh.references}
    for (a, b), sizes in fresh._exclusive.items():
        fa, fb = fresh.fingerprint(by_offset[a]), fresh.fingerprint(by_offset[b])
        assert sizes == (len(fa - fb), len(fb - fa))
    watch = weakref.ref(fresh)
    del fresh
    gc.collect()
    assert watch() is None  # no module-level cache keeps a catalogue alive


def test_a_closed_licence_with_added_restrictions_takes_the_stricter_category() -> None:
    # Llama 3.1 (restricted open weights) with a research-only rider is research-only.
    text = (
        _reference("LicenseRef-scancode-llama-3.1-license-2024")
        + "\n\nADDITIONAL TERMS\n\nYou may use the Llama Materials for non-commercial research"
        " purposes only. You may not use the Llama Materials for any commercial purpose.\n"
    )
    licence = identify(text).licences[0].licence
    assert licence.id == "LicenseRef-clearweights-modified-scancode-llama-3.1-license-2024"
    assert licence.category is Category.RESEARCH_ONLY
    assert licence.terms.commercial_use.value is False
