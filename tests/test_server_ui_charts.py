"""The web UI's SVG charts and release view, as pure functions over real audits."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("jinja2")

from clearweights.audit import audit_release
from clearweights.audit.model import AuditReport
from clearweights.formats.json import document
from clearweights.server.records import Counts
from clearweights.server.ui import charts
from clearweights.server.ui.home import families_chart, timeline_chart
from clearweights.server.ui.licence_view import expression_parts
from clearweights.server.ui.release_view import release_view

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "releases"
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script>&"\''


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on malformed markup, unescaped text included
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    ids = (root.get("aria-labelledby") or "").split()
    found = {el.get("id"): el for el in root.iter() if el.get("id")}
    assert [found[i].tag for i in ids] == [f"{SVG}title", f"{SVG}desc"]
    return root


def _texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def test_bar_chart_scales_to_the_largest_value_and_writes_each_count() -> None:
    chart = charts.BarChart(
        "licences",
        "Licence families",
        "How many releases use each family.",
        (charts.Bar("llama", 6, "/releases?family=llama"), charts.Bar("apache", 3)),
    )
    root = _parse(charts.bar_chart(chart))
    widths = [float(r.get("width") or 0) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1], abs=1)
    assert {"llama", "apache", "6", "3"} <= set(_texts(root))
    assert root.find(f".//{SVG}a") is None  # nothing interactive inside an image
    assert charts.table(chart).rows == (("llama", "6"), ("apache", "3"))
    assert charts.table(chart).links == ("/releases?family=llama", None)


def test_stacked_chart_splits_each_row_by_key() -> None:
    chart = charts.StackedChart(
        "verdicts",
        "Verdicts per framework",
        "Pass, fail and unknown per framework.",
        ("pass", "fail", "unknown"),
        (charts.Stack("Red Hat", (1, 3, 0)), charts.Stack("OSAID 1.0", (0, 4, 0))),
    )
    root = _parse(charts.stacked_chart(chart))
    marks = [r for r in root.iter(f"{SVG}rect") if "key-" in (r.get("class") or "")]
    first_row = [r for r in marks if (r.findtext(f"{SVG}title") or "").startswith("Red Hat")]
    assert [float(r.get("width") or 0) for r in first_row][1] == pytest.approx(
        3 * float(first_row[0].get("width") or 0), abs=0.5
    )
    assert "key-fail" in (first_row[1].get("class") or "")
    assert charts.table(chart).head == ("", "pass", "fail", "unknown")
    assert charts.table(chart).rows[1] == ("OSAID 1.0", "0", "4", "0")


def test_time_chart_has_a_marker_per_point_and_shapes_per_series() -> None:
    chart = charts.TimeChart(
        "time",
        "Releases over time",
        "Releases audited per day.",
        ("2026-11-01", "2026-11-02", "2026-11-03"),
        (charts.Series("audited", (1, 4, 6)), charts.Series("open-washing", (0, 1, 1))),
    )
    root = _parse(charts.time_chart(chart))
    lines = root.findall(f".//{SVG}polyline")
    assert len(lines) == 2
    assert len((lines[0].get("points") or "").split()) == 3
    assert root.findall(f".//{SVG}circle") and root.findall(f".//{SVG}rect")
    assert charts.table(chart).rows[2] == ("2026-11-03", "6", "1")


@pytest.mark.parametrize("kind", ["bar", "stacked", "time"])
def test_markup_in_labels_stays_text(kind: str) -> None:
    made: charts.Chart
    if kind == "bar":
        made = charts.BarChart("c", HOSTILE, HOSTILE, (charts.Bar(HOSTILE, 1, HOSTILE),))
    elif kind == "stacked":
        made = charts.StackedChart(
            "c", HOSTILE, HOSTILE, (HOSTILE,), (charts.Stack(HOSTILE, (2,)),)
        )
    else:
        made = charts.TimeChart("c", HOSTILE, HOSTILE, (HOSTILE,), (charts.Series(HOSTILE, (1,)),))
    svg = charts.render(made)
    root = _parse(svg)
    assert "<script" not in svg
    assert root.find(f"{SVG}title") is not None
    assert (root.findtext(f"{SVG}title") or "") == HOSTILE
    assert root.find(f".//{SVG}script") is None


def test_empty_charts_say_so() -> None:
    root = _parse(charts.render(charts.BarChart("e", "Nothing", "No data.")))
    assert _texts(root) == ["nothing to show yet"]


def test_release_view_reads_a_stored_audit() -> None:
    doc = json.loads(json.dumps(document(_report("llama-3.1-finetune"))))
    view = release_view(doc["audits"][0])
    assert view.name == "llama-3.1-finetune"
    assert [v.profile for v in view.verdicts] == ["redhat", "osaid-1.0", "mof", "eu-ai-act-53-2"]
    mof = view.verdict("mof")
    assert mof is not None and mof.label == "unclassified"
    assert len(view.grid) == 17
    states = {c.name: c.state for c in view.grid}
    assert states["Model parameters (Final)"] == "restricted"
    assert states["Training code"] == "missing"
    (weights,) = view.licences
    assert weights.known and weights.id == "LicenseRef-scancode-llama-3.1-license-2024"
    commercial = weights.answers[0]
    assert commercial.answer == "conditional" and "700,000,000" in commercial.detail
    assert view.bases[0].repo_id == "meta-llama/Llama-3.1-8B-Instruct"
    assert any("Built with Llama" in o.text for o in view.obligations)


def test_release_view_of_an_open_release() -> None:
    doc = json.loads(json.dumps(document(_report("open-olmo-style"))))
    view = release_view(doc["audits"][0])
    states = {c.name: c.state for c in view.grid}
    assert states["Datasets"] == "open"
    assert states["Model parameters (Final)"] == "open"
    redhat = view.verdict("redhat")
    assert redhat is not None and redhat.verdict == "pass"
    assert view.licences[0].answers[0].answer == "yes"


def test_release_view_of_a_licence_this_catalogue_lacks() -> None:
    doc = json.loads(json.dumps(document(_report("llama-3.1-finetune"))))
    audit = doc["audits"][0]
    for c in audit["components"]:
        for lic in (c.get("license") or {}).get("licenses", []):
            lic["id"] = "LicenseRef-gone-from-catalogue"
    view = release_view(audit)
    assert not view.licences[0].known
    assert view.licences[0].answers == ()
    assert view.licences[0].name == "Llama 3.1 Community License Agreement"


def _report(name: str) -> AuditReport:
    return AuditReport((audit_release(str(EXAMPLES / name)),))


def test_licence_expressions_link_each_known_licence() -> None:
    parts = expression_parts("Apache-2.0 AND (MIT OR LicenseRef-scancode-llama-3.1-license-2024)")
    links = [(text, ident) for text, ident in parts if ident]
    assert links == [
        ("Apache-2.0", "Apache-2.0"),
        ("MIT", "MIT"),
        ("Llama 3.1 Community License Agreement", "LicenseRef-scancode-llama-3.1-license-2024"),
    ]
    assert "".join(text for text, _ in parts).startswith("Apache-2.0 AND (MIT OR Llama 3.1")
    assert expression_parts("<b>not-a-licence</b>") == (("<b>not-a-licence</b>", None),)


def test_home_charts_keep_the_most_frequent_and_sum_the_rest() -> None:
    families = (*((f"family-{i:02d}", 100 - i) for i in range(20)), ("(unknown)", 5))
    counts = Counts(
        releases=2000, audited=2000, failed=0, verdicts=(("redhat", "pass", 3),),
        families=families, categories=(), open_washing=0, open_washing_codes=(),
        mof_classes=((1, 2), (None, 1)), timeline=(("2026-10", 4), ("2026-11", 6)),
        timeline_verdicts=(("2026-11", "redhat", "pass", 3),),
    )  # fmt: skip
    bars = families_chart(counts).bars
    assert [b.label for b in bars[:2]] == ["family-00", "family-01"]
    assert bars[-1] == charts.Bar("9 others", sum(100 - i for i in range(12, 20)) + 5)
    assert bars[0].href == "/releases?license_family=family-00"
    assert "family-00: 100" in families_chart(counts).description
    timeline = timeline_chart(counts)
    assert timeline.points == ("2026-10", "2026-11")
    assert timeline.series[0].values == (4, 6) and timeline.series[1].values == (0, 3)
