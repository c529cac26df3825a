"""Claims read only the paragraphs that may hold a statement, found by one search of the text.

The paragraphs found must be exactly those the plain line-by-line reading gives (a prose run
between blank lines, fences and block lines; a heading, list item or table row alone; nothing
inside a code block): compared here on real cards and on the cases a line reader gets wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clearweights.release import claims
from tests.scale_corpus import EXAMPLES

CORPUS = Path(__file__).resolve().parent / "corpus"
CARDS = sorted((CORPUS / "cards").rglob("*.md")) + sorted(EXAMPLES.glob("*/README.md"))


def _line_by_line(body: str) -> list[list[tuple[int, str]]]:
    """Every paragraph that may hold a statement, reading one line at a time."""
    out: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    fenced = False

    def flush() -> None:
        if current and claims._paragraph(current) is not None:
            out.append(list(current))

    for index, line in enumerate(body.splitlines()):
        fence = bool(claims._FENCE.match(line))
        fenced = fenced != fence
        block = bool(claims._BLOCK.match(line))
        if fence or fenced or not line.strip() or block:
            flush()
            current = []
            if fence or fenced or not line.strip():
                continue
        current.append((index, line))
        if block:
            flush()
            current = []
    flush()
    return out


def _found(body: str) -> list[list[int]]:
    return [p.numbers for p in claims._paragraphs(body)]


TRICKY = [
    "",
    "no statement here\nat all",
    "This model is open source.",
    "# Open model\nIt is open\nsource, we say.\n\n- an open item\n- another\n> open quote",
    "```\nopen source inside code\n```\nThis is open source.\n~~~\nopen\n~~~\nopen again",
    "   ```python\nopen()\n```\nAfter the fence: [open](x) link.",
    "```\nunclosed fence, open source\nstill inside",
    "text\r\nwith CRLF that is open\r\n\r\nand more open text\r\n",
    "line\u2028with a unicode separator, open\x0bvertical tab open\x1cfile sep",
    "OPEN SOURCE shouted\n\n| table | open |\n|---|---|\n1. first open\n2) second",
    "\u0130stanbul model is OPEN-source \u017ftill\nKelvin \u212a available, \u0131pen",
    "para one\nopen\n\npara two open\n``` not closed open\nopen",
    "<a href='x'>link</a\n>quote open",
    "````\nfour backticks open\n````\n~~~~~\ntilde open\n~~~~~\nopen",
]


@pytest.mark.parametrize("body", TRICKY)
def test_the_same_paragraphs_as_reading_line_by_line(body: str) -> None:
    expected = [[n for n, _ in p] for p in _line_by_line(body)]
    assert _found(body) == expected


def test_real_cards_give_the_same_paragraphs() -> None:
    compared = 0
    for path in CARDS:
        body = path.read_text(encoding="utf-8")
        expected = [[n for n, _ in p] for p in _line_by_line(body)]
        assert _found(body) == expected, path.name
        compared += len(expected)
    assert len(CARDS) > 20 and compared > 50
