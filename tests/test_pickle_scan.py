"""The pickle scanner on a hostile corpus built here; nothing is ever unpickled or stored."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import struct
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearweights.audit import audit_release
from clearweights.cli.main import main
from clearweights.weights import PickleScan, scan_pickle, scan_release_file
from clearweights.weights.pickles import compressed
from clearweights.weights.pickles.allowlist import NESTED_LOADS, judge
from tests import pickle_corpus as corpus
from tests.conftest import corpus as licence_corpus

SENTINEL_DIR = Path(tempfile.gettempdir()) / "clearweights-pickle-sentinel"
SENTINEL = SENTINEL_DIR / "SENTINEL"
MALICIOUS = {s.name: s for s in corpus.malicious(SENTINEL)}
BENIGN = {s.name: s for s in corpus.benign()}


@pytest.fixture(autouse=True)
def _no_payload_ever_runs() -> Iterator[None]:
    SENTINEL.unlink(missing_ok=True)
    yield
    assert not SENTINEL.exists(), "a payload ran"


def _scan(tmp_path: Path, sample: corpus.Sample) -> PickleScan:
    path = tmp_path / sample.filename
    sample.write(path)
    return scan_pickle(path, sample.filename)


@pytest.mark.parametrize("name", sorted(MALICIOUS))
def test_every_malicious_sample_is_unsafe(tmp_path: Path, name: str) -> None:
    scan = _scan(tmp_path, MALICIOUS[name])
    assert not scan.safe
    assert scan.issues  # each with a member and an offset
    assert scan.framework is None


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_benign_framework_pickles_are_not_unsafe(tmp_path: Path, name: str) -> None:
    scan = _scan(tmp_path, BENIGN[name])
    assert scan.safe, scan.issues
    assert scan.error is None


@pytest.mark.parametrize(
    ("name", "framework"),
    [
        ("torch-zip-state-dict", "PyTorch checkpoint"),
        ("torch-legacy", "PyTorch checkpoint (legacy torch.save)"),
        ("lightning", "Lightning checkpoint"),
        ("training-args", "Hugging Face TrainingArguments"),
        ("sklearn", "scikit-learn estimator"),
        ("numpy-object", "numpy array"),
    ],
)
def test_benign_layouts_are_recognised(tmp_path: Path, name: str, framework: str) -> None:
    assert _scan(tmp_path, BENIGN[name]).framework == framework


def _issue_offsets(scan: PickleScan, text: str) -> list[int]:
    return [i.offset for i in scan.issues if text in i.reason]


def test_memo_operands_resolve_to_the_real_import_at_its_offset(tmp_path: Path) -> None:
    sample = MALICIOUS["memo-operands"]
    scan = _scan(tmp_path, sample)
    assert scan.unsafe == ("os.system",)
    (offset,) = _issue_offsets(scan, "os.system")
    assert (tmp_path / sample.filename).read_bytes()[offset] == 0x93  # the STACK_GLOBAL
    assert scan.imports == ("os.system",)  # the decoy strings are never imported


def test_decoy_stack_operations_do_not_hide_the_import(tmp_path: Path) -> None:
    scan = _scan(tmp_path, MALICIOUS["decoy-stack"])
    assert scan.unsafe == ("os.system",)
    assert "builtins.print" not in scan.imports  # popped before any STACK_GLOBAL


def test_a_second_pickle_in_the_stream_is_read(tmp_path: Path) -> None:
    scan = _scan(tmp_path, MALICIOUS["second-pickle"])
    assert scan.pickles == 2
    assert scan.unsafe == ("os.system",)


def test_legacy_torch_layout_payload_in_a_later_pickle(tmp_path: Path) -> None:
    scan = _scan(tmp_path, MALICIOUS["legacy-torch-later-pickle"])
    assert scan.unsafe == ("os.system",)
    benign = _scan(tmp_path, BENIGN["torch-legacy"])
    assert benign.pickles == 5 and benign.error is None  # raw storages are skipped, not parsed


def test_payload_appended_after_legacy_storages_is_read(tmp_path: Path) -> None:
    tensors, raw = corpus.state_dict()
    path = tmp_path / "model.pt"
    path.write_bytes(corpus.legacy_torch(tensors, raw) + corpus.payload(SENTINEL))
    scan = scan_pickle(path, "model.pt")
    assert scan.pickles == 6
    assert scan.unsafe == ("os.system",)


def test_pickle_zip_polyglot(tmp_path: Path) -> None:
    scan = _scan(tmp_path, MALICIOUS["polyglot-pickle-zip"])
    assert any("polyglot" in i.reason for i in scan.issues)
    assert scan.unsafe == ("os.system",)


def test_zip_central_directory_and_local_headers_must_agree(tmp_path: Path) -> None:
    renamed = _scan(tmp_path, MALICIOUS["zip-local-name"])
    assert any("'archive/data.pkx' in its local header" in i.reason for i in renamed.issues)
    flags = _scan(tmp_path, MALICIOUS["zip-local-flags"])
    assert any("flags or method differ" in i.reason for i in flags.issues)
    hidden = _scan(tmp_path, MALICIOUS["zip-hidden-member"])
    (offset,) = _issue_offsets(hidden, "local headers only")
    assert offset == 0  # the hidden member comes first in the file


def test_duplicate_zip_members(tmp_path: Path) -> None:
    scan = _scan(tmp_path, MALICIOUS["zip-duplicate"])
    assert any("appears 2 times" in i.reason for i in scan.issues)
    assert scan.unsafe == ("os.system",)  # the second copy is read too


def test_payload_after_64_mib_is_found(tmp_path: Path) -> None:
    scan = _scan(tmp_path, MALICIOUS["after-64-mib"])
    (offset,) = _issue_offsets(scan, "os.system")
    assert offset > 64 << 20


@pytest.mark.parametrize(
    "qualified",
    ["torch.storage._load_from_bytes", "pickle.loads", "numpy.load", "joblib.load"],
)
def test_nested_loads_are_unsafe_even_in_trusted_namespaces(qualified: str) -> None:
    module, _, name = qualified.rpartition(".")
    assert judge(module, name, ["value"]) == "a nested unrestricted load"
    assert qualified in NESTED_LOADS


def test_load_from_bytes_is_flagged(tmp_path: Path) -> None:
    scan = _scan(tmp_path, MALICIOUS["load-from-bytes"])
    assert scan.unsafe == ("torch.storage._load_from_bytes",)


@pytest.mark.parametrize(
    ("name", "member"),
    [
        ("pickle-in-zip", "model/weights.pickle"),
        ("pkl-in-tar", "model/model.pkl"),
        ("pkl-in-tgz", "model/model.pkl"),
        ("npz-object", "arr_0.npy"),
    ],
)
def test_pickles_inside_archives_name_their_member(tmp_path: Path, name: str, member: str) -> None:
    scan = _scan(tmp_path, MALICIOUS[name])
    assert {i.member for i in scan.issues} == {member}


@pytest.mark.parametrize("filename", ["model.th", "model.joblib", "weights.dat", "state"])
def test_any_file_starting_with_a_pickle_is_scanned(tmp_path: Path, filename: str) -> None:
    path = tmp_path / filename
    path.write_bytes(corpus.payload(SENTINEL))
    assert scan_pickle(path, filename).unsafe == ("os.system",)


def test_numpy_arrays_without_objects_hold_no_pickle(tmp_path: Path) -> None:
    scan = _scan(tmp_path, BENIGN["numpy-plain"])
    assert scan.pickles == 0 and scan.safe
    assert _scan(tmp_path, MALICIOUS["npy-object"]).unsafe == ("os.system",)


def test_unresolvable_operands_are_unsafe_with_their_offset(tmp_path: Path) -> None:
    # STACK_GLOBAL over an integer and a string: no name the scan can judge.
    data = b"\x80\x04K\x01" + corpus._u("system") + b"\x93)R."
    path = tmp_path / "model.pt"
    path.write_bytes(data)
    scan = scan_pickle(path, "model.pt")
    assert not scan.safe and scan.unsafe == ()
    (offset,) = _issue_offsets(scan, "cannot be resolved")
    assert data[offset] == 0x93


def test_audit_names_every_hostile_file_and_trusts_none(tmp_path: Path) -> None:
    release = tmp_path / "release"
    release.mkdir()
    (release / "LICENSE").write_text(
        licence_corpus("licences", "MIT.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (release / "config.json").write_text('{"architectures": ["X"]}', encoding="utf-8")
    hostile = ["memo-operands", "polyglot-pickle-zip", "npz-object", "dat-name", "pkl-in-tar"]
    for name in hostile:
        sample = MALICIOUS[name]
        sample.write(release / f"{name}-{sample.filename}")
    BENIGN["training-args"].write(release / "training_args.bin")
    result = audit_release(str(release))
    flagged = {f.evidence[0] for f in result.findings if f.code == "SEC-PICKLE"}
    assert flagged == {f"{n}-{MALICIOUS[n].filename}" for n in hostile}
    trust = [f for f in result.findings if f.code == "SEC-PICKLE-TRUST"]
    assert [f.evidence for f in trust] == [("training_args.bin",)]
    assert trust[0].severity.value == "low"
    assert "pickle: loading needs trust" in trust[0].message


def test_json_report_gives_issue_offsets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release = tmp_path / "release"
    shutil.copytree(Path(__file__).parent.parent / "examples/releases/unsafe-pickle", release)
    MALICIOUS["memo-operands"].write(release / "extra.pkl")
    main(["audit", str(release), "--format", "json", "--no-systemic-risk", "--not-monetised"])
    report = json.loads(capsys.readouterr().out)
    pickles = {p["path"]: p for p in report["audits"][0]["pickles"]}
    issue = pickles["extra.pkl"]["issues"][0]
    assert issue["offset"] == 50 and "os.system" in issue["reason"]


# -- property-based: the scanner never raises, and an unlisted import is always unsafe ----------
DANGEROUS = [
    "os.system", "posix.system", "subprocess.Popen", "builtins.eval", "builtins.exec",
    "runpy._run_code", "webbrowser.open", "socket.create_connection", "shutil.rmtree",
    "pickle.loads", "torch.load", "torch.storage._load_from_bytes", "numpy.load",
]  # fmt: skip
_IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_UNLISTED = st.one_of(
    st.sampled_from(DANGEROUS),
    st.tuples(_IDENT, _IDENT).map(lambda p: f"zz{p[0]}.{p[1]}"),  # outside every namespace
)
_NOISE = st.sampled_from([
    corpus._u("decoy") + b"0", b"(" + corpus._u("a") + corpus._u("b") + b"1", b"}0", b"]0",
    corpus._u("x") + b"\x940", b"N2" + b"00", b"K\x05J\x01\x00\x00\x000", b")0",
])  # fmt: skip


def _operands(module: str, name: str, how: int) -> bytes:
    """Push module and name by one of several routes, leaving exactly the two on the stack."""
    if how == 0:
        return corpus._u(module) + corpus._u(name)
    if how == 1:  # through the memo, with a decoy in between
        return (
            corpus._u(name) + b"r\x00\x00\x01\x00" + b"0" + corpus._u(module)
            + corpus._u("decoy") + b"0" + b"j\x00\x00\x01\x00"
        )  # fmt: skip
    return corpus._u(module) + corpus._u(name) + b"2" + b"0"  # DUP then POP


@st.composite
def _hostile(draw: st.DrawFn) -> bytes:
    module, _, name = draw(_UNLISTED).rpartition(".")
    noise = draw(st.lists(_NOISE, max_size=6))
    split = draw(st.integers(0, len(noise)))
    how = draw(st.integers(0, 2))
    body = b"".join(noise[:split]) + _operands(module, name, how) + b"\x93"
    body += draw(st.sampled_from([b"", b")R", b"0", b"N\x85R"]))
    tail = b"".join(noise[split:]) + b"N."
    cut = draw(st.integers(0, len(tail)))  # the pickle may break after the import
    return b"\x80\x04" + body + tail[:cut]


def _wrap(data: bytes, how: int) -> bytes:
    if how == 1:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("archive/data.pkl", data)
        return out.getvalue()
    if how == 2:
        return b"\x80\x02N." + data  # a second pickle
    return data


_FUZZ = settings(
    max_examples=150,
    deadline=timedelta(seconds=5),  # a generous bound: catches hangs, not slowness
    suppress_health_check=[HealthCheck.too_slow],
)


@_FUZZ
@given(_hostile(), st.integers(0, 2))
def test_an_unlisted_import_is_always_unsafe(data: bytes, wrap: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.bin"
        path.write_bytes(_wrap(data, wrap))
        scan = scan_pickle(path, "model.bin")
    assert not scan.safe
    assert scan.unsafe


@_FUZZ
@given(
    st.binary(max_size=2048),
    st.sampled_from(
        [b"", b"\x80\x02", b"\x80\x04", b"PK\x03\x04", b"\x93NUMPY\x01\x00", b"\x1f\x8b", b"x\x9c"]
    ),
)
def test_no_exception_escapes_on_arbitrary_bytes(data: bytes, prefix: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.pt"
        path.write_bytes(prefix + data)
        scan = scan_pickle(path, "model.pt")
    assert isinstance(scan, PickleScan)


@_FUZZ
@given(
    st.sampled_from(sorted(MALICIOUS)), st.integers(0, 1 << 16), st.binary(min_size=1, max_size=4)
)
def test_no_exception_escapes_on_mutated_samples(name: str, at: int, patch: bytes) -> None:
    sample = MALICIOUS[name]
    if name == "after-64-mib":
        return  # too large to mutate a hundred times
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / sample.filename
        sample.write(path)
        data = bytearray(path.read_bytes())
        at %= len(data)
        data[at : at + len(patch)] = patch
        path.write_bytes(bytes(data))
        scan_pickle(path, sample.filename)


def test_struct_of_numpy_header_is_never_evaluated(tmp_path: Path) -> None:
    # A header that is not a literal is refused, never evaluated.
    header = b"{'descr': __import__('os').system('touch x'), 'shape': (1,)}\n"
    data = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header
    path = tmp_path / "a.npy"
    path.write_bytes(data)
    scan = scan_pickle(path, "a.npy")
    assert scan.error is not None and "numpy header" in scan.error


def test_protocol_1_pickle_with_its_payload_after_the_first_kilobytes(tmp_path: Path) -> None:
    # No PROTO opcode and 9 KB of list items before the import: still read as a pickle.
    data = b"]" + b"K\x01a" * 3000 + b"0" + corpus.payload(SENTINEL)[2:]
    path = tmp_path / "weights.dat"
    path.write_bytes(data)
    scan = scan_pickle(path, "weights.dat")
    assert scan.unsafe == ("os.system",)
    assert _issue_offsets(scan, "os.system") == [9002]


@pytest.mark.parametrize(
    "data",
    [b"GGUF" + bytes(range(256)) * 20, b"lmgg" + bytes(range(256)) * 4, b"plain text\n" * 50],
)
def test_a_pickle_named_file_that_is_not_a_pickle_is_unreadable_not_unsafe(
    tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "pytorch_model.bin"
    path.write_bytes(data)
    scan = scan_pickle(path, "pytorch_model.bin")
    assert scan.safe and scan.pickles == 0
    assert scan.error == "not a pickle, zip, tar or numpy file"


@pytest.mark.parametrize(
    ("name", "member"),
    [
        ("zip-in-gzip", "archive/data.pkl"),
        ("npz-in-xz", "arr_0.npy"),
        ("tgz-in-zip", "model.tar.gz/model/model.pkl"),
    ],
)
def test_nested_containers_are_opened(tmp_path: Path, name: str, member: str) -> None:
    scan = _scan(tmp_path, MALICIOUS[name])
    assert "os.system" in scan.unsafe
    assert {i.member for i in scan.issues} == {member}
    assert scan.error is None


@pytest.mark.skipif(not corpus.HAS_LZ4, reason="the [lz4] extra is not installed")
def test_lz4_joblib_dump_is_scanned(tmp_path: Path) -> None:
    assert "os.system" in _scan(tmp_path, MALICIOUS["joblib-lz4"]).unsafe
    benign = _scan(tmp_path, BENIGN["sklearn-lz4"])
    assert benign.safe and benign.error is None
    assert benign.framework == "scikit-learn estimator"


def test_lz4_without_the_lz4_package_is_not_scanned_and_not_safe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An LZ4 frame's magic, then data: whatever follows, it cannot be read without lz4.
    path = tmp_path / "model.joblib"
    path.write_bytes(b"\x04\x22\x4d\x18" + bytes(range(64)))
    monkeypatch.setitem(sys.modules, "lz4", None)  # as on an install without the extra
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    scan = scan_pickle(path, "model.joblib")
    assert scan.error is not None and "lz4 not installed" in scan.error
    release = tmp_path / "release"
    release.mkdir()
    path.rename(release / "model.joblib")
    audit = audit_release(str(release))
    unread = [f for f in audit.findings if f.code == "WEIGHTS-UNREADABLE"]
    assert [f.evidence for f in unread] == [("model.joblib",)]
    assert "lz4 not installed" in unread[0].message
    assert "SEC-PICKLE-TRUST" not in {f.code for f in audit.findings}


def test_a_decompression_bomb_is_cut_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pickle byte string of zeros that expands past the cap (lowered here from 2 GiB so the
    # test stays small): the rest is not scanned, and the file says so.
    monkeypatch.setattr(compressed, "MAX_EXPANDED", 4 << 20)
    path = tmp_path / "model.pkl.gz"
    with gzip.GzipFile(path, "wb") as handle:
        handle.write(b"\x80\x04\x8e" + struct.pack("<Q", 16 << 20) + bytes(16 << 20) + b".")
    scan = scan_pickle(path, "model.pkl.gz")
    assert scan.error is not None and "could not scan past 4 MiB" in scan.error
    assert scan_release_file(path, "model.pkl.gz") is not None  # named, never dropped
