"""A worker's JSON line for one audit: the plain path's text, its recurring parts encoded once.

An audit's document is about 20 KB, most of it parts that recur across audits as the same
objects: catalogue records (a few hundred), the frameworks' verdicts and their criteria
(shared by ``frameworks._memo``), obligations (built once per record by ``audit.obligations``)
and lineage (the same base models). Each is encoded once while remembered, keyed by the
identity of the objects its JSON is made of, which the memo keeps alive (so an id cannot be
reused by another object meanwhile); all of them are frozen. The document is then written by
orjson in one pass, with each encoded part spliced in as an ``orjson.Fragment`` where
``formats._audit_json`` puts it (its :class:`~clearweights.formats._audit_json.Parts`). The
stored rows come from the same parts (a component's licences, a subject's verdicts).

The result is byte for byte the plain path's line (``audit_document`` of ``document``): orjson
writes what ``json.dumps`` writes for text, integers, booleans, null, lists and mappings with
text keys (see ``scale._json``); what it may write otherwise (floats, other scalars) is written
by ``json``; what orjson refuses (a lone surrogate, an integer past 64 bits) sends the whole
audit down the plain path.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Hashable
from typing import Any

from clearweights.audit.model import AuditReport, Obligation, ReleaseAudit
from clearweights.components import Component
from clearweights.formats._audit_json import (
    Parts,
    audit_json,
    component_json,
    criterion_json,
    lineage_json,
    obligation_json,
    profile_json,
)
from clearweights.formats.json import document, licence_json
from clearweights.frameworks.interface import Criterion, ProfileResult
from clearweights.frameworks.mof import LABELS
from clearweights.licenses import LicenceExpression, catalogue_version
from clearweights.licenses.model import Licence
from clearweights.lineage import Lineage
from clearweights.scale._json import _orjson, json_plain, same_floats, sorted_json

__all__ = [
    "MAX_PARTS",
    "WEIGHTS_COMPONENT",
    "audit_document",
    "audit_line",
    "audit_rows",
    "enabled",
    "encode",
    "forget",
]

WEIGHTS_COMPONENT = 10  # MOF component id of the final model parameters
MAX_PARTS = 4096  # encoded parts of each kind kept (records, criteria, verdicts, duties, ...)
_Fragment: Any = getattr(_orjson, "Fragment", None)  # orjson 3.10 and later
_SORTED = getattr(_orjson, "OPT_SORT_KEYS", 0)
enabled = _Fragment is not None  # tests switch the encoded parts off to compare


class _Kept(dict[Hashable, tuple[object, Any]]):
    """Encoded parts of one kind: key (the ids of the objects a part is made of) -> (those
    objects, the part).

    An entry keeps its objects alive, so no other object can take their ids while it is
    there: a key found names the same objects. Bounded: when full it starts again (a part
    already handed out stays where it is used).
    """

    def __init__(self, most: int = MAX_PARTS) -> None:
        super().__init__()
        self.most = most

    def put(self, key: Hashable, held: object, part: Any) -> tuple[object, Any]:
        if len(self) >= self.most:
            self.clear()
        entry = self[key] = (held, part)
        return entry


_RECORDS, _CRITERIA, _VERDICTS, _DUTIES, _LINEAGES, _SUBJECTS = (_Kept() for _ in range(6))
# A component's part holds its records' text (about 5 KB each): fewer are kept, by value and
# by identity alike. Those by identity share the parts of those by value, but keep them alive
# once the table by value has started again: kept as many as that table, the worker's memory
# stops growing within its first rows (4,096 here grew it by 50 MiB over 100,000 rows).
_COMPONENTS = _Kept(MAX_PARTS // 4)
_SHARED_COMPONENTS = _Kept(MAX_PARTS // 4)
_ALL = (
    _RECORDS, _CRITERIA, _VERDICTS, _DUTIES, _LINEAGES, _SUBJECTS, _COMPONENTS, _SHARED_COMPONENTS
)  # fmt: skip

_Pair = tuple[str, str, str]  # a stored licence row: component, licence id, category
_Verdict = tuple[str, str, str | None]  # a stored verdict row: framework, verdict, MOF label


def forget() -> None:
    """Drop every encoded part (and the objects kept for them)."""
    for kept in _ALL:
        kept.clear()


def _fragment(value: Any) -> Any:
    """*value* (JSON's own types and fragments, no float) encoded once, as orjson splices it.

    Raises TypeError where orjson refuses it (a lone surrogate): :func:`encode` then writes
    the audit by the plain path.
    """
    return _Fragment(_orjson.dumps(value, option=_SORTED))


def _shape(e: LicenceExpression) -> tuple[Any, ...]:
    """All that ``expression_json`` reads of *e*: a leaf's id and exception, a node's
    operator and arguments (a leaf is two texts, a node an operator and tuples)."""
    if e.licence is not None:
        return (e.licence.id, e.exception)
    return (e.operator, *map(_shape, e.args))


class _Encoded(Parts):
    """The recurring parts of one audit as fragments, each encoded on first sight.

    *exact*: the release's own values (metadata, model-index) hold nothing orjson writes
    otherwise, so they are written as they are, with no plain copy. Each component's rows
    and the verdicts' are collected on the way (``licences`` and ``verdicts``).
    """

    def __init__(self, exact: bool) -> None:
        self.exact = exact
        self.weights: str | None = None
        self.licences: list[tuple[_Pair, ...]] = []
        self.verdicts: tuple[_Verdict, ...] = ()

    def licence(self, licence: Licence) -> Any:
        found = _RECORDS.get(id(licence))
        if found is None:  # a record's terms may hold numbers: json writes it
            text = sorted_json(licence_json(licence), exact=False)
            found = _RECORDS.put(id(licence), licence, _Fragment(text))
        return found[1]

    def criterion(self, criterion: Criterion) -> Any:
        found = _CRITERIA.get(id(criterion))
        if found is None:
            found = _CRITERIA.put(id(criterion), criterion, _fragment(criterion_json(criterion)))
        return found[1]

    def profile(self, result: ProfileResult) -> Any:
        found = _VERDICTS.get(id(result))
        if found is None:
            if same_floats(result.progress.values()):  # its only floats: MOF's progress
                # Kept as its mapping of shared criteria, not as one text: a verdict's text
                # repeats its criteria's (about 10 KB a verdict, thousands kept); orjson
                # writes the mapping as it wrote the text (checked here once: a value it
                # refuses raises now, as the text's encoding did).
                part = profile_json(result, self)
                _orjson.dumps(part, option=_SORTED)
            else:
                part = _Fragment(sorted_json(profile_json(result), exact=False))
            found = _VERDICTS.put(id(result), result, part)
        return found[1]

    def profiles(self, results: tuple[ProfileResult, ...]) -> Any:
        # The frameworks' memo hands every audit of a subject the very same tuple: its
        # mapping of parts (only read, by orjson) and its rows are made once.
        found = _SUBJECTS.get(id(results))
        if found is None:
            found = _SUBJECTS.put(
                id(results), results, (super().profiles(results), _rows_of(results))
            )
        self.verdicts = found[1][1]
        return found[1][0]

    def obligation(self, obligation: Obligation) -> Any:
        found = _DUTIES.get(id(obligation))
        if found is None:
            part = _fragment(obligation_json(obligation))
            found = _DUTIES.put(id(obligation), obligation, part)
        return found[1]

    def lineage(self, lineage: Lineage) -> Any:
        # Its JSON reads only the bases (frozen, shared by lineage's resolver) and the ids,
        # families and kinds of the declared records: keyed by those objects.
        key = (*map(id, lineage.bases), None, *map(id, lineage.declared))
        found = _LINEAGES.get(key)
        if found is None:
            held = (lineage.bases, lineage.declared)
            found = _LINEAGES.put(key, held, _fragment(lineage_json(lineage)))
        return found[1]

    def component(self, component: Component) -> Any:
        # A component shared by the inventory's shapes is found by identity (it is frozen and
        # kept with its entry); any other by every field component_json reads: the records by
        # identity (kept with the part), the expression by what its JSON shows.
        c = component
        found = _SHARED_COMPONENTS.get(id(c))
        if found is None:
            found = _SHARED_COMPONENTS.put(id(c), c, self._component(c))
        part, pairs = found[1]
        if c.kind.spec.cid == WEIGHTS_COMPONENT:
            self.weights = c.licence_name
        self.licences.append(pairs)
        return part

    def _component(self, c: Component) -> tuple[Any, tuple[_Pair, ...]]:
        e = c.expression
        key = (
            c.kind,
            c.paths,
            c.licence_name,
            c.licence_source,
            c.reason,
            c.external,
            tuple(map(id, c.licences)),
            None if e is None else _shape(e),
        )
        found = _COMPONENTS.get(key)
        if found is None:
            part = (_fragment(component_json(c, self)), _licence_rows(c))
            found = _COMPONENTS.put(key, c.licences, part)
        entry: tuple[Any, tuple[_Pair, ...]] = found[1]
        return entry

    def given(self, value: Any) -> Any:
        return value if self.exact else super().given(value)


_FIRST = ("schema_version", "tool", "tool_version", "catalogue_version")


def audit_document(doc: dict[str, Any], exact: bool = False) -> str:
    """One line of JSON, ordered as ``audit --format json`` orders its document.

    The version fields come first, then every key sorted (json's C encoder sorts the rest).
    *exact*: the caller knows the rest holds no float and nothing but JSON's own types, so
    orjson may write it (the same text, see ``scale._json``).
    """
    head = _head(*(doc[k] for k in _FIRST))
    tail = sorted_json({k: v for k, v in doc.items() if k not in _FIRST}, exact)
    return head[:-1] + "," + tail[1:]


@functools.lru_cache(maxsize=8)
def _head(*versions: Any) -> str:
    """The version fields' JSON, the same for every document of a process."""
    head = dict(zip(_FIRST, versions, strict=True))
    return json.dumps(head, ensure_ascii=False, separators=(",", ":"))


@functools.lru_cache(maxsize=8)
def _opening(catalogue: str) -> bytes:
    """The text of an audit document up to its one audit: the version fields, ``"audits":[``
    (*catalogue*: the catalogue's version, which the document names)."""
    return audit_document(document(AuditReport(())))[: -len("]}")].encode()


def encode(audit: ReleaseAudit) -> tuple[dict[str, Any], str]:
    """*audit*'s stored rows and its JSON line, as :func:`audit_rows` and
    ``audit_document(document(AuditReport((audit,))))`` give them."""
    if enabled:
        try:
            return _encoded(audit)
        except TypeError:  # a lone surrogate or an integer past 64 bits: the plain path
            pass
    return audit_rows(audit), audit_document(document(AuditReport((audit,))))


def audit_line(audit: ReleaseAudit) -> str:
    """*audit*'s JSON line (see :func:`encode`)."""
    return encode(audit)[1]


def _encoded(audit: ReleaseAudit) -> tuple[dict[str, Any], str]:
    parts = _Encoded(_exact(audit))
    shown = audit_json(audit, parts)
    if not parts.exact:  # the release's own values may hold floats: json writes them
        for name in ("card", "release", "settings", "weights"):
            shown[name] = _Fragment(sorted_json(shown[name], exact=False))
    text = _opening(catalogue_version()) + _orjson.dumps(shown, option=_SORTED) + b"]}"
    rows = {
        "weights_license": parts.weights,
        "licenses": tuple(dict.fromkeys(p for pairs in parts.licences for p in pairs)),
        "verdicts": parts.verdicts,
        "findings": tuple((f.code, f.severity._value_, f.message) for f in audit.findings),
    }
    return rows, text.decode()


def _exact(audit: ReleaseAudit) -> bool:
    """Whether the values *audit* takes from the release may be written by orjson.

    They are the only values not of a fixed type: the card's licence field and model-index,
    the release's metadata, config.json's settings, the weights' headers.
    """
    release = audit.release
    if release is None or audit.weights:
        return False
    card = release.card
    parts = (audit.settings, release.metadata, card and card.license, card and card.model_index)
    return json_plain(parts)


def audit_rows(audit: ReleaseAudit) -> dict[str, Any]:
    """The normalised rows of *audit* (licences, verdicts, findings), read from its objects.

    The same rows as ``worker._rows`` reads from the audit's JSON (the tests compare them).
    """
    weights = None
    for c in audit.components:
        if c.kind.spec.cid == WEIGHTS_COMPONENT:
            weights = c.licence_name
    pairs = (p for c in audit.components for p in _licence_rows(c))
    return {
        "weights_license": weights,
        "licenses": tuple(dict.fromkeys(pairs)),
        "verdicts": _rows_of(audit.profiles),
        "findings": tuple((f.code, f.severity._value_, f.message) for f in audit.findings),
    }


def _licence_rows(c: Component) -> tuple[_Pair, ...]:
    """A component's licence rows: none without a licence (the JSON shows no records)."""
    if c.licence_name is None:
        return ()
    return tuple((c.name, lic.id, lic.category._value_) for lic in c.licences)


def _rows_of(results: tuple[ProfileResult, ...]) -> tuple[_Verdict, ...]:
    """The verdicts' rows, by framework."""
    return tuple(
        (p.profile, p.verdict._value_, None if p.mof_class is None else LABELS[p.mof_class])
        for p in sorted(results, key=lambda p: p.profile)
    )
