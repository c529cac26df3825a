"""A stored audit judged again by this clearweights and its licence catalogue, without the files.

The server keeps every audit's JSON document, not the release (an uploaded archive is removed
once audited; a Hub metadata row is not kept). When the catalogue changes, such a release can
still be judged again: the document is rebuilt with the current catalogue's record for every
licence id it names (its own records only for ids the catalogue lacks, never more open than
stored), and the frameworks, findings and obligations run again on what it holds. What needs
the files is kept as the audit found it: which files there are, which licence each licence
text matched, which component each file belongs to. So a catalogue change in a licence's
terms, category or openness reaches the verdicts; a new way to recognise a licence text does
not (that needs the files: a Hub repo in the cache or a directory re-audits from them).
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

from clearweights.audit import NO_DECLARATIONS, _text_licences
from clearweights.audit._lineage import lineage_findings
from clearweights.audit.findings import find
from clearweights.audit.load import load_audits
from clearweights.audit.model import AuditReport, ReleaseAudit, by_severity
from clearweights.audit.obligations import obligations
from clearweights.components import MofComponent
from clearweights.errors import AuditDocumentError
from clearweights.frameworks import PROFILES, AuditSubject, framework
from clearweights.inventory import Inventory, card_licences
from clearweights.licenses import catalogue_version
from clearweights.scale.items import Item, Outcome
from clearweights.scale.worker import _rows, audit_document

__all__ = ["rejudge", "rejudge_audit"]

# How the audit marks the weights component of a card-only or metadata-only release.
_ABSENT = "weights not present"


def rejudge_audit(old: ReleaseAudit) -> ReleaseAudit:
    """*old* (rebuilt with the current catalogue's licences) with fresh verdicts and findings."""
    release = old.release
    if release is None:
        raise ValueError("the stored audit failed: there is nothing to judge again")
    components = {c.kind: c for c in old.components}
    final = components.get(MofComponent.MODEL_PARAMETERS_FINAL)
    absent = final is not None and not final.paths and final.licence_source.endswith(_ABSENT)
    inventory = Inventory(components, old.licence_files, card_licences(release), old.unassigned)
    subject = AuditSubject(
        release=release,
        components=components,
        declarations=NO_DECLARATIONS,
        card_licences=inventory.card_licences,
        text_licences=_text_licences(release, inventory),
        weights=old.weights,
        pickles=old.pickles,
        architecture=old.architecture,
        weights_absent=absent,
    )
    results = tuple(framework(name).evaluate(subject) for name in PROFILES)
    notices = tuple(
        f.path for f in release.files if f.path.rpartition("/")[2].upper().startswith("NOTICE")
    )
    found = find(subject, results, old.licence_files) + lineage_findings(old.lineage)
    return dataclasses.replace(
        old,
        profiles=results,
        findings=by_severity(found),
        obligations=obligations(old.components, notices, old.lineage),
    )


def rejudge(item: Item, document: str) -> Outcome:
    """The stored audit *document* of *item* judged again (an outcome with the error if not).

    Runs in a worker process; never raises.
    """
    from clearweights.formats.json import document as json_document
    from clearweights.scale.worker import failed

    start = time.perf_counter()
    try:
        doc: dict[str, Any] = json.loads(document)
        # Read as a document of this catalogue: each licence is the catalogue's record.
        current = {**doc, "catalogue_version": catalogue_version()}
        report = load_audits(current, name=f"the stored audit of {item.key}")
        audit = rejudge_audit(report.audits[0])
    except AuditDocumentError as exc:
        return failed(item, exc.diagnostics(), time.perf_counter() - start)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        error = f"{item.key}: the stored audit cannot be judged again: {exc}"
        return failed(item, error, time.perf_counter() - start)
    out = json_document(AuditReport((audit,)))
    assert audit.release is not None  # rejudge_audit refuses a failed audit
    return Outcome(
        item,
        out["tool_version"],
        out["catalogue_version"],
        seconds=time.perf_counter() - start,
        name=audit.release.name,
        document=audit_document(out),
        **_rows(out["audits"][0]),
    )
