"""The BOM and report texts written by the fast writers are the texts ``json`` writes.

The CycloneDX file components are written from one template per shape and the audit report
by a direct indenter; a varied release (several licences, an ``OR`` header, names that need
escaping, more files than the sampled validation leaves to the schema) must come out as the
canonical ``json.dumps`` text of its own content, valid against the full schema, with every
file component holding what the release holds.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from clearweights.audit import AuditReport, audit_release
from clearweights.bom import build_bom, validate_document
from clearweights.formats.json import JsonFormat, document
from tests.build import varied_release

NAMES = ('quote"d.txt', "back\\slash.md", "unicodé ü.txt", "tab\tname.json", "emoji 🙂.py")


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release of 100 files: Apache at the top, MIT and an OR header below, odd names."""
    front = "license: apache-2.0\npipeline_tag: text-generation"
    parts = {
        "train.py": "print('train')\n",
        **{
            f"part{i // 10}/file{i:02d}{('.py', '.json', '.txt')[i % 3]}": f"{i}\n"
            for i in range(90)
        },
    }
    return varied_release(tmp_path_factory.mktemp("varied"), front, NAMES, parts)


@pytest.fixture(scope="module")
def bom(release: Path) -> str:
    return build_bom(str(release), "cyclonedx")


def test_the_bom_is_the_canonical_text_of_its_content(bom: str) -> None:
    doc = json.loads(bom)
    assert bom == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert validate_document(bom) == ("cyclonedx", [])  # the full schema walk, no sampling


def test_every_file_component_holds_the_file(release: Path, bom: str) -> None:
    doc = json.loads(bom)
    files = {c["name"]: c for c in doc["components"] if c["type"] == "file"}
    on_disk = sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file())
    assert list(files) == on_disk  # every file, in path order
    for name, component in files.items():
        data = (release / name).read_bytes()
        assert component["bom-ref"] == f"file:{name}"
        assert component["hashes"] == [
            {"alg": "SHA-256", "content": hashlib.sha256(data).hexdigest()}
        ]
        assert {"name": "clearweights:size", "value": str(len(data))} in component["properties"]
    (dual,) = files["dual.py"]["licenses"]  # a file gets its component's licences
    assert "(MIT OR GPL-3.0-only)" in dual["expression"]
    for component in files.values():  # files placed in a component carry its licences
        placed = component["properties"][0]["name"] == "clearweights:mof-component"
        assert ("licenses" in component) == placed, component["name"]
    code = files["vendor/emoji 🙂.py"]["licenses"]  # one template per shape: the same text
    assert code == files["part0/file00.py"]["licenses"] == files["dual.py"]["licenses"]
    refs = [d["ref"] for d in doc["dependencies"]]
    assert refs == sorted(refs) and {f"file:{n}" for n in files} <= set(refs)


def test_the_spdx_bom_of_the_release_is_valid(release: Path) -> None:
    text = build_bom(str(release), "spdx3")
    assert validate_document(text) == ("spdx3", [])


def test_the_audit_report_is_the_text_json_writes(release: Path) -> None:
    report = AuditReport((audit_release(str(release)),))
    doc = document(report)
    first = ("schema_version", "tool", "tool_version", "catalogue_version")
    ordered = {k: doc[k] for k in first} | {k: doc[k] for k in sorted(doc) if k not in first}
    text = JsonFormat().render(report)
    # Keys after the version fields sorted at every level, as json.dumps wrote them before.
    reference = {k: ordered[k] for k in first} | {
        k: json.loads(json.dumps(ordered[k], sort_keys=True)) for k in ordered if k not in first
    }
    assert text == json.dumps(reference, indent=2, ensure_ascii=False) + "\n"


def test_a_key_that_is_not_a_string_falls_back_to_json() -> None:
    from clearweights._jsontext import dumps_indented

    with pytest.raises(TypeError):
        dumps_indented({1: "a"})
    odd: dict[str, Any] = {"b": {"z": 1, "a": [{"y": 2, "x": 3}]}, "a": "é"}
    assert dumps_indented(odd, sort_keys=False) == json.dumps(odd, indent=2, ensure_ascii=False)
