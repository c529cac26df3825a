"""The web UI of `clearweights serve`, in-process, over a store filled by auditing real releases.

The store holds the example releases and one hostile release whose name, card and licence
name carry markup and script; every page must render them as text.
"""

from __future__ import annotations

import functools
import re
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("jinja2")

from fastapi.testclient import TestClient

from clearweights.audit import audit_release
from clearweights.audit.model import AuditReport
from clearweights.cli.main import main
from clearweights.formats.json import JsonFormat
from clearweights.server import Settings, create_app
from clearweights.server.tokens import Scope, create_token
from clearweights.server.ui.filters import read_filters

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "releases"
HOSTILE_NAME = "<img src=x onerror=alert(1)>"
CARD = """---
license: other
license_name: "<script>alert('licence')</script>"
base_model: "<b>evil</b>/base"
---
# <script>alert('card')</script>

This model is fully open source. <svg onload=alert('claim')></svg>
"""
TEAM_POLICY = """\
policy: team
version: 1
description: Red Hat's minimum, with one waiver <script>alert('policy')</script>
rules:
  profiles:
    redhat: pass
exceptions:
  - release: gemma-release
    rules: [profiles.redhat]
    reason: covered by a separate agreement
    expires: 2099-12-31
"""
PAGES = (
    "/",
    "/releases",
    "/releases?verdict=redhat:pass",
    "/licenses",
    "/licenses/Apache-2.0",
    "/compare",
    "/policies",
    "/submit",
)


class _Markup(HTMLParser):
    """Collects what a strict CSP would block and any reference to another host."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.outside: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "style" or (tag == "script" and not named.get("src")):
            self.inline.append(tag)
        self.inline += [f"{tag} {k}" for k in named if k == "style" or k.startswith("on")]
        for key in ("src", "href", "action"):
            value = named.get(key) or ""
            if "//" in value:
                self.outside.append(value)


@functools.cache
def filled_store(base: Path) -> Path:
    """A store with every example release and the hostile one, audited once per session."""
    hostile = base / "releases" / HOSTILE_NAME
    hostile.mkdir(parents=True)
    (hostile / "README.md").write_text(CARD, encoding="utf-8")
    (hostile / "config.json").write_text('{"model_type": "<script>x</script>"}', encoding="utf-8")
    for example in sorted(EXAMPLES.iterdir()):
        if example.is_dir():
            shutil.copytree(example, base / "releases" / example.name)
    store = base / "registry.db"
    code = main(["scan", str(base / "releases"), "--store", str(store), "--jobs", "1", "-q"])
    assert code == 0
    (base / "team-policy.yml").write_text(TEAM_POLICY, encoding="utf-8")
    return store


def policies_for(store: Path) -> tuple[str, ...]:
    """The policies the test servers check: a built-in one and a file with a waiver."""
    return ("pragmatic", str(store.parent / "team-policy.yml"))


def wait_for_policy_results(get: Callable[[str], str]) -> str:
    """The policies page once the server's background checker has filed every result."""
    deadline = time.monotonic() + 60
    while True:
        page = get("/policies")
        if "has been checked against this policy yet" not in page:
            return page
        assert time.monotonic() < deadline, "no policy results after 60 s"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = filled_store(tmp_path_factory.getbasetemp())
    app = create_app(Settings(store=str(store), policies=policies_for(store)))
    with TestClient(app) as test_client:
        wait_for_policy_results(lambda url: test_client.get(url).text)
        yield test_client


def _release_id(client: TestClient, name: str) -> int:
    page = client.get("/releases", params={"q": name}).text
    found = re.search(
        r'<tr data-release="[^"]*">\s*<th scope="row"><a href="/releases/(\d+)"', page
    )
    assert found, f"{name} is not listed"
    return int(found.group(1))


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_without_inline_script_or_style(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    markup = _Markup()
    markup.feed(response.text)
    assert markup.inline == []
    assert markup.outside == []


def test_static_files_are_the_package_files(client: TestClient) -> None:
    page = client.get("/").text
    css = re.search(r'href="(/static/ui\.css\?v=[0-9a-f]{12})"', page)
    js = re.search(r'src="(/static/ui\.js\?v=[0-9a-f]{12})"', page)
    assert css and js
    assert "svg.chart" in client.get(css.group(1)).text
    assert client.get(js.group(1)).headers["content-type"].startswith("text/javascript")
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/secret.txt").status_code == 404


def test_hostile_names_and_cards_stay_text(client: TestClient) -> None:
    ident = _release_id(client, "onerror")
    pages = [
        client.get("/releases").text,
        client.get(f"/releases/{ident}").text,
        client.get(f"/compare?r={ident}&r={_release_id(client, 'open-olmo-style')}").text,
        client.get("/").text,
    ]
    for page in pages:
        assert HOSTILE_NAME not in page
        assert "<script>alert" not in page
        assert "<svg onload" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[1]


def test_release_page_answers_in_plain_words(client: TestClient) -> None:
    page = client.get(f"/releases/{_release_id(client, 'llama-3.1-finetune')}").text
    assert 'data-component="Model parameters (Final)" data-state="restricted"' in page
    assert page.count("data-state=") == 17
    assert "May I use it commercially?" in page and "700,000,000 monthly active users" in page
    assert "Built with Llama" in page  # the attribution duty in the checklist
    assert "meta-llama/Llama-3.1-8B-Instruct" in page  # lineage
    assert "first audit" in page  # history: why it was audited
    for kind in ("audit", "cyclonedx", "spdx3", "sarif"):
        assert re.search(rf'href="/api/v1/releases/\d+/download/{kind}"', page)
    assert 'href="/licenses/LicenseRef-scancode-llama-3.1-license-2024"' in page


def test_filters_narrow_the_table_and_stay_in_the_url(client: TestClient) -> None:
    passing = client.get("/releases", params=[("verdict", "redhat:pass")]).text
    names = set(re.findall(r'<tr data-release="([^"]+)"', passing))
    assert names == {"open-olmo-style", "unsafe-pickle"}
    assert 'value="redhat:pass" selected' in passing
    llama = client.get("/releases", params={"license_family": "llama"}).text
    assert set(re.findall(r'<tr data-release="([^"]+)"', llama)) == {
        "llama-3.1-finetune",
        "open-washing",
    }
    washed = client.get("/releases", params={"finding": "OW-LIC"}).text
    assert "open-washing" in set(re.findall(r'<tr data-release="([^"]+)"', washed))
    assert "open-olmo-style" not in washed


def test_bad_filter_values_are_named_not_errors(client: TestClient) -> None:
    response = client.get(
        "/releases",
        params={"mof_class": "9", "sort": "sideways", "cursor": "bm90IGEgY3Vyc29y", "verdict": "x"},
    )
    assert response.status_code == 200
    assert "the MOF class must be 0 to 3" in response.text
    assert "unknown sort" in response.text
    assert "showing the first page" in response.text


@pytest.mark.parametrize(
    "value", ["' OR 1=1 --", '"; DROP TABLE registry_entries; --', "%", "_", "\\", "x'--"]
)
def test_sql_metacharacters_in_every_filter_match_nothing(client: TestClient, value: str) -> None:
    for name in ("q", "license", "license_family", "license_category", "base_model", "finding"):
        response = client.get("/releases", params={name: value})
        assert response.status_code == 200, (name, value)
        assert "<tr data-release=" not in response.text, (name, value)
    assert "<tr data-release=" in client.get("/releases").text  # the table is still there


def test_control_characters_in_filters_are_named(client: TestClient) -> None:
    response = client.get("/releases", params={"q": "llama\x01", "finding": "\x1b[0m"})
    assert response.status_code == 200
    assert "held control characters and was ignored" in response.text


def test_compare_needs_two_to_four(client: TestClient) -> None:
    one = client.get(f"/compare?r={_release_id(client, 'gemma-release')}").text
    assert "choose two to four releases" in one
    ids = [_release_id(client, n) for n in ("gemma-release", "open-olmo-style")]
    two = client.get("/compare", params=[("r", str(i)) for i in ids]).text
    assert "2 releases side by side" in two
    assert two.count('data-state="open"') >= 10  # the open release's components


def test_licence_page_lists_its_releases(client: TestClient) -> None:
    page = client.get("/licenses/Apache-2.0").text
    users = re.findall(r'<li><a href="/releases/\d+">([^<]+)</a>', page)
    assert set(users) == {"open-olmo-style", "unsafe-pickle"}
    assert client.get("/licenses/no-such-licence").status_code == 404
    listing = client.get("/licenses", params={"q": "llama 3.1"}).text
    assert "LicenseRef-scancode-llama-3.1-license-2024" in listing
    assert "Apache-2.0" not in listing


def _listed(section: str, kind: str) -> list[str]:
    block = re.search(rf'<ul class="{kind}">(.*?)</ul>', section, re.S)
    return re.findall(r'<a href="/releases/\d+">([^<]+)</a>', block.group(1)) if block else []


def test_policies_list_approved_violating_and_waived(client: TestClient) -> None:
    page = client.get("/policies").text
    pragmatic, team = page.split("<section")[1:3]
    assert "Open-source weights and software, clearly licensed" in pragmatic
    assert _listed(pragmatic, "approved") == ["open-olmo-style"]
    assert "llama-3.1-finetune" in _listed(pragmatic, "violating")
    assert "<script>alert" not in team and "&lt;script&gt;alert(&#39;policy&#39;)" in team
    assert _listed(team, "waived") == ["gemma-release"]
    assert "until 2099-12-31" in team
    assert "covered by a separate agreement" in team
    assert "From the file team-policy.yml." in team and "/tmp" not in team  # no server paths
    approved = client.get("/releases", params={"policy": "pragmatic", "policy_status": "approved"})
    assert re.findall(r'<tr data-release="([^"]+)"', approved.text) == ["open-olmo-style"]
    release = client.get(f"/releases/{_release_id(client, 'unsafe-pickle')}").text
    assert "pragmatic: violates" in release
    assert "pickle-based weight file" in release  # the violation, in words


def test_submit_refuses_posts_without_the_csrf_token(client: TestClient) -> None:
    form = client.get("/submit")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token and form.cookies.get("cw_csrf") == token.group(1)
    data = {"kind": "repo", "repo_id": "org/model", "token": "cw_x"}
    missing = client.post("/submit", data=data)
    assert missing.status_code == 403 and "security token" in missing.text
    wrong = client.post("/submit", data={**data, "csrf_token": "A" * 43})
    assert wrong.status_code == 403
    cross = client.post(
        "/submit",
        data={**data, "csrf_token": token.group(1)},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403 and "another site" in cross.text
    other = client.post(
        "/submit", data={**data, "csrf_token": token.group(1)}, headers={"Origin": "http://evil"}
    )
    assert other.status_code == 403


def test_filters_round_trip_through_the_url() -> None:
    url = (
        "/releases?q=llama&verdict=redhat:fail&verdict=mof:fail"
        "&finding=OW-LIC&mof_class=0&sort=-audited"
    )
    params = parse_qsl(urlsplit(url).query)
    single = dict(params)
    multi = {k: [v for n, v in params if n == k] for k in ("verdict", "finding")}
    filters = read_filters(single, multi)
    assert filters.problems == ()
    assert filters.query.verdicts == (("redhat", "fail"), ("mof", "fail"))
    again = parse_qsl(urlsplit(filters.url()).query)
    assert sorted(again) == sorted(params)


def test_submit_an_audit_json_through_the_form(tmp_path_factory: pytest.TempPathFactory) -> None:
    # A private copy of the store: this test writes to it.
    source = sqlite3.connect(filled_store(tmp_path_factory.getbasetemp()))
    copy = tmp_path_factory.mktemp("submit") / "registry.db"
    with sqlite3.connect(copy) as target:
        source.backup(target)
    source.close()
    app = create_app(Settings(store=str(copy)))
    audit = JsonFormat().render(AuditReport((audit_release(str(EXAMPLES / "cc-by-nc-release")),)))
    with TestClient(app) as client:
        secret = create_token(app.state.registry.engine, "ui-test", Scope.SUBMIT)[1]
        form = client.get("/submit").text
        found = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert found
        # Registered under the repo id the llama fine-tune names as its base model.
        base = "meta-llama/Llama-3.1-8B-Instruct"
        fields = {"csrf_token": found.group(1), "kind": "audit", "name": base}
        upload = {"audit": ("audit.json", audit.encode(), "application/json")}
        refused = client.post("/submit", data={**fields, "token": "cw_not_a_token"}, files=upload)
        assert refused.status_code == 401 and "unknown or revoked" in refused.text
        stored = client.post("/submit", data={**fields, "token": secret}, files=upload)
        assert stored.status_code == 200, stored.text
        assert "Stored 1 audit(s)." in stored.text
        assert secret not in stored.text  # the token is never echoed back
        link = re.search(r'<a href="(/releases/\d+)">Open release', stored.text)
        assert link
        page = client.get(link.group(1)).text
        assert base in page and "CC-BY-NC-4.0" in page
        assert "May I use it commercially?" in page
        derived = page.split('id="history"')[0].split("Derived models in this registry")[1]
        assert re.findall(r'<a href="/releases/\d+">([^<]+)</a>', derived) == ["llama-3.1-finetune"]
        finetune = client.get(f"/releases/{_release_id(client, 'llama-3.1-finetune')}").text
        assert f'In this registry: <a href="{link.group(1)}">' in finetune
        hub = {**fields, "kind": "repo", "repo_id": "nobody/not-in-the-cache", "token": secret}
        missing = client.post("/submit", data=hub)
        assert missing.status_code == 404
        assert "The registry refused the submission (404)" in missing.text
