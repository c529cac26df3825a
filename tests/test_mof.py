"""MOF classes: the Model Openness Tool's 27 published test cases, reproduced exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from clearweights.frameworks.mof import classify
from clearweights.inventory import build_inventory
from clearweights.sources.mof_file import MofFile
from tests.conftest import CORPUS

MOT = CORPUS / "mot"


def _expected() -> dict[str, dict[str, object]]:
    text = re.sub(
        r",(\s*[}\]])", r"\1", (MOT / "expected_results.json").read_text(encoding="utf-8")
    )
    return {m["release"]["name"]: m["classification"] for m in json.loads(text)["models"]}


CASES = sorted(MOT.glob("*.yml"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem[:40])
def test_mot_mode_matches_the_tool(path: Path) -> None:
    name = yaml.safe_load(path.read_text(encoding="utf-8"))["release"]["name"]
    expected = _expected()[name]
    inventory = build_inventory(MofFile(path).collect())
    mof_class, progress, _, _ = classify(inventory.components, "mot")
    assert mof_class == expected["class"]
    want = expected["progress"]
    assert isinstance(want, dict)
    for key in ("1", "2", "3"):
        assert progress[key] == pytest.approx(float(want[key]), abs=1e-6), key


def test_all_27_cases_are_present() -> None:
    assert len(CASES) == 27
    assert len(_expected()) == 27
