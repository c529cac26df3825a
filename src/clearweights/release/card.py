"""Model cards: YAML front matter through huggingface_hub's ModelCard, claims from the text."""

from __future__ import annotations

import copy
import functools
import logging
import re
from dataclasses import replace
from typing import Any

import yaml

from clearweights._untrusted import FRONT_MATTER, MAX_DEPTH, MAX_YAML_NODES, check_yaml
from clearweights.release._front import plain_front_matter
from clearweights.release.claims import Statement, find_statements
from clearweights.release.model import CardData

MAX_CARD_BYTES = 2 << 20
_URL = re.compile(r"https?://[^\s)\]>\"'`]+")
# "^#{1,6}..." written to start with its literal "#" (the lookbehind is the line start): the
# engine then skips to each "#" instead of trying the pattern at every position (a third faster).
_HEADING = re.compile(r"#(?<![^\n]#)#{0,5}\s+(.+?)\s*#*\s*$", re.MULTILINE)


class CardError(ValueError):
    """The card's front matter is not valid (broken or hostile YAML)."""


class _Collect(logging.Filter):
    """Keeps the Hub library's warnings about a card instead of letting them print."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.messages.append(record.getMessage())
        return False


# The Hub library's warnings about a card, kept while it reads one: printed without the card's
# name they mislead; the audit reports them with the file. Loggers live as long as the process.
_HUB_LOGGERS = tuple(
    logging.getLogger(f"huggingface_hub.{m}") for m in ("repocard", "repocard_data")
)


def _note(message: str) -> str:
    if "model-index" in message or "eval_results" in message:
        return "model-index not read: not in the Hub's model-index format"
    return f"front matter: {message}"


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if v is not None)
    return (str(value),)


_SAFE_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CACHED_BLOCK = 4096  # front matter up to this size is parsed once per distinct text


def _safe_load(block: str) -> Any:
    """yaml.safe_load of the block, by libyaml; the pure-Python parser words any error."""
    plain = plain_front_matter(block, _SAFE_LOADER)  # most cards: no YAML parser needed
    if plain is not None:
        return plain
    try:
        loaded = yaml.load(block, Loader=_SAFE_LOADER)
    except yaml.YAMLError:
        loaded = yaml.safe_load(block)  # raises, worded as huggingface_hub's own parse does
    return {} if loaded is None else loaded


def _within_limits(block: str) -> bool:
    """Whether *block* provably passes :func:`check_yaml`'s limits without walking its events.

    No ``&`` or ``*``: no anchor and no alias, so nothing expands. Every collection opens at a
    character of its own (a sequence at its first ``-``, a mapping at its first key's ``:`` or
    ``?``, a flow collection at its bracket): no more of them than the nesting limit bounds the
    nesting. Without aliases a text has at most a few values per character.
    """
    return (
        len(block) <= MAX_YAML_NODES // 8
        and "&" not in block
        and "*" not in block
        and block.count("-")
        + block.count("?")
        + block.count(":")
        + block.count("[")
        + block.count("{")
        <= MAX_DEPTH
    )


@functools.cache
def _hub_classes() -> tuple[Any, Any]:
    """huggingface_hub's ModelCardData and CardData, imported on the first card read."""
    from huggingface_hub.repocard_data import CardData as HubCardData
    from huggingface_hub.repocard_data import ModelCardData

    return ModelCardData, HubCardData


def _load(block: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The front matter's data and the Hub library's notes on it.

    Raises:
        CardError: the block is not valid YAML, passes a limit, or the Hub library refuses it.
    """
    model_card_data, _ = _hub_classes()
    try:
        if not _within_limits(block):
            check_yaml(block)  # nesting and alias bombs refused before the Hub parses it
        # What huggingface_hub's ModelCard does with the block (yaml.safe_load, a mapping or
        # nothing, ModelCardData), with libyaml's parser where PyYAML has it: the same safe
        # constructor and resolver, 13x faster than the pure-Python parser on front matter.
        try:
            loaded = _safe_load(block)
        except yaml.YAMLError:
            check_yaml(block)  # broken YAML worded by the check first, as when it ran first
            raise
        if not isinstance(loaded, dict):
            raise ValueError("repo card metadata block should be a dict")
        hub = _Collect()
        for logger in _HUB_LOGGERS:
            logger.addFilter(hub)
        try:
            # NOTE: huggingface_hub's CardData and to_dict are not annotated.
            card = model_card_data(**loaded, ignore_metadata_errors=True)
        finally:
            for logger in _HUB_LOGGERS:
                logger.removeFilter(hub)
        data = _card_dict(card)
    except yaml.YAMLError as exc:
        raise CardError(f"front matter is not valid YAML: {exc}") from exc
    except Exception as exc:  # the Hub library raises TypeError, ValueError... on odd values
        raise CardError(f"front matter cannot be read: {type(exc).__name__}: {exc}") from exc
    return data, tuple(dict.fromkeys(_note(m) for m in hub.messages))


def _card_dict(card: Any) -> dict[str, Any]:
    """``card.to_dict()`` without its deep copy of the whole front matter.

    The values are fresh from the parser and only read (what a card keeps of a mutable value is
    copied by :func:`_parse_card`): the copy was a fifth of a card-only release's parse. Where
    the Hub library's ``to_dict`` is not the one this mirrors, it is called as it is.
    """
    _, hub_card_data = _hub_classes()
    shape = getattr(card, "_to_dict", None)
    if type(card).to_dict is not hub_card_data.to_dict or shape is None:
        # NOTE: huggingface_hub's CardData and to_dict are not annotated.
        return card.to_dict()  # type: ignore[no-any-return]
    data = dict(card.__dict__)
    shape(data)  # the Hub's own shaping (eval_results become model-index), in place
    return {key: value for key, value in data.items() if value is not None}


# Front matter repeats across the Hub (the same licence, tags and base model in thousands of
# cards): bulk scans parse each distinct block once. Callers get a copy of the data.
_front_matter = functools.lru_cache(maxsize=2048)(_load)


_CACHED_CARD = 32 << 10  # whole cards up to this size are parsed once per distinct text


def parse_card(text: str, path: str = "README.md") -> CardData:
    """Parse a model card offline.

    Identical cards (the Hub's generated template, copies across quantisations) are parsed
    once; each caller gets its own copy of the parts a caller could change (the licence list,
    the model-index entries), so one caller's edit never reaches the next.

    Raises:
        CardError: when the front matter is not a YAML mapping (only safe loading is used).
    """
    if len(text) > _CACHED_CARD:
        return _parse_card(text, path)
    return _own_copy(_cached_card(text, path))


def _own_copy(card: CardData) -> CardData:
    """*card* with fresh copies of its mutable values (a list of licences, dicts)."""
    if not isinstance(card.license, list) and not card.model_index:
        return card
    return replace(
        card,
        license=list(card.license) if isinstance(card.license, list) else card.license,
        model_index=copy.deepcopy(card.model_index),
    )


def _parse_card(text: str, path: str) -> CardData:
    # A byte-order mark (Windows editors write one) must not hide the front matter: the
    # licence and base model the maker declared would be read as none.
    text = text.removeprefix("\ufeff")
    found = FRONT_MATTER.match(text)
    if found is None:
        # No front matter: nothing to load, and no "metadata block was not found" warning.
        data: dict[str, Any] = {}
        body = text
        notes: tuple[str, ...] = ()
    else:
        block = found["block"]
        loaded = _front_matter(block) if len(block) <= _CACHED_BLOCK else _load(block)
        # Shared and read only (cached): what the card keeps of a mutable value (a licence
        # list, the model-index entries) is copied below; never hand this dict out.
        data, notes = loaded[0], loaded[1]
        body = text[found.end() :]  # as huggingface_hub's ModelCard.text
    offset = text.count("\n", 0, max(text.find(body[:80]), 0)) if body else 0
    tags = _strings(data.get("tags"))
    statements = find_statements(body, offset + 1, _tag_lines(text, offset, tags))
    licence = data.get("license")
    headings = _headings(body)  # read once: sections, limitations, uses
    titles = [title.strip() for _, _, title in headings]
    lows = [title.lower() for title in titles]
    framed = _framed(lows)
    return CardData(
        license=licence
        if isinstance(licence, str)
        else list(licence)
        if isinstance(licence, list)
        else None,
        license_name=_first(data.get("license_name")),
        license_link=_first(data.get("license_link")),
        base_model=_strings(data.get("base_model")),
        base_model_relation=_first(data.get("base_model_relation")),
        datasets=_strings(data.get("datasets")),
        tags=tags,
        pipeline_tag=_first(data.get("pipeline_tag")),
        model_index=_model_index(data.get("model-index")),
        claims=statements.claims,
        open_weights=statements.open_weights,
        links=tuple(dict.fromkeys(m.rstrip(".,") for m in _URL.findall(body))),
        sections=tuple(lows),
        limitations=_section(body, headings, titles, framed, _LIMITATIONS),
        uses=_section(body, headings, titles, framed, _USES),
        path=path,
        notes=notes,
    )


_cached_card = functools.lru_cache(maxsize=512)(_parse_card)

_LIMITATIONS = re.compile(r"limitation|bias|risk", re.IGNORECASE)
_USES = re.compile(r"intended use|^uses$|use cases|direct use", re.IGNORECASE)
# The patterns' words, lower case: on an ASCII title re.IGNORECASE is ASCII case folding.
_WORDS = {_LIMITATIONS: (("limitation", "bias", "risk"), ()),
          _USES: (("intended use", "use cases", "direct use"), ("uses",))}  # fmt: skip
_SECTION_CHARS = 1000
Heading = tuple[int, int, str]  # where it starts, where its line ends, its title (unstripped)


def _section(
    body: str,
    headings: list[Heading],
    titles: list[str],
    framed: str | None,
    pattern: re.Pattern[str],
) -> str | None:
    """The text under the first heading whose title matches, up to the next heading."""
    i = _first_title(titles, framed, pattern)
    if i is None:
        return None
    end = headings[i + 1][0] if i + 1 < len(headings) else len(body)
    text = " ".join(body[headings[i][1] : end].split())
    return text[:_SECTION_CHARS] or None


def _framed(lows: list[str]) -> str | None:
    """The lower-case titles, each between "\\n"s (no title holds one); None where not ASCII."""
    joined = "\n".join(lows)
    return f"\n{joined}\n" if joined.isascii() else None


def _first_title(titles: list[str], framed: str | None, pattern: re.Pattern[str]) -> int | None:
    """Which title *pattern* finds first (ASCII titles: their words found in *framed*)."""
    if framed is None:
        return next((i for i, title in enumerate(titles) if pattern.search(title)), None)
    words, wholes = _WORDS[pattern]  # words anywhere in a title, whole titles
    found = [at for word in words if (at := framed.find(word)) >= 0]
    found += [at for whole in wholes if (at := framed.find(f"\n{whole}\n")) >= 0]
    return framed.count("\n", 0, min(found) + 1) - 1 if found else None


# Each "#" run at a line start, its white space, the rest of the line the title is on, and
# (where the next word after it is on a line of only "#"s) that line.
_CANDIDATE = re.compile(r"#(?<![^\n]#)#{0,5}\s+([^\n]*)(?=\s*(#+[^\S\n]*(?:\n|\Z))?)")


def _headings(body: str) -> list[Heading]:
    """The headings ``_HEADING.finditer`` finds, without its lazy title (a third of a card).

    After the "#"s and all the white space, _HEADING's title is the shortest start of the
    line's rest after which only spaces, "#"s and spaces are left (one character at least);
    its match may run on past the line end over white space and, where the next word after
    the line is on a line of only "#"s, over those too. Where that may be (or the white space
    runs to the end), the whole body is read by _HEADING itself; otherwise each match ends
    where _HEADING's does, give or take white space (which no reader of a heading's end minds).
    """
    matches = list(_CANDIDATE.finditer(body))
    titles = []
    for rest, after in (m.group(1, 2) for m in matches):  # rest: after all the white space
        if not rest or after is not None:
            return [(h.start(), h.end(), h[1]) for h in _HEADING.finditer(body)]
        title = rest.rstrip()
        titles.append(title if title[-1] != "#" else title.rstrip("#").rstrip() or rest[0])
    return [(m.start(), m.end(), title) for m, title in zip(matches, titles, strict=True)]


def _tag_lines(text: str, front_lines: int, tags: tuple[str, ...]) -> tuple[Statement, ...]:
    """Each tag with the line of the front matter that names it (1 when not found)."""
    lines = text.split("\n", front_lines)[:front_lines]
    out = []
    for tag in tags:
        number = next((i + 1 for i, line in enumerate(lines) if tag in line), 1)
        out.append((number, tag))
    return tuple(out)


def _model_index(value: Any) -> tuple[dict[str, Any], ...]:
    """A copy of the model-index entries (the front matter's data is shared: see _front_matter)."""
    entries = tuple(x for x in value or [] if isinstance(x, dict))
    return copy.deepcopy(entries) if entries else ()


def _first(value: Any) -> str | None:
    values = _strings(value)
    return values[0] if values else None
