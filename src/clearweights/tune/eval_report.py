"""The evaluation report for people (text, Markdown, a self-contained HTML page with a chart)
and machines (JSON with ``schema_version``)."""

from __future__ import annotations

import html
import json
from typing import Any

from clearweights.errors import InputError
from clearweights.tune.evaluate import SCHEMA_VERSION, EvalReport, LeafResult
from clearweights.tune.stats import Interval


def _interval(i: Interval) -> dict[str, Any]:
    return {
        "n": i.n, "base_mean": round(i.base_mean, 4), "candidate_mean": round(i.candidate_mean, 4),
        "difference": round(i.difference, 4), "low": round(i.low, 4), "high": round(i.high, 4),
        "level": i.level, "decision": i.decision,
    }  # fmt: skip


def to_dict(report: EvalReport) -> dict[str, Any]:
    """The report as a JSON-ready mapping (deterministic: sorted leaves, rounded numbers)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "base": report.base,
        "candidate": report.candidate,
        "baseline": report.baseline,
        "items": report.items,
        "judge": report.judge,
        "leaves": [
            {"leaf": r.leaf, "metric": r.metric, **_interval(r.interval)} for r in report.leaves
        ],
        "general": _interval(report.general) if report.general else None,
        "unscored": list(report.unscored),
        "passed": report.passed,
    }


def to_json(report: EvalReport) -> str:
    return json.dumps(to_dict(report), indent=2, sort_keys=True) + "\n"


def _rows(report: EvalReport) -> list[tuple[str, str, Interval]]:
    rows = [(r.leaf, r.metric, r.interval) for r in report.leaves]
    if report.general:
        rows.append(("general capability", "choice", report.general))
    return rows


def _cell(i: Interval) -> str:
    return f"{i.difference:+.3f} [{i.low:+.3f}, {i.high:+.3f}]"


def to_text(report: EvalReport) -> str:
    lines = [f"candidate {report.candidate} against {report.baseline or report.base}", ""]
    for leaf, metric, i in _rows(report):
        lines.append(f"{leaf}  {metric}  n={i.n}  {_cell(i)}  {i.decision}")
    if report.unscored:
        lines.append(f"{len(report.unscored)} item(s) the judge did not score")
    lines.append("PASSED: no significant regression" if report.passed else
                 "FAILED: a significant regression")  # fmt: skip
    return "\n".join(lines) + "\n"


def to_markdown(report: EvalReport) -> str:
    head = "| Leaf | Metric | Items | Base | Candidate | Difference (95% CI) | Decision |\n"
    head += "|---|---|---|---|---|---|---|\n"
    body = "".join(
        f"| {leaf} | {metric} | {i.n} | {i.base_mean:.3f} | {i.candidate_mean:.3f} | "
        f"{_cell(i)} | {i.decision} |\n"
        for leaf, metric, i in _rows(report)
    )
    return f"## Evaluation\n\n{head}{body}"


def _chart(rows: list[tuple[str, str, Interval]]) -> str:
    """Each row's interval as a bar around zero; the table beside it carries the numbers."""
    width, row_h, left = 640, 26, 300
    span = max([0.05, *(max(abs(i.low), abs(i.high)) for _, _, i in rows)])
    scale = (width - left - 20) / (2 * span)
    zero = left + (width - left - 20) / 2
    parts = [
        f'<svg role="img" aria-labelledby="chart-title chart-desc" width="{width}" '
        f'height="{row_h * len(rows) + 30}" xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Difference per leaf, candidate minus base, 95% interval</title>',
        '<desc id="chart-desc">One bar per leaf and metric; right of the line is better. '
        "The table below gives the same numbers.</desc>",
        f'<line x1="{zero}" y1="0" x2="{zero}" y2="{row_h * len(rows)}" stroke="#555"/>',
    ]
    colours = {"improved": "#2a7d2a", "regressed": "#b02a2a"}
    for n, (leaf, metric, i) in enumerate(rows):
        y = n * row_h + 13
        x1, x2 = zero + i.low * scale, zero + i.high * scale
        colour = colours.get(i.decision, "#777")
        label = html.escape(f"{leaf} ({metric})")
        parts.append(f'<text x="4" y="{y + 4}" font-size="12">{label}</text>')
        parts.append(f'<line x1="{x1:.1f}" y1="{y}" x2="{x2:.1f}" y2="{y}" stroke="{colour}" '
                     'stroke-width="6"/>')  # fmt: skip
        parts.append(f'<circle cx="{zero + i.difference * scale:.1f}" cy="{y}" r="4" fill="#000"/>')
    parts.append("</svg>")
    return "".join(parts)


def to_html(report: EvalReport) -> str:
    """One page, no scripts, nothing loaded from elsewhere."""
    rows = _rows(report)
    table = "".join(
        f"<tr><td>{html.escape(leaf)}</td><td>{metric}</td><td>{i.n}</td>"
        f"<td>{i.base_mean:.3f}</td><td>{i.candidate_mean:.3f}</td><td>{_cell(i)}</td>"
        f"<td>{i.decision}</td></tr>"
        for leaf, metric, i in rows
    )
    verdict = "No significant regression" if report.passed else "A significant regression"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>clearweights evaluation</title></head><body>"
        f"<h1>Evaluation: {html.escape(verdict)}</h1>"
        f"<p>Candidate {html.escape(report.candidate)} against "
        f"{html.escape(report.baseline or report.base)}; {report.items} items.</p>"
        f"{_chart(rows)}<table><caption>Per leaf</caption><thead><tr><th>Leaf</th>"
        "<th>Metric</th><th>Items</th><th>Base</th><th>Candidate</th><th>Difference (95% CI)</th>"
        f"<th>Decision</th></tr></thead><tbody>{table}</tbody></table></body></html>\n"
    )


FORMATS = {"text": to_text, "json": to_json, "markdown": to_markdown, "html": to_html}


def _from_interval(raw: dict[str, Any]) -> Interval:
    keys = ("n", "base_mean", "candidate_mean", "difference", "low", "high", "level")
    return Interval(*(raw[k] for k in keys))


def from_dict(doc: Any, *, name: str = "evaluation") -> EvalReport:
    """Read back what :func:`to_dict` wrote (for ``release --evaluation FILE``).

    Raises:
        InputError: not an evaluation report of a schema this version reads.
    """
    if not isinstance(doc, dict) or doc.get("schema_version") != SCHEMA_VERSION:
        raise InputError(f"not an evaluation report (schema_version {SCHEMA_VERSION})", path=name)
    try:
        leaves = tuple(
            LeafResult(leaf["leaf"], leaf["metric"], _from_interval(leaf)) for leaf in doc["leaves"]
        )
        general = _from_interval(doc["general"]) if doc.get("general") else None
        return EvalReport(
            doc["base"], doc["candidate"], doc.get("baseline"), leaves, general,
            dict(doc.get("judge") or {}), tuple(doc.get("unscored") or ()), int(doc["items"]),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"a malformed evaluation report ({exc})", path=name) from None
