"""Shared fixtures: the labelled corpus, the catalogue and the store's servers."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import SKIP, Cluster, ClusterError

CORPUS = Path(__file__).parent / "corpus"

os.environ.setdefault("COLUMNS", "120")


def corpus(*parts: str) -> Path:
    """Return a corpus path, asserting that it exists."""
    path = CORPUS.joinpath(*parts)
    assert path.exists(), path
    return path


def read_labels(name: str) -> list[tuple[str, str]]:
    """Read a ``text<TAB>expected id`` file from corpus/notices."""
    rows = []
    for line in corpus("notices", name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            text, expected = line.rsplit("\t", 1)
            rows.append((text, expected))
    return rows


@pytest.fixture
def tmp_texts(tmp_path: Path) -> Path:
    """A scratch folder for generated inputs."""
    return tmp_path


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster | None]:
    """A throwaway PostgreSQL server for the whole run (None when CLEARWEIGHTS_SKIP_POSTGRES=1)."""
    if os.environ.get(SKIP) == "1":
        yield None
        return
    try:
        cluster = Cluster().start()
    except ClusterError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


_databases = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store test keeps its store: an SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "s.db")
    cluster: Cluster | None = request.getfixturevalue("postgres")
    if cluster is None:
        pytest.skip(f"PostgreSQL store tests skipped: {SKIP}=1")
    return cluster.create_database(f"store_{os.getpid()}_{next(_databases)}")
