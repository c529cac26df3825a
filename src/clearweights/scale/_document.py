"""A worker's JSON line for one audit: the plain path's text, its recurring parts encoded once.

An audit's document is about 20 KB, most of it parts that recur across audits as the same
objects: catalogue records (a few hundred), the frameworks' verdicts and their criteria
(shared by ``frameworks._memo``), obligations (built once per record by ``audit.obligations``)
and lineage (the same base models). Each is encoded once while remembered, keyed by the
identity of the objects its JSON is made of, which the memo keeps alive (so an id cannot be
reused by another object meanwhile); all of them are frozen. The document is then written by
orjson in one pass, with each encoded part spliced in as an ``orjson.Fragment`` where
``formats._audit_json`` puts it (its :class:`~clearweights.formats._audit_json.Parts`).

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
    "forget",
]

WEIGHTS_COMPONENT = 10  # MOF component id of the final model parameters
MAX_PARTS = 4096  # encoded parts of each kind kept (records, criteria, verdicts, duties, ...)
_Fragment: Any = getattr(_orjson, "Fragment", None)  # orjson 3.10 and later
_SORTED = getattr(_orjson, "OPT_SORT_KEYS", 0)
enabled = _Fragment is not None  # tests switch the encoded parts off to compare


class _Kept:
    """Encoded parts of one kind: key (the ids of the objects a part is made of) -> (those
    objects, the part).

    An entry keeps its objects alive, so no other object can take their ids while it is
    there: a key found names the same objects. Bounded: when full it starts again (a part
    already handed out stays where it is used).
    """

    def __init__(self, most: int = MAX_PARTS) -> None:
        self.most = most
        self.parts: dict[Hashable, tuple[object, Any]] = {}

    def get(self, key: Hashable) -> Any:
        found = self.parts.get(key)
        return None if found is None else found[1]

    def put(self, key: Hashable, held: object, part: Any) -> Any:
        if len(self.parts) >= self.most:
            self.parts.clear()
        self.parts[key] = (held, part)
        return part


_RECORDS, _CRITERIA, _VERDICTS, _DUTIES, _LINEAGES = (_Kept() for _ in range(5))
_VERDICT_ROWS = _Kept()  # by a subject's tuple of verdicts (the memo's, shared)
# A component's part holds its records' text (about 5 KB each): fewer are kept.
_COMPONENTS = _Kept(MAX_PARTS // 4)
_ALL = (_RECORDS, _CRITERIA, _VERDICTS, _DUTIES, _LINEAGES, _VERDICT_ROWS, _COMPONENTS)


def forget() -> None:
    """Drop every encoded part (and the objects kept for them)."""
    for kept in _ALL:
        kept.parts.clear()


def _fragment(value: Any) -> Any:
    """*value* (JSON's own types and fragments, no float) encoded once, as orjson splices it.

    Raises TypeError where orjson refuses it (a lone surrogate): :func:`audit_line` then
    writes the audit by the plain path.
    """
    return _Fragment(_orjson.dumps(value, option=_SORTED))


def _shape(e: LicenceExpression) -> tuple[Any, ...]:
    """All that ``expression_json`` reads of *e*: a leaf's id and exception, a node's
    operator and arguments (a leaf is two texts, a node an operator and tuples)."""
    if e.licence is not None:
        return (e.licence.id, e.exception)
    return (e.operator, *map(_shape, e.args))


class _Encoded(Parts):
    """The recurring parts as fragments, each encoded on first sight of its objects.

    *exact*: the release's own values (metadata, model-index) hold nothing orjson writes
    otherwise, so they are written as they are, with no plain copy.
    """

    def __init__(self, exact: bool) -> None:
        self.exact = exact
        self.records, self.criteria, self.verdicts = _RECORDS, _CRITERIA, _VERDICTS
        self.duties, self.lineages, self.components = _DUTIES, _LINEAGES, _COMPONENTS

    def licence(self, licence: Licence) -> Any:
        key = id(licence)
        found = self.records.get(key)
        if found is None:  # a record's terms may hold numbers: json writes it
            text = sorted_json(licence_json(licence), exact=False)
            found = self.records.put(key, licence, _Fragment(text))
        return found

    def criterion(self, criterion: Criterion) -> Any:
        key = id(criterion)
        found = self.criteria.get(key)
        if found is None:
            found = self.criteria.put(key, criterion, _fragment(criterion_json(criterion)))
        return found

    def profile(self, result: ProfileResult) -> Any:
        key = id(result)
        found = self.verdicts.get(key)
        if found is None:
            if same_floats(result.progress.values()):  # its only floats: MOF's progress
                part = _fragment(profile_json(result, self))
            else:
                part = _Fragment(sorted_json(profile_json(result), exact=False))
            found = self.verdicts.put(key, result, part)
        return found

    def obligation(self, obligation: Obligation) -> Any:
        key = id(obligation)
        found = self.duties.get(key)
        if found is None:
            found = self.duties.put(key, obligation, _fragment(obligation_json(obligation)))
        return found

    def lineage(self, lineage: Lineage) -> Any:
        # Its JSON reads only the bases (frozen, shared by lineage's resolver) and the ids,
        # families and kinds of the declared records: keyed by those objects.
        held = (lineage.bases, lineage.declared)
        key = (*map(id, lineage.bases), None, *map(id, lineage.declared))
        found = self.lineages.get(key)
        if found is None:
            found = self.lineages.put(key, held, _fragment(lineage_json(lineage)))
        return found

    def component(self, component: Component) -> Any:
        # Every field component_json reads; the records by identity (kept with the part),
        # the expression by what its JSON shows (an audit builds its own).
        c = component
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
        found = self.components.get(key)
        if found is None:
            found = self.components.put(key, c.licences, _fragment(component_json(c, self)))
        return found

    def given(self, value: Any) -> Any:
        return value if self.exact else super().given(value)


_EXACT, _LOOSE = _Encoded(exact=True), _Encoded(exact=False)
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


def audit_line(audit: ReleaseAudit) -> str:
    """*audit*'s JSON line, as ``audit_document(document(AuditReport((audit,))))`` writes it."""
    if enabled:
        try:
            return _encoded_line(audit)
        except TypeError:  # a lone surrogate or an integer past 64 bits: the plain path
            pass
    return audit_document(document(AuditReport((audit,))))


def _encoded_line(audit: ReleaseAudit) -> str:
    exact = _exact(audit)
    shown = audit_json(audit, _EXACT if exact else _LOOSE)
    if not exact:  # the release's own values may hold floats: json writes them
        for name in ("card", "release", "settings", "weights"):
            shown[name] = _Fragment(sorted_json(shown[name], exact=False))
    opening = _opening(catalogue_version())
    return (opening + _orjson.dumps(shown, option=_SORTED) + b"]}").decode()  # type: ignore[no-any-return]


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
    licenses: dict[tuple[str, str, str], None] = {}
    weights = None
    for c in audit.components:
        if c.kind.spec.cid == WEIGHTS_COMPONENT:
            weights = c.licence_name
        if c.licence_name is not None:
            name = c.name
            for lic in c.licences:
                licenses[(name, lic.id, lic.category._value_)] = None
    results = audit.profiles
    verdicts = _VERDICT_ROWS.get(id(results))
    if verdicts is None:
        verdicts = _VERDICT_ROWS.put(id(results), results, _verdicts(results))
    return {
        "weights_license": weights,
        "licenses": tuple(licenses),
        "verdicts": verdicts,
        "findings": tuple((f.code, f.severity._value_, f.message) for f in audit.findings),
    }


def _verdicts(results: tuple[ProfileResult, ...]) -> tuple[tuple[str, str, str | None], ...]:
    return tuple(
        (p.profile, p.verdict._value_, None if p.mof_class is None else LABELS[p.mof_class])
        for p in sorted(results, key=lambda p: p.profile)
    )
