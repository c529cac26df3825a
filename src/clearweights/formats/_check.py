"""Policy check reports as JSON, text and Markdown."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from clearweights.licenses import names_for_people as _n
from clearweights.policy.model import CheckReport, ReleaseCheck, Violation


def _where(v: Violation) -> str:
    """Files and lines; the release as a whole (".") is left out."""
    places = [f"{loc.path}:{loc.line}" if loc.line else loc.path for loc in v.evidence]
    return ", ".join(p for p in places if p != ".")


def check_json(report: CheckReport) -> dict[str, Any]:
    """The JSON body of a check report."""
    return {
        "policy": report.policy,
        "passed": report.passed,
        "rules": [{"id": rid, "description": text} for rid, text in report.rules],
        "checks": [
            {
                "path": c.path,
                "name": c.name,
                "passed": c.passed,
                "error": c.error,
                "notes": list(c.notes),
                "violations": [
                    {
                        "rule": v.rule,
                        "level": v.level,
                        "message": v.message,
                        "found": v.found,
                        "expected": v.expected,
                        "waived": v.waived,
                        "evidence": [{"path": loc.path, "line": loc.line} for loc in v.evidence],
                    }
                    for v in c.violations
                ],
            }
            for c in report.checks
        ],
    }


def _status(c: ReleaseCheck) -> str:
    if c.error:
        return "could not audit"
    return "pass" if c.passed else "FAIL"


def check_text(console: Console, report: CheckReport) -> None:
    """A table of releases, then every violation with its evidence."""
    table = Table(title=f"Policy {report.policy}", title_justify="left")
    for column in ("release", "result", "violations", "warnings"):
        table.add_column(column, overflow="fold")
    for c in report.checks:
        errors = sum(1 for v in c.violations if v.level == "error" and not v.waived)
        warnings = sum(1 for v in c.violations if v.level == "warning")
        table.add_row(c.name or c.path, _status(c), str(errors), str(warnings))
    console.print(table)
    for c in report.checks:
        if c.error:
            console.print(f"{c.path}: could not audit: {c.error}", markup=False)
        for v in c.violations:
            state = f"waived: {v.waived}" if v.waived else v.level
            where = f" ({_where(v)})" if _where(v) else ""
            console.print(
                f"{c.name or c.path}: [{state}] {v.rule}: {_n(v.message)}{where}", markup=False
            )
        for note in c.notes:
            console.print(f"{c.name or c.path}: note: {_n(note)}", markup=False)


def check_markdown(report: CheckReport) -> list[str]:
    """A pull-request comment."""
    verdict = "passes" if report.passed else "does not pass"
    lines = [
        f"### clearweights: policy `{report.policy}` {verdict}",
        "",
        "| release | result | violations |",
        "|---|---|---|",
    ]
    for c in report.checks:
        errors = sum(1 for v in c.violations if v.level == "error" and not v.waived)
        lines.append(f"| {c.name or c.path} | {_status(c)} | {errors} |")
    for c in report.checks:
        if not c.violations and not c.error:
            continue
        lines += ["", f"**{c.name or c.path}**", ""]
        if c.error:
            lines.append(f"- could not audit: {c.error}")
        for v in c.violations:
            state = "waived" if v.waived else v.level
            where = f" — `{_where(v)}`" if _where(v) else ""
            lines.append(f"- `{v.rule}` ({state}): {_n(v.message)}{where}")
    return lines
