"""Front matter in the plainest YAML, read without a YAML parser (what ``safe_load`` reads).

Most model cards' front matter is a mapping of plain keys to plain words and lists of plain
words, written one to a line::

    license: apache-2.0
    base_model: meta-llama/Llama-3.1-8B
    datasets:
    - tatsu-lab/alpaca

:func:`plain_front_matter` reads exactly that shape and nothing else: ASCII only, keys and
values of a few safe characters (no quote, no anchor or alias, no tag, no comment, no
bracket, no flow collection), a key at the line start, a list item at one indentation, no
tab and no line that continues a value. Each scalar is resolved by the loader's own implicit
resolvers (YAML 1.1: booleans, numbers, nulls, dates...): anything but a string, and any
line outside the shape, sends the whole block to PyYAML (``None``). What it returns is what
``yaml.load(block, Loader)`` returns, compared in tests with generated and real blocks.
"""

from __future__ import annotations

import re
from typing import Any

from yaml.constructor import SafeConstructor

_WORD = r"[A-Za-z0-9_./][A-Za-z0-9_.,/+()=-]*(?:[ :][A-Za-z0-9_.,/+()=-]+)*"
# "key:" or "key: value" at the line start (a space or the line end after the colon).
_KEY = re.compile(rf"([A-Za-z_][A-Za-z0-9_.-]{{0,99}}):(?: +({_WORD}))? *")
_ITEM = re.compile(rf"( *)- +({_WORD}) *")
_STR = "tag:yaml.org,2002:str"


def _usual(loader: type[Any]) -> bool:
    """Whether *loader* constructs strings, lists and mappings as PyYAML's safe loader does."""
    made = loader.yaml_constructors
    return bool(
        not loader.yaml_path_resolvers
        and made.get(_STR) is SafeConstructor.construct_yaml_str
        and made.get("tag:yaml.org,2002:seq") is SafeConstructor.construct_yaml_seq
        and made.get("tag:yaml.org,2002:map") is SafeConstructor.construct_yaml_map
    )


def _text(loader: type[Any], value: str) -> bool:
    """Whether a plain scalar resolves to a string (``BaseResolver.resolve``'s implicit step)."""
    table = loader.yaml_implicit_resolvers
    for first in (value[0], None):  # the resolvers for the first character, then wildcards
        resolvers = table.get(first)
        if resolvers and any(regexp.match(value) for _, regexp in resolvers):
            return False
    return True


def plain_front_matter(block: str, loader: type[Any]) -> dict[str, Any] | None:
    """The block's mapping when it is in the plain shape above; None to let PyYAML read it."""
    if not block.isascii() or "\t" in block or "\r" in block or not _usual(loader):
        return None
    data: dict[str, Any] = {}
    key: str | None = None  # the key whose list the next item lines continue
    items: list[str] | None = None
    indent = -1
    for line in block.split("\n"):
        if not line.strip(" "):  # only spaces: YAML's blank line (a form feed is not one)
            continue
        if key is not None and (item := _ITEM.fullmatch(line)) is not None:
            if indent not in (-1, len(item[1])) or not _text(loader, item[2]):
                return None
            indent = len(item[1])
            if items is None:
                items = data[key] = []
            items.append(item[2])
            continue
        found = _KEY.fullmatch(line)
        if found is None or not _text(loader, found[1]):
            return None
        value = found[2]
        if value is not None and not _text(loader, value):
            return None
        data[found[1]] = value
        key, items, indent = (found[1] if value is None else None), None, -1
    return data or None
