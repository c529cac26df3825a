"""Weight headers and pickle opcodes, read without loading anything."""

from __future__ import annotations

import struct
from pathlib import Path

from clearweights.weights import read_header, scan_pickle


def _gguf_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def test_gguf_header(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    kv = (
        _gguf_string("general.architecture") + struct.pack("<I", 8) + _gguf_string("llama")
        + _gguf_string("general.license") + struct.pack("<I", 8) + _gguf_string("llama3.1")
        + _gguf_string("llama.context_length") + struct.pack("<I", 4) + struct.pack("<I", 8192)
    )  # fmt: skip
    tensors = b""
    for name, shape in (("token_embd.weight", (64, 16)), ("output.weight", (64, 16))):
        tensors += (
            _gguf_string(name)
            + struct.pack("<I", len(shape))
            + struct.pack(f"<{len(shape)}Q", *shape)
        )
        tensors += struct.pack("<I", 1) + struct.pack("<Q", 0)
    head = b"GGUF" + struct.pack("<IQQ", 3, 2, 3) + kv + tensors
    data = b"\0" * (-len(head) % 32) + bytes(64 * 16 * 2)  # aligned F16 data
    path.write_bytes(head + data)
    header = read_header(path, "model.gguf")
    assert header.error is None
    assert header.parameters == 2 * 64 * 16
    assert header.metadata["general.license"] == "llama3.1"
    assert header.metadata["llama.context_length"] == "8192"


def test_broken_headers_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "model.safetensors"
    bad.write_bytes(struct.pack("<Q", 10**12) + b"{}")
    assert "exceeds" in (read_header(bad, "model.safetensors").error or "")
    short = tmp_path / "short.safetensors"
    short.write_bytes(b"\x01")
    assert read_header(short, "short.safetensors").error is not None
    gguf = tmp_path / "bad.gguf"
    gguf.write_bytes(b"NOPE")
    assert "magic" in (read_header(gguf, "bad.gguf").error or "")


def test_zip_checkpoint_pickles_are_scanned(tmp_path: Path) -> None:
    import zipfile

    payload = b"\x80\x02csubprocess\ncheck_output\nX\x02\x00\x00\x00ls\x85R."
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/data/0", b"\x00" * 16)
    scan = scan_pickle(path, "model.pt")
    assert scan.unsafe == ("subprocess.check_output",)


def test_safe_pickle_and_garbage(tmp_path: Path) -> None:
    safe = tmp_path / "state.bin"
    safe.write_bytes(b"\x80\x02ccollections\nOrderedDict\n)R.")
    assert scan_pickle(safe, "state.bin").unsafe == ()
    garbage = tmp_path / "weights.bin"
    garbage.write_bytes(b"\xff\xfe not a pickle")
    assert scan_pickle(garbage, "weights.bin").error is not None
