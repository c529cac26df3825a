"""The SPDX 3 BOM of a release with many files: file elements written from a template and
validated once per shape, with the same bytes and the same problems as the slow way.

The file elements of a 50,000-file release are written as text from the library's own node
for one file, and the document is validated with each repeated file shape and each long list
of element ids checked once by the schema. Both must agree with spdx-python-model writing
every file and with the schema walked over every node, on a varied release (odd names, names
that slug alike, several licences and purposes).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clearweights.audit import audit_release
from clearweights.bom import build_bom, validate_document
from clearweights.bom.spdx3 import build
from clearweights.bom.subject import BomSubject, build_subject
from clearweights.bom.validate import Problem, _class_validator, _json_path, _profile_rules
from tests.build import varied_release, write_files

NAMES = ('quote"d.txt', "back\\slash.md", "unicodé ü.txt", "emoji 🙂.py", "br{ace}s.py")
ALIKE = ("a b.txt", "a-b.txt", "a_b/../c.txt", "a  b.txt")  # the first, second and last slug alike


@pytest.fixture(scope="module")
def subject(tmp_path_factory: pytest.TempPathFactory) -> BomSubject:
    front = "license: apache-2.0\npipeline_tag: text-generation\ndatasets:\n- org/corpus"
    odd = tuple(name for name in NAMES + ALIKE if ".." not in name)
    parts = {
        f"part{i // 10}/file{i:03d}{('.py', '.json', '.txt', '.md')[i % 4]}": f"{i}\n"
        for i in range(48)
    }
    root = varied_release(tmp_path_factory.mktemp("spdx-varied"), front, odd, parts)
    return build_subject(audit_release(str(root)))


@pytest.fixture(scope="module")
def doc(subject: BomSubject) -> dict[str, Any]:
    built: dict[str, Any] = json.loads(build(subject))
    return built


def test_the_direct_text_is_the_library_text(subject: BomSubject) -> None:
    direct = build(subject)
    assert direct == build(subject, direct=False)
    assert direct == json.dumps(json.loads(direct), indent=2) + "\n"  # as the library writes


def test_every_file_is_one_element_with_its_own_id(
    subject: BomSubject, doc: dict[str, Any]
) -> None:
    files = [n for n in doc["@graph"] if n["type"] == "software_File"]
    assert sorted(n["name"] for n in files) == sorted(f.path for f in subject.files)
    ids = [n["spdxId"] for n in files]
    assert len(set(ids)) == len(ids) == len(subject.files)
    alike = {n["name"]: n["spdxId"] for n in files if n["name"] in {f"vendor/{a}" for a in ALIKE}}
    # In path order ("a  b" < "a b" < "a-b"), the first keeps its slug, the others count on.
    assert alike["vendor/a  b.txt"].endswith("/file/vendor-a-b.txt")
    assert alike["vendor/a b.txt"].endswith("/file/vendor-a-b.txt~2")
    assert alike["vendor/a-b.txt"].endswith("/file/vendor-a-b.txt~3")
    contains = next(n for n in doc["@graph"] if n.get("relationshipType") == "contains")
    by_name = {n["name"]: n["spdxId"] for n in files}
    assert contains["to"] == [by_name[f.path] for f in subject.files]
    purposes = {n["name"]: n["software_primaryPurpose"] for n in files}
    assert purposes["model.safetensors"] == "model"
    assert purposes["vendor/emoji 🙂.py"] == "source"
    assert purposes["config.json"] == "configuration"


def _full_walk(doc: dict[str, Any], like: dict[str, Any] | None = None) -> list[Problem]:
    """The schema over every node, unsampled, then the profile rules (as before sampling).

    With *like* (a document found valid), only the nodes that differ from its nodes.
    """
    problems = []
    for i, node in enumerate(doc["@graph"]):
        if like is not None and i < len(like["@graph"]) and node == like["@graph"][i]:
            continue
        for error in _class_validator(node["type"]).iter_errors(node):
            problems.append(Problem(_json_path(["@graph", i, *error.absolute_path]), error.message))
    return problems or _profile_rules(doc["@graph"])


def _file(doc: dict[str, Any], n: int) -> dict[str, Any]:
    """The *n*-th file node: far past the first of its shape."""
    found: dict[str, Any] = [x for x in doc["@graph"] if x["type"] == "software_File"][n]
    return found


def _list(doc: dict[str, Any], kind: str, key: str) -> list[Any]:
    found: list[Any] = next(n for n in doc["@graph"] if n["type"] == kind and len(n[key]) > 40)[key]
    return found


BREAKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "blank node as spdxId": lambda d: _file(d, 30).update(spdxId="_:file"),
    "spdxId not an IRI": lambda d: _file(d, 31).update(spdxId="no-colon"),
    "name not a string": lambda d: _file(d, 32).update(name=5),
    "hash value not a string": lambda d: _file(d, 33)["verifiedUsing"][0].update(hashValue=7),
    "unknown key": lambda d: _file(d, 34).update(bogus=1),
    "unknown purpose": lambda d: _file(d, 35).update(software_primaryPurpose="weights"),
    "unknown hash algorithm": lambda d: _file(d, 36)["verifiedUsing"][0].update(algorithm="crc"),
    "no creationInfo": lambda d: _file(d, 37).pop("creationInfo"),
    "a number among the contained": lambda d: _list(d, "Relationship", "to").append(5),
    "a non-IRI among the elements": lambda d: _list(d, "SpdxDocument", "element").insert(7, "x"),
    "an object among the elements": lambda d: _list(d, "software_Sbom", "element").append({}),
    "missing contained element": lambda d: _list(d, "Relationship", "to").append("urn:x:gone"),
}


def test_the_sample_agrees_with_the_full_walk_on_a_valid_bom(doc: dict[str, Any]) -> None:
    assert _full_walk(doc) == []
    assert validate_document(json.dumps(doc)) == ("spdx3", [])


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_break_in_a_left_out_node_is_found(doc: dict[str, Any], name: str) -> None:
    broken = copy.deepcopy(doc)
    BREAKS[name](broken)
    expected = _full_walk(broken, like=doc)
    assert expected, name  # the full walk finds it...
    assert validate_document(json.dumps(broken)) == ("spdx3", expected)  # ...the sample too


def test_an_element_list_that_is_all_blank_nodes_is_still_valid(doc: dict[str, Any]) -> None:
    odd = copy.deepcopy(doc)
    _list(odd, "SpdxDocument", "element").append("_:blank")  # not an IRI, yet allowed
    assert _full_walk(odd, like=doc) == []
    assert validate_document(json.dumps(odd)) == ("spdx3", [])


def test_the_bom_of_the_release_is_written_and_valid(tmp_path: Path) -> None:
    write_files(tmp_path, {f"d{i // 70}/f{i}.txt": f"{i}\n" for i in range(140)})
    text = build_bom(str(tmp_path), "spdx3")
    assert text.count('"type": "software_File"') == 140
    assert validate_document(text) == ("spdx3", [])
