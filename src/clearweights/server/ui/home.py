"""The home page's charts, built from the registry's counts."""

from __future__ import annotations

from urllib.parse import urlencode

from clearweights.formats._audit_text import PROFILE_COLUMNS
from clearweights.server.records import Counts
from clearweights.server.ui.charts import (
    Bar,
    BarChart,
    Chart,
    Series,
    Stack,
    StackedChart,
    TimeChart,
)
from clearweights.server.ui.release_view import mof_label

VERDICTS = ("pass", "fail", "unknown")
TITLES = dict(PROFILE_COLUMNS)
UNKNOWN = "(unknown)"
TOP = 12  # bars per chart; a registry may hold hundreds of licence families


def _link(**params: str) -> str:
    return "/releases?" + urlencode(params)


def verdicts_chart(counts: Counts) -> StackedChart:
    """Pass, fail and unknown per framework."""
    by: dict[str, dict[str, int]] = {}
    for framework, verdict, n in counts.verdicts:
        by.setdefault(framework, {})[verdict] = n
    order = [k for k, _ in PROFILE_COLUMNS if k in by] + sorted(set(by) - set(TITLES))
    rows = tuple(Stack(TITLES.get(f, f), tuple(by[f].get(v, 0) for v in VERDICTS)) for f in order)
    summary = "; ".join(
        f"{r.label}: " + ", ".join(f"{n} {v}" for v, n in zip(VERDICTS, r.values, strict=True))
        for r in rows
    )
    return StackedChart(
        "chart-verdicts",
        "Verdicts per framework",
        f"Releases by each framework's verdict on their latest audit. {summary}.",
        VERDICTS,
        rows,
    )


def _bars(pairs: tuple[tuple[str, int], ...], param: str) -> tuple[Bar, ...]:
    """The most frequent values as bars (most first), the rest summed into one last bar."""
    ordered = sorted(pairs, key=lambda kv: (-kv[1], kv[0]))
    bars = [
        Bar(label, n, None if label == UNKNOWN else _link(**{param: label}))
        for label, n in ordered[:TOP]
    ]
    if rest := ordered[TOP:]:
        bars.append(Bar(f"{len(rest)} others", sum(n for _, n in rest)))
    return tuple(bars)


def _described(bars: tuple[Bar, ...], what: str) -> str:
    listed = "; ".join(f"{b.label}: {b.value}" for b in bars)
    return f"Releases by {what}. {listed or 'None yet'}."


def families_chart(counts: Counts) -> BarChart:
    """Releases per licence family of the weights."""
    bars = _bars(counts.families, "license_family")
    return BarChart("chart-families", "Licence families", _described(bars, "licence family"), bars)


def categories_chart(counts: Counts) -> BarChart:
    """Releases per licence category of the weights."""
    bars = _bars(counts.categories, "license_category")
    return BarChart(
        "chart-categories",
        "Licence categories",
        _described(bars, "the category of their weights' licence"),
        bars,
    )


def open_washing_chart(counts: Counts) -> BarChart:
    """Releases per open-washing finding code."""
    bars = _bars(counts.open_washing_codes, "finding")
    return BarChart(
        "chart-open-washing",
        "Open-washing findings",
        _described(bars, "open-washing finding")
        + f" {counts.open_washing} release(s) have at least one.",
        bars,
    )


def mof_chart(counts: Counts) -> BarChart:
    """Releases per MOF class."""
    ordered = sorted(counts.mof_classes, key=lambda kv: (kv[0] is None, -(kv[0] or 0)))
    bars = tuple(
        Bar(mof_label(k), n, None if k is None else _link(mof_class=str(k))) for k, n in ordered
    )
    return BarChart("chart-mof", "MOF classes", _described(bars, "Model Openness class"), bars)


def timeline_chart(counts: Counts) -> TimeChart:
    """Audits per month, and how many passed each framework."""
    months = tuple(m for m, _ in counts.timeline)
    series = [Series("audits", tuple(n for _, n in counts.timeline))]
    passes: dict[tuple[str, str], int] = {
        (m, f): n for m, f, v, n in counts.timeline_verdicts if v == "pass"
    }
    for framework in ("redhat", "osaid-1.0", "mof"):
        values = tuple(passes.get((m, framework), 0) for m in months)
        series.append(Series(f"{TITLES[framework]}: pass", values))
    listed = "; ".join(
        f"{m}: " + ", ".join(f"{s.name} {s.values[i]}" for s in series)
        for i, m in enumerate(months)
    )
    return TimeChart(
        "chart-timeline",
        "Audits over time",
        f"Audits per month (every audit, not only the latest) and passes per framework. "
        f"{listed or 'None yet'}.",
        months,
        tuple(series),
    )


def home_charts(counts: Counts) -> tuple[Chart, ...]:
    """Every chart of the home page, in order."""
    return (
        verdicts_chart(counts),
        mof_chart(counts),
        families_chart(counts),
        categories_chart(counts),
        open_washing_chart(counts),
        timeline_chart(counts),
    )
