"""Counts over many audits (from the store or a scan's counters) and their renderings."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from clearweights.scale.engine import ScanSummary

STATS_SCHEMA_VERSION = "1.0"
STATS_FORMATS = ("text", "json", "csv", "markdown")
TOP = 20


@dataclass(frozen=True)
class Stats:
    """Licence distribution, verdicts per framework and open-washing over a set of releases.

    Each release counts once, by its latest audit; ``licenses`` are the weights' licences.
    """

    releases: int
    audited: int
    failed: int
    licenses: tuple[tuple[str, int], ...]
    verdicts: tuple[tuple[str, str, int], ...]
    open_washing: int
    open_washing_codes: tuple[tuple[str, int], ...] = ()


def summary_stats(summary: ScanSummary) -> Stats:
    """The stats of one scan's running counters (when there is no store)."""
    ok = summary.audited - summary.failed
    return Stats(
        releases=summary.audited,
        audited=ok,
        failed=summary.failed,
        licenses=tuple(sorted(summary.licenses.items(), key=lambda kv: (-kv[1], kv[0]))),
        verdicts=tuple((f, v, n) for (f, v), n in sorted(summary.verdicts.items())),
        open_washing=summary.open_washing,
    )


def stats_json(stats: Stats) -> dict[str, Any]:
    """The stats as a versioned JSON document."""
    verdicts: dict[str, dict[str, int]] = {}
    for framework, verdict, count in stats.verdicts:
        verdicts.setdefault(framework, {})[verdict] = count
    return {
        "schema_version": STATS_SCHEMA_VERSION,
        "releases": stats.releases,
        "audited": stats.audited,
        "failed": stats.failed,
        "licenses": [{"license": lic, "releases": n} for lic, n in stats.licenses],
        "verdicts": verdicts,
        "open_washing": {"releases": stats.open_washing, "codes": dict(stats.open_washing_codes)},
    }


def _rows(stats: Stats) -> list[tuple[str, str, str, int]]:
    rows = [
        ("total", "releases", "", stats.releases),
        ("total", "audited", "", stats.audited),
        ("total", "failed", "", stats.failed),
        ("open-washing", "releases", "", stats.open_washing),
    ]
    rows += [("open-washing", code, "", n) for code, n in stats.open_washing_codes]
    rows += [("license", lic, "", n) for lic, n in stats.licenses]
    rows += [("verdict", f, v, n) for f, v, n in stats.verdicts]
    return rows


def render_stats(stats: Stats, fmt: str, *, top: int = TOP) -> str:
    """The stats as text, json, csv or markdown (text and markdown show the top licences)."""
    if fmt == "json":
        return json.dumps(stats_json(stats), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("section", "name", "value", "releases"))
        writer.writerows(_rows(stats))
        return out.getvalue()
    md = fmt == "markdown"
    lines = [
        f"{'## ' if md else ''}Releases: {stats.releases} ({stats.audited} audited, "
        f"{stats.failed} could not be audited); open-washing: {stats.open_washing}",
        "",
    ]
    lines += _table(md, ("Weights licence", "Releases"), stats.licenses[:top])
    if len(stats.licenses) > top:
        lines.append(f"... and {len(stats.licenses) - top} more licences")
    frameworks = sorted({f for f, _, _ in stats.verdicts})
    names = sorted({v for _, v, _ in stats.verdicts})
    counts = {(f, v): n for f, v, n in stats.verdicts}
    grid = [(f, *(counts.get((f, v), 0) for v in names)) for f in frameworks]
    lines += ["", *_table(md, ("Framework", *names), grid)]
    if stats.open_washing_codes:
        lines += ["", *_table(md, ("Open-washing finding", "Releases"), stats.open_washing_codes)]
    return "\n".join(lines) + "\n"


def _table(md: bool, head: tuple[str, ...], rows: Any) -> list[str]:
    body = [tuple(str(c) for c in row) for row in rows]
    if md:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return out + ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in body]
    widths = [max(len(str(h)), *(len(r[i]) for r in body)) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*head), *(fmt.format(*r) for r in body)]
