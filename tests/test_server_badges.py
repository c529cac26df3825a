"""Cached badges follow the audits: a new audit of a release changes its badge, on SQLite and
PostgreSQL, while a badge already drawn is answered without a query."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clearweights.scale import scan, sources_for
from clearweights.server import Settings, catalog, create_app
from clearweights.store import open_store
from tests.server_support import EXAMPLES

API = "/api/v1"


def _audit(store_url: str, release: Path) -> None:
    store = open_store(store_url)
    try:
        scan(sources_for([str(release)]), store=store, jobs=1)
    finally:
        store.close()


def _relicense(release: Path) -> None:
    """The maker changes the licence to Apache-2.0 (a new revision of the release)."""
    card = release / "README.md"
    card.write_text(
        card.read_text(encoding="utf-8").replace("cc-by-nc-4.0", "apache-2.0"), encoding="utf-8"
    )
    (release / "LICENSE").unlink()
    os.utime(card, ns=(2, 2))


@pytest.fixture
def release(tmp_path: Path) -> Path:
    folder = tmp_path / "cc-by-nc-release"
    shutil.copytree(EXAMPLES / "cc-by-nc-release", folder)
    return folder


def _message(client: TestClient, release: Path, kind: str = "licence") -> str:
    answer = client.get(f"{API}/badges/{kind}.json", params={"release": str(release)})
    assert answer.status_code == 200, answer.text
    message: str = answer.json()["message"]
    return message


def test_a_badge_changes_with_the_next_audit(store_url: str, release: Path) -> None:
    _audit(store_url, release)
    with TestClient(create_app(Settings(store=store_url, refresh_seconds=0))) as client:
        before = _message(client, release)
        assert before.endswith(": restricted")
        svg = client.get(f"{API}/badges/licence.svg", params={"release": str(release)}).text
        _relicense(release)
        _audit(store_url, release)
        after = _message(client, release)
        assert after.startswith("Apache") and after.endswith(": open")
        assert client.get(f"{API}/badges/licence.svg", params={"release": str(release)}).text != svg


def test_a_drawn_badge_is_answered_without_a_query_until_the_index_changes(
    store_url: str, release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _audit(store_url, release)
    looked_up: list[str] = []
    find = catalog.find_release

    def counting(connection: Any, ref: str) -> Any:
        looked_up.append(ref)
        return find(connection, ref)

    monkeypatch.setattr(catalog, "find_release", counting)
    app = create_app(Settings(store=store_url, refresh_seconds=3600))
    with TestClient(app) as client:
        before = _message(client, release)
        assert [_message(client, release) for _ in range(3)] == [before] * 3
        assert looked_up == [str(release)]  # drawn once
        _relicense(release)
        _audit(store_url, release)
        # Within the refresh time the cached badge stands (as documented) ...
        assert _message(client, release) == before
        # ... and the next refresh (due every refresh_seconds) finds the new audit.
        app.state.registry.refresh(force=True)
        assert _message(client, release).endswith(": open")
        assert len(looked_up) == 2
