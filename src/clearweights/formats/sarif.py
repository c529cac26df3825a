"""SARIF 2.1.0 for code scanning: one result per violation, at the file and line in the release."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clearweights import __version__
from clearweights.errors import UsageError
from clearweights.licenses import names_for_people as _n
from clearweights.policy.model import CheckReport

if TYPE_CHECKING:
    from clearweights.formats.interface import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning"}


def _uri(root: str, path: str) -> str:
    base = Path(root) if root else Path(".")
    target = base / path if path != "." else base
    try:
        return target.resolve().relative_to(Path.cwd().resolve()).as_posix() or "."
    except ValueError:
        return target.resolve().as_uri()


def sarif_log(report: CheckReport) -> dict[str, Any]:
    """The SARIF log of a policy check."""
    rule_ids = [rid for rid, _ in report.rules]
    results: list[dict[str, Any]] = []
    for c in report.checks:
        if c.error:
            results.append(
                {
                    "ruleId": "audit",
                    "level": "error",
                    "message": {"text": f"could not audit: {c.error}"},
                    "locations": [
                        {"physicalLocation": {"artifactLocation": {"uri": _uri("", c.path)}}}
                    ],
                }
            )
        for v in c.violations:
            locations = []
            for loc in v.evidence or ():
                physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(c.root, loc.path)}}
                if loc.line:
                    physical["region"] = {"startLine": loc.line}
                locations.append({"physicalLocation": physical})
            result: dict[str, Any] = {
                "ruleId": v.rule,
                "level": _LEVELS.get(v.level, "note"),
                "message": {
                    "text": _n(
                        f"{c.name or c.path}: {v.message} (got {v.found}, expected {v.expected})"
                    )
                },
                "locations": locations,
            }
            if v.rule in rule_ids:
                result["ruleIndex"] = rule_ids.index(v.rule)
            if v.waived:
                result["suppressions"] = [{"kind": "external", "justification": v.waived}]
            results.append(result)
    rules = [{"id": rid, "shortDescription": {"text": _n(text)}} for rid, text in report.rules]
    rules.append({"id": "audit", "shortDescription": {"text": "the release could be audited"}})
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "clearweights",
                        "version": __version__,
                        "informationUri": "https://clearweights.invalid/docs/ci.md",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"clearweights/{report.policy}"},
                "results": results,
            }
        ],
    }


class SarifFormat:
    """``--format sarif``."""

    def render(self, report: Report) -> str:
        """Return the SARIF log (policy checks only)."""
        if not isinstance(report, CheckReport):
            raise UsageError("--format sarif is only for clearweights check")
        return json.dumps(sarif_log(report), indent=2, sort_keys=True) + "\n"
