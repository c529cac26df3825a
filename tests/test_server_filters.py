"""Both shapes of a filter on the audit tables keep the same releases, on SQLite and PostgreSQL.

``server.filters`` writes a filter as ``IN (set)`` where the set is small (SQLite) and as a
correlated ``EXISTS`` otherwise. The example store's sets are all small; forcing each shape
in turn over the same store must give the same pages, with and without a name search.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from clearweights.server import Settings, catalog, filters, search
from clearweights.server.downloads import load_audit
from clearweights.server.policies import check_batch, load_policies
from clearweights.server.records import PolicyStatus, ReleaseQuery, Sort
from clearweights.server.registry import Registry
from tests.server_support import store_location

QUERIES: list[dict[str, Any]] = [
    {"verdicts": (("redhat", "pass"),)},
    {"verdicts": (("redhat", "pass"), ("osaid-1.0", "pass"))},
    {"verdicts": (("redhat", "nobody-has-this"),)},
    {"license": "Apache-2.0"},
    {"findings": ("OW-LIC",)},
    {"findings": ("OW-LIC",), "license_family": "llama"},
    {"license_family": "llama"},
    {"mof_class": 1},
    {"mof_class": 3},
    {"policy": "pragmatic", "policy_status": PolicyStatus.APPROVED},
    {"policy": "pragmatic", "policy_status": PolicyStatus.VIOLATES},
    {"sort": Sort.AUDITED_DESC, "findings": ("OW-LIC",)},
]
TERMS = [None, "e", "-r", "release", "LLAMA", "zz", "%"]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    location = store_location(request, tmp_path)
    registry = Registry(Settings(store=location))
    policies = load_policies(("pragmatic",))
    while check_batch(registry.engine, policies, load_audit):  # the policy results
        pass
    yield registry.engine
    registry.close()


def pages(engine: Engine, **options: Any) -> list[list[str]]:
    """Every page (two releases each) of a query, by name."""
    out: list[list[str]] = []
    query = ReleaseQuery(limit=2, **options)
    with engine.connect() as connection:
        while True:
            page = catalog.list_releases(connection, query)
            out.append([item.name for item in page.items])
            if page.next_cursor is None:
                return out
            query = ReleaseQuery(limit=2, cursor=page.next_cursor, **options)


def test_in_and_exists_keep_the_same_releases(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = []
    # Every set small (IN); then none (EXISTS), searched in a window holding every entry,
    # then in a window of one entry (SQLite: the names the index finds, past the window).
    for narrow, window in ((1000, 1000), (-1, 1000), (-1, 1)):
        monkeypatch.setattr(filters, "NARROW", narrow)
        monkeypatch.setattr(search, "WINDOW", window)
        answers.append(
            {
                (repr(query), term): pages(engine, q=term, **query)
                for query in QUERIES
                for term in TERMS
            }
        )
    assert answers[0] == answers[1] == answers[2]
    by = answers[0]
    assert by[(repr(QUERIES[0]), None)] == [["open-olmo-style", "unsafe-pickle"]]
    assert by[(repr(QUERIES[2]), None)] == [[]]
    assert by[(repr(QUERIES[5]), None)] == [["open-washing"]]
    assert by[(repr(QUERIES[4]), "e")] == [["deepseek-pattern", "open-washing"]]
    assert by[(repr(QUERIES[9]), None)] != [[]]  # the policy results are there
