"""Audit one item in a worker process: read the release, audit it, shape the stored rows."""

from __future__ import annotations

import dataclasses
import json
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
from clearweights.scale.items import Item, Outcome
from clearweights.scale.rows import SOURCE as METADATA
from clearweights.scale.rows import TextPool, row_release
from clearweights.sources.local import LocalDirectory

__all__ = ["audit_batch", "audit_collected", "audit_document", "audit_item", "collect", "failed"]

_FIRST = ("schema_version", "tool", "tool_version", "catalogue_version")
WEIGHTS_COMPONENT = 10  # MOF component id of the final model parameters


def audit_document(doc: dict[str, Any]) -> str:
    """One line of JSON, ordered as ``audit --format json`` orders its document.

    The version fields come first, then every key sorted (json's C encoder sorts the rest).
    """
    compact = (",", ":")
    head = json.dumps({k: doc[k] for k in _FIRST}, ensure_ascii=False, separators=compact)
    rest = {k: v for k, v in doc.items() if k not in _FIRST}
    tail = json.dumps(rest, ensure_ascii=False, separators=compact, sort_keys=True)
    return head[:-1] + "," + tail[1:]


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
                outcome = dataclasses.replace(outcome, item=dataclasses.replace(item, row=None))
            outcomes.append(outcome)
    return outcomes


def failed(item: Item, error: str, seconds: float) -> Outcome:
    """The outcome of a release that could not be audited; its JSON says why, as audit's does."""
    from clearweights.formats.json import document

    doc = document(AuditReport((ReleaseAudit(item.location or item.key, None, error=error),)))
    versions = (__version__, catalogue_version())
    return Outcome(item, *versions, seconds, error=error, document=audit_document(doc))


def audit_item(item: Item, texts: str) -> Outcome:
    """Audit one item; any failure becomes the outcome's error, never an exception."""
    from clearweights.formats.json import document

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
    doc = document(AuditReport((audit,)))
    versions = (doc["tool_version"], doc["catalogue_version"])
    return Outcome(
        item,
        *versions,
        seconds=time.perf_counter() - start,
        name=release.name,
        document=audit_document(doc),
        **_rows(doc["audits"][0]),
    )
