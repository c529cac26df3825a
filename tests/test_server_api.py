"""The REST API in-process, over a store of the example releases audited for real."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clearweights.audit import audit_release
from clearweights.formats.badge import badge
from clearweights.server import Settings, create_app
from clearweights.server.tokens import Scope, create_token
from clearweights.store import open_store
from clearweights.store.queries import store_stats
from tests.server_support import EXAMPLE_NAMES, EXAMPLES, store_location

API = "/api/v1"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_location(request, tmp_path)


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store=str(db), refresh_seconds=0))) as test:
        yield test


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def by_name(client: TestClient, name: str) -> dict[str, Any]:
    items = client.get(f"{API}/releases", params={"q": name}).json()["items"]
    found: dict[str, Any] = next(i for i in items if i["name"] == name)
    return found


def test_every_release_is_listed_once_across_pages_in_order(client: TestClient) -> None:
    for sort, reverse in (("name", False), ("-name", True)):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 3, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            page = client.get(f"{API}/releases", params=params).json()
            seen += [i["name"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(EXAMPLE_NAMES, reverse=reverse)


def test_filters_answer_from_the_audits(client: TestClient) -> None:
    def get(**params: Any) -> list[str]:
        return sorted(names(client.get(f"{API}/releases", params=params)))

    # Red Hat's minimum needs open weights: only the Apache-2.0 releases pass it.
    assert get(verdict="redhat:pass") == ["open-olmo-style", "unsafe-pickle"]
    assert get(license="Apache-2.0") == ["open-olmo-style", "unsafe-pickle"]
    assert get(finding="OW-LIC") == ["deepseek-pattern", "open-washing"]
    assert get(license_family="llama") == ["llama-3.1-finetune", "open-washing"]
    assert get(license_category="non-commercial") == ["cc-by-nc-release"]
    assert get(base_model="meta-llama/Llama-3.1-8B-Instruct") == ["llama-3.1-finetune"]
    assert get(verdict=["redhat:pass", "osaid-1.0:pass"]) == ["open-olmo-style"]
    assert get(finding="OW-LIC", license_family="llama") == ["open-washing"]
    assert get(q="LLAMA") == ["llama-3.1-finetune"]
    assert get(mof_class=1) == ["open-olmo-style"]
    assert get(status="error") == []


def test_a_restricted_licence_is_never_shown_open(client: TestClient) -> None:
    for name in ("open-washing", "gemma-release", "cc-by-nc-release", "llama-3.1-finetune"):
        release = by_name(client, name)
        assert release["weights_open"] is False, name
        assert {v["framework"]: v["verdict"] for v in release["verdicts"]}["redhat"] == "fail"
    assert by_name(client, "open-olmo-style")["weights_open"] is True


def test_one_release_has_its_stored_audit_and_links(client: TestClient, db: str) -> None:
    release = by_name(client, "open-washing")
    view = client.get(f"{API}/releases/{release['id']}").json()
    assert view["release"] == release
    assert view["audit"]["name"] == "open-washing"
    assert {f["code"] for f in view["audit"]["findings"]} >= {"OW-LIC", "OW-RESTRICT"}
    assert [h["reasons"] for h in view["history"]] == [["first audit"]]
    stored = client.get(view["downloads"]["audit"])
    assert stored.status_code == 200
    document = client.get(f"{API}/audits/{release['audit_id']}").json()
    assert document["audits"][0] == view["audit"]
    assert client.get(f"{API}/releases/999999").status_code == 404


def test_history_says_what_changed_and_why(client: TestClient, db: str) -> None:
    token = create_token(client.app.state.registry.engine, "ci", Scope.SUBMIT)[1]  # type: ignore[attr-defined]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    original = by_name(client, "cc-by-nc-release")
    document = client.get(f"{API}/audits/{original['audit_id']}").json()
    first = client.post(f"{API}/audits?key=acme/model&revision=r1", content=json.dumps(document),
                        headers=headers)  # fmt: skip
    assert first.status_code == 201, first.text
    # The same release audited again under a newer catalogue, which now says the MOF passes.
    document["catalogue_version"] = "2099.01.01"
    document["audits"][0]["profiles"]["mof"]["verdict"] = "pass"
    second = client.post(f"{API}/audits?key=acme/model&revision=r2", content=json.dumps(document),
                         headers=headers)  # fmt: skip
    assert second.status_code == 201, second.text
    entry = second.json()["releases"][0]
    assert first.json()["releases"][0] == entry
    history = client.get(f"{API}/releases/{entry}/history").json()
    assert [h["reasons"] for h in history] == [
        ["first audit"],
        ["new revision", f"new licence catalogue {original['catalogue_version']} -> 2099.01.01"],
    ]
    assert {"field": "mof", "before": "fail", "after": "pass"} in history[1]["changes"]
    latest = client.get(f"{API}/releases/{entry}").json()["release"]
    assert latest["source"] == "submitted" and latest["revision"] == "r2"


def test_conditional_requests(client: TestClient) -> None:
    first = client.get(f"{API}/releases", params={"limit": 2})
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get(f"{API}/releases", params={"limit": 2},
                      headers={"If-None-Match": etag}).status_code == 304  # fmt: skip
    assert client.get(f"{API}/releases", params={"limit": 2},
                      headers={"If-Modified-Since": modified}).status_code == 304  # fmt: skip
    other = client.get(f"{API}/releases", params={"limit": 3}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag


def test_counts_agree_with_stats(client: TestClient, db: str) -> None:
    counts = client.get(f"{API}/counts").json()
    store = open_store(str(db))
    try:
        stats = store_stats(store)
    finally:
        store.close()
    assert counts["releases"] == stats.releases == len(EXAMPLE_NAMES)
    assert counts["open_washing"] == stats.open_washing
    assert [tuple(v) for v in counts["verdicts"]] == list(stats.verdicts)
    assert [tuple(c) for c in counts["open_washing_codes"]] == list(stats.open_washing_codes)
    assert sum(n for _, n in counts["mof_classes"]) == counts["audited"]
    assert sum(n for _, n in counts["timeline"]) == len(EXAMPLE_NAMES)


@pytest.mark.parametrize("name", ["open-olmo-style", "open-washing", "gemma-release"])
def test_badges_say_what_clearweights_badge_says(client: TestClient, name: str) -> None:
    audit = audit_release(str(EXAMPLES / name))
    for kind in ("redhat", "osaid", "mof", "eu", "licence"):
        svg = client.get(f"{API}/badges/{kind}.svg", params={"release": name})
        assert svg.status_code == 200
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert "max-age" in svg.headers["cache-control"]
        assert svg.text == badge(audit, kind)
        # Asked again, the badge comes from the cache ahead of the routes: the same answer.
        again = client.get(f"{API}/badges/{kind}.svg", params={"release": name})
        assert again.content == svg.content
        for header in ("etag", "cache-control", "content-type", "content-security-policy"):
            assert again.headers[header] == svg.headers[header], header
        unchanged = client.get(f"{API}/badges/{kind}.svg", params={"release": name},
                               headers={"If-None-Match": svg.headers["etag"]})  # fmt: skip
        assert unchanged.status_code == 304
        shield = client.get(f"{API}/badges/{kind}.json", params={"release": name}).json()
        assert shield["schemaVersion"] == 1
        assert f"{shield['label']}: {shield['message']}" in svg.text


def test_licences_and_search(client: TestClient) -> None:
    usage = {u["license_id"]: u for u in client.get(f"{API}/licenses").json()}
    assert usage["Apache-2.0"]["releases"] == 2 and usage["Apache-2.0"]["category"] == "permissive"
    record = client.get(f"{API}/licenses/CC-BY-NC-4.0").json()
    assert record["category"] == "non-commercial" and record["releases"] == 1
    missing = client.get(f"{API}/licenses/No-Such-Licence")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    found = client.get(f"{API}/search", params={"q": "gemma"}).json()
    assert [r["name"] for r in found["releases"]] == ["gemma-release"]
    assert any("gemma" in u["license_id"] for u in found["licenses"])


def test_openapi_and_docs_are_served_from_the_package(client: TestClient) -> None:
    spec = client.get(f"{API}/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    wanted = {"/api/v1/releases", "/api/v1/badges/{kind}.svg", "/api/v1/submissions"}
    assert wanted <= set(spec["paths"])
    page = client.get(f"{API}/docs/")
    assert page.status_code == 200 and "docs.js" in page.text
    for asset in ("docs.js", "docs.css"):
        body = client.get(f"{API}/docs/{asset}").text
        assert "http://" not in body and "https://" not in body
    assert "<script>" not in page.text  # no inline script: the CSP forbids it
    assert client.get("/docs").status_code == 404  # FastAPI's CDN-based pages are off


def test_bad_requests_are_problem_details(client: TestClient) -> None:
    for params in ({"cursor": "garbage"}, {"limit": 0}, {"sort": "size"}, {"verdict": "nonsense"}):
        response = client.get(f"{API}/releases", params=params)
        assert response.status_code in (400, 422), params
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["status"] == response.status_code and problem["detail"]
    wrong_sort = client.get(f"{API}/releases", params={"limit": 1}).json()["next_cursor"]
    response = client.get(f"{API}/releases", params={"cursor": wrong_sort, "sort": "-audited"})
    assert response.status_code == 400


@pytest.mark.parametrize("name", ["open-olmo-style", "llama-3.1-finetune"])
def test_downloads_are_made_from_the_stored_audit(client: TestClient, name: str) -> None:
    from clearweights.bom import validate_document

    release = by_name(client, name)
    links = client.get(f"{API}/releases/{release['id']}").json()["downloads"]
    audit = client.get(links["audit"])
    assert audit.headers["content-disposition"].startswith("attachment")
    assert json.loads(audit.text)["audits"][0]["name"] == name
    for kind in ("cyclonedx", "spdx3"):
        bom = client.get(links[kind])
        assert bom.status_code == 200, bom.text
        _, problems = validate_document(bom.text)
        assert problems == [], (kind, problems)
        assert release["weights_license"] in bom.text
    sarif = client.get(links["sarif"], params={"policy": "pragmatic"})
    assert sarif.status_code == 200, sarif.text
    log = sarif.json()
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    # The llama fine-tune breaks the pragmatic policy (acceptable-use terms); OLMo does not.
    assert bool(results) is (name == "llama-3.1-finetune"), results
    assert client.get(links["sarif"], params={"policy": "no-such"}).status_code == 404


def test_policy_results_match_clearweights_check(db: str) -> None:
    import time

    from clearweights.policy import check, load_policy

    policy, base = load_policy("pragmatic")
    expected = {n: check([str(EXAMPLES / n)], policy, base=base).passed for n in EXAMPLE_NAMES}
    settings = Settings(store=str(db), refresh_seconds=0, policies=("pragmatic",))
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 120
        counts: dict[str, int] = {}
        while time.monotonic() < deadline:
            [view] = client.get(f"{API}/policies").json()
            counts = view["counts"]
            if sum(counts.values()) == len(EXAMPLE_NAMES):
                break
            time.sleep(0.3)
        assert view["name"] == "pragmatic" and view["rules"]
        wanted = {"policy": "pragmatic", "policy_status": "approved"}
        approved = names(client.get(f"{API}/releases", params=wanted))
        assert sorted(approved) == sorted(n for n, ok in expected.items() if ok)
        assert counts["approved"] == len(approved)
        assert counts["violates"] + counts["waived"] == len(EXAMPLE_NAMES) - len(approved)
        detail = client.get(f"{API}/releases/{by_name(client, 'open-washing')['id']}").json()
        [result] = detail["policies"]
        assert result["status"] == ("approved" if expected["open-washing"] else "violates")
        assert client.get(f"{API}/policies/unknown").status_code == 404
