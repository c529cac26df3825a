"""The web UI in Debian's Chromium (Playwright) against a live uvicorn server on 127.0.0.1.

One server and one browser per session, over a store filled by auditing the example releases
(and one hostile release). Every request is intercepted: any that would leave the server
fails the test. Screenshots are kept under .test-artifacts/server-ui/ (gitignored).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from tests.server_support import live_server
from tests.test_report import CHROMIUM, _browser_required
from tests.test_server_ui import filled_store, policies_for, wait_for_policy_results

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Dialog, Page, Route

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / ".test-artifacts" / "server-ui"
AXE = ROOT / "tests" / "assets" / "axe-core" / "axe.min.js"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live `clearweights serve` (uvicorn) on a free loopback port, checking one policy."""
    _browser_required()
    store = filled_store(tmp_path_factory.getbasetemp())
    pragmatic, team = policies_for(store)
    with live_server(str(store), "--policy", pragmatic, "--policy", team) as base:
        wait_for_policy_results(lambda url: httpx.get(base + url, timeout=10).text)
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    _browser_required()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Opens browser contexts for a test and closes them after it, whether it passed or not."""
    opened: list[BrowserContext] = []

    def new(**options: Any) -> BrowserContext:
        opened.append(browser.new_context(**options))
        return opened[-1]

    yield new
    for context in opened:
        context.close()  # closing one the test closed already is harmless


class Watch:
    """Console errors, page errors, dialogs and any request to another host."""

    def __init__(self, context: BrowserContext, base: str):
        self.problems: list[str] = []
        self.base = base
        context.route("**/*", self._route)

    def _route(self, route: Route) -> None:
        url = route.request.url
        if url.startswith((self.base + "/", "data:")):
            route.continue_()
        else:
            self.problems.append(f"request left the server: {url}")
            route.abort()

    def page(self, context: BrowserContext) -> Page:
        page = context.new_page()
        page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("dialog", self._dialog)
        return page

    def _dialog(self, dialog: Dialog) -> None:
        self.problems.append(f"dialog: {dialog.message}")  # a script from a release ran
        dialog.dismiss()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _names(page: Page) -> set[str]:
    return set(page.locator("table.releases tbody tr[data-release]").evaluate_all(
        "rows => rows.map(r => r.dataset.release)"
    ))  # fmt: skip


def test_browse_search_filter_open_compare_follow(
    server: str, contexts: Callable[..., BrowserContext], capsys: pytest.CaptureFixture[str]
) -> None:
    context = contexts(viewport={"width": 1280, "height": 900})
    watch = Watch(context, server)
    page = watch.page(context)

    page.goto(server + "/")
    chart = page.locator("svg#chart-verdicts")
    labelled = chart.get_attribute("aria-labelledby") or ""
    title_id, desc_id = labelled.split()
    assert page.locator(f"[id='{title_id}']").text_content() == "Verdicts per framework"
    assert "Red Hat: 2 pass, 6 fail, 0 unknown" in (
        page.locator(f"[id='{desc_id}']").text_content() or ""
    )
    page.get_by_text("Data table: Verdicts per framework").click()
    row = page.locator("figure:has(svg#chart-verdicts) table tbody tr").first
    assert row.locator("th").inner_text() == "Red Hat"
    assert row.locator("td").all_inner_texts() == ["2", "6", "0"]
    _shot(page, "home")

    page.get_by_role("link", name="Releases", exact=True).click()
    page.get_by_label("Search name or key").fill("llama")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/releases?**q=llama**")
    assert _names(page) == {"llama-3.1-finetune"}

    page.goto(server + "/releases")
    page.get_by_label("Licence family").select_option("llama")  # submits itself (script)
    page.wait_for_url("**license_family=llama**")
    assert _names(page) == {"llama-3.1-finetune", "open-washing"}
    shared = page.url
    _shot(page, "releases-filtered")

    page.get_by_role("link", name="llama-3.1-finetune").click()
    page.wait_for_url("**/releases/*")
    weights = page.locator('td[data-component="Model parameters (Final)"]')
    assert weights.get_attribute("data-state") == "restricted"
    assert "restricted licence" in weights.inner_text()
    assert page.locator("ul.checklist input[type=checkbox]").count() >= 3
    _shot(page, "release")

    page.locator("#licence").locator(
        "xpath=following::a[starts-with(@href, '/licenses/')]"
    ).first.click()
    page.wait_for_url("**/licenses/LicenseRef-scancode-llama-3.1-license-2024")
    assert "May I use it commercially?" in page.inner_text("main")
    assert page.locator("ul.users a").all_inner_texts() == ["llama-3.1-finetune"]
    _shot(page, "licence")

    page.goto(shared)  # a shared link reproduces the view
    assert _names(page) == {"llama-3.1-finetune", "open-washing"}
    page.goto(server + "/releases")
    compare = page.get_by_role("button", name="Compare chosen releases")
    assert compare.is_disabled()  # the script keeps it off until two are chosen
    page.get_by_label("Compare open-olmo-style").check()
    page.get_by_label("Compare gemma-release").check()
    compare.click()
    page.wait_for_url("**/compare?**")
    headers = page.locator("table.compare thead th").all_inner_texts()
    assert headers[1:] == ["gemma-release", "open-olmo-style"]
    _shot(page, "compare")

    page.goto(server + "/releases?q=onerror")
    page.locator("table.releases tbody a").first.click()
    page.wait_for_url("**/releases/*")
    assert page.locator("h1").inner_text() == "<img src=x onerror=alert(1)>"
    assert page.locator("main img, main script").count() == 0
    context.close()
    with capsys.disabled():
        print(f"\nweb UI screenshots: {ARTIFACTS}")
    assert watch.problems == []


def test_works_with_javascript_off(server: str, contexts: Callable[..., BrowserContext]) -> None:
    context = contexts(java_script_enabled=False)
    watch = Watch(context, server)
    page = watch.page(context)
    page.goto(server + "/releases")
    page.get_by_label("Red Hat").select_option("redhat:pass")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**verdict=redhat%3Apass**")
    assert _names(page) == {"open-olmo-style", "unsafe-pickle"}
    page.get_by_label("Compare open-olmo-style").check()
    page.get_by_label("Compare unsafe-pickle").check()
    page.get_by_role("button", name="Compare chosen releases").click()
    assert page.locator("table.compare").count() == 1
    context.close()
    assert watch.problems == []


def test_accessibility_with_axe(server: str, contexts: Callable[..., BrowserContext]) -> None:
    # axe is injected as a script: this context alone lets it past the page's CSP.
    context = contexts(bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(AXE))
    watch = Watch(context, server)
    page = watch.page(context)
    page.goto(server + "/releases?q=llama-3.1")
    release = page.locator("table.releases tbody a").first.get_attribute("href") or ""
    found: dict[str, list[dict[str, Any]]] = {}
    # One page of each template (the release table was loaded above).
    for path in ("/releases?q=llama-3.1", "/", release, "/licenses/Apache-2.0",
                 "/compare?r=1&r=2", "/policies", "/submit"):  # fmt: skip
        if path != page.url.removeprefix(server):
            page.goto(server + path)
        if path in ("/policies", "/submit"):
            _shot(page, path.strip("/"))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        if bad:
            found[path] = [
                {"id": v["id"], "nodes": [n["target"] for n in v["nodes"][:3]]} for v in bad
            ]
    context.close()
    assert found == {}, json.dumps(found, indent=1)
    assert watch.problems == []


def test_phone_width(server: str, contexts: Callable[..., BrowserContext]) -> None:
    context = contexts(viewport={"width": 390, "height": 800})
    watch = Watch(context, server)
    page = watch.page(context)
    for path, name in (("/", "home-phone"), ("/releases", "releases-phone")):
        page.goto(server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 400, path
        _shot(page, name)
    context.close()
    assert watch.problems == []
