"""Property tests: the header readers and the front-matter reader never let an exception out.

Inputs are arbitrary bytes and mutations of valid headers; every result is a header, a
reported error or a ``CardError``, never a crash.
"""

from __future__ import annotations

import json
import string
import struct
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearweights import _untrusted
from clearweights.release.card import CardError, parse_card
from clearweights.weights import read_header
from tests.hostile import corpus as hc

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_WORDS = st.text(alphabet=string.ascii_letters + " -", max_size=8)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | _WORDS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_WORDS, inner, max_size=4),
    max_leaves=12,
)


def _header_file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@SETTINGS
@given(data=st.binary(max_size=512))
def test_safetensors_reader_on_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    header = read_header(_header_file(tmp_path, "m.safetensors", data), "m.safetensors")
    assert header.error is not None or header.parameters is not None


@SETTINGS
@given(
    entries=st.dictionaries(st.text(max_size=6), _json_values, max_size=4),
    tail=st.binary(max_size=64),
)
def test_safetensors_reader_on_odd_headers(
    tmp_path: Path, entries: dict[str, object], tail: bytes
) -> None:
    raw = json.dumps(entries).encode()
    path = _header_file(tmp_path, "m.safetensors", struct.pack("<Q", len(raw)) + raw + tail)
    header = read_header(path, "m.safetensors")
    if header.error is None:  # accepted: then it really does tile the data it points at
        assert header.tensors == sum(1 for k in entries if k != "__metadata__")


@SETTINGS
@given(
    version=st.integers(0, 5),
    tensors=st.integers(0, (1 << 64) - 1),
    kv=st.integers(0, (1 << 64) - 1),
    body=st.binary(max_size=256),
)
def test_gguf_reader_on_arbitrary_headers(
    tmp_path: Path, version: int, tensors: int, kv: int, body: bytes
) -> None:
    path = _header_file(tmp_path, "m.gguf", hc.gguf(version, tensors, kv, body))
    header = read_header(path, "m.gguf")
    if version not in (1, 2, 3):
        assert header.invalid


@SETTINGS
@given(front=st.text(max_size=300), body=st.text(max_size=200))
def test_front_matter_reader_never_crashes(front: str, body: str) -> None:
    try:
        card = parse_card(f"---\n{front}\n---\n{body}")
    except CardError:
        return
    assert card.path == "README.md"


@SETTINGS
@given(value=_json_values)
def test_bounded_yaml_reads_what_safe_load_reads(value: object) -> None:
    text = json.dumps(value)  # JSON of plain words is YAML too
    assert _untrusted.load_yaml(text) == _untrusted.load_json(text)
