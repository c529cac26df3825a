"""Markdown for pull-request comments and docs."""

from __future__ import annotations

from typing import TYPE_CHECKING, assert_never

from clearweights.audit.model import AuditReport
from clearweights.formats._plain import key_terms, yes_no
from clearweights.licenses import names_for_people as _n
from clearweights.licenses.report import IdentifyReport, LicenceCard, LicenceListing
from clearweights.policy.model import CheckReport

if TYPE_CHECKING:
    from clearweights.formats.interface import Report


def _cell(text: str) -> str:
    # Cells are read by people: licence ids in them become names.
    return _n(text).replace("|", "\\|").replace("\n", " ")


class MarkdownFormat:
    """GitHub-flavoured Markdown."""

    def render(self, report: Report) -> str:
        """Return the report as Markdown."""
        lines: list[str] = []
        match report:
            case IdentifyReport(results=results):
                lines.append("| file | licence | id | match | confidence | key terms |")
                lines.append("|---|---|---|---|---|---|")
                for r in results:
                    if r.error:
                        lines.append(
                            f"| {_cell(r.path)} | *could not be read: {_cell(r.error)}* | | | | |"
                        )
                    elif not r.licences:
                        lines.append(f"| {_cell(r.path)} | *no licence found* | | | | |")
                    for m in r.licences:
                        lines.append(
                            f"| {_cell(r.path)} | {_cell(m.licence.name)} | `{m.licence.id}` "
                            f"| {m.match.value} "
                            f"| {m.confidence:.2f} | {_cell(key_terms(m.licence))} |"
                        )
            case LicenceCard(summary=s):
                lines += [
                    f"## {s.licence.name}",
                    "",
                    f"`{s.licence.id}` · {s.licence.category.value}",
                    "",
                ]
                lines += ["| question | answer | detail |", "|---|---|---|"]
                lines += [
                    f"| {a.question} | **{a.answer}** | {_cell(a.detail)} |" for a in s.answers
                ]
                if s.must_do:
                    lines += ["", "**What you must do**", ""] + [f"- {_cell(x)}" for x in s.must_do]
                if s.forbidden:
                    lines += ["", "**What is forbidden**", ""] + [
                        f"- {_cell(x)}" for x in s.forbidden
                    ]
                lines += [""] + [f"Source text: <{link}>" for link in s.links]
            case LicenceListing(licences=licences):
                lines += ["| id | name | category | OSI | Hub id |", "|---|---|---|---|---|"]
                lines += [
                    f"| `{lic.id}` | {_cell(lic.name)} | {lic.category.value} "
                    f"| {yes_no(lic.osi_approved)} | {lic.hf_id or ''} |"
                    for lic in licences
                ]
            case AuditReport():
                lines += _audit(report)
            case CheckReport():
                from clearweights.formats._check import check_markdown

                lines += check_markdown(report)
            case _:
                assert_never(report)
        return "\n".join(lines).rstrip() + "\n"


def _audit(report: AuditReport) -> list[str]:
    from clearweights.formats._audit_text import PROFILE_COLUMNS, cell, name_of

    lines = ["| release | " + " | ".join(t for _, t in PROFILE_COLUMNS) + " | findings |"]
    lines.append("|---" * (len(PROFILE_COLUMNS) + 2) + "|")
    for a in report.audits:
        if a.error:
            lines.append(
                f"| {_cell(a.path)} |"
                + " - |" * len(PROFILE_COLUMNS)
                + f" could not audit: {_cell(a.error)} |"
            )
            continue
        codes = (
            ", ".join(
                sorted({f.code for f in a.findings if f.severity.value in ("high", "medium")})
            )
            or "none"
        )
        lines.append(
            f"| {_cell(name_of(a))} | "
            + " | ".join(cell(a.profile(k)) for k, _ in PROFILE_COLUMNS)
            + f" | {codes} |"
        )
    for a in report.audits:
        if a.error:
            continue
        lines += ["", f"### {name_of(a)}", ""]
        lines += ["| component | licence | files |", "|---|---|---|"]
        lines += [
            f"| {c.name} | {_cell(c.licence_name or 'none')} | {_cell(', '.join(c.paths[:3]))} |"
            for c in a.components
        ]
        if a.findings:
            lines += ["", "**Findings**", ""]
            lines += [f"- **{f.severity.value}** `{f.code}` {_cell(f.message)}" for f in a.findings]
        if a.obligations:
            lines += ["", "**What you must do**", ""]
            lines += [f"- {_cell(o.text)} ({_cell(o.licence)})" for o in a.obligations]
    return lines
