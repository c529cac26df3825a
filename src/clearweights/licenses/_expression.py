"""SPDX licence expressions, parsed and normalised with the ``license-expression`` library."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from license_expression import ExpressionError, LicenseSymbol, Licensing, get_spdx_licensing

from clearweights.errors import UsageError
from clearweights.licenses._catalogue import Catalogue
from clearweights.licenses.model import Category, Licence, LicenceId


def unknown_licence(key: str) -> Licence:
    """A licence an expression names but the catalogue does not know: never assumed open."""
    ident = (
        key
        if key.startswith("LicenseRef-")
        else f"LicenseRef-clearweights-unknown-{re.sub(r'[^A-Za-z0-9.-]+', '-', key)}"
    )
    return Licence(
        id=LicenceId(ident),
        name=f"Unknown licence {key}",
        category=Category.PROPRIETARY,
        osi_approved=False,
        fsf_libre=False,
        notes="Named in an SPDX expression but not in the catalogue; its terms are unknown.",
    )


def current(catalogue: Catalogue, licence: Licence) -> Licence:
    """The record a deprecated SPDX id stands for today (``GPL-3.0`` is ``GPL-3.0-only``).

    Ids that now need an exception (``GPL-2.0-with-classpath-exception``) stay as they are.
    """
    if not licence.deprecated:
        return licence
    try:
        parsed: Any = _licensing().parse(licence.id, validate=False, strict=False)
    except ExpressionError:
        return licence
    replacement = catalogue.licences.get(LicenceId(str(parsed)))
    if replacement is None or replacement.deprecated:
        return licence
    return replacement


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its normalised form, the licences it names and what is unknown."""

    text: str
    normalized: str
    licence_ids: tuple[str, ...]
    unknown: tuple[str, ...]
    exceptions: tuple[str, ...]

    def licences(self, catalogue: Catalogue) -> list[Licence]:
        """Every licence the expression names, unknown ones included (as unknown records)."""
        known = [catalogue.licences[LicenceId(i)] for i in self.licence_ids]
        return known + [unknown_licence(key) for key in self.unknown]


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
