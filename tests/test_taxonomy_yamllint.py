"""yamllint's rules over libyaml's tokens give exactly yamllint's own problems."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from clearweights.taxonomy import _yamllint

ROOT = Path(__file__).parent.parent
# One leaf of each kind and style (block and plain scalars, flow lists, deep nesting).
FILES = [
    ROOT / "tests/taxonomy/valid/knowledge/science/astronomy/constellations/phoenix/qna.yaml",
    ROOT / "tests/taxonomy/valid/compositional_skills/writing/freeform/haiku/qna.yaml",
    ROOT / "tests/taxonomy/broken/compositional_skills/grounded/rules/pii_in_contexts/qna.yaml",
    ROOT / "tests/taxonomy/broken/knowledge/rules/schema_unknown_key/qna.yaml",
]

# Each edit breaks (or tests) one yamllint rule of upstream's configuration.
EDITS: list[Callable[[list[str], int], str]] = [
    lambda lines, i: lines[i] + "   ",  # trailing-spaces
    lambda lines, i: " " + lines[i],  # indentation
    lambda lines, i: lines[i][1:] if lines[i].startswith(" ") else lines[i],  # indentation
    lambda lines, i: lines[i].replace(": ", ":  ", 1),  # colons
    lambda lines, i: lines[i].replace(": ", " : ", 1),  # colons
    lambda lines, i: lines[i].replace("- ", "-   ", 1),  # hyphens
    lambda lines, i: lines[i] + "  #comment",  # comments (disabled upstream)
    lambda lines, i: lines[i] + "\n\n\n",  # empty-lines
    lambda lines, i: lines[i] + "\n" + lines[i],  # key-duplicates
    lambda lines, i: lines[i].replace(": ", ": [a,b ,  c]  # ", 1),  # brackets, commas
    lambda lines, i: lines[i].replace(": ", ": {  a: 1,b: 2}  # ", 1),  # braces, commas
    lambda lines, i: lines[i].replace(": ", ": &anchor ", 1),  # anchors
    lambda lines, i: lines[i] + "\t",  # trailing tab
    lambda lines, i: lines[i].replace("e", "é").replace("a", "日"),  # non-ASCII offsets
]


def _variants(text: str, rng: random.Random) -> list[str]:
    lines = text.split("\n")
    out = [text, text.rstrip("\n"), text + "\n\n", "\n\n" + text, text.replace("\n", "\r\n")]
    for edit in EDITS:
        i = rng.randrange(len(lines))
        out.append("\n".join([*lines[:i], edit(lines, i), *lines[i + 1 :]]))
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_fast_lint_equals_yamllint(path: Path) -> None:
    rng = random.Random(path.parent.name)
    text = path.read_text(encoding="utf-8")
    checked = 0
    for variant in _variants(text, rng):
        expected = _yamllint.reference(variant)
        assert _yamllint.lint(variant) == expected, variant
        checked += 1
    assert checked == 5 + len(EDITS)


def test_directives_and_byte_order_marks_use_yamllint_itself() -> None:
    text = "# yamllint disable rule:trailing-spaces\na: 1   \nb:  2\n"
    assert _yamllint.lint(text) == _yamllint.reference(text)
    assert [p[2] for p in _yamllint.lint(text)] == ["colons"]
    bom = "\ufeffa: 1   \n"
    assert (
        _yamllint.lint(bom)
        == _yamllint.reference(bom)
        == [(1, 6, "trailing-spaces", "trailing spaces")]
    )
