"""BOMs as built: the direct CycloneDX writer gives the library's bytes, and both formats are
validated as they are written (without reading the text back) with the problems the schema
finds in the text.

On a varied release: several licences, an ``OR`` header, odd names, a model, a dataset, and
more files than the sampled validation leaves to the schema.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from clearweights._untrusted import Heads, read_listed
from clearweights.audit import audit_release
from clearweights.bom import _validate_built
from clearweights.bom._jsontext import dumps_indented
from clearweights.bom._spdx_files import check, write_files
from clearweights.bom.cyclonedx import build, build_checked
from clearweights.bom.hashing import FileDigest, hash_files
from clearweights.bom.spdx3 import build as spdx_text
from clearweights.bom.spdx3 import build_checked as build_spdx
from clearweights.bom.subject import BomSubject, build_subject
from clearweights.bom.validate import validate_cyclonedx, validate_spdx3
from tests.build import varied_release

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "releases"
NAMES = ('quote"d.txt', "back\\slash.md", "unicodé ü.txt", "tab\tname.json", "br{ace}s.py")


@pytest.fixture(scope="module")
def subject(tmp_path_factory: pytest.TempPathFactory) -> BomSubject:
    front = "license: apache-2.0\npipeline_tag: text-generation\ndatasets:\n- org/corpus"
    parts = {f"part{i // 10}/f{i:02d}{('.py', '.json', '.md')[i % 3]}": f"{i}\n" for i in range(70)}
    root = varied_release(tmp_path_factory.mktemp("checked"), front, NAMES, parts)
    return build_subject(audit_release(str(root)))


@pytest.mark.parametrize("version", ["1.6", "1.7"])
def test_the_direct_cyclonedx_text_is_the_librarys(subject: BomSubject, version: str) -> None:
    direct = build(subject, version)
    assert direct == build(subject, version, direct=False)
    text, problems = build_checked(subject, version)
    assert (text, problems) == (direct, [])
    assert validate_cyclonedx(json.loads(text)) == []  # the whole schema walk agrees


@pytest.mark.parametrize("name", ["open-olmo-style", "llama-3.1-finetune", "gemma-release"])
def test_the_direct_text_is_the_librarys_on_the_examples(name: str) -> None:
    example = build_subject(audit_release(str(EXAMPLES / name)))
    assert build(example) == build(example, direct=False)


def _bad_hash(subject: BomSubject, n: int) -> BomSubject:
    files = list(subject.files)
    files[n] = dataclasses.replace(files[n], sha256="not-a-digest")
    return dataclasses.replace(subject, files=tuple(files))


def test_a_bad_value_in_a_file_component_is_found_as_the_schema_finds_it(
    subject: BomSubject,
) -> None:
    broken = _bad_hash(subject, 60)  # far past the first file of its shape
    text, problems = build_checked(broken)
    whole = validate_cyclonedx(json.loads(text))
    assert [p.path for p in whole] == [p.path for p in problems] != []
    assert _validate_built(text, "cyclonedx") != []  # read back, the sample finds it too


def test_the_spdx_document_is_valid_as_built_and_as_read_back(subject: BomSubject) -> None:
    text, problems = build_spdx(subject)
    assert problems == []
    assert validate_spdx3(json.loads(text)) == []


def test_a_bad_file_id_is_found_as_the_schema_finds_it(subject: BomSubject) -> None:
    # The SPDX document of one file, whose node stands in for 70 files, one id not an IRI.
    data = json.loads(spdx_text(dataclasses.replace(subject, files=subject.files[:1])))
    graph = data["@graph"]
    at, stand_in = next(
        (i, n["spdxId"]) for i, n in enumerate(graph) if n["type"] == "software_File"
    )
    rows = [(f"{stand_in}{i}", f"f{i}", "source", "ab" * 32) for i in range(70)]
    rows[50] = ("no-colon", "f50", "source", "ab" * 32)  # far past the first of its purpose
    sample = write_files(data, stand_in, rows, [row[0] for row in rows])
    written = json.loads(dumps_indented(data, sort_keys=False, ensure_ascii=True))
    assert len([n for n in written["@graph"] if n["type"] == "software_File"]) == 70
    whole = [p.path for p in validate_spdx3(written)]
    found = [p.path for p in check(sample, rows)]
    assert f"$.@graph[{at + 50}].spdxId" in whole
    assert f"$.@graph[{at + 50}].spdxId" in found


def test_hashes_are_the_files_whatever_their_size(tmp_path: Path) -> None:
    import hashlib

    sizes = {"empty": 0, "one": 1, "small": 4096, "edge": 64 << 10, "large": (64 << 10) + 1,
             "chunk": 1 << 20, "chunks": (2 << 20) + 3}  # fmt: skip
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    digests = hash_files(tmp_path, sorted(sizes), workers=2)
    assert [d.path for d in digests] == sorted(sizes)
    for d in digests:
        data = (tmp_path / d.path).read_bytes()
        assert d == FileDigest(d.path, len(data), hashlib.sha256(data).hexdigest(), d.mtime)
        assert d.mtime == int((tmp_path / d.path).stat().st_mtime)
    # The same digests when the audit's walk kept the files' first bytes (small files are
    # hashed from them, the others read again).
    heads = Heads()
    for name in sizes:
        data, info = read_listed(str(tmp_path / name), Heads.SIZE)
        heads.keep(str(tmp_path / name), data, int(info.st_mtime))
    assert hash_files(tmp_path, sorted(sizes), workers=2, heads=heads) == digests


def test_a_file_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    from clearweights.errors import InputError

    (tmp_path / "here.txt").write_text("x\n")
    with pytest.raises(InputError, match="cannot read") as raised:
        hash_files(tmp_path, ["here.txt", "gone.txt"])
    assert raised.value.path == str(tmp_path / "gone.txt")
