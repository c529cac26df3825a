"""The HTML report in a real headless Chromium (Debian's package), and the SVG badges."""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from clearweights.audit import audit, audit_release
from clearweights.cli.main import main
from clearweights.formats.badge import KINDS, badge
from clearweights.formats.html import render_html

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "releases"
ARTIFACTS = ROOT / ".test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _browser_required() -> None:
    if os.environ.get("CLEARWEIGHTS_SKIP_BROWSER") == "1":
        pytest.skip("CLEARWEIGHTS_SKIP_BROWSER=1")
    assert Path(CHROMIUM).exists(), (
        "Debian's chromium is needed: `make test` installs it (apt-get install chromium)"
    )


def test_report_in_chromium(tmp_path: Path) -> None:
    _browser_required()
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "report.html"
    code = main(
        [
            "report",
            str(EXAMPLES / "open-olmo-style"),
            str(EXAMPLES / "llama-3.1-finetune"),
            "-o",
            str(page_file),
        ]
    )
    assert code == 0
    flags = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on(
            "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
        )
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on(
            "request",
            lambda r: (
                problems.append(f"network: {r.url}")
                if not r.url.startswith(("file:", "data:"))
                else None
            ),
        )
        page.goto(page_file.as_uri())

        def state(release: str, component: str) -> str | None:
            cell = page.locator(f'tr[data-release="{release}"] td[data-component="{component}"]')
            return cell.get_attribute("data-state")

        assert state("open-olmo-style", "Datasets") == "open"
        assert state("open-olmo-style", "Model parameters (Final)") == "open"
        assert state("llama-3.1-finetune", "Model parameters (Final)") == "restricted"
        assert state("llama-3.1-finetune", "Training code") == "missing"
        assert (
            "✖ missing"
            in page.locator(
                'tr[data-release="llama-3.1-finetune"] td[data-component="Datasets"]'
            ).inner_text()
        )
        assert page.locator("table.verdicts tbody tr").count() == 2
        assert page.locator("ul.checklist input[type=checkbox]").count() > 3
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        phone = browser.new_page(viewport={"width": 390, "height": 800})
        phone.goto(page_file.as_uri())
        width = phone.evaluate("document.documentElement.scrollWidth")
        phone.screenshot(path=str(ARTIFACTS / "report-phone.png"))
        browser.close()
    assert problems == []
    assert width <= 400  # the grid scrolls inside its box; the page itself fits a phone
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_report_html_is_self_contained() -> None:
    html = render_html(audit([str(p) for p in sorted(EXAMPLES.iterdir())]))
    assert "<script" not in html
    assert "http://" not in html.split("<body>")[0] and "https://" not in html.split("<body>")[0]
    assert 'lang="en"' in html
    assert html.count("data-state=") == 8 * 17


@pytest.mark.parametrize("kind", KINDS)
def test_badges_are_valid_svg(kind: str) -> None:
    for name, expected in (("open-olmo-style", True), ("llama-3.1-finetune", False)):
        text = badge(audit_release(str(EXAMPLES / name)), kind)
        root = ET.fromstring(text)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        label = root.get("aria-label") or ""
        if kind == "redhat":
            assert label == f"open source AI: Red Hat minimum: {'pass' if expected else 'fail'}"
        if kind == "licence":
            assert label.endswith("open" if expected else "restricted")
        if kind == "mof":
            assert label == ("MOF: Class I" if expected else "MOF: unclassified")


def test_badge_cli(tmp_path: Path) -> None:
    out = tmp_path / "b.svg"
    assert main(["badge", str(EXAMPLES / "open-olmo-style"), "--kind", "mof", "-o", str(out)]) == 0
    assert "Class I" in out.read_text(encoding="utf-8")
    assert main(["badge", str(tmp_path / "missing")]) == 3
