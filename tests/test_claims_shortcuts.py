"""The claims reader's shortcuts find exactly what the plain reading finds.

The shortcuts: the lines that may hold a statement and the fence lines are found with
``str.find`` (lines counted by their "\\n" where that is the only line end), a line without
markup characters is not cleaned, and a paragraph or sentence of ASCII text without "open" or
"available" is not searched for terms. The plain reading here reads every line, cleans every
line with the markup pattern and searches every sentence. Both read real cards and generated
text made of the pieces the shortcuts turn on (terms split by markup, fences, odd line ends).
"""

from __future__ import annotations

import bisect
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from clearweights.release import claims
from clearweights.release.claims import MAX_STATEMENTS, Statements, find_statements
from tests.scale_corpus import EXAMPLES

CORPUS = Path(__file__).resolve().parent / "corpus"
CARDS = sorted((CORPUS / "cards").rglob("*.md")) + sorted(EXAMPLES.glob("*/README.md"))


def _plain_clean(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Every line through the markup pattern (no shortcut for a line without markup)."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    size = last = 0
    for m in claims._MARKUP.finditer(text):
        out.append(text[last : m.start()])
        size += m.start() - last
        link = m["link"] if m["link"] is not None else m["anchor"]
        piece = link if link is not None else " "
        if link is not None:
            spans.append((size, size + len(link)))
        out.append(piece)
        size += len(piece)
        last = m.end()
    out.append(text[last:])
    return "".join(out), spans


def _plain_paragraphs(body: str) -> list[list[tuple[int, str]]]:
    """Every prose paragraph and block line outside code blocks, one line at a time."""
    out: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    fenced = False
    for index, line in enumerate(body.splitlines()):
        fence = bool(claims._FENCE.match(line))
        fenced = fenced != fence
        block = bool(claims._BLOCK.match(line))
        if fence or fenced or not line.strip() or block:
            if current:
                out.append(current)
            current = []
            if fence or fenced or not line.strip():
                continue
        current.append((index, line))
        if block:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _plain(body: str, first_line: int = 1) -> Statements:
    """find_statements without a shortcut: every paragraph cleaned, every sentence searched."""
    found: dict[str, list[tuple[int, str]]] = {"claim": [], "weights": []}
    for lines in _plain_paragraphs(body):
        parts: list[str] = []
        links: list[tuple[int, int]] = []
        offsets: list[int] = []
        size = 0
        for _, raw in lines:
            text, spans = _plain_clean(raw)
            offsets.append(size)
            parts.append(text)
            links.extend((size + a, size + b) for a, b in spans)
            size += len(text) + 1
        text = " ".join(parts)
        for start, sentence in claims._sentences(text):
            kinds: set[str] = set()
            for m in claims._TERM.finditer(sentence):
                kind = "claim" if m["claim"] else "weights"
                at = start + m.start()
                in_link = any(a <= at < b for a, b in links)
                test = claims._is_claim if kind == "claim" else claims._is_weights_statement
                if kind in kinds or in_link or not test(sentence, m):
                    continue
                kinds.add(kind)
                if len(found[kind]) < MAX_STATEMENTS:
                    number = first_line + lines[bisect.bisect_right(offsets, at) - 1][0]
                    found[kind].append((number, claims._evidence(sentence, m.start())))
    return Statements(tuple(found["claim"]), tuple(found["weights"]))


def test_real_cards_give_the_plain_readings_statements() -> None:
    read = 0
    for path in CARDS:
        body = path.read_text(encoding="utf-8")
        statements = find_statements(body, 3)
        assert statements == _plain(body, 3), path.name
        read += len(statements.claims) + len(statements.open_weights)
    assert read > 20  # the corpus holds statements of both kinds


PIECES = [
    "open", "OPEN", "Open-", "source", " sourced", "available", "openly ", "weights", " are ",
    "fully ", "This model is ", "We ", "release ", "not ", "the code is ", "op", "en", "avail",
    "able", "[", "]", "(", ")", "](https://x.org)", "[op](x)", "<a href='x'>", "</a>", "</a",
    "`", "`open source`", "https://open.example/x", "<b>", "![img](y)", "```", "~~~", "\n",
    "\n\n", "\r\n", "\r", "\u2028", "\x0b", "\x1c", "\x85", "# ", "- ", "1. ", "| ", "> ",
    " ", ". ", "? ", "; ", "\u0130", "\u0131", "\u017f", "\u212a", "\u00e9", "\t",
    "HTTP://X.ORG/open", "ftp://f", "Https", "://", "!", "http", "<a href=x>", "<br>",
]  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60))
def test_generated_text_gives_the_plain_readings_statements(pieces: list[str]) -> None:
    body = "".join(pieces)
    assert find_statements(body) == _plain(body)
    for line in body.splitlines():
        assert claims._clean(line) == _plain_clean(line)
