"""A self-contained HTML report: no scripts, no network, readable on a phone and in print.

A grid of releases by the 17 MOF components (open / restricted / missing / unknown, each
with a symbol and a word, so colour is never the only signal), every framework's verdict with
its criteria, the weights' licence in plain words, obligations as a checklist, findings with
their evidence, and a side-by-side comparison when there are several releases.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from clearweights.audit.model import AuditReport, ReleaseAudit
from clearweights.components import Component, MofComponent
from clearweights.errors import UsageError
from clearweights.formats._audit_text import PROFILE_COLUMNS, cell, name_of
from clearweights.licenses import names_for_people as _n
from clearweights.licenses.model import Category
from clearweights.licenses.summary import summarize

if TYPE_CHECKING:
    from clearweights.formats.interface import Report

OPEN = {Category.PERMISSIVE, Category.COPYLEFT, Category.OPEN_DATA, Category.OPEN_DOCUMENTATION}
STATES = {
    "open": ("✔", "open licence"),
    "restricted": ("⚠", "restricted licence"),
    "missing": ("✖", "missing"),
    "unknown": ("?", "licence unknown"),
}
CSS = """
:root { --open:#1a7f37; --restricted:#9a6700; --missing:#cf222e; --unknown:#57606a; }
:root { font-family: system-ui, sans-serif; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem; line-height: 1.45; color: #1f2328; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2rem; } h3 { font-size: 1.1rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.scroll { overflow-x: auto; }
.grid td { white-space: nowrap; font-size: .85rem; }
.state-open { color: var(--open); } .state-restricted { color: var(--restricted); }
.state-missing { color: var(--missing); } .state-unknown { color: var(--unknown); }
.verdict-pass { color: var(--open); font-weight: 600; }
.verdict-fail { color: var(--missing); font-weight: 600; }
.verdict-unknown { color: var(--unknown); font-weight: 600; }
.sev-high { color: var(--missing); font-weight: 600; }
.sev-medium { color: var(--restricted); font-weight: 600; }
ul.checklist { list-style: none; padding-left: 0; } ul.checklist li { margin: .25rem 0; }
details { margin: .3rem 0; } summary { cursor: pointer; }
code { background: #f6f8fa; padding: 0 .2rem; }
@media (max-width: 40rem) { body { padding: .5rem; } th, td { padding: .2rem .3rem; } }
@media print {
  details { display: block; } details > * { display: block; } .scroll { overflow: visible; }
}
"""


def state_of(kind: MofComponent, component: Component | None) -> str:
    """open, restricted, missing or unknown."""
    if component is None:
        return "missing"
    if not component.licences:
        return "unknown"
    if all(lic.category in OPEN or lic.osi_approved for lic in component.licences):
        return "open"
    return "restricted"


def _cell(kind: MofComponent, component: Component | None) -> str:
    state = state_of(kind, component)
    symbol, word = STATES[state]
    detail = _n(component.licence_name) if component and component.licence_name else word
    return (
        f'<td class="state-{state}" data-component="{escape(kind.spec.name)}" data-state="{state}">'
        f'<span aria-hidden="true">{symbol}</span> {escape(word)}'
        f"<br><small>{escape(detail if detail != word else '')}</small></td>"
    )


def _grid(report: AuditReport) -> str:
    audited = [a for a in report.audits if a.release is not None]
    head = "".join(f'<th scope="col">{escape(k.spec.name)}</th>' for k in MofComponent)
    rows = []
    for a in audited:
        by_kind = {c.kind: c for c in a.components}
        cells = "".join(_cell(k, by_kind.get(k)) for k in MofComponent)
        rows.append(
            f'<tr data-release="{escape(name_of(a))}"><th scope="row">{escape(name_of(a))}</th>{cells}</tr>'
        )
    legend = " · ".join(f"{s} {w}" for s, w in STATES.values())
    return (
        '<h2 id="grid">Components</h2>'
        f"<p>Each of the 17 Model Openness Framework components, by release. Legend: {escape(legend)}.</p>"
        f'<div class="scroll"><table class="grid"><thead><tr><th scope="col">release</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _comparison(report: AuditReport) -> str:
    head = "".join(f'<th scope="col">{escape(t)}</th>' for _, t in PROFILE_COLUMNS)
    rows = []
    for a in report.audits:
        if a.error:
            rows.append(
                f'<tr><th scope="row">{escape(a.path)}</th><td colspan="{len(PROFILE_COLUMNS) + 1}">'
                f"could not audit: {escape(a.error)}</td></tr>"
            )
            continue
        cells = []
        for key, _ in PROFILE_COLUMNS:
            p = a.profile(key)
            verdict = p.verdict.value if p else "unknown"
            cells.append(f'<td class="verdict-{verdict}">{escape(cell(p))}</td>')
        weights = next(
            (c for c in a.components if c.kind is MofComponent.MODEL_PARAMETERS_FINAL), None
        )
        licence = _n(weights.licence_name) if weights and weights.licence_name else "none found"
        rows.append(
            f'<tr><th scope="row">{escape(name_of(a))}</th>{"".join(cells)}<td>{escape(licence)}</td></tr>'
        )
    return (
        '<h2 id="verdicts">Verdicts</h2><div class="scroll"><table class="verdicts">'
        f'<thead><tr><th scope="col">release</th>{head}<th scope="col">weights licence</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _release(a: ReleaseAudit) -> str:
    parts = [
        f'<section aria-labelledby="r-{escape(name_of(a))}"><h2 id="r-{escape(name_of(a))}">{escape(name_of(a))}</h2>'
    ]
    weights = next((c for c in a.components if c.kind is MofComponent.MODEL_PARAMETERS_FINAL), None)
    for licence in weights.licences if weights else ():
        summary = summarize(licence)
        answers = "".join(
            f'<tr><th scope="row">{escape(x.question)}</th><td>{escape(x.answer)}</td><td>{escape(x.detail)}</td></tr>'
            for x in summary.answers
        )
        parts.append(
            f"<h3>Licence of the weights: {escape(licence.name)}</h3>"
            f"<table><tbody>{answers}</tbody></table>"
        )
    for p in a.profiles:
        items = "".join(
            f'<li><span class="verdict-{c.status.value}">{escape(c.status.value)}</span> {escape(c.title)}'
            + (f" — {escape(_n(c.fix))}" if c.fix else "")
            + (f"<br><small>{escape(_n('; '.join(c.evidence)))}</small>" if c.evidence else "")
            + "</li>"
            for c in p.criteria
        )
        notes = "".join(f"<p>{escape(_n(n))}</p>" for n in p.notes)
        parts.append(
            f'<details><summary>{escape(p.title)}: <span class="verdict-{p.verdict.value}">{escape(p.verdict.value)}</span>'
            f" — {escape(p.summary)}</summary><ul>{items}</ul>{notes}</details>"
        )
    if a.findings:
        rows = "".join(
            f'<li><span class="sev-{f.severity.value}">{escape(f.severity.value)}</span> <code>{escape(f.code)}</code> '
            f"{escape(_n(f.message))}"
            + "".join(f"<br><small><code>{escape(_n(e))}</code></small>" for e in f.evidence[:4])
            + "</li>"
            for f in a.findings
        )
        parts.append(f"<h3>Findings</h3><ul>{rows}</ul>")
    if a.obligations:
        rows = "".join(
            f'<li><label><input type="checkbox"> {escape(_n(o.text))}</label> '
            f"<small>({escape(', '.join(o.applies_to))}; {escape(_n(o.licence))})</small></li>"
            for o in a.obligations
        )
        parts.append(f'<h3>What you must do</h3><ul class="checklist">{rows}</ul>')
    parts.append("</section>")
    return "".join(parts)


def render_html(report: AuditReport, title: str = "clearweights report") -> str:
    """The whole page."""
    from clearweights import __version__

    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p>{len(report.audits)} release(s), audited by clearweights {escape(__version__)}.</p>",
    ]
    body.append(_comparison(report))
    body.append(_grid(report))
    body += [_release(a) for a in report.audits if a.release is not None]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


class HtmlFormat:
    """The HTML report (audits only)."""

    def render(self, report: Report) -> str:
        """Return the page."""
        if not isinstance(report, AuditReport):
            raise UsageError("the HTML report is only for audits")
        return render_html(report)
