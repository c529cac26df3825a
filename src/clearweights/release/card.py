"""Model cards: YAML front matter through huggingface_hub's ModelCard, claims from the text."""

from __future__ import annotations

import re
from typing import Any

import yaml

from clearweights._untrusted import check_front_matter
from clearweights.release.model import CardData

MAX_CARD_BYTES = 2 << 20
_CLAIM = re.compile(
    r"\b(?:(?:fully|truly|completely|100%) )?open[- ]source(?: ai| model| llm| weights)?\b"
    r"|\bopen[- ]weights?\b|\bfully open\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"\b(?:not|isn't|never|no longer)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s)\]>\"'`]+")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


class CardError(ValueError):
    """The card's front matter is not valid (broken or hostile YAML)."""


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if v is not None)
    return (str(value),)


def parse_card(text: str, path: str = "README.md") -> CardData:
    """Parse a model card offline.

    Raises:
        CardError: when the front matter is not a YAML mapping (only safe loading is used).
    """
    from huggingface_hub import ModelCard

    try:
        check_front_matter(text)  # nesting and alias bombs refused before the Hub parses it
        card = ModelCard(text, ignore_metadata_errors=True)
        # NOTE: huggingface_hub's CardData.to_dict is not annotated.
        data: dict[str, Any] = card.data.to_dict()  # type: ignore[no-untyped-call]
    except yaml.YAMLError as exc:
        raise CardError(f"front matter is not valid YAML: {exc}") from exc
    except Exception as exc:  # the Hub library raises TypeError, ValueError... on odd values
        raise CardError(f"front matter cannot be read: {type(exc).__name__}: {exc}") from exc
    body = card.text
    offset = text.count("\n", 0, max(text.find(body[:80]), 0)) if body else 0
    claims: list[tuple[int, str]] = []
    for number, line in enumerate(body.splitlines(), start=offset + 1):
        for m in _CLAIM.finditer(line):
            if _NEGATED.search(line[max(0, m.start() - 80) : m.start()]):  # linear
                continue
            claims.append((number, " ".join(line.split())[:200]))
            break
    licence = data.get("license")
    return CardData(
        license=licence if isinstance(licence, str | list) else None,
        license_name=_first(data.get("license_name")),
        license_link=_first(data.get("license_link")),
        base_model=_strings(data.get("base_model")),
        base_model_relation=_first(data.get("base_model_relation")),
        datasets=_strings(data.get("datasets")),
        tags=_strings(data.get("tags")),
        pipeline_tag=_first(data.get("pipeline_tag")),
        model_index=tuple(x for x in data.get("model-index") or [] if isinstance(x, dict)),
        claims=tuple(claims),
        links=tuple(dict.fromkeys(m.rstrip(".,") for m in _URL.findall(body))),
        sections=tuple(h.strip().lower() for h in _HEADING.findall(body)),
        limitations=_section(body, _LIMITATIONS),
        uses=_section(body, _USES),
        path=path,
    )


_LIMITATIONS = re.compile(r"limitation|bias|risk", re.IGNORECASE)
_USES = re.compile(r"intended use|^uses$|use cases|direct use", re.IGNORECASE)
_SECTION_CHARS = 1000


def _section(body: str, heading: re.Pattern[str]) -> str | None:
    """The text under the first heading that matches, up to the next heading."""
    matches = list(_HEADING.finditer(body))
    for i, m in enumerate(matches):
        if heading.search(m[1].strip()):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(body)
            text = " ".join(body[m.end() : end].split())
            return text[:_SECTION_CHARS] or None
    return None


def _first(value: Any) -> str | None:
    values = _strings(value)
    return values[0] if values else None
