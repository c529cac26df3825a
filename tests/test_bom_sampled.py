"""A large CycloneDX BOM is validated with each repeated file component shape checked once:
it must find every problem the full schema walk finds in the components it leaves out, both
for a BOM we built and for one a user gives (``clearweights bom validate``), where the
problems must be the schema's alone."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clearweights.bom import build_bom, validate_document
from clearweights.bom._jsontext import dumps_indented
from clearweights.bom._sampled import validate_built_cyclonedx, validate_sampled_cyclonedx
from clearweights.bom.validate import validate_cyclonedx
from tests.build import safetensors, write_files
from tests.conftest import corpus


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The CycloneDX BOM of a release with 150 code, config and text files."""
    root = tmp_path_factory.mktemp("large")
    files: dict[str, bytes | str] = {
        "LICENSE": corpus("licences", "Apache-2.0.txt").read_text(encoding="utf-8"),
        "README.md": "---\nlicense: apache-2.0\n---\n# Many files\n",
    }
    for i in range(150):
        files[f"part{i // 10:02d}/file{i:03d}{('.py', '.json', '.txt')[i % 3]}"] = f"# {i}\n"
    write_files(root, files)
    safetensors(root / "model.safetensors")
    doc: dict[str, Any] = json.loads(build_bom(str(root), "cyclonedx"))
    return doc


def _file(doc: dict[str, Any], n: int) -> dict[str, Any]:
    """The *n*-th file component: far past the first of its shape."""
    found: dict[str, Any] = [c for c in doc["components"] if c.get("type") == "file"][n]
    return found


BREAKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "bad hash": lambda d: _file(d, 120)["hashes"][0].update(content="xyz"),
    "name not a string": lambda d: _file(d, 121).update(name=5),
    "empty bom-ref": lambda d: _file(d, 122).update({"bom-ref": ""}),
    "property value not a string": lambda d: _file(d, 123)["properties"][0].update(value=7),
    "unknown key": lambda d: _file(d, 124).update(bogus=1),
    "unknown hash algorithm": lambda d: _file(d, 125)["hashes"][0].update(alg="CRC-32"),
    "non-SPDX licence id": lambda d: _file(d, 126).update(
        licenses=[{"license": {"id": "llama3.1", "acknowledgement": "concluded"}}]
    ),
    "duplicate component": lambda d: d["components"].append(copy.deepcopy(_file(d, 127))),
    "empty dependency ref": lambda d: next(
        e for e in reversed(d["dependencies"]) if set(e) == {"ref"}
    ).update(ref=""),
    "duplicate dependsOn": lambda d: next(
        e for e in d["dependencies"] if len(e.get("dependsOn", [])) > 2
    )["dependsOn"].append(_file(d, 128)["bom-ref"]),
    "an object among dependsOn": lambda d: next(
        e for e in d["dependencies"] if len(e.get("dependsOn", [])) > 2
    )["dependsOn"].append({"ref": "x"}),
    "duplicate component without bom-ref": lambda d: d["components"].extend(
        [{k: v for k, v in _file(d, 129).items() if k != "bom-ref"}] * 2
    ),
}


def test_the_sample_agrees_with_the_full_walk_on_a_valid_bom(large: dict[str, Any]) -> None:
    assert len(large["components"]) > 100
    assert validate_cyclonedx(large) == []
    assert validate_document(json.dumps(large)) == ("cyclonedx", [])
    assert validate_built_cyclonedx(large) == []


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_break_in_a_left_out_component_is_found(large: dict[str, Any], name: str) -> None:
    doc = copy.deepcopy(large)
    BREAKS[name](doc)
    assert validate_cyclonedx(doc), name  # the full walk finds it...
    for problems in (validate_built_cyclonedx(doc), validate_document(json.dumps(doc))[1]):
        assert problems, name  # ... and so does the sampled one, in both modes
        assert all(p.path.startswith("$") for p in problems)


def test_a_given_bom_gets_the_schemas_problems_only(large: dict[str, Any]) -> None:
    # Two different components with one bom-ref: the schema allows it (the specification
    # does not); a BOM we built reports it, a given BOM is judged by the schema alone.
    doc = copy.deepcopy(large)
    twin = {**_file(doc, 130), "name": "elsewhere.txt"}
    doc["components"].append(twin)
    assert validate_cyclonedx(doc) == []
    assert validate_document(json.dumps(doc)) == ("cyclonedx", [])
    assert [p.path for p in validate_built_cyclonedx(doc)] == ["$.components[*].bom-ref"]
    BREAKS["bad hash"](doc)  # and with a break besides, the same problems as the full walk
    assert validate_sampled_cyclonedx(doc, built=False) == validate_cyclonedx(doc)


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_given_boms_problems_are_worded_by_the_schema(large: dict[str, Any], name: str) -> None:
    doc = copy.deepcopy(large)
    BREAKS[name](doc)
    assert validate_document(json.dumps(doc)) == ("cyclonedx", validate_cyclonedx(doc))


def test_a_given_bom_names_the_dependency_entry_of_a_problem(large: dict[str, Any]) -> None:
    doc = copy.deepcopy(large)
    entries = doc["dependencies"]
    at = max(i for i, e in enumerate(entries) if set(e) == {"ref"})
    entries[at] = {**entries[at], "provides": [5]}  # kept whole: checked by the schema
    (problem,) = validate_cyclonedx(doc)
    assert validate_document(json.dumps(doc))[1] == [problem]
    assert problem.path.startswith(f"$.dependencies[{at}].provides")


def test_problems_name_the_component_in_the_whole_document(large: dict[str, Any]) -> None:
    doc = copy.deepcopy(large)
    BREAKS["unknown key"](doc)
    index = doc["components"].index(_file(doc, 124))
    paths = {p.path for p in validate_built_cyclonedx(doc)}
    assert f"$.components[{index}]" in paths


def test_bom_of_the_large_release_is_written(tmp_path: Path) -> None:
    # build_bom validates what it builds (sampled for CycloneDX); a clean release passes.
    write_files(tmp_path, {f"f{i:03d}.txt": f"{i}\n" for i in range(80)})
    assert json.loads(build_bom(str(tmp_path), "cyclonedx"))["bomFormat"] == "CycloneDX"


def test_the_indenter_writes_what_json_writes(large: dict[str, Any]) -> None:
    odd: dict[str, Any] = {
        "z": [1, 2.5, 1e100, -0.0, True, False, None, 'é\u2028"\\\n\x00', {}, [], 10**30],
        "a": {"b": [{}], "é": "ü"},
    }
    for doc in (large, odd):
        assert dumps_indented(doc) == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)
