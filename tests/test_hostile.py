"""Hostile and odd inputs: a clean message, a finding or a correct verdict; never a crash."""

from __future__ import annotations

import json
import shutil
import struct
import zipfile
from pathlib import Path

import pytest

from clearweights.audit import audit_release
from clearweights.cli.main import main
from clearweights.components import MofComponent
from clearweights.licenses import identify
from clearweights.weights import read_header, scan_pickle
from tests.build import write_files
from tests.conftest import corpus

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "releases"
SAFE_WEIGHTS = (EXAMPLES / "cc-by-nc-release" / "model.safetensors").read_bytes()


def _release(tmp_path: Path, files: dict[str, bytes | str], licence: str = "MIT") -> Path:
    folder = tmp_path / "release"
    folder.mkdir()
    (folder / "LICENSE").write_text(
        corpus("licences", f"{licence}.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (folder / "config.json").write_text('{"architectures": ["LlamaForCausalLM"]}', encoding="utf-8")
    write_files(folder, {name.replace("__", "/"): content for name, content in files.items()})
    return folder


def test_pickle_that_breaks_after_its_payload_is_still_flagged(tmp_path: Path) -> None:
    payload = b"cos\nsystem\n(S'true'\ntR\xff"  # pickle.loads runs os.system, then fails
    path = tmp_path / "pytorch_model.bin"
    path.write_bytes(payload)
    scan = scan_pickle(path, "pytorch_model.bin")
    assert scan.unsafe == ("os.system",)
    assert scan.error is not None


def test_zip_checkpoint_with_a_broken_second_pickle(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a/data.pkl", b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00ls\x85R.")
        archive.writestr("b/data.pkl", b"\x80\x02\xff\xff")
    scan = scan_pickle(path, "model.pt")
    assert scan.unsafe == ("os.system",)


def test_unsupported_zip_compression(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a/data.pkl", b"\x80\x02N.")
    raw = bytearray(path.read_bytes())
    raw[8:10] = struct.pack("<H", 99)  # compression method 99 in the local header
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 10 : central + 12] = struct.pack("<H", 99)
    path.write_bytes(bytes(raw))
    assert scan_pickle(path, "model.pt").error is not None


@pytest.mark.parametrize(
    "header",
    [
        b'{"w": {"shape": 5}}',
        b'{"w": {"shape": [null]}}',
        b'{"__metadata__": [1]}',
        b"[" * 5000 + b"]" * 5000,
    ],
    ids=["shape-int", "shape-null", "metadata-list", "deep-json"],
)
def test_malformed_safetensors_headers(tmp_path: Path, header: bytes) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header)
    assert read_header(path, "model.safetensors").error is not None


def _gguf_string(text: str) -> bytes:
    return struct.pack("<Q", len(text)) + text.encode()


def test_hostile_gguf(tmp_path: Path) -> None:
    dims = tmp_path / "dims.gguf"
    dims.write_bytes(
        b"GGUF"
        + struct.pack("<IQQ", 3, 1, 0)
        + _gguf_string("t")
        + struct.pack("<I", 0xFFFFFFFF)
        + bytes(64)
    )
    assert "dimensions" in (read_header(dims, "dims.gguf").error or "")
    nested = tmp_path / "nested.gguf"
    nested.write_bytes(
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + _gguf_string("k") + struct.pack("<III", 9, 9, 9)
    )
    assert "nested" in (read_header(nested, "nested.gguf").error or "")


def test_unreadable_weights_are_a_finding(tmp_path: Path) -> None:
    release = _release(tmp_path, {"model.safetensors": struct.pack("<Q", 4) + b"nope"})
    result = audit_release(str(release))
    assert "WEIGHTS-UNREADABLE" in {f.code for f in result.findings}


@pytest.mark.parametrize("front", ["tags: true", "tags: 5", "1: 2", "eval_results: 5"])
def test_odd_card_front_matter(tmp_path: Path, front: str) -> None:
    release = _release(
        tmp_path,
        {"README.md": f"---\n{front}\n---\n# Model\n", "model.safetensors": SAFE_WEIGHTS},
    )
    result = audit_release(str(release))
    assert result.error is None
    assert "CARD-INVALID" in {f.code for f in result.findings}


def test_files_named_like_licences_are_not_licences(tmp_path: Path) -> None:
    release = _release(
        tmp_path,
        {"license_plate_detector.safetensors": SAFE_WEIGHTS, "notice_utils.py": "x = 1\n"},
    )
    result = audit_release(str(release))
    kinds = {c.kind: c for c in result.components}
    assert kinds[MofComponent.MODEL_PARAMETERS_FINAL].paths == (
        "license_plate_detector.safetensors",
    )
    assert "notice_utils.py" in kinds[MofComponent.INFERENCE_CODE].paths


@pytest.mark.parametrize(
    ("licence", "replace", "by", "added"),
    [
        ("MIT", "without restriction", "for non-commercial purposes only", "non_commercial"),
        ("MIT", "The above copyright notice",
         "The Software may not be used for any commercial purpose. The above copyright notice",
         "non_commercial"),
        ("Apache-2.0", "END OF TERMS AND CONDITIONS",
         "ADDITIONAL RESTRICTION: You may not use the Work or its outputs to train other "
         "models.\n\nEND OF TERMS AND CONDITIONS", "output_use_restriction"),
    ],
)  # fmt: skip
def test_modified_open_licence_is_not_that_licence(
    licence: str, replace: str, by: str, added: str
) -> None:
    text = corpus("licences", f"{licence}.txt").read_text(encoding="utf-8").replace(replace, by, 1)
    match = identify(text).licences[0]
    assert match.licence.id == f"LicenseRef-clearweights-modified-{licence}"
    assert match.licence.osi_approved is False
    assert added in match.licence.notes


def test_modified_licence_fails_the_frameworks(tmp_path: Path) -> None:
    text = (
        corpus("licences", "MIT.txt")
        .read_text(encoding="utf-8")
        .replace("without restriction", "for non-commercial purposes only")
    )
    release = _release(tmp_path, {"model.safetensors": SAFE_WEIGHTS})
    (release / "LICENSE").write_text(text, encoding="utf-8")
    result = audit_release(str(release))
    assert result.profile("redhat").verdict.value == "fail"  # type: ignore[union-attr]
    assert result.profile("mof").mof_class == 0  # type: ignore[union-attr]


def test_unknown_parts_of_an_expression_are_kept() -> None:
    found = identify(
        "# SPDX-License-Identifier: Apache-2.0 AND LicenseRef-Acme-Proprietary\n"
    ).licences
    assert [m.licence.id for m in found] == ["Apache-2.0", "LicenseRef-Acme-Proprietary"]
    assert found[1].licence.osi_approved is False


def test_dual_licence_file_counts_as_open_in_mof(tmp_path: Path) -> None:
    release = _release(tmp_path, {"model.safetensors": SAFE_WEIGHTS})
    shutil.copyfile(
        ROOT / "examples" / "licences" / "LICENSE-dual-MIT-Apache.txt", release / "LICENSE"
    )
    mof = audit_release(str(release)).profile("mof")
    assert mof is not None
    weights = next(c for c in mof.criteria if c.id == "mof.c10")
    assert weights.status.value == "pass"


def test_dual_licence_evidence_spans_each_text() -> None:
    text = (ROOT / "examples" / "licences" / "LICENSE-dual-MIT-Apache.txt").read_text(
        encoding="utf-8"
    )
    matches = {str(m.licence.id): m for m in identify(text).licences}
    mit = matches["MIT"].evidence[0]
    assert "Permission is hereby granted" in text[mit.start : mit.end]
    assert "Apache License" not in text[mit.start : mit.end]
    assert matches["MIT"].differences == ()


@pytest.mark.parametrize(
    ("expires", "message"),
    [("2026-13-45", "not valid YAML"), ('"2026-02-30"', "line 8: exceptions.0.expires")],
)
def test_impossible_dates_in_policies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], expires: str, message: str
) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text(
        "policy: x\nversion: 1\nrules: {pickles: forbid}\nexceptions:\n  - release: a\n"
        f"    rules: [pickles]\n    reason: r\n    expires: {expires}\n",
        encoding="utf-8",
    )
    assert main(["check", str(EXAMPLES / "open-olmo-style"), "--policy", str(policy)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_impossible_date_in_a_mof_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mof = tmp_path / "release.yml"
    text = (
        (EXAMPLES / "mof-release.yml")
        .read_text(encoding="utf-8")
        .replace("date: '2025-03-01'", "date: 2025-02-30")
    )
    mof.write_text(text, encoding="utf-8")
    assert main(["audit", str(mof), "--format", "json"]) == 3
    captured = capsys.readouterr()
    assert "not valid YAML" in json.loads(captured.out)["audits"][0]["error"]
    assert "Traceback" not in captured.err
