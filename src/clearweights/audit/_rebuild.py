"""One audit of a JSON document, rebuilt into the dataclasses the audit produced.

Each ``_x`` function inverts the matching writer in ``formats/_audit_json.py``; a test checks
that writing a rebuilt report gives the very same document for every example release.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from clearweights.audit.model import Finding, Obligation, ReleaseAudit, Severity
from clearweights.components import Component, MofComponent
from clearweights.frameworks import PROFILES
from clearweights.frameworks.interface import Criterion, ProfileResult, Status
from clearweights.inventory import LicenceFile, Role
from clearweights.licenses import catalogue_version
from clearweights.licenses._catalogue import load, terms_from_json
from clearweights.licenses._expression import LicenceExpression, leaf, unknown_licence
from clearweights.licenses._modified import is_open
from clearweights.licenses.model import (
    Category,
    Licence,
    LicenceId,
    LicenceMatch,
    MatchKind,
)
from clearweights.lineage.model import BaseModel, Lineage
from clearweights.release.model import CardData, DeclaredComponent, Release, ReleaseFile, Skipped
from clearweights.weights.model import PickleIssue, PickleScan, WeightsHeader

_BY_CID = {c.spec.cid: c for c in MofComponent}
# Terms whose value is a yes/no: ``false`` is their value, for the rest it means "known absent".
_YES_NO = {"commercial_use", "non_commercial", "research_only", "revocable",
           "remote_restriction", "unilateral_changes"}  # fmt: skip


class Licences:
    """Licence records by id: the catalogue's, or the document's own when they may differ.

    A document written with this catalogue version takes each licence from the catalogue (the
    same record the audit used); one from another catalogue version keeps the records it
    carries, so a policy judges the terms the audit saw.
    """

    def __init__(self, doc: Mapping[str, Any]):
        self.records: dict[str, Mapping[str, Any]] = {}
        for audit in doc["audits"]:
            for component in audit.get("components") or ():
                for record in (component.get("license") or {}).get("licenses") or ():
                    self.records.setdefault(str(record["id"]), record)
        self.own = doc.get("catalogue_version") != catalogue_version()
        self._built: dict[str, Licence] = {}

    def get(self, ident: str) -> Licence:
        """The licence with this id (an unknown one, never assumed open, when none has it)."""
        found = self._built.get(ident)
        if found is None:
            record = self.records.get(ident)
            known = load().licences.get(LicenceId(ident))
            found = None if self.own else known
            if found is None and record is not None:
                found = _never_more_open(_licence(record), known)
            found = found or known or unknown_licence(ident)
            self._built[ident] = found
        return found


def _never_more_open(claimed: Licence, known: Licence | None) -> Licence:
    """A document's own record, unless it calls open what the catalogue does not (a forged or
    edited document): then the catalogue's record, or an unknown licence for an id the
    catalogue does not have (run-time ids are never open)."""
    if not is_open(claimed):
        return claimed
    if known is None:
        return unknown_licence(claimed.id)
    return claimed if is_open(known) else known


def _licence(raw: Mapping[str, Any]) -> Licence:
    terms, sources = raw["terms"], raw.get("term_sources") or {}
    unknown = raw.get("unknown_terms") or {}
    entries: dict[str, dict[str, Any]] = {}
    for name, value in terms.items():
        if name in ("osi_approved", "fsf_libre"):
            continue
        entry: dict[str, Any] = dict(sources.get(name) or {})
        if value is False and name not in _YES_NO:
            entry["absent"] = True
        elif value is not None:
            entry["value"] = value
        if name in unknown:
            entry["reason"] = unknown[name]
        entries[name] = entry
    return Licence(
        id=LicenceId(raw["id"]),
        name=raw["name"],
        category=Category(raw["category"]),
        kind=raw.get("kind", "licence"),
        version=raw.get("version"),
        date=raw.get("date"),
        family=raw.get("family"),
        hf_id=raw.get("hf_id"),
        scancode_key=raw.get("scancode_key"),
        spdx_id=raw.get("spdx_id"),
        osi_approved=terms.get("osi_approved"),
        fsf_libre=terms.get("fsf_libre"),
        deprecated=bool(raw.get("deprecated", False)),
        url=raw.get("url"),
        terms=terms_from_json(entries),
        policies=tuple(LicenceId(p) for p in raw.get("policies") or ()),
        notes=raw.get("notes", ""),
    )


def _expression(tree: Mapping[str, Any] | None, licences: Licences) -> LicenceExpression | None:
    if tree is None:
        return None
    if "license" in tree:
        return leaf(licences.get(str(tree["license"])), tree.get("exception"))
    args = tuple(_expression(a, licences) for a in tree["args"])
    return LicenceExpression(operator=tree["operator"], args=tuple(a for a in args if a))


def _component(raw: Mapping[str, Any], licences: Licences) -> Component:
    kind = _BY_CID.get(raw["cid"])
    if kind is None:
        raise ValueError(f"component {raw['name']!r} has cid {raw['cid']}, not a MOF component")
    found = raw["license"]
    return Component(
        kind=kind,
        paths=tuple(raw["paths"]),
        licence_name=found["expression"] if found else None,
        licences=tuple(licences.get(r["id"]) for r in found["licenses"]) if found else (),
        licence_source=raw["license_source"],
        reason=raw["reason"],
        external=raw["external"],
        expression=_expression(found.get("tree"), licences) if found else None,
    )


def _profile(key: str, raw: Mapping[str, Any]) -> ProfileResult:
    criteria = tuple(
        Criterion(c["id"], c["title"], Status(c["status"]), tuple(c["evidence"]), c["fix"],
                  c["blocking"])
        for c in raw["criteria"]
    )  # fmt: skip
    return ProfileResult(
        profile=key,
        title=raw["title"],
        verdict=Status(raw["verdict"]),
        criteria=criteria,
        summary=raw["summary"],
        mof_class=raw.get("class"),
        progress={str(k): float(v) for k, v in (raw.get("progress") or {}).items()},
        warnings=tuple(raw["warnings"]),
        notes=tuple(raw["notes"]),
    )


def _card(raw: Mapping[str, Any]) -> CardData:
    licence = raw.get("license")
    return CardData(
        license=list(licence) if isinstance(licence, list) else licence,
        license_name=raw.get("license_name"),
        license_link=raw.get("license_link"),
        base_model=tuple(raw.get("base_model") or ()),
        base_model_relation=raw.get("base_model_relation"),
        datasets=tuple(raw.get("datasets") or ()),
        tags=tuple(raw.get("tags") or ()),
        pipeline_tag=raw.get("pipeline_tag"),
        model_index=tuple(raw.get("model_index") or ()),
        claims=tuple((c["line"], c["text"]) for c in raw.get("claims") or ()),
        open_weights=tuple((c["line"], c["text"]) for c in raw.get("open_weights") or ()),
        links=tuple(raw.get("links") or ()),
        sections=tuple(raw.get("sections") or ()),
        limitations=raw.get("limitations"),
        uses=raw.get("uses"),
        path=raw.get("path", "README.md"),
        notes=tuple(raw.get("notes") or ()),
    )


def _release(raw: Mapping[str, Any], skipped: tuple[Skipped, ...]) -> Release | None:
    if raw.get("name") is None:
        return None
    # Documents from before the "release" object carry only the name and source.
    found = raw.get("release") or {}
    location = found.get("location", raw["path"])
    files = tuple(
        ReleaseFile(f["path"], f["size"], os.path.join(location, f["path"]) if f["present"] else "")
        for f in found.get("files") or ()
    )
    declared = tuple(
        DeclaredComponent(d["name"], d["license"], d["license_source"], d["path"],
                          d["description"])
        for d in found.get("declared") or ()
    )  # fmt: skip
    card = raw.get("card")
    return Release(
        name=raw["name"],
        kind=raw["source"],
        location=location,
        files=files,
        card=_card(card) if card is not None else None,
        declared=declared,
        skipped=skipped,
        metadata=dict(found.get("metadata") or {}),
    )


def _licence_file(raw: Mapping[str, Any], licences: Licences) -> LicenceFile:
    held = [licences.get(i) for i in raw["licenses"]]
    # Only the licences are kept, not how each was matched: a file whose licences include a
    # use policy listed them from the clause-extraction fallback (see LicenceFile.licences).
    how = MatchKind.EXTRACTED if any(lic.kind != "licence" for lic in held) else MatchKind.ALIAS
    return LicenceFile(
        path=raw["path"],
        matches=tuple(LicenceMatch(lic, how, 1.0, rule="stored audit") for lic in held),
        error=raw["error"],
        role=Role(raw["role"]),
        why=raw["role_from"],
        scope=raw["scope"],
        by_name=raw.get("by_name", True),
        expression=_expression(raw.get("tree"), licences),
    )


def _lineage(raw: Mapping[str, Any] | None, licences: Licences) -> Lineage:
    if raw is None:
        return Lineage()
    bases = tuple(
        BaseModel(b["repo_id"], b["relation"], b["relation_source"],
                  _expression(b["tree"], licences), b["resolved_by"], b["license_source"],
                  b["via"])
        for b in raw["bases"]
    )  # fmt: skip
    return Lineage(bases, tuple(licences.get(i) for i in raw["declared"]))


def _weights(raw: Mapping[str, Any]) -> WeightsHeader:
    return WeightsHeader(
        raw["path"], raw["format"], raw["parameters"], raw["tensors"], tuple(raw["dtypes"]),
        dict(raw["metadata"] or {}), raw["error"], bool(raw.get("invalid", False)),
    )  # fmt: skip


def _pickles(raw: Mapping[str, Any]) -> PickleScan:
    issues = tuple(PickleIssue(i["member"], i["offset"], i["reason"]) for i in raw["issues"])
    return PickleScan(
        raw["path"], tuple(raw["imports"]), tuple(raw["unsafe"]), raw["error"], issues,
        raw["pickles"], raw["framework"],
    )  # fmt: skip


def _in_order(profiles: Mapping[str, Any]) -> list[str]:
    """The profiles in the order the audit runs them (JSON objects keep no order)."""
    rank = {name: i for i, name in enumerate(PROFILES)}
    return sorted(profiles, key=lambda k: (rank.get(k, len(rank)), k))


def rebuild_audit(raw: Mapping[str, Any], licences: Licences) -> ReleaseAudit:
    """One element of a document's ``audits``, as the audit produced it."""
    skipped = tuple(Skipped(s["path"], s["reason"]) for s in raw.get("skipped") or ())
    return ReleaseAudit(
        path=raw["path"],
        release=_release(raw, skipped),
        components=tuple(_component(c, licences) for c in raw["components"]),
        profiles=tuple(_profile(k, raw["profiles"][k]) for k in _in_order(raw["profiles"])),
        findings=tuple(
            Finding(f["code"], Severity(f["severity"]), f["message"], tuple(f["evidence"]))
            for f in raw["findings"]
        ),
        obligations=tuple(
            Obligation(o["kind"], o["text"], tuple(o["applies_to"]), o["license"], o["source"])
            for o in raw["obligations"]
        ),
        weights=tuple(_weights(w) for w in raw.get("weights") or ()),
        pickles=tuple(_pickles(p) for p in raw.get("pickles") or ()),
        unassigned=tuple(raw.get("unassigned") or ()),
        licence_files=tuple(_licence_file(f, licences) for f in raw.get("license_files") or ()),
        skipped=skipped,
        architecture=raw.get("architecture"),
        settings=tuple((s["name"], s["value"]) for s in raw.get("settings") or ()),
        error=raw["error"],
        lineage=_lineage(raw.get("lineage"), licences),
    )
