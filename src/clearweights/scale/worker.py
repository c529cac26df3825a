"""Audit one item in a worker process: read the release, audit it, shape the stored rows."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from clearweights import __version__
from clearweights.audit import audit_collected
from clearweights.audit.model import AuditReport, ReleaseAudit
from clearweights.components import Component
from clearweights.errors import ClearweightsError
from clearweights.frameworks.interface import ProfileResult
from clearweights.frameworks.mof import LABELS
from clearweights.licenses import catalogue_version
from clearweights.licenses.model import Licence
from clearweights.release.model import Release
from clearweights.scale._json import json_plain, same_floats, sorted_json
from clearweights.scale.items import Item, Outcome
from clearweights.scale.rows import SOURCE as METADATA
from clearweights.scale.rows import TextPool, row_release
from clearweights.sources.local import LocalDirectory

__all__ = ["audit_batch", "audit_collected", "audit_document", "audit_item", "collect", "failed"]

_FIRST = ("schema_version", "tool", "tool_version", "catalogue_version")
WEIGHTS_COMPONENT = 10  # MOF component id of the final model parameters


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


# Catalogue records are most of an audit's JSON (every licence with all its terms and their
# sources) and the same few hundred objects in every audit: each is encoded once per process
# and spliced into the document in place of a marker no card can hold (a per-process nonce).
_NONCE = secrets.token_hex(16)
_MARK = re.compile(f'"@@clearweights-{_NONCE}-([0-9]+)@@"')
_MAX_FRAGMENTS = 4096
_fragments: dict[int, tuple[object, str]] = {}  # id(object) -> (the object, its marker)
_encoded: list[str] = []


def _marker(shared: Licence | ProfileResult) -> str:
    """The marker standing for *shared*'s JSON (encoded on first sight of that object).

    Catalogue records and the frameworks' verdicts (evaluated once per distinct subject, see
    ``frameworks._memo``) are shared objects: each is encoded once while it is remembered.
    """
    from clearweights.formats._audit_json import profile_json
    from clearweights.formats.json import licence_json

    cached = _fragments.get(id(shared))
    if cached is None or cached[0] is not shared:  # an id reused by another object
        if isinstance(shared, Licence):  # a few hundred a process: json alone
            text = sorted_json(licence_json(shared), exact=False)
        else:  # a verdict's only floats are the MOF progress figures
            text = sorted_json(profile_json(shared), same_floats(shared.progress.values()))
        _encoded.append(text)
        cached = (shared, f"@@clearweights-{_NONCE}-{len(_encoded) - 1}@@")
        _fragments[id(shared)] = cached
    return cached[1]


def fast_document(audit: ReleaseAudit) -> tuple[dict[str, Any], str]:
    """The JSON document of one audit and its line, as :func:`audit_document` writes it.

    The catalogue records of the components' licences and the frameworks' verdicts are
    encoded once per process and spliced in; the result is byte for byte the line of the
    plain path (the tests check it).
    """
    from clearweights.formats.json import document

    # The document built without the records (component_json's only use of a component's
    # licences) and without the verdicts, which the markers then stand for: nothing is built
    # only to be dropped.
    bare = tuple(_without_licences(c) if c.licences else c for c in audit.components)
    doc = document(AuditReport((dataclasses.replace(audit, components=bare, profiles=()),)))
    shown = doc["audits"][0]
    if len(_encoded) >= _MAX_FRAGMENTS:  # bounded; never cleared while a document has markers
        _fragments.clear()
        _encoded.clear()
    for component, found in zip(audit.components, shown["components"], strict=True):
        if found["license"] is not None:
            found["license"]["licenses"] = [_marker(lic) for lic in component.licences]
    shown["profiles"] = {p.profile: _marker(p) for p in audit.profiles}
    rows = _rows(shown, audit)
    line = _MARK.sub(lambda m: _encoded[int(m[1])], audit_document(doc, _exact(audit)))
    return rows, line


def _exact(audit: ReleaseAudit) -> bool:
    """Whether the document of *audit* (verdicts and records aside) may be written by orjson.

    Its only values not of a fixed type come from the release: the card's licence field and
    model-index, the release's metadata, config.json's settings, the weights' headers.
    """
    release = audit.release
    if release is None or audit.weights:
        return False
    card = release.card
    parts = (audit.settings, release.metadata, card and card.license, card and card.model_index)
    return json_plain(parts)


def _without_licences(component: Component) -> Component:
    """*component* without its records, its expression kept (the JSON's ``tree``).

    Built field by field: ``dataclasses.replace`` costs three times as much, once for each
    licensed component of every audit.
    """
    bare: Component = object.__new__(Component)
    fields = bare.__dict__
    fields.update(component.__dict__)
    fields["licences"] = ()
    fields["expression"] = component.licence_expression
    return bare


def collect(item: Item, pool: TextPool) -> Release:
    """Read the release an item names (raises ReleaseError when it cannot)."""
    if item.source == METADATA:
        if item.row is not None and "fetch" in item.row:  # a Hub query's row: texts to fetch
            from clearweights.scale.hub import fetch_texts, with_headers

            item = dataclasses.replace(item, row=fetch_texts(item))
            return with_headers(row_release(item, pool), item.row or {})
        return row_release(item, pool)
    path = Path(item.location)
    if item.source == "hf-cache":  # .../models--org--name/snapshots/<commit>
        return LocalDirectory(
            path, root=path.parent.parent, name=item.key, kind="hf-cache"
        ).collect()
    return LocalDirectory(path).collect()


def _rows(audit: dict[str, Any], source: ReleaseAudit | None = None) -> dict[str, Any]:
    """The normalised rows of one audit's JSON: licences, verdicts, findings.

    With *source* (the audit the JSON was made from), each component's licences and the
    verdicts are read from their objects (the JSON holds markers then, see
    :func:`fast_document`).
    """
    licenses: dict[tuple[str, str, str], None] = {}
    weights = None
    objects = source.components if source is not None else None
    for n, component in enumerate(audit["components"]):
        found = component.get("license") or {}
        if component.get("cid") == WEIGHTS_COMPONENT:
            weights = found.get("expression")
        if objects is not None:
            pairs = [(lic.id, lic.category.value) for lic in objects[n].licences] if found else []
        else:
            pairs = [(lic["id"], lic["category"]) for lic in found.get("licenses") or ()]
        for licence_id, category in pairs:
            licenses[(component["name"], licence_id, category)] = None
    if source is not None:
        verdicts = tuple(
            (p.profile, p.verdict.value, None if p.mof_class is None else LABELS[p.mof_class])
            for p in sorted(source.profiles, key=lambda p: p.profile)
        )
    else:
        verdicts = tuple(
            (name, str(p["verdict"]), p.get("label"))
            for name, p in sorted(audit["profiles"].items())
        )
    findings = tuple((f["code"], f["severity"], f["message"]) for f in audit["findings"])
    return {
        "weights_license": weights,
        "licenses": tuple(licenses),
        "verdicts": verdicts,
        "findings": findings,
    }


def audit_batch(items: list[Item]) -> list[Outcome]:
    """Audit a batch of items (one task of an engine): outcomes in order, rows left behind.

    Texts carried by metadata rows are written to a temporary folder of the batch, on the
    machine that audits it (a Ray node need not share the scanning machine's disk). The
    outcomes carry their items without the rows (the card texts): the scan's process needs
    only each release's identity back.
    """
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="clearweights-texts-") as texts:
        for item in items:
            outcome = audit_item(item, texts)
            if outcome.item.row is not None:
                outcome = _without_row(outcome)
            outcomes.append(outcome)
    return outcomes


def _without_row(outcome: Outcome) -> Outcome:
    """*outcome* whose item has no row: copied field by field (``dataclasses.replace`` costs
    three times as much, twice for every release of a scan)."""
    item: Item = object.__new__(Item)
    item.__dict__.update(outcome.item.__dict__)
    item.__dict__["row"] = None
    bare: Outcome = object.__new__(Outcome)
    bare.__dict__.update(outcome.__dict__)
    bare.__dict__["item"] = item
    return bare


def failed(item: Item, error: str, seconds: float) -> Outcome:
    """The outcome of a release that could not be audited; its JSON says why, as audit's does."""
    from clearweights.formats.json import document

    doc = document(AuditReport((ReleaseAudit(item.location or item.key, None, error=error),)))
    versions = (__version__, catalogue_version())
    return Outcome(item, *versions, seconds, error=error, document=audit_document(doc))


def audit_item(item: Item, texts: str) -> Outcome:
    """Audit one item; any failure becomes the outcome's error, never an exception."""
    start = time.perf_counter()
    if item.error is not None:
        return failed(item, item.error, 0.0)
    try:
        release = collect(item, TextPool(texts))
        audit = audit_collected(release, item.location or item.key)
    except ClearweightsError as exc:
        return failed(item, exc.diagnostics(), time.perf_counter() - start)
    except Exception as exc:  # a bug on one release must not stop a run of millions
        error = f"{item.key}: internal error: {type(exc).__name__}: {exc}"
        return failed(item, error, time.perf_counter() - start)
    if audit.error is not None:
        return failed(item, f"{item.key}: {audit.error}", time.perf_counter() - start)
    rows, line = fast_document(audit)
    return Outcome(
        item,
        __version__,
        catalogue_version(),
        seconds=time.perf_counter() - start,
        name=release.name,
        document=line,
        **rows,
    )
