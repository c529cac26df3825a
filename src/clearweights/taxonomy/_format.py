"""The validation report as text for people and JSON for machines (pure functions)."""

from __future__ import annotations

import json
from typing import Any

from clearweights import __version__
from clearweights.taxonomy.report import (
    SCHEMA_VERSION,
    Finding,
    LeafLicense,
    Severity,
    ValidationReport,
)


def _line(finding: Finding) -> str:
    label = "" if finding.severity is Severity.ERROR else "warning: "
    return f"{finding.location()} [{finding.rule}] {label}{finding.message}"


def _licence_line(item: LeafLicense) -> str:
    ids = ", ".join(item.licenses) or "none identified"
    duties = sorted(
        {
            name
            for d in item.duties
            for name, on in (
                ("share-alike", d.share_alike),
                ("attribution", d.attribution),
                ("keep notices", d.keep_notices),
            )
            if on
        }
    )
    carried = f"; duties: {', '.join(duties)}" if duties else ""
    return f"  {item.leaf}: {item.verdict.value} ({ids}){carried}"


def format_text(report: ValidationReport) -> str:
    """Findings as ``file:line:col [rule] message``, then licences and what was not checked."""
    blocks = []
    if report.findings:
        blocks.append([_line(f) for f in report.findings])
    if report.licenses:
        blocks.append(["Licences of contributed content:"])
        blocks[-1] += [_licence_line(item) for item in report.licenses]
    if report.incomplete:
        blocks.append(["Not checked:"] + [f"  {item}" for item in report.incomplete])
    return "\n\n".join("\n".join(block) for block in blocks) + "\n" if blocks else ""


def summary(report: ValidationReport) -> str:
    """One line for stderr."""
    leaves = len(report.leaves)
    verdict = "passed" if report.ok else ("failed" if report.errors else "incomplete")
    return (
        f"{leaves} {'leaf' if leaves == 1 else 'leaves'} checked: {len(report.errors)} error(s), "
        f"{len(report.warnings)} warning(s), {len(report.incomplete)} not checked; {verdict}"
    )


def _license(item: LeafLicense) -> dict[str, Any]:
    return {
        "leaf": item.leaf,
        "verdict": item.verdict.value,
        "licenses": list(item.licenses),
        "sources": [
            {"origin": s.origin, "stated": s.stated, "licenses": list(s.licenses)}
            for s in item.sources
        ],
        "duties": [
            {
                "license": d.license,
                "share_alike": d.share_alike,
                "attribution": d.attribution,
                "keep_notices": d.keep_notices,
                "notes": list(d.notes),
            }
            for d in item.duties
        ],
        "credit": list(item.credit),
        "document": (
            {"repo": item.document_repo, "commit": item.document_commit}
            if item.document_repo
            else None
        ),
    }


def to_dict(report: ValidationReport) -> dict[str, Any]:
    """The report as plain data (``schema_version`` first when serialised with sorted keys)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
        "ok": report.ok,
        "summary": {
            "leaves": len(report.leaves),
            "errors": len(report.errors),
            "warnings": len(report.warnings),
            "not_checked": len(report.incomplete),
        },
        "allowed_licenses": list(report.allowed_licenses),
        "leaves": list(report.leaves),
        "findings": [
            {
                "path": f.path,
                "line": f.line,
                "col": f.col,
                "rule": f.rule,
                "severity": f.severity.value,
                "message": f.message,
                "leaf": f.leaf,
            }
            for f in report.findings
        ],
        "licenses": [_license(item) for item in report.licenses],
        "not_checked": list(report.incomplete),
    }


def format_json(report: ValidationReport) -> str:
    """Deterministic JSON: ``schema_version`` first, then sorted keys; a final newline."""
    body = to_dict(report)
    first = ("schema_version", "tool_version")
    ordered = {key: body[key] for key in first} | {
        k: body[k] for k in sorted(body) if k not in first
    }
    return json.dumps(ordered, indent=2, ensure_ascii=False) + "\n"
