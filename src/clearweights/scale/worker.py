"""Audit one item in a worker process: read the release, audit it, shape the stored rows."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Any

from clearweights import __version__
from clearweights.audit import audit_collected
from clearweights.audit.model import AuditReport, ReleaseAudit
from clearweights.errors import ClearweightsError
from clearweights.licenses import catalogue_version
from clearweights.release.model import Release
from clearweights.scale._document import (
    WEIGHTS_COMPONENT,
    audit_document,
    encode,
)
from clearweights.scale.items import Item, Outcome
from clearweights.scale.rows import SOURCE as METADATA
from clearweights.scale.rows import TextPool, row_release
from clearweights.sources.local import LocalDirectory

__all__ = [
    "audit_batch",
    "audit_collected",
    "audit_document",
    "audit_item",
    "collect",
    "failed",
    "fast_document",
]


def fast_document(audit: ReleaseAudit) -> tuple[dict[str, Any], str]:
    """The stored rows of one audit and its JSON line, as :func:`audit_document` writes it.

    The parts of the document that recur across audits (catalogue records, verdicts,
    obligations, lineage) are encoded once per process and spliced in (``scale._document``);
    the line is byte for byte the plain path's and the rows those :func:`_rows` reads from it
    (the tests check both).
    """
    return encode(audit)


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


def _rows(audit: dict[str, Any]) -> dict[str, Any]:
    """The normalised rows of one audit's JSON: licences, verdicts, findings."""
    licenses: dict[tuple[str, str, str], None] = {}
    weights = None
    for component in audit["components"]:
        found = component.get("license") or {}
        if component.get("cid") == WEIGHTS_COMPONENT:
            weights = found.get("expression")
        for lic in found.get("licenses") or ():
            licenses[(component["name"], lic["id"], lic["category"])] = None
    verdicts = tuple(
        (name, str(p["verdict"]), p.get("label")) for name, p in sorted(audit["profiles"].items())
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
