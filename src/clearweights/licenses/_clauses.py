"""Clause extraction: read the terms that matter for AI licences straight from any text.

This is the only signal for unknown or custom licences, and it seeds the catalogue's terms
at build time. Every finding keeps the span of text it was read from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from clearweights.licenses.model import (
    Evidence,
    ExtractedTerm,
    Naming,
    OutputUse,
    Threshold,
    UsePolicy,
)

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_MAX_EVIDENCE = 240


def _rx(pattern: str) -> re.Pattern[str]:
    # A space in a pattern matches any run of whitespace or markdown emphasis, so that
    # re-wrapped and marked-up texts read the same.
    pattern = pattern.replace(" ?", r"[\s*_]*").replace(" ", r"[\s*_]+")
    return re.compile(pattern, re.IGNORECASE)


_MAU = _rx(r"(\d[\d,.]*) ?(million|billion) monthly active users")
_REVENUE = (
    _rx(
        r"annual revenue (?:of )?(?:less than |under |below |more than |exceeding |in excess of |over )?(?:USD? ?)?\$ ?([\d,.]+) ?(million|m|billion)?"
    ),
    _rx(r"(?:USD? ?)?\$ ?([\d,.]+) ?(million|m|billion)? (?:or more )?(?:in |of )?annual revenue"),
    # A royalty above a revenue threshold: "Attributable Revenue ... is greater than $1m".
    _rx(
        r"revenue[^.;]{0,80}?(?:greater than|more than|exceeds?|exceeding|in excess of|above|over) (?:USD? ?)?\$ ?(\d[\d,.]*) ?(million|m|billion)?\b"
    ),
)
_ATTRIBUTION = _rx(r"\"((?:built with|powered by|built on|improved using) [^\"\n]{2,40}?)\"")
_NAME_PREFIX = _rx(r"include \"([^\"\n]{2,40})\" at the beginning of any such")
_OUTPUT_BANS = (
    _rx(r"improve any other large language model"),
    _rx(r"create or improve any foundational generative ai model"),
    _rx(r"train,? fine-tune,? or distill a model that is competitive"),
    _rx(
        r"(?:not|never) use [^.]{0,60}?(?:outputs?|results)[^.]{0,120}?(?:train|develop|improve)[^.]{0,60}?(?:other|competing|third-party|any)[^.]{0,30}?models?"
    ),
)
_DISTILLATION = _rx(r"distillation methods|by distillation|through distillation|via distillation")
_REMOTE = _rx(r"restrict \(remotely or otherwise\)|remotely (?:restrict|disable)")
_UNILATERAL = _rx(
    r"may update this agreement|may be updated from time to time|update[sd]? [^.]{0,40}from time to time|latest version [^.]{0,40}from time to time|reserves the right to (?:update|modify|change)|may modify (?:this|these) (?:agreement|terms|license)"
)
_POLICY = _rx(
    r"(acceptable use policy|prohibited use policy|use-based restrictions|use restrictions in attachment a|attachment a)"
)
_INCORPORATED = _rx(r"incorporated (?:herein )?by reference|hereby incorporated")
_NON_COMMERCIAL = _rx(
    r"non-?commercial|(?:not|never) (?:be )?(?:used? |exploited |distributed )?(?:[a-z]+ ){0,4}for (?:any )?commercial (?:purposes?|use)|no commercial use|commercial use is (?:not permitted|prohibited|forbidden)"
)
_NC_NEUTRAL = _rx(
    r"commercial (?:or|and|and/or) non-?commercial|non-?commercial (?:or|and|and/or) commercial"
)
_RESEARCH = _rx(
    r"(?:solely|only|exclusively) for (?:[a-z-]+ ){0,3}research|research (?:and|or) (?:evaluation|testing|development) purposes only|research purposes only|\"research purposes\" means"
)
_REVOCABLE = _rx(
    r"(?<!non-)\brevocable\b|may terminate this (?:license|agreement) [^.]{0,40}at any time"
)
_GOVERNING_LAW = _rx(
    r"governed (?:and construed )?(?:by|under|in accordance with)(?: and construed (?:in accordance with|under))? (?:the )?laws? of (?:the )?([A-Z][^,.;:()\n]{2,60}?)(?= without| excluding| and the| and any|,|\.|;|\(|\n|$)"
)
# A place name cut by a line wrap ("the State of" / "California") goes on after these words.
_LAW_CONTINUES = re.compile(
    r"(?:\b(?:of|the|and|de|du|State|Commonwealth|Republic|Kingdom|Province|Region|New|United))$"
)
_LAW_NEXT_LINE = re.compile(
    r"[ \t]*\n[ \t>*_]*([A-Z][^,.;:()\n]{1,60}?)(?= without| excluding| and the| and any|,|\.|;|\(|\n|$)"
)
_EU = _rx(r"principal place of business in,? the european union")
_COPY = _rx(r"(?:a )?copy of this (?:agreement|license)")
_NOTICE_FILE = _rx(r"\"?notice\"? text file|notice file")
_PASS_THROUGH = _rx(
    r"(?:include|contain)s? [^.]{0,80}(?:use-based )?restrictions[^.]{0,80}(?:enforceable|subsequent|downstream)|enforceable provision"
)
_HEADING = re.compile(
    r"^[\s#*>]*((?:section|article|§)?\s*(?:\d+(?:\.\d+)*|[ivx]+|[a-z])[.)]?\s+[^\n]{0,60}|[A-Z][A-Z \-&]{3,60})$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class _Hit:
    term: str
    value: object
    start: int
    end: int


def _number(digits: str, scale: str | None) -> float:
    value = float(digits.replace(",", "").rstrip("."))
    match (scale or "").lower():
        case "million" | "m":
            value *= 1e6
        case "billion":
            value *= 1e9
    return value


def _threshold_hits(text: str) -> Iterator[_Hit]:
    """A user cap: monthly active users, else an annual revenue."""
    if m := _MAU.search(text):
        yield _Hit(
            "user_threshold",
            Threshold(_number(m[1], m[2]), "monthly active users"),
            m.start(),
            m.end(),
        )
    else:
        for rx in _REVENUE:
            if m := rx.search(text):
                value = _number(m[1], m[2])
                yield _Hit(
                    "user_threshold", Threshold(value, "USD annual revenue"), m.start(), m.end()
                )
                break


def _naming_hits(text: str) -> Iterator[_Hit]:
    """Attribution strings and a required name prefix for derivatives."""
    attributions = list(_ATTRIBUTION.finditer(text))
    prefix = _NAME_PREFIX.search(text)
    if attributions or prefix:
        strings = tuple(dict.fromkeys(" ".join(m[1].split()) for m in attributions))
        first = min([m.start() for m in attributions] + ([prefix.start()] if prefix else []))
        last = max([m.end() for m in attributions] + ([prefix.end()] if prefix else []))
        yield _Hit("derivative_naming", Naming(strings, prefix[1] if prefix else None), first, last)


def _output_hits(text: str) -> Iterator[_Hit]:
    """Bans on using outputs (to train other models), distillation included."""
    bans = [m for rx in _OUTPUT_BANS if (m := rx.search(text))]
    distillation = _DISTILLATION.search(text)
    if bans:
        m = bans[0]
        yield _Hit(
            "output_use_restriction",
            OutputUse(True, True if distillation else None),
            m.start(),
            m.end(),
        )
    elif distillation:
        yield _Hit(
            "output_use_restriction",
            OutputUse(False, True),
            distillation.start(),
            distillation.end(),
        )


def _policy_hits(text: str) -> Iterator[_Hit]:
    """Remote-use clauses, unilateral changes and an acceptable-use policy."""
    if m := _REMOTE.search(text):
        yield _Hit("remote_restriction", True, m.start(), m.end())
    if m := _UNILATERAL.search(text):
        yield _Hit("unilateral_changes", True, m.start(), m.end())
    if m := _POLICY.search(text):
        name = " ".join(m[1].split()).title().replace("Use-Based", "Use-based")
        yield _Hit(
            "acceptable_use_policy",
            UsePolicy(
                name=name,
                incorporated_by_reference=True if _INCORPORATED.search(text) else None,
                may_change_unilaterally=True if _UNILATERAL.search(text) else None,
            ),
            m.start(),
            m.end(),
        )


def _scope_hits(text: str) -> Iterator[_Hit]:
    """Non-commercial (not where the word is neutral), research-only, revocable."""
    neutral = {n.start() for n in _NC_NEUTRAL.finditer(text)} | {
        n.end() for n in _NC_NEUTRAL.finditer(text)
    }
    for found in _NON_COMMERCIAL.finditer(text):
        window = _NC_NEUTRAL.search(text, max(0, found.start() - 20), found.end() + 20)
        if window is None and found.start() not in neutral:
            yield _Hit("non_commercial", True, found.start(), found.end())
            break
    if m := _RESEARCH.search(text):
        yield _Hit("research_only", True, m.start(), m.end())
    if m := _REVOCABLE.search(text):
        yield _Hit("revocable", True, m.start(), m.end())


def _law_hits(text: str) -> Iterator[_Hit]:
    """The governing law (continued on the next line) and EU exclusions."""
    if m := _GOVERNING_LAW.search(text):
        law, end = " ".join(m[1].split()).strip(" *_"), m.end()
        if _LAW_CONTINUES.search(law) and (more := _LAW_NEXT_LINE.match(text, end)):
            law, end = f"{law} {' '.join(more[1].split()).strip(' *_')}", more.end()
        yield _Hit("governing_law", law, m.start(), end)
    if m := _EU.search(text):
        yield _Hit("territorial_exclusions", ("European Union",), m.start(), m.end())


def _condition_hits(text: str) -> Iterator[_Hit]:
    """What distribution requires: the licence copy, NOTICE, passing restrictions on."""
    conditions: list[tuple[str, re.Match[str]]] = []
    for label, rx in (
        ("copy of the licence", _COPY),
        ("NOTICE file", _NOTICE_FILE),
        ("pass use restrictions on to recipients", _PASS_THROUGH),
    ):
        if m := rx.search(text):
            conditions.append((label, m))
    if conditions:
        first_match = conditions[0][1]
        yield _Hit(
            "distribution_conditions",
            tuple(label for label, _ in conditions),
            first_match.start(),
            first_match.end(),
        )


_HIT_FINDERS = (
    _threshold_hits, _naming_hits, _output_hits, _policy_hits, _scope_hits, _law_hits,
    _condition_hits,
)  # fmt: skip


def _hits(text: str) -> Iterator[_Hit]:
    for finder in _HIT_FINDERS:
        yield from finder(text)


def evidence_at(text: str, start: int, end: int) -> Evidence:
    """Build the evidence record for ``text[start:end]``."""
    span = " ".join(text[start:end].split())
    if len(span) > _MAX_EVIDENCE:
        span = span[: _MAX_EVIDENCE - 3] + "..."
    return Evidence(start=start, end=end, line=text.count("\n", 0, start) + 1, text=span)


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span to the sentence (or list item) that holds it."""
    left = max(text.rfind(". ", 0, start), text.rfind("\n\n", 0, start))
    right_candidates = [i for i in (text.find(". ", end), text.find("\n\n", end)) if i != -1]
    right = min(right_candidates) + 1 if right_candidates else len(text)
    return (left + 2 if left != -1 else 0), right


def heading_before(text: str, position: int) -> str | None:
    """Return the nearest section heading before *position*, if any."""
    heading = None
    for m in _HEADING.finditer(text, 0, position):
        heading = m[1]
    if heading is None:
        return None
    return " ".join(heading.replace("*", " ").replace("#", " ").split())[:80]


def extract(text: str) -> tuple[ExtractedTerm, ...]:
    """Return the terms that clause extraction finds in *text*, each with its span."""
    plain = text.translate(_QUOTES)  # same length, so offsets stay valid
    found: dict[str, ExtractedTerm] = {}
    for hit in _hits(plain):
        if hit.term in found:
            continue
        found[hit.term] = ExtractedTerm(hit.term, hit.value, evidence_at(text, hit.start, hit.end))
    return tuple(found.values())
