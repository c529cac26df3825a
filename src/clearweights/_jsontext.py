"""Indented, key-sorted JSON text, as ``json.dumps(doc, indent=2, sort_keys=True,
ensure_ascii=False)`` writes it, in a fraction of the time.

The standard library's C encoder does not indent, and its Python encoder spends most of a
50,000-file BOM in generators; this writes the same text with one list of pieces. Strings
go through the C string encoder; numbers through the same ``repr`` rules as ``json``.
"""

from __future__ import annotations

import json
import math
from typing import Any

_STRING = json.encoder.encode_basestring  # the C function when available, as json uses
_ASCII = json.encoder.encode_basestring_ascii  # as json writes strings with ensure_ascii


class Raw:
    """A value already written as text, as ``_write`` would write it at its place."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def template(
    value: Any,
    level: int,
    slots: tuple[str, ...],
    *,
    sort_keys: bool = True,
    ensure_ascii: bool = False,
) -> str:
    """*value* written at nesting *level* as a ``str.format`` template: each string of *value*
    equal to one of *slots* becomes ``{i}``, to be filled with ``quoted(...)`` text."""
    string = _ASCII if ensure_ascii else _STRING
    out: list[str] = []
    _write(value, level, out, sorted if sort_keys else iter, string)
    text = "".join(out).replace("{", "{{").replace("}", "}}")
    for i, slot in enumerate(slots):
        text = text.replace(string(slot), "{" + str(i) + "}")
    return text


def quoted(value: str, *, ensure_ascii: bool = False) -> str:
    """*value* as a JSON string, as ``json.dumps(value, ensure_ascii=...)`` writes it."""
    return _ASCII(value) if ensure_ascii else _STRING(value)


def _number(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return json.dumps(value)  # NaN / Infinity, as json writes them
    return float.__repr__(value)


def _write(
    value: Any, level: int, out: list[str], keys: Any = sorted, string: Any = _STRING
) -> None:
    if type(value) is Raw:  # first: a large BOM is mostly components already written
        out.append(value.text)
    elif isinstance(value, str):
        out.append(string(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = "\n" + "  " * (level + 1)
        out.append("{")
        first = True
        for key in keys(value):
            out.append(inner if first else "," + inner)
            first = False
            out.append(string(key) + ": ")
            _write(value[key], level + 1, out, keys, string)
        out.append("\n" + "  " * level + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = "\n" + "  " * (level + 1)
        if all(type(item) is str for item in value):  # lists of ids: one join
            out.append("[" + inner + ("," + inner).join(map(string, value)))
            out.append("\n" + "  " * level + "]")
            return
        out.append("[")
        for i, item in enumerate(value):
            out.append(inner if i == 0 else "," + inner)
            _write(item, level + 1, out, keys, string)
        out.append("\n" + "  " * level + "]")
    elif isinstance(value, Raw):  # a subclass
        out.append(value.text)
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps_indented(doc: Any, *, sort_keys: bool = True, ensure_ascii: bool = False) -> str:
    """``json.dumps(doc, indent=2, sort_keys=sort_keys, ensure_ascii=ensure_ascii)``, faster.

    Keys must be strings (``json`` would turn numbers into strings): others raise TypeError.
    """
    out: list[str] = []
    _write(doc, 0, out, sorted if sort_keys else iter, _ASCII if ensure_ascii else _STRING)
    return "".join(out)
