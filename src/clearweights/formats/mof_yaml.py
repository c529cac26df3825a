"""Export audited releases in the Model Openness Tool's YAML format (valid against its schema)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from clearweights.audit.model import AuditReport, ReleaseAudit
from clearweights.components import MofComponent
from clearweights.errors import UsageError

if TYPE_CHECKING:
    from clearweights.formats.interface import Report

FRAMEWORK = {"name": "Model Openness Framework", "version": "1.0", "date": "2024-12-15"}


def release_document(a: ReleaseAudit) -> dict[str, Any]:
    """The MOF YAML document of one audited release."""
    release = a.release
    if release is None:
        raise UsageError(f"{a.path}: could not be audited, so it cannot be exported")
    files = {f.path for f in release.files}
    weights = next((c for c in a.components if c.kind is MofComponent.MODEL_PARAMETERS_FINAL), None)
    distribution: dict[str, Any] = {"name": weights.licence_name if weights else None, "path": None}
    if weights is not None and weights.licence_source in files:
        distribution["path"] = weights.licence_source
    components = []
    for c in a.components:
        entry: dict[str, Any] = {
            "name": c.name,
            "description": c.reason,
            "license": c.licence_name or "unlicensed",
        }
        if c.paths:
            entry["component_path"] = c.paths[0]
        components.append(entry)
    meta = release.metadata
    body: dict[str, Any] = {"name": release.name, "version": str(meta.get("version") or "")}
    if meta.get("date"):
        body["date"] = str(meta["date"])
    body |= {
        "license": {"distribution": distribution},
        "producer": str(meta.get("producer") or ""),
        "contact": str(meta.get("contact") or ""),
        "components": components,
    }
    return {"framework": dict(FRAMEWORK), "release": body}


class MofYamlFormat:
    """``--format mof-yaml``: one YAML document per audited release."""

    def render(self, report: Report) -> str:
        """Return the releases as MOF YAML documents."""
        if not isinstance(report, AuditReport):
            raise UsageError("--format mof-yaml is only for audits")
        docs = [release_document(a) for a in report.audits if a.release is not None]
        return "".join(
            ("---\n" if i else "") + yaml.safe_dump(d, sort_keys=False, allow_unicode=True)
            for i, d in enumerate(docs)
        )
