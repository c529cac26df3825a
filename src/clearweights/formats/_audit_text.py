"""Audit reports for people: a verdict table, then the details that explain it."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from clearweights.audit.model import AuditReport, ReleaseAudit
from clearweights.frameworks.interface import ProfileResult, Status
from clearweights.licenses import names_for_people as _n

PROFILE_COLUMNS = (
    ("redhat", "Red Hat"),
    ("osaid-1.0", "OSAID 1.0"),
    ("mof", "MOF"),
    ("eu-ai-act-53-2", "EU 53(2)"),
)


def cell(p: ProfileResult | None) -> str:
    """A profile's verdict in a few words."""
    if p is None:
        return "-"
    if p.mof_class is not None:
        return (
            ("Class " + {1: "I", 2: "II", 3: "III"}[p.mof_class]) if p.mof_class else "unclassified"
        )
    return p.verdict.value


def name_of(a: ReleaseAudit) -> str:
    """The release's display name."""
    return a.release.name if a.release else a.path


def verdict_table(report: AuditReport) -> Table:
    """One row per release."""
    table = Table(title="Openness verdicts", title_justify="left")
    table.add_column("release", overflow="fold")
    for _, title in PROFILE_COLUMNS:
        table.add_column(title)
    table.add_column("findings", overflow="fold")
    for a in report.audits:
        if a.error:
            table.add_row(a.path, *(["-"] * len(PROFILE_COLUMNS)), f"could not audit: {a.error}")
            continue
        counts: dict[str, int] = {}
        for f in a.findings:
            counts[f.severity.value] = counts.get(f.severity.value, 0) + 1
        codes = sorted({f.code for f in a.findings if f.severity.value in ("high", "medium")})
        summary = ", ".join(codes) or "none"
        table.add_row(name_of(a), *(cell(a.profile(key)) for key, _ in PROFILE_COLUMNS), summary)
    return table


def details(console: Console, a: ReleaseAudit) -> None:
    """Components, failing criteria, findings and obligations of one release."""
    console.print(f"\n{name_of(a)}  ({a.path})", markup=False)
    components = Table(title="Components", title_justify="left")
    for column in ("component", "licence", "from", "files"):
        components.add_column(column, overflow="fold")
    for c in a.components:
        paths = ", ".join(c.paths[:3]) + (f" (+{len(c.paths) - 3})" if len(c.paths) > 3 else "")
        components.add_row(
            c.name,
            _n(c.licence_name) if c.licence_name else "none",
            c.licence_source,
            paths + (" [external]" if c.external else ""),
        )
    console.print(components)
    if a.licence_files:
        files = Table(title="Licence files", title_justify="left")
        for column in ("file", "covers", "because of", "holds"):
            files.add_column(column, overflow="fold")
        for lf in a.licence_files:
            held = ", ".join(lic.name for lic in lf.licences) or (
                f"unreadable: {lf.error}" if lf.error else "no known licence"
            )
            files.add_row(lf.path, lf.role.value, lf.why, held)
        console.print(files)
    for base in a.lineage.bases:
        licence = _n(str(base.expression)) if base.expression else "licence unknown"
        via = f", via {base.via}" if base.via else ""
        console.print(
            _n(
                f"Base model: {base.repo_id} ({base.relation}{via}): {licence} "
                f"[{base.resolved_by}: {base.licence_source}]"
            ),
            markup=False,
        )
    for p in a.profiles:
        console.print(f"{p.title}: {p.verdict.value.upper()} - {p.summary}", markup=False)
        for criterion in p.criteria:
            if criterion.status is not Status.PASS and (
                criterion.blocking or p.profile == "redhat"
            ):
                label = "improve" if not criterion.blocking else criterion.status.value
                advice = _n(criterion.fix or "; ".join(criterion.evidence))
                console.print(f"  [{label}] {criterion.title}: {advice}", markup=False)
        for note in p.notes:
            console.print(f"  note: {_n(note)}", markup=False)
    if a.findings:
        console.print("Findings:")
        for f in a.findings:
            console.print(
                f"  {f.severity.value.upper():6} {f.code:12} {_n(f.message)}", markup=False
            )
    if a.obligations:
        console.print("What you must do:")
        for o in a.obligations:
            console.print(
                f"  - {_n(o.text)} ({'/'.join(o.applies_to)}; {_n(o.licence)})", markup=False
            )


def render_text(console: Console, report: AuditReport) -> None:
    """The verdict table; every detail for one release, the findings for several."""
    console.print(verdict_table(report))
    audited = [a for a in report.audits if a.error is None]
    if len(report.audits) == 1 and audited:
        details(console, audited[0])
        return
    for a in audited:
        serious = [f for f in a.findings if f.severity.value in ("high", "medium")]
        if serious:
            console.print(f"{name_of(a)}:", markup=False)
            for f in serious:
                console.print(
                    f"  {f.severity.value.upper():6} {f.code:12} {_n(f.message)}", markup=False
                )
    if len(audited) > 1:
        console.print(
            "Audit one release at a time for its components, criteria and obligations.",
            markup=False,
        )
