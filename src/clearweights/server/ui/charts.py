"""Accessible SVG charts as pure functions: typed data in, an SVG string out.

Every chart carries a ``<title>`` and a ``<desc>`` (named by ``aria-labelledby``), writes its
numbers as text beside the marks, and has a :func:`table` twin with the same data, so
neither colour nor sight is needed to read it. Colours come from classes styled by the
package's stylesheet: no inline style, so a strict Content-Security-Policy holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH = 640
ROW = 28  # height of one bar row
LABEL_W = 200  # room for the labels left of the bars
VALUE_W = 56  # room for the numbers right of the bars
LINE_H = 220  # plot height of a time chart
SHAPES = ("circle", "square", "diamond", "triangle")


@dataclass(frozen=True)
class Bar:
    """One labelled count."""

    label: str
    value: int
    href: str | None = None  # a page listing what was counted (linked from the data table)


@dataclass(frozen=True)
class Stack:
    """One row of a stacked chart: a label and a count per key (in the chart's key order)."""

    label: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class Series:
    """One line of a time chart: a name and a value per point in time."""

    name: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class Chart:
    """What every chart has: an id (unique on its page), a title and a description."""

    id: str
    title: str
    description: str


@dataclass(frozen=True)
class BarChart(Chart):
    """Horizontal bars, one per label."""

    bars: tuple[Bar, ...] = ()


@dataclass(frozen=True)
class StackedChart(Chart):
    """Horizontal stacked bars: rows by keys (for example frameworks by verdict)."""

    keys: tuple[str, ...] = ()
    rows: tuple[Stack, ...] = ()


@dataclass(frozen=True)
class TimeChart(Chart):
    """Lines over time: one value per series at each point (labels such as dates)."""

    points: tuple[str, ...] = ()
    series: tuple[Series, ...] = ()


@dataclass(frozen=True)
class Table:
    """A chart's data as rows of cells, for a ``<table>`` beside it."""

    caption: str
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    links: tuple[str | None, ...] = ()  # per row: a page listing what the row counts


def _open(chart: Chart, height: int) -> str:
    cid = escape(chart.id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{cid}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" focusable="false">'
        f'<title id="{cid}-title">{escape(chart.title)}</title>'
        f'<desc id="{cid}-desc">{escape(chart.description)}</desc>'
    )


def _empty(chart: Chart) -> str:
    return (
        _open(chart, ROW * 2)
        + f'<text x="8" y="{ROW}" class="chart-label">nothing to show yet</text></svg>'
    )


def _key_class(key: str) -> str:
    """A class name for a key: letters, digits and dashes only."""
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in key.lower()).strip("-")
    return f"key-{cleaned or 'other'}"


def _text(x: float, y: float, body: str, cls: str = "chart-label", anchor: str = "") -> str:
    """A text element; *body* must already be escaped."""
    end = f' text-anchor="{anchor}"' if anchor else ""
    return f'<text x="{x:g}" y="{y:g}" class="{cls}"{end}>{body}</text>'


def _clip(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(chart: BarChart) -> str:
    """Horizontal bars, longest scale to the largest value, each with its count as text."""
    if not chart.bars:
        return _empty(chart)
    top = max(b.value for b in chart.bars) or 1
    room = WIDTH - LABEL_W - VALUE_W
    parts = [_open(chart, ROW * len(chart.bars) + 8)]
    for i, b in enumerate(chart.bars):
        y = 4 + i * ROW
        length = round(room * b.value / top)
        label = escape(_clip(b.label))
        # No links inside the image (an img role holds nothing interactive): the data
        # table beside the chart carries them.
        text = _text(LABEL_W - 8, y + 18, label, anchor="end")
        parts.append(
            f'<g class="bar"><title>{escape(b.label)}: {b.value}</title>{text}'
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{max(length, 1)}" height="{ROW - 8}" '
            f'class="mark"/>{_text(LABEL_W + length + 6, y + 18, str(b.value), "chart-value")}</g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_chart(chart: StackedChart) -> str:
    """Each row a 100 % bar split by key, with counts written inside wide enough segments."""
    if not chart.rows or not chart.keys:
        return _empty(chart)
    room = WIDTH - LABEL_W - 8
    legend_y = ROW * len(chart.rows) + 8
    parts = [_open(chart, legend_y + ROW)]
    for i, row in enumerate(chart.rows):
        y = 4 + i * ROW
        total = sum(row.values) or 1
        parts.append(
            f'<g class="stack"><text x="{LABEL_W - 8}" y="{y + 18}" class="chart-label" '
            f'text-anchor="end">{escape(_clip(row.label))}</text>'
        )
        x = float(LABEL_W)
        for key, value in zip(chart.keys, row.values, strict=True):
            if not value:
                continue
            width = room * value / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{width:.1f}" height="{ROW - 8}" '
                f'class="mark {_key_class(key)}"><title>{escape(row.label)}, '
                f"{escape(key)}: {value}</title></rect>"
            )
            if width >= 24:
                parts.append(
                    f'<text x="{x + width / 2:.1f}" y="{y + 18}" class="chart-inside" '
                    f'text-anchor="middle">{value}</text>'
                )
            x += width
        parts.append("</g>")
    parts.append(_legend(chart.keys, legend_y))
    parts.append("</svg>")
    return "".join(parts)


def _legend(keys: tuple[str, ...], y: int) -> str:
    step = (WIDTH - LABEL_W) // max(len(keys), 1)
    items = []
    for i, key in enumerate(keys):
        x = LABEL_W + i * step
        items.append(
            f'<rect x="{x}" y="{y + 6}" width="12" height="12" class="mark {_key_class(key)}"/>'
            f'<text x="{x + 16}" y="{y + 17}" class="chart-label">{escape(_clip(key, 16))}</text>'
        )
    return f'<g class="legend" aria-hidden="true">{"".join(items)}</g>'


def _marker(shape: str, x: float, y: float, cls: str) -> str:
    match shape:
        case "square":
            return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" class="{cls}"/>'
        case "diamond":
            pts = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
            return f'<polygon points="{pts}" class="{cls}"/>'
        case "triangle":
            pts = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
            return f'<polygon points="{pts}" class="{cls}"/>'
        case _:
            return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="{cls}"/>'


def time_chart(chart: TimeChart) -> str:
    """One line per series, each with its own marker shape, points labelled on the x axis."""
    if not chart.points or not chart.series:
        return _empty(chart)
    left, top_pad, bottom = 48, 12, 40
    height = LINE_H + top_pad + bottom + ROW
    top = max((v for s in chart.series for v in s.values), default=0) or 1
    step = (WIDTH - left - 24) / max(len(chart.points) - 1, 1)

    def xy(i: int, v: int) -> tuple[float, float]:
        return left + i * step, top_pad + LINE_H * (1 - v / top)

    parts = [_open(chart, height), '<g class="axes" aria-hidden="true">']
    base = top_pad + LINE_H
    parts.append(f'<line x1="{left}" y1="{base}" x2="{WIDTH - 16}" y2="{base}" class="axis"/>')
    parts.append(
        f'<text x="{left - 6}" y="{top_pad + 4}" class="chart-label" text-anchor="end">{top}</text>'
    )
    parts.append(f'<text x="{left - 6}" y="{base}" class="chart-label" text-anchor="end">0</text>')
    every = max(1, len(chart.points) // 6)
    for i, point in enumerate(chart.points):
        if i % every == 0 or i == len(chart.points) - 1:
            x, _ = xy(i, 0)
            parts.append(
                f'<text x="{x:.1f}" y="{base + 16}" class="chart-label" text-anchor="middle">'
                f"{escape(_clip(point, 12))}</text>"
            )
    parts.append("</g>")
    for n, s in enumerate(chart.series):
        cls = f"line {_key_class(s.name)} series-{n % len(SHAPES)}"
        coords = [xy(i, v) for i, v in enumerate(s.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<g class="{cls}"><title>{escape(s.name)}</title>')
        parts.append(f'<polyline points="{path}" class="trace"/>')
        shape = SHAPES[n % len(SHAPES)]
        parts += [_marker(shape, x, y, "point") for x, y in coords]
        parts.append("</g>")
    legend_y = base + bottom - 12
    step_l = (WIDTH - left) // max(len(chart.series), 1)
    parts.append('<g class="legend" aria-hidden="true">')
    for n, s in enumerate(chart.series):
        x = left + n * step_l
        cls = f"line {_key_class(s.name)} series-{n % len(SHAPES)}"
        parts.append(
            f'<g class="{cls}">{_marker(SHAPES[n % len(SHAPES)], x + 6, legend_y + 8, "point")}</g>'
            + _text(x + 16, legend_y + 12, escape(_clip(s.name, 18)))
        )
    parts.append("</g></svg>")
    return "".join(parts)


def table(chart: Chart) -> Table:
    """The chart's numbers as a table: its text alternative for screen readers and copying."""
    match chart:
        case BarChart():
            return Table(
                chart.title,
                ("", "releases"),
                tuple((b.label, str(b.value)) for b in chart.bars),
                tuple(b.href for b in chart.bars),
            )
        case StackedChart():
            return Table(
                chart.title,
                ("", *chart.keys),
                tuple((r.label, *(str(v) for v in r.values)) for r in chart.rows),
            )
        case TimeChart():
            head = ("", *(s.name for s in chart.series))
            rows = tuple(
                (p, *(str(s.values[i]) for s in chart.series)) for i, p in enumerate(chart.points)
            )
            return Table(chart.title, head, rows)
    raise TypeError(f"not a chart: {type(chart).__name__}")


def render(chart: Chart) -> str:
    """The SVG of any chart."""
    match chart:
        case BarChart():
            return bar_chart(chart)
        case StackedChart():
            return stacked_chart(chart)
        case TimeChart():
            return time_chart(chart)
    raise TypeError(f"not a chart: {type(chart).__name__}")
