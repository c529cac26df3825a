"""Known base-model families and their licences (data/lineage/base-models.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from importlib import resources

from clearweights.licenses import get
from clearweights.licenses.model import Licence


@dataclass(frozen=True)
class Family:
    """Base models whose repo ids match ``patterns`` are released under ``licence``."""

    patterns: tuple[str, ...]
    licence: Licence
    source: str


@cache
def families() -> tuple[Family, ...]:
    """Every family entry, in match order."""
    raw = resources.files("clearweights").joinpath("data/lineage/base-models.json")
    data = json.loads(raw.read_text("utf-8"))
    return tuple(
        Family(tuple(entry["match"]), get(entry["license"]), entry["source"])
        for entry in data["families"]
    )


def family_of(repo_id: str) -> Family | None:
    """The first family whose pattern matches *repo_id* (case-insensitive), or ``None``."""
    key = repo_id.lower()
    for family in families():
        if any(fnmatchcase(key, pattern.lower()) for pattern in family.patterns):
            return family
    return None
