"""Shared fixtures: the labelled corpus and the catalogue."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
