"""SPDX licence expressions, parsed and normalised with the ``license-expression`` library."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from license_expression import ExpressionError, LicenseSymbol, Licensing, get_spdx_licensing

from clearweights.errors import UsageError
from clearweights.licenses._catalogue import Catalogue
from clearweights.licenses.model import UNKNOWN_PREFIX, Category, Licence, LicenceId


def unknown_licence(key: str) -> Licence:
    """A licence an expression names but the catalogue does not know: never assumed open."""
    ident = (
        key
        if key.startswith("LicenseRef-")
        else f"{UNKNOWN_PREFIX}{re.sub(r'[^A-Za-z0-9.-]+', '-', key)}"
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
    tree: LicenceExpression | None = None  # the expression over catalogue records

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
        tree=_tree(parsed, catalogue),
    )


Op = Literal["", "AND", "OR"]
_MAX_CHOICES = 64
# "dual-licensed", "licensed under either X or Y", "at your option": the licences are a choice.
_DISJUNCTION = re.compile(
    r"\bdual[- ]licen[cs]ed\b|\blicen[cs]ed under (?:the terms of )?either\b"
    r"|\bat (?:your|the licensee'?s?) (?:option|choice|election)\b(?!\)?\s+any\s+later\s+version)",
    re.I,
)
_SPDX_LINE = re.compile(r"SPDX-License-Identifier:\s*(?P<expr>[^\n*#]+?)\s*(?:\*/|-->|$)", re.M)


@dataclass(frozen=True)
class LicenceExpression:
    """A licence, or licences joined by ``AND`` (all apply) or ``OR`` (the user may choose).

    Example:
        >>> from clearweights.licenses import get
        >>> mit, gpl = get("MIT"), get("GPL-3.0-only")
        >>> str(any_of([leaf(mit), leaf(gpl)]))
        'MIT OR GPL-3.0-only'
    """

    operator: Op = ""
    licence: Licence | None = None  # set on a leaf
    args: tuple[LicenceExpression, ...] = ()  # set on AND / OR
    exception: str | None = None  # a leaf's WITH exception

    def __str__(self) -> str:
        if self.licence is not None:
            return self.licence.id + (f" WITH {self.exception}" if self.exception else "")
        parts = [f"({a})" if a.operator not in ("", self.operator) else str(a) for a in self.args]
        return f" {self.operator} ".join(parts)

    @property
    def licences(self) -> tuple[Licence, ...]:
        """Every licence the expression names, once each, in order."""
        if self.licence is not None:
            return (self.licence,)
        found = {lic.id: lic for a in self.args for lic in a.licences}
        return tuple(found.values())

    def holds(self, test: Callable[[Licence], bool]) -> bool:
        """Whether *test* holds for the expression: any choice of an OR, every part of an AND."""
        if self.licence is not None:
            return test(self.licence)
        results = (a.holds(test) for a in self.args)
        return any(results) if self.operator == "OR" else all(results)

    def choices(self) -> tuple[tuple[Licence, ...], ...]:
        """The ways to take the release: each a set of licences that all apply.

        An expression with too many combinations counts as one choice of every licence,
        which is never more permissive than the truth.
        """
        if self.licence is not None:
            return ((self.licence,),)
        if self.operator == "OR":
            found = [c for a in self.args for c in a.choices()]
        else:
            found = [()]
            for a in self.args:
                found = [(*left, *right) for left in found for right in a.choices()]
                if len(found) > _MAX_CHOICES:
                    return (self.licences,)
        unique = _unique(found)
        return unique if len(unique) <= _MAX_CHOICES else (self.licences,)


def _unique(found: list[tuple[Licence, ...]]) -> tuple[tuple[Licence, ...], ...]:
    """Each choice without repeated licences, each choice once (the first seen kept).

    Records are told apart by their ids, which is equality as long as the records of one id are
    equal (else equality decides, as a dict of them would): a record's hash walks all its
    terms, and was most of an obligation check.
    """
    first: dict[str, Licence] = {}
    for choice in found:
        for lic in choice:
            seen = first.setdefault(lic.id, lic)
            if seen is not lic and seen != lic:  # two different records of one id
                return tuple({tuple(dict.fromkeys(c)): None for c in found})
    unique: dict[tuple[str, ...], tuple[Licence, ...]] = {}
    for choice in found:
        kept: dict[str, Licence] = {}
        for lic in choice:
            kept.setdefault(lic.id, lic)
        unique.setdefault(tuple(kept), tuple(kept.values()))
    return tuple(unique.values())


def leaf(licence: Licence, exception: str | None = None) -> LicenceExpression:
    """One licence as an expression."""
    return LicenceExpression(licence=licence, exception=exception)


def _join(op: Op, parts: Iterable[LicenceExpression | None]) -> LicenceExpression | None:
    flat: dict[str, LicenceExpression] = {}
    for part in parts:
        if part is None:
            continue
        for item in part.args if part.operator == op else (part,):
            flat.setdefault(str(item), item)
    if len(flat) <= 1:
        return next(iter(flat.values()), None)
    return LicenceExpression(operator=op, args=tuple(flat.values()))


def all_of(parts: Iterable[LicenceExpression | Licence | None]) -> LicenceExpression | None:
    """Expressions (or licences) that all apply; ``None`` when there are none."""
    return _join("AND", (leaf(p) if isinstance(p, Licence) else p for p in parts))


def any_of(parts: Iterable[LicenceExpression | Licence | None]) -> LicenceExpression | None:
    """Expressions (or licences) to choose from; ``None`` when there are none."""
    return _join("OR", (leaf(p) if isinstance(p, Licence) else p for p in parts))


def _tree(node: Any, catalogue: Catalogue) -> LicenceExpression:
    licensing = _licensing()
    if isinstance(node, licensing.AND | licensing.OR):
        op: Op = "OR" if isinstance(node, licensing.OR) else "AND"
        joined = _join(op, (_tree(a, catalogue) for a in node.args))
        assert joined is not None  # NOTE: a parsed AND / OR always has arguments
        return joined
    inner = getattr(node, "license_symbol", node)
    exception = getattr(node, "exception_symbol", None)
    record = catalogue.get(inner.key) or unknown_licence(inner.key)
    return leaf(record, exception.key if exception is not None else None)


def expression_tree(text: str, catalogue: Catalogue) -> LicenceExpression | None:
    """Parse an SPDX expression into a tree of catalogue licences, or ``None`` if malformed."""
    try:
        parsed: Any = _licensing().parse(text, validate=False, strict=False)
    except ExpressionError:
        return None
    return _tree(parsed, catalogue) if parsed is not None else None


def expression_in(
    text: str,
    licences: Sequence[Licence],
    catalogue: Catalogue,
    covered: Sequence[tuple[int, int]] = (),
) -> LicenceExpression | None:
    """How the *licences* found in *text* combine.

    ``SPDX-License-Identifier`` lines keep their ``OR``; a text that says, outside the licence
    texts themselves (the *covered* spans), that it is dual-licensed ("at your option") offers
    its licences as a choice; otherwise they all apply.
    """
    parsed = [
        tree
        for m in _SPDX_LINE.finditer(text)
        if (tree := expression_tree(m["expr"], catalogue)) is not None
    ]
    named = {lic.id for tree in parsed for lic in tree.licences}
    rest = [lic for lic in licences if lic.id not in named]
    outside = text
    for start, end in covered:  # a licence's own words ("at your option") are not the offer
        outside = outside[:start] + " " * (end - start) + outside[end:]
    # Only open licences are offered as a choice: "code dual-licensed MIT or Apache; weights
    # under Llama 3.1" must not let the weights be taken under MIT.
    if (
        not parsed
        and len(rest) >= 2
        and all(lic.osi_approved for lic in rest)
        and _DISJUNCTION.search(outside)
    ):
        return any_of(rest)
    return all_of([*parsed, *rest])
