"""`clearweights serve` as users run it: uvicorn on 127.0.0.1, and schemathesis over its API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clearweights.server.tokens import Scope, create_token
from clearweights.store import open_store
from tests.server_support import EXAMPLE_NAMES, copy_store, examples_store, live_server

API = "/api/v1"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    folder = tmp_path_factory.mktemp("live")
    db = copy_store(examples_store(), folder / "store.db")
    store = open_store(str(db))
    try:
        secret = create_token(store.engine, "live", Scope.ADMIN)[1]
    finally:
        store.close()
    log = folder / "server.log"
    with live_server(str(db), "--write-rate", "100000", log=log) as base:
        yield base, secret, log


def test_the_live_server_serves_the_registry(served: tuple[str, str, Path]) -> None:
    base, secret, log = served
    with httpx.Client(base_url=base) as client:
        listing = client.get(f"{API}/releases", params={"limit": 200})
        assert sorted(i["name"] for i in listing.json()["items"]) == EXAMPLE_NAMES
        assert listing.headers["x-frame-options"] == "DENY"
        assert "server" not in listing.headers  # no version banner
        cached = client.get(f"{API}/releases", params={"limit": 200},
                            headers={"If-None-Match": listing.headers["etag"]})  # fmt: skip
        assert cached.status_code == 304
        auth = {"Authorization": f"Bearer {secret}"}
        assert client.get(f"{API}/submissions", headers=auth).status_code == 200
        assert client.post(f"{API}/audits", content=b"{}", headers=auth).status_code == 422
        svg = client.get(f"{API}/badges/mof.svg", params={"release": "open-olmo-style"})
        assert svg.status_code == 200 and "Class I" in svg.text
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "GET /api/v1/releases" in text  # the access log is on...
    assert secret not in text and secret[3:12] not in text  # ...and never shows a token


def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(
    served: tuple[str, str, Path],
) -> None:
    base, secret, _ = served
    schema = schemathesis.openapi.from_url(f"{base}{API}/openapi.json")
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]  # fmt: skip

    @given(case=schema.as_strategy())
    @settings(max_examples=250, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def explore(case: schemathesis.Case[Any]) -> None:
        headers = {"Authorization": f"Bearer {secret}"} if case.method != "GET" else None
        case.call_and_validate(base_url=base, headers=headers, checks=checks, timeout=30)

    explore()
