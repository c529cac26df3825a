"""SPDX licence expressions, parsed and normalised with the ``license-expression`` library."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from license_expression import ExpressionError, LicenseSymbol, Licensing, get_spdx_licensing

from clearweights.errors import UsageError
from clearweights.licenses._catalogue import Catalogue


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its normalised form, the licences it names and what is unknown."""

    text: str
    normalized: str
    licence_ids: tuple[str, ...]
    unknown: tuple[str, ...]
    exceptions: tuple[str, ...]


@cache
def _licensing() -> Licensing:
    return get_spdx_licensing()


def parse_expression(text: str, catalogue: Catalogue, *, source: str | None = None) -> Expression:
    """Parse *text* as an SPDX expression, resolving ids, LicenseRefs and Hub ids.

    Raises:
        UsageError: when the expression is malformed.
    """
    licensing = _licensing()
    try:
        parsed: Any = licensing.parse(text, validate=False, strict=False)
    except ExpressionError as exc:
        raise UsageError(f"invalid licence expression {text!r}: {exc}", path=source) from exc
    if parsed is None:
        raise UsageError("empty licence expression", path=source)
    renames: dict[Any, Any] = {}
    ids: list[str] = []
    unknown: list[str] = []
    exceptions: list[str] = []
    for symbol in licensing.license_symbols(parsed, decompose=False):
        inner = getattr(symbol, "license_symbol", symbol)
        exception = getattr(symbol, "exception_symbol", None)
        if exception is not None:
            exceptions.append(exception.key)
        record = catalogue.get(inner.key)
        if record is None:
            unknown.append(inner.key)
            continue
        ids.append(record.id)
        if record.id != inner.key:
            renames[inner] = LicenseSymbol(record.id)
    normalized = str(parsed)
    for old, new in renames.items():
        # NOTE: boolean.py's subs() does not reach symbols inside WITH, so rename in the text.
        normalized = re.sub(rf"(?<![\w.+-]){re.escape(old.key)}(?![\w.+-])", new.key, normalized)
    return Expression(
        text=text,
        normalized=normalized,
        licence_ids=tuple(dict.fromkeys(ids)),
        unknown=tuple(dict.fromkeys(unknown)),
        exceptions=tuple(dict.fromkeys(exceptions)),
    )
