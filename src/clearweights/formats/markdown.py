"""Markdown for pull-request comments and docs."""

from __future__ import annotations

from typing import assert_never

from clearweights.formats._plain import key_terms, yes_no
from clearweights.licenses.report import IdentifyReport, LicenceCard, LicenceListing, LicenceReport


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class MarkdownFormat:
    """GitHub-flavoured Markdown."""

    def render(self, report: LicenceReport) -> str:
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
            case _:
                assert_never(report)
        return "\n".join(lines).rstrip() + "\n"
