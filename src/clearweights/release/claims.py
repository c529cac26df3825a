"""Openness statements in a model card.

A *claim* says that this release is open source, open-source AI or fully open. Comparisons
("outperforms many open source chat models"), link texts, code and mentions of other projects
("the open-source community", "built with open-source tools") are not claims. "Open weights"
and "openly available" are a separate, weaker statement, true of most restricted releases.

Every test looks at a bounded window around a match, so a card is read in linear time.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

from clearweights.release._lines import Lines, line_ends, marked_lines, pattern_lines

Statement = tuple[int, str]  # (line in the card file, the sentence)

MAX_STATEMENTS = 50
_EVIDENCE_CHARS = 200
_BEFORE = 160  # characters before a match that its tests look at
_AFTER = 60

_TERM = re.compile(
    r"(?P<claim>\bopen[-\s]?sourc(?:e|ed|ing)\b(?:[-\s]+(?:ai|artificial intelligence)\b)?"
    r"|\b(?:fully|truly|completely|entirely|100\s?%)[-\s]+open\b"
    r"(?![-\s]+(?:weights?|access|to|for|sourc|science)\b))"
    r"|(?P<weights>\bopen[-\s]weights?\b"
    r"|\bopenly[-\s](?:available|released|accessible|shared|licensed)\b"
    r"|\bweights\s+are\s+(?:openly|publicly|freely)\s+available\b)",
    re.IGNORECASE,
)
# Markup whose text is not the card's own prose: code, images, links, HTML, URLs.
_MARKUP = re.compile(
    r"(?P<code>`[^`\n]{0,500}`)"
    r"|(?P<image>!\[[^\[\]\n]{0,500}\]\([^()\s]{0,2000}(?:\s[^()\n]{0,200})?\))"
    r"|\[(?P<link>[^\[\]\n]{0,500})\]\([^()\s]{0,2000}(?:\s[^()\n]{0,200})?\)"
    r"|<a\b[^<>\n]{0,2000}>(?P<anchor>[^<\n]{0,500})</a\s*>"
    r"|(?P<tag><[/!]?[a-zA-Z][^<>\n]{0,2000}>)"
    r"|(?P<url>(?:https?|ftp)://[^\s)\]>\"'`]+)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^a-z\s])|\s\|\s|\s+[-*•]\s+")
_CLAUSE_MARKS = ",;:()[]\u2013\u2014"
_WORD = re.compile(r"[\w'\u2019%-]+")
# Word tests on the clause before a match (its last words, where a window is given).
_NEGATIONS = frozenset({"not", "never", "non", "neither", "nor", "without", "despite", "longer"})
_COMPARISONS = frozenset(
    {"than", "versus", "vs", "other", "others", "many", "existing", "among", "competitive",
     "par", "unlike", "like", "such", "including", "similar", "relative", "against",
     "previous", "prior"}
)  # fmt: skip
_COMPARISON_STEMS = ("outperform", "compar", "surpass", "beat", "rival", "match", "exceed")
_MENTIONS = frozenset({"using", "uses", "use", "from", "by", "via"})
_MENTION_PAIRS = frozenset(
    {("based", "on"), ("built", "on"), ("built", "with"), ("built", "upon"),
     ("derived", "from"), ("fine-tuned", "from"), ("fine-tuned", "on"), ("finetuned", "from"),
     ("finetuned", "on"), ("trained", "on"), ("trained", "with"), ("powered", "by"),
     ("thanks", "to"), ("inspired", "by"), ("contributed", "to"), ("contributing", "to"),
     ("compatible", "with"), ("integrated", "with"), ("integrates", "with"), ("served", "by"),
     ("served", "with"), ("runs", "on"), ("run", "on"), ("runs", "with"), ("rely", "on"),
     ("relies", "on"), ("of", "the"), ("leveraging", "the"), ("commitment", "to"),
     ("committed", "to"), ("contribute", "to"), ("contributions", "to"), ("dedicated", "to"),
     ("devoted", "to"), ("believe", "in"), ("back", "to")}
)  # fmt: skip
# Subjects that make "X is open source" about something else than the model.
_OTHER_SUBJECTS = frozenset(
    {"code", "codebase", "software", "script", "scripts", "library", "toolkit", "repository",
     "repo", "dataset", "datasets", "data", "framework", "tokenizer", "implementation", "paper"}
)  # fmt: skip
_MODEL_WORDS = frozenset(
    {"model", "models", "weights", "llm", "llms", "checkpoint", "checkpoints", "release", "we"}
)
# After the term: "open source is the future", "open-source models such as ..." (generic).
_CONCEPT_VERB = re.compile(
    r"^[\s-]*(?:is|are|was|were|has|have|will|can|should|must|matters)\b", re.IGNORECASE
)
_GENERIC_PLURAL = re.compile(
    r"^[\s-]*(?:[\w-]+\s+)?(?:models|llms|alternatives|systems|solutions|ais)\b", re.IGNORECASE
)
_COPULAS = frozenset({"is", "are", "was", "were", "be", "been", "being", "remain", "remains"})
_SELVES = frozenset({"our", "this", "these", "it", "its", "we", "we've", "we're", "present"})
_INTENSIFIERS = frozenset({"fully", "truly", "completely", "entirely", "100%", "100"})
_WE_VERBS = ("open-sourc", "opensourc", "releas", "make", "made", "making", "provid",
             "publish", "shar")  # fmt: skip
# Words after "open source" that make it a mention of other work, not of this release.
_OTHER_NOUN = re.compile(
    r"^[\s-]*(?:(?!(?:for|to|by|in|with|from|on|of|and|or|under)\b)[\w.-]+\s+){0,2}"
    r"(?:communit|project|librar|tool|framework|software|package"
    r"|ecosystem|implementation|repositor|repo\b|dataset|data\b|corp[uo]|contributor|developer"
    r"|effort|initiative|movement|alternative|counterpart|peer|competitor|baseline|platform"
    r"|engine|stack|code\b|codebase|world|space|landscape|research|enthusiast|friend|partner"
    r"|app|program|release\s+of|version\s+of|llm\s+leaderboard|leaderboard|evaluation|benchmark)",
    re.IGNORECASE,
)
_LICENCE_AFTER = re.compile(r"^[\s-]*(?:[\w-]+\s+)?licen[cs]", re.IGNORECASE)
# A title or fragment: "Vicuna: An Open-Source Chatbot", "A fully open-source 7B model".
_TITLE = re.compile(
    r"^\W*(?:[^\s:]+(?:\s+[^\s:]+){0,3}\s*[:\u2013\u2014]\s*)?(?:an?\s+)?(?:[\w-]+\s+)?$"
)
_VERB = re.compile(r"sourc(?:ed|ing)\b", re.IGNORECASE)
_CLAIM_TAGS = re.compile(
    r"^(?:open[-_\s]?source(?:[-_\s]?(?:ai|model|llm))?|fully[-_\s]open(?:[-_\s]source)?)$",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^\s*(?:```|~~~)")
_BLOCK = re.compile(r"^\s*(?:#{1,6}\s|[-*+]\s|\d+[.)]\s|\||>)")


@dataclass(frozen=True)
class Statements:
    """The openness claims and the open-weights statements of one card."""

    claims: tuple[Statement, ...] = ()
    open_weights: tuple[Statement, ...] = ()


def _clean(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Prose without markup, and the spans that were link texts."""
    if "`" not in text and "[" not in text and "<" not in text and "://" not in text:
        return text, []  # every alternative of _MARKUP needs one of these: nothing to clean
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    size = last = 0
    for m in _markup(text) if text.isascii() else _MARKUP.finditer(text):
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


_SCHEMES = ("https", "http", "ftp")  # _MARKUP's URL schemes, longest first


def _markup(text: str) -> Iterator[re.Match[str]]:
    """``_MARKUP.finditer(text)`` of ASCII text, tried only where a match can start.

    Every alternative starts with "`", "!", "[" or "<", or with a scheme and "://" (ASCII
    case folding: str.lower). The leftmost match from where the last one ended is the first
    of those places, at or after it, where the pattern matches.
    """
    starts: list[int] = []
    for mark in "`![<":
        at = text.find(mark)
        while at >= 0:
            starts.append(at)
            at = text.find(mark, at + 1)
    if "://" in text:
        low = text.lower()
        at = low.find("://")
        while at >= 0:
            starts += [
                at - len(s) for s in _SCHEMES if at >= len(s) and low.startswith(s, at - len(s))
            ]
            at = low.find("://", at + 1)
    last = 0
    for start in sorted(starts):
        if start >= last and (m := _MARKUP.match(text, start)) is not None:
            yield m
            last = m.end()


@dataclass
class _Paragraph:
    """Consecutive prose lines, cleaned and joined, with where each line starts."""

    offsets: list[int]
    numbers: list[int]
    parts: list[str]
    links: list[tuple[int, int]]
    size: int = 0

    def add(self, index: int, line: str) -> None:
        text, spans = _clean(line)
        self.offsets.append(self.size)
        self.numbers.append(index)
        self.parts.append(text)
        self.links.extend((self.size + a, self.size + b) for a, b in spans)
        self.size += len(text) + 1

    def line_of(self, at: int) -> int:
        return self.numbers[bisect.bisect_right(self.offsets, at) - 1]


# Every term above contains "open" or "available"; cleaning can join text across markup only
# through a link's or an anchor's text. A paragraph none of whose lines has one of these
# cannot hold a statement, and is not cleaned at all (most of a card's prose).
_MAYBE = re.compile(r"open|available|\]\(|</a", re.IGNORECASE)
_MAYBE_MARKS = ("open", "available", "](", "</a")  # _MAYBE's alternatives, lower case
_FENCE_MARKS = ("```", "~~~")  # where a fence line may be (then checked by _FENCE)


def _paragraph(lines: list[tuple[int, str]]) -> _Paragraph | None:
    """The cleaned paragraph of these lines, or None when it cannot hold a statement.

    (What a line-by-line reading builds; _paragraphs builds only around a line with a mark.)
    """
    text = "\n".join(line for _, line in lines)  # no match spans lines
    if text.isascii():  # ASCII: re.IGNORECASE is ASCII case folding, str.lower() too
        low = text.lower()
        if "open" not in low and "available" not in low and "](" not in low and "</a" not in low:
            return None
    elif not _MAYBE.search(text):
        return None
    paragraph = _Paragraph([], [], [], [])
    for index, line in lines:
        paragraph.add(index, line)
    return paragraph


def _paragraphs(body: str) -> Iterator[_Paragraph]:
    """Paragraphs outside code blocks; a heading, list item or table row stands alone.

    Only the paragraphs with a line that may hold a statement are built (see ``_MAYBE``): the
    lines that match are found by one search of the whole text, and each one's paragraph is
    the run of prose lines around it (no pattern of ``_MAYBE`` spans two lines).
    """
    ends = line_ends(body)
    if body.isascii():  # ASCII: re.IGNORECASE is ASCII case folding, str.lower() too
        hits = marked_lines(body.lower(), _MAYBE_MARKS, Lines(body, ends))
    else:
        hits = pattern_lines(body, _MAYBE, Lines(body, ends))
    if not hits:
        return
    lines = body.splitlines()
    marked = marked_lines(body, _FENCE_MARKS, Lines(body, ends))
    fences = [i for i in marked if _FENCE.match(lines[i])]

    def prose(i: int) -> bool:  # not a fence, not inside one, not blank, not a block line
        if i < 0 or i >= len(lines) or not lines[i].strip() or _BLOCK.match(lines[i]):
            return False
        before = bisect.bisect_left(fences, i)  # fence lines above this one
        return before % 2 == 0 and (before == len(fences) or fences[before] != i)

    done = -1  # the last line of the paragraph yielded last
    for hit in hits:
        if hit <= done:
            continue
        if prose(hit):
            first = last = hit
            while prose(first - 1):
                first -= 1
            while prose(last + 1):
                last += 1
        elif _alone(lines, fences, hit):
            first = last = hit
        else:
            continue
        done = last
        # Built without _paragraph's test: the hit line's mark is in the paragraph.
        paragraph = _Paragraph([], [], [], [])
        for i in range(first, last + 1):
            paragraph.add(i, lines[i])
        yield paragraph


def _alone(lines: list[str], fences: list[int], i: int) -> bool:
    """Whether line *i* is a block line (heading, list item, table row) outside code blocks."""
    before = bisect.bisect_left(fences, i)
    outside = before % 2 == 0 and (before == len(fences) or fences[before] != i)
    return outside and bool(lines[i].strip()) and bool(_BLOCK.match(lines[i]))


def _clause(before: str) -> str:
    """The end of *before* after its last comma, colon, bracket or dash."""
    return before[max(before.rfind(mark) for mark in _CLAUSE_MARKS) + 1 :]


def _words(clause: str) -> list[str]:
    return _WORD.findall(clause.lower().replace("\u2019", "'"))


def _negated(words: list[str]) -> bool:
    return any(w in _NEGATIONS or w.endswith("n't") for w in words[-5:])


def _compares(words: list[str]) -> bool:
    return any(w in _COMPARISONS or w.startswith(_COMPARISON_STEMS) for w in words)


def _mentions(words: list[str]) -> bool:
    """A preposition or verb naming other work ("built with", "based on") just before."""
    tail = words[-5:]
    return any(w in _MENTIONS for w in tail[-4:]) or any(
        (a, b) in _MENTION_PAIRS for a, b in pairwise(tail)
    )


def _we_make(words: list[str]) -> bool:
    """ "we have made ... open source", "we are open-sourcing", "we release ... as open source"."""
    return any(
        w == "we" and any(v.startswith(_WE_VERBS) for v in words[i + 1 : i + 4])
        for i, w in enumerate(words)
    )


def _is_claim(sentence: str, m: re.Match[str]) -> bool:
    """Whether an "open source" match states that this release is open source."""
    before = sentence[max(0, m.start() - _BEFORE) : m.start()]
    after = sentence[m.end() : m.end() + _AFTER]
    words = _words(_clause(before))
    if _negated(words) or _compares(words) or _mentions(words) or _OTHER_NOUN.match(after):
        return False
    if sentence.rstrip().endswith("?") or _about_other(words):
        return False
    if _CONCEPT_VERB.match(after) or (not words and _GENERIC_PLURAL.match(after)):
        return False  # "open source is the future", "Open-source models such as ..."
    return bool(
        _VERB.search(m[0])
        or m[0].split()[0].split("-")[0].lower() in _INTENSIFIERS
        or (words and words[-1] in _INTENSIFIERS)
        or any(w in _COPULAS or w.endswith("'s") for w in words[-7:])
        or any(w in _SELVES for w in words[-4:])
        or "as" in words[-3:]
        or _LICENCE_AFTER.match(after)
        or _we_make(_words(before))
        or (m.start() <= _BEFORE and after.strip(" .!") != "" and _TITLE.match(before))
    )


def _about_other(words: list[str]) -> bool:
    """ "The code is open source": the clause is about code or data, not the model."""
    found = set(words)
    return bool(found & _OTHER_SUBJECTS) and not found & _MODEL_WORDS


def _is_weights_statement(sentence: str, m: re.Match[str]) -> bool:
    words = _words(_clause(sentence[max(0, m.start() - _BEFORE) : m.start()]))
    return not _negated(words) and not _compares(words)


def _evidence(sentence: str, start: int) -> str:
    text = " ".join(sentence.split())
    if len(text) <= _EVIDENCE_CHARS:
        return text
    at = max(0, min(start, len(text)) - _EVIDENCE_CHARS // 2)
    end = at + _EVIDENCE_CHARS
    return ("…" if at else "") + text[at:end].strip() + ("…" if end < len(text) else "")


def find_statements(body: str, first_line: int = 1, tags: Sequence[Statement] = ()) -> Statements:
    """Find the openness claims and open-weights statements in a card's text.

    ``body`` is the card without its front matter, its first line being ``first_line`` of the
    file; ``tags`` are (line, tag) pairs from the front matter.
    """
    claims = [(line, f"tags: {tag}") for line, tag in tags if _CLAIM_TAGS.match(tag.strip())]
    weights: list[Statement] = []
    for paragraph in _paragraphs(body):
        text = " ".join(paragraph.parts)
        # Every term holds "open" or "available": ASCII text without one is passed over
        # (the cleaned text, so a link's text joined to its neighbours is searched too).
        low = text.lower() if text.isascii() else None
        if low is not None and "open" not in low and "available" not in low:
            continue
        starts = [a for a, _ in paragraph.links]
        for start, sentence in _sentences(text):
            if low is not None and _no_term(low, start, start + len(sentence)):
                continue
            kinds: set[str] = set()
            for m in _TERM.finditer(sentence):
                kind = "claim" if m["claim"] else "weights"
                if kind in kinds:
                    continue
                at = start + m.start()
                i = bisect.bisect_right(starts, at) - 1
                in_link = i >= 0 and paragraph.links[i][0] <= at < paragraph.links[i][1]
                test = _is_claim if kind == "claim" else _is_weights_statement
                if in_link or not test(sentence, m):
                    continue
                kinds.add(kind)
                found = claims if kind == "claim" else weights
                if len(found) < MAX_STATEMENTS:
                    line = first_line + paragraph.line_of(at)
                    found.append((line, _evidence(sentence, m.start())))
    return Statements(tuple(claims), tuple(weights))


def _no_term(low: str, start: int, end: int) -> bool:
    """Whether lower-cased ASCII text holds neither "open" nor "available" in [start, end)."""
    return low.find("open", start, end) < 0 and low.find("available", start, end) < 0


def _sentences(text: str) -> Iterator[tuple[int, str]]:
    last = 0
    for m in _SENTENCE_END.finditer(text):
        yield last, text[last : m.start()]
        last = m.end()
    yield last, text[last:]
