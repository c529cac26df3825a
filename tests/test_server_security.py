"""Security of the server: tokens and scopes, hostile input in filters and names, body limits."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clearweights.cli.main import main
from clearweights.server import Settings, create_app
from clearweights.server.tokens import Scope, create_token, revoke_token
from tests.server_support import copy_store, examples_store, store_location

API = "/api/v1"
HOSTILE = [
    "' OR 1=1 --",
    '"; DROP TABLE audits; --',
    "%",
    "_",
    "\\",
    "x' UNION SELECT token_hash FROM api_tokens --",
    "<script>alert(1)</script>",
    "\u0000",
    "é" * 150,
]
FILTERS = ["q", "license", "license_family", "license_category", "base_model", "key", "policy",
           "finding"]  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return copy_store(examples_store(), tmp_path / "store.db")


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    location = store_location(request, tmp_path)
    settings = Settings(store=location, refresh_seconds=0, max_body_bytes=256 * 1024,
                        max_json_bytes=128 * 1024, write_rate=1000)  # fmt: skip
    with TestClient(create_app(settings)) as test:
        yield test


def tokens(client: TestClient) -> dict[str, str]:
    engine = client.app.state.registry.engine  # type: ignore[attr-defined]
    made = {scope.value: create_token(engine, scope.value, scope) for scope in Scope}
    revoked, secret = create_token(engine, "old", Scope.ADMIN)
    revoke_token(engine, revoked.id)
    return {**{k: v[1] for k, v in made.items()}, "revoked": secret}


def write_routes(client: TestClient) -> list[tuple[str, str, str]]:
    """Every operation the OpenAPI description marks as needing a scope."""
    spec = client.get(f"{API}/openapi.json").json()
    return [
        (method.upper(), path.replace("{job_id}", "1"), op["x-required-scope"])
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
        if "x-required-scope" in op
    ]


def test_every_write_needs_a_valid_token_with_the_scope(client: TestClient) -> None:
    secrets = tokens(client)
    routes = write_routes(client)
    assert {p for _, p, _ in routes} >= {f"{API}/submissions", f"{API}/submissions/archive",
                                          f"{API}/audits", f"{API}/admin/reindex"}  # fmt: skip
    for method, path, needed in routes:
        bare = client.request(method, path)
        assert bare.status_code == 401, (method, path)
        assert bare.headers["www-authenticate"].startswith("Bearer")
        assert bare.headers["content-type"] == "application/problem+json"
        for bad in (secrets["revoked"], "cw_" + "x" * 43, "not-a-token"):
            got = client.request(method, path, headers={"Authorization": f"Bearer {bad}"})
            assert got.status_code == 401, (method, path, bad)
        weaker = ["read"] if needed == "submit" else ["read", "submit"]
        for scope in weaker:
            got = client.request(
                method, path, headers={"Authorization": f"Bearer {secrets[scope]}"}
            )
            assert got.status_code == 403, (method, path, scope)
        allowed = client.request(
            method, path, headers={"Authorization": f"Bearer {secrets[needed]}"}
        )
        assert allowed.status_code not in (401, 403), (method, path)


def test_tokens_are_kept_as_digests_and_shown_once(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "token", "create", "ci", "--scope", "submit", "--store", str(db)]) == 0
    out, err = capsys.readouterr()
    secret = out.strip()
    assert secret.startswith("cw_") and secret not in err
    assert main(["serve", "token", "list", "--store", str(db)]) == 0
    listing = capsys.readouterr().out
    assert "ci\tsubmit" in listing and secret not in listing
    with sqlite3.connect(db) as connection:
        dump = "\n".join(connection.iterdump())
    assert secret not in dump and secret[3:] not in dump
    assert main(["serve", "token", "revoke", "1", "--store", str(db)]) == 0
    assert "revoked" in capsys.readouterr().out + main_list(db, capsys)
    assert main(["serve", "token", "revoke", "99", "--store", str(db)]) == 2


def main_list(db: Path, capsys: pytest.CaptureFixture[str]) -> str:
    main(["serve", "token", "list", "--store", str(db)])
    return capsys.readouterr().out


def test_reads_can_require_a_token(db: Path) -> None:
    settings = Settings(store=str(db), require_read_token=True)
    with TestClient(create_app(settings)) as client:
        secrets = tokens(client)
        assert client.get(f"{API}/releases").status_code == 401
        assert client.get(f"{API}/badges/mof.svg?release=1").status_code == 401
        ok = client.get(f"{API}/releases", headers={"Authorization": f"Bearer {secrets['read']}"})
        assert ok.status_code == 200 and ok.headers["cache-control"].startswith("private")


@pytest.mark.parametrize("value", HOSTILE)
def test_sql_metacharacters_in_every_filter_are_only_text(client: TestClient, value: str) -> None:
    for name in FILTERS:
        response = client.get(f"{API}/releases", params={name: value})
        assert response.status_code in (200, 400, 422), (name, value, response.text)
        if response.status_code == 200:
            assert response.json()["items"] == [], (name, value)
    assert client.get(f"{API}/search", params={"q": value}).status_code in (200, 400, 422)
    assert client.get(f"{API}/badges/mof.svg", params={"release": value}).status_code in (
        400,
        404,
        422,
    )
    # Nothing was changed: every release is still there.
    assert len(client.get(f"{API}/releases").json()["items"]) == 7


def test_markup_in_names_stays_inert(client: TestClient) -> None:
    secret = tokens(client)["submit"]
    original = client.get(f"{API}/releases", params={"q": "open-washing"}).json()["items"][0]
    document = client.get(f"{API}/audits/{original['audit_id']}").json()
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    document["audits"][0]["name"] = evil
    posted = client.post(f"{API}/audits", content=json.dumps(document),
                         headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
    assert posted.status_code == 201, posted.text
    entry = posted.json()["releases"][0]
    for path in (f"{API}/releases/{entry}", f"{API}/releases?q=script", f"{API}/search?q=script"):
        response = client.get(path)
        assert response.status_code == 200
        assert "<script" not in response.text and "<img" not in response.text
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
    assert client.get(f"{API}/releases/{entry}").json()["release"]["name"] == evil
    svg = client.get(f"{API}/badges/licence.svg", params={"release": str(entry)}).text
    assert "<script" not in svg


def test_oversized_bodies_are_refused(client: TestClient) -> None:
    secret = tokens(client)["submit"]
    auth = {"Authorization": f"Bearer {secret}"}
    big = b"x" * (300 * 1024)
    response = client.post(f"{API}/audits", content=big, headers=auth)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(40):
            yield b"y" * 8192

    assert client.post(f"{API}/audits", content=chunks(), headers=auth).status_code == 413
    json_limit = json.dumps({"audits": ["z" * (200 * 1024)]})
    assert client.post(f"{API}/audits", content=json_limit, headers=auth).status_code == 413


def test_writes_are_rate_limited(db: Path) -> None:
    with TestClient(create_app(Settings(store=str(db), write_rate=2))) as client:
        auth = {"Authorization": f"Bearer {tokens(client)['submit']}"}
        codes = [client.post(f"{API}/audits", content=b"{}", headers=auth).status_code
                 for _ in range(3)]  # fmt: skip
        assert codes == [422, 422, 429]
        limited = client.post(f"{API}/audits", content=b"{}", headers=auth)
        assert int(limited.headers["retry-after"]) > 0


def test_posted_documents_that_are_not_audits_are_refused(client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {tokens(client)['submit']}"}
    versions = b'"tool_version": "1", "catalogue_version": "2"'
    bodies = [b"not json", b"[]", b'{"audits": []}', b'{"audits": [1]}',
              b"{" + versions + b', "audits": [{"name": "x"}]}',
              b"{" + versions + b', "audits": [{"error": "no"}]}']  # fmt: skip
    for body in bodies:
        response = client.post(f"{API}/audits", content=body, headers=auth)
        assert response.status_code == 422, body
    assert len(client.get(f"{API}/releases").json()["items"]) == 7
