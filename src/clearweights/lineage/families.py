"""Known base-model families and their licences (data/lineage/base-models.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache, lru_cache
from importlib import resources

from clearweights.licenses import get
from clearweights.licenses._catalogue import load
from clearweights.licenses._expression import LicenceExpression, expression_tree, leaf
from clearweights.licenses.model import UNKNOWN_PREFIX


@dataclass(frozen=True)
class Family:
    """Base models whose repo ids match ``patterns`` are released under ``expression``."""

    patterns: tuple[str, ...]
    expression: LicenceExpression
    source: str


def _licence(text: str) -> LicenceExpression:
    """An id, Hub id or name (checked against the catalogue), or an SPDX expression of ids."""
    if " AND " in text or " OR " in text:
        tree = expression_tree(text, load())
        if tree is None or any(lic.id.startswith(UNKNOWN_PREFIX) for lic in tree.licences):
            raise ValueError(f"base-models.json: {text!r} is not an expression of known licences")
        return tree
    return leaf(get(text))


@cache
def families() -> tuple[Family, ...]:
    """Every family entry, in match order."""
    raw = resources.files("clearweights").joinpath("data/lineage/base-models.json")
    data = json.loads(raw.read_text("utf-8"))
    return tuple(
        Family(tuple(entry["match"]), _licence(entry["license"]), entry["source"])
        for entry in data["families"]
    )


@lru_cache(maxsize=4096)  # bulk scans ask for the same few hundred base models again and again
def family_of(repo_id: str) -> Family | None:
    """The first family whose pattern matches *repo_id* (case-insensitive), or ``None``."""
    key = repo_id.lower()
    for family in families():
        if any(fnmatchcase(key, pattern.lower()) for pattern in family.patterns):
            return family
    return None
