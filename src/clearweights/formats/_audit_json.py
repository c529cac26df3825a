"""The JSON form of audit reports (schema in docs/audit-schema.json)."""

from __future__ import annotations

from typing import Any

from clearweights.audit.model import Obligation, ReleaseAudit
from clearweights.components import Component
from clearweights.formats.json import licence_json
from clearweights.frameworks.interface import Criterion, ProfileResult
from clearweights.frameworks.mof import LABELS
from clearweights.licenses import LicenceExpression
from clearweights.licenses.model import Licence
from clearweights.lineage import Lineage
from clearweights.release.model import CardData, Release


class Parts:
    """How :func:`audit_json` writes the parts of an audit that recur across audits.

    Here each is its plain JSON value. A bulk writer (``scale._document``) hands back each
    part encoded once instead; the document's shape is defined in this module alone.
    """

    def licence(self, licence: Licence) -> Any:
        """A catalogue record (the same few hundred objects in every audit)."""
        return licence_json(licence)

    def criterion(self, criterion: Criterion) -> Any:
        """One criterion of a framework's verdict."""
        return criterion_json(criterion)

    def profile(self, result: ProfileResult) -> Any:
        """One framework's verdict."""
        return profile_json(result, self)

    def profiles(self, results: tuple[ProfileResult, ...]) -> Any:
        """Every framework's verdict, by framework."""
        return {p.profile: self.profile(p) for p in results}

    def component(self, component: Component) -> Any:
        """One MOF component."""
        return component_json(component, self)

    def obligation(self, obligation: Obligation) -> Any:
        """One duty."""
        return obligation_json(obligation)

    def lineage(self, lineage: Lineage) -> Any:
        """The base models and what the release inherits."""
        return lineage_json(lineage)

    def given(self, value: Any) -> Any:
        """A value the release gives (metadata, model-index) as JSON can hold it."""
        return plain(value)


PLAIN = Parts()


def expression_json(e: LicenceExpression | None) -> dict[str, Any] | None:
    """A licence expression as a tree: ``{"license": id}`` or ``{"operator", "args"}``."""
    if e is None:
        return None
    if e.licence is not None:
        leaf: dict[str, Any] = {"license": e.licence.id}
        if e.exception:
            leaf["exception"] = e.exception
        return leaf
    return {"operator": e.operator, "args": [expression_json(a) for a in e.args]}


def lineage_json(lineage: Lineage) -> dict[str, Any]:
    """The base models of a release and what it inherits from them."""
    inherited = lineage.inherited
    return {
        "bases": [
            {
                "repo_id": b.repo_id,
                "relation": b.relation,
                "relation_source": b.relation_source,
                "license": str(b.expression) if b.expression else None,
                "tree": expression_json(b.expression),
                "resolved_by": b.resolved_by,
                "license_source": b.licence_source,
                "via": b.via,
            }
            for b in lineage.bases
        ],
        "inherited": str(inherited) if inherited else None,
        "declared": [lic.id for lic in lineage.declared],
        "dropped": sorted({lic.id for _, lic in lineage.dropped}),
    }


def component_json(c: Component, parts: Parts = PLAIN) -> dict[str, Any]:
    """One MOF component of a release."""
    licence = None
    if c.licence_name is not None:
        licence = {
            "expression": c.licence_name,
            "source": c.licence_source,
            "licenses": [parts.licence(lic) for lic in c.licences],
            "tree": expression_json(c.licence_expression),
        }
    return {
        "name": c.name,
        "cid": c.kind.spec.cid,
        "content_type": c.kind.spec.content_type,
        "license": licence,
        "license_source": c.licence_source,
        "paths": list(c.paths),
        "reason": c.reason,
        "external": c.external,
    }


def criterion_json(c: Criterion) -> dict[str, Any]:
    """One criterion of a verdict."""
    return {
        "id": c.id,
        "title": c.title,
        "status": c.status._value_,  # the enum's value without its descriptor
        "evidence": list(c.evidence),
        "fix": c.fix,
        "blocking": c.blocking,
    }


def obligation_json(o: Obligation) -> dict[str, Any]:
    """One duty and the licence it comes from."""
    return {
        "kind": o.kind,
        "text": o.text,
        "applies_to": list(o.applies_to),
        "license": o.licence,
        "source": o.source,
    }


def profile_json(p: ProfileResult, parts: Parts = PLAIN) -> dict[str, Any]:
    """One framework's verdict."""
    out: dict[str, Any] = {
        "title": p.title,
        "verdict": p.verdict.value,
        "summary": p.summary,
        "criteria": [parts.criterion(c) for c in p.criteria],
        "warnings": list(p.warnings),
        "notes": list(p.notes),
    }
    if p.mof_class is not None:
        out["class"] = p.mof_class
        out["label"] = LABELS[p.mof_class]
        out["progress"] = {k: round(v, 6) for k, v in p.progress.items()}
    return out


def plain(value: Any) -> Any:
    """*value* as JSON can hold it: YAML dates and other scalars become text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def release_json(release: Release, parts: Parts = PLAIN) -> dict[str, Any]:
    """What consumers of a stored audit need of the release itself (never file contents)."""
    return {
        "location": release.location,
        "files": [
            {"path": f.path, "size": f.size, "present": bool(f.absolute)} for f in release.files
        ],
        "declared": [
            {
                "name": d.name,
                "license": d.licence,
                "license_source": d.licence_source,
                "path": d.path,
                "description": d.description,
            }
            for d in release.declared
        ],
        "metadata": parts.given(release.metadata),
    }


def card_json(card: CardData, parts: Parts = PLAIN) -> dict[str, Any]:
    """The model card's fields and claims."""
    return {
        "path": card.path,
        "license": card.license,
        "license_name": card.license_name,
        "license_link": card.license_link,
        "base_model": list(card.base_model),
        "base_model_relation": card.base_model_relation,
        "datasets": list(card.datasets),
        "pipeline_tag": card.pipeline_tag,
        "claims": [{"line": line, "text": text} for line, text in card.claims],
        "open_weights": [{"line": line, "text": text} for line, text in card.open_weights],
        "tags": list(card.tags),
        "model_index": parts.given(card.model_index),
        "links": list(card.links),
        "sections": list(card.sections),
        "limitations": card.limitations,
        "uses": card.uses,
        "notes": list(card.notes),
    }


def audit_json(a: ReleaseAudit, parts: Parts = PLAIN) -> dict[str, Any]:
    """One release's audit (*parts*: how its recurring parts are written, see :class:`Parts`)."""
    release = a.release
    card = release.card if release else None
    return {
        "path": a.path,
        "error": a.error,
        "name": release.name if release else None,
        "source": release.kind if release else None,
        "files": len(release.files) if release else 0,
        "release": release_json(release, parts) if release else None,
        "card": None if card is None else card_json(card, parts),
        "architecture": a.architecture,
        "settings": [{"name": k, "value": v} for k, v in a.settings],
        "components": [parts.component(c) for c in a.components],
        "lineage": parts.lineage(a.lineage),
        "profiles": parts.profiles(a.profiles),
        "findings": [
            {
                "code": f.code,
                "severity": f.severity.value,
                "message": f.message,
                "evidence": list(f.evidence),
            }
            for f in a.findings
        ],
        "obligations": [parts.obligation(o) for o in a.obligations],
        "weights": [
            {
                "path": w.path,
                "format": w.format,
                "parameters": w.parameters,
                "tensors": w.tensors,
                "dtypes": list(w.dtypes),
                "metadata": w.metadata,
                "error": w.error,
                "invalid": w.invalid,
            }
            for w in a.weights
        ],
        "pickles": [
            {
                "path": s.path,
                "imports": list(s.imports),
                "unsafe": list(s.unsafe),
                "error": s.error,
                "pickles": s.pickles,
                "framework": s.framework,
                "issues": [
                    {"member": i.member, "offset": i.offset, "reason": i.reason} for i in s.issues
                ],
            }
            for s in a.pickles
        ],
        "unassigned": list(a.unassigned),
        "license_files": [
            {
                "path": lf.path,
                "role": lf.role.value,
                "role_from": lf.why,
                "scope": lf.scope,
                "licenses": [lic.id for lic in lf.licences],
                "by_name": lf.by_name,
                "tree": expression_json(lf.expression),
                "error": lf.error,
            }
            for lf in a.licence_files
        ],
        "skipped": [{"path": s.path, "reason": s.reason} for s in a.skipped],
    }
