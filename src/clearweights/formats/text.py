"""Rich tables for people (the default format)."""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, assert_never

from rich.console import Console
from rich.table import Table

from clearweights.formats._plain import key_terms, yes_no
from clearweights.licenses import names_for_people as _n
from clearweights.licenses.model import FileResult
from clearweights.licenses.report import IdentifyReport, LicenceCard, LicenceListing

if TYPE_CHECKING:
    from clearweights.audit.model import AuditReport
    from clearweights.formats.interface import Report
    from clearweights.policy.model import CheckReport


def _console(buffer: io.StringIO) -> Console:
    width = int(os.environ.get("COLUMNS", "0") or 0) or 110
    return Console(file=buffer, width=width, no_color=True, highlight=False, soft_wrap=False)


def _result(console: Console, result: FileResult) -> None:
    if result.error:
        console.print(f"{result.path}: could not be read: {result.error}")
        return
    notes = [*result.notes, *(result.identification.notes if result.identification else ())]
    if not result.licences:
        console.print(
            f"{result.path}: no licence found" + (f" ({'; '.join(notes)})" if notes else "")
        )
        return
    table = Table(title=result.path, title_justify="left", show_lines=False)
    for column in ("licence", "id", "match", "conf.", "category", "key terms"):
        table.add_column(column, overflow="fold")
    for m in result.licences:
        table.add_row(
            m.licence.name,
            m.licence.id,
            m.match.value,
            f"{m.confidence:.2f}",
            m.licence.category.value,
            key_terms(m.licence),
        )
    console.print(table)
    for m in result.licences:
        if m.coverage is not None and m.coverage < 0.98:
            missing = 1 - m.coverage
            console.print(f"  {missing:.0%} of the {m.licence.name} text is missing from this file")
        for diff in m.differences[:5]:
            console.print(f"  differs from {m.licence.name} at line {diff.line}: {diff.text[:120]}")
    if (
        result.identification
        and result.identification.extracted
        and result.licences[0].match.value in ("extracted", "variant", "notice", "alias")
    ):
        for item in result.identification.extracted:
            console.print(
                f"  extracted {item.term} (line {item.evidence.line}): {item.evidence.text[:100]}"
            )
    for note in notes:
        console.print(f"  note: {_n(note)}")


class TextFormat:
    """Human-readable tables and sentences."""

    def render(self, report: Report) -> str:
        """Return the report as plain text."""
        buffer = io.StringIO()
        console = _console(buffer)
        match report:
            case IdentifyReport(results=results):
                for result in results:
                    _result(console, result)
            case LicenceCard(summary=s):
                lic = s.licence
                console.print(f"{lic.name}  [{lic.id}]", markup=False)
                console.print(
                    f"category: {lic.category.value}; OSI-approved: {yes_no(lic.osi_approved)}"
                    + (f"; Hugging Face id: {lic.hf_id}" if lic.hf_id else ""),
                    markup=False,
                )
                table = Table(show_header=False)
                table.add_column("question")
                table.add_column("answer")
                table.add_column("detail", overflow="fold")
                for a in s.answers:
                    table.add_row(a.question, a.answer, a.detail)
                console.print(table)
                if s.must_do:
                    console.print("What you must do:")
                    for item in s.must_do:
                        console.print(f"  - {item}", markup=False)
                if s.forbidden:
                    console.print("What is forbidden:")
                    for item in s.forbidden:
                        console.print(f"  - {item}", markup=False)
                if lic.notes:
                    console.print(f"Note: {lic.notes}", markup=False)
                for link in s.links:
                    console.print(f"Source text: {link}", markup=False)
            case LicenceListing(licences=licences):
                table = Table()
                for column in ("id", "name", "category", "OSI", "Hub id"):
                    table.add_column(column, overflow="fold")
                for lic in licences:
                    table.add_row(
                        lic.id,
                        lic.name,
                        lic.category.value,
                        "yes" if lic.osi_approved else "no",
                        lic.hf_id or "",
                    )
                console.print(table)
                console.print(f"{len(licences)} licences")
            case _:
                _audit_or_check(console, report)
        return buffer.getvalue()


def _audit_or_check(console: Console, report: AuditReport | CheckReport) -> None:
    # Imported here: `license identify` should not pay for the audit and policy modules.
    from clearweights.audit.model import AuditReport
    from clearweights.policy.model import CheckReport

    if isinstance(report, AuditReport):
        from clearweights.formats._audit_text import render_text

        render_text(console, report)
    elif isinstance(report, CheckReport):
        from clearweights.formats._check import check_text

        check_text(console, report)
    else:
        assert_never(report)
