"""safetensors and GGUF headers, read in bounded memory and checked against the file itself.

A header is only a claim about the bytes that follow it: offsets are checked to lie inside the
file, to be contiguous and not to overlap, shapes to match the byte sizes, dtypes to be known.
A header that contradicts its file raises :class:`InvalidHeader` (a ``WEIGHTS-INVALID``
finding); one that cannot be parsed raises ``ValueError`` (``WEIGHTS-UNREADABLE``).
"""

from __future__ import annotations

import json
import re
import struct
from math import prod
from typing import Any, BinaryIO

from clearweights._untrusted import shorten
from clearweights.weights.model import WeightsHeader

MAX_SAFETENSORS_HEADER = 100 << 20  # the format's own limit
MAX_ENTRY_BYTES = 64 << 10  # one tensor's entry is ~100 bytes; metadata may be longer
MAX_METADATA_BYTES = 16 << 20
MAX_METADATA_VALUE = 4096  # characters of a metadata value kept for reports
MAX_DIMS = 16
# bits per element of every safetensors dtype (sub-byte floats pack).
SAFETENSORS_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "I16": 16,
    "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "F64": 64, "I64": 64,
    "U64": 64, "C64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}  # fmt: skip
_MAX_GGUF_DIMS = 8
_MAX_GGUF_STRING = 1 << 20
_GGUF_TYPES = {
    0: ("B", 1), 1: ("b", 1), 2: ("H", 2), 3: ("h", 2), 4: ("I", 4), 5: ("i", 4), 6: ("f", 4),
    7: ("?", 1), 10: ("Q", 8), 11: ("q", 8), 12: ("d", 8),
}  # fmt: skip
# ggml tensor types whose layout is certain: id -> (elements per block, bytes per block).
GGML_BLOCKS = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210),
    15: (256, 292), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 30: (1, 2),
}  # fmt: skip
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[{]|[\]}]')


class InvalidHeader(ValueError):
    """The header parses, but contradicts the file (offsets, sizes, dtypes, version)."""


def _name(text: str) -> str:
    return shorten(repr(text), 80)


def _extent(text: str, start: int, limit: int) -> int:
    """The end of the JSON object or array opening at *start* (strings skipped), bounded."""
    depth = 0
    for m in _TOKENS.finditer(text, start):
        if m.end() - start > limit:
            break
        token = m.group()
        if token in "[{":
            depth += 1
        elif token in "]}":
            depth -= 1
            if depth == 0:
                return m.end()
    raise ValueError(f"a header entry is longer than {limit} bytes or never closes")


def _entries(text: str) -> Any:
    """Yield ``(key, value)`` of the header's top-level object, one entry decoded at a time."""
    i = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
    if text[i : i + 1] != "{":
        raise ValueError("header is not a JSON object")
    i += 1
    while True:
        i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
        if text[i : i + 1] == "}":
            if text[i + 1 :].strip():
                raise ValueError("data after the header's JSON object")
            return
        key, i = _DECODER.raw_decode(text, i)
        if not isinstance(key, str):
            raise ValueError("header key is not a string")
        i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
        if text[i : i + 1] != ":":
            raise ValueError(f"expected ':' after {_name(key)}")
        i = _SPACE.match(text, i + 1).end()  # type: ignore[union-attr]
        if text[i : i + 1] != "{":
            raise ValueError(f"entry {_name(key)} is not a JSON object")
        limit = MAX_METADATA_BYTES if key == "__metadata__" else MAX_ENTRY_BYTES
        end = _extent(text, i, limit)
        yield key, json.loads(text[i:end])
        i = _SPACE.match(text, end).end()  # type: ignore[union-attr]
        if text[i : i + 1] == ",":
            i += 1
        elif text[i : i + 1] != "}":
            raise ValueError(f"expected ',' or '}}' after {_name(key)}")


def _tensor(name: str, info: dict[str, Any]) -> tuple[str, int, int, int]:
    """Check one tensor entry; return its dtype, element count and data offsets."""
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise ValueError(f"tensor {_name(name)} has no valid shape")
    if len(shape) > MAX_DIMS:
        raise InvalidHeader(f"tensor {_name(name)} has {len(shape)} dimensions")
    if dtype not in SAFETENSORS_BITS:
        raise InvalidHeader(f"tensor {_name(name)} has an unknown dtype {_name(str(dtype))}")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(type(o) is int and o >= 0 for o in offsets)
        or offsets[0] > offsets[1]
    ):
        raise InvalidHeader(f"tensor {_name(name)} has no valid data_offsets")
    count = prod(shape)
    needed = (count * SAFETENSORS_BITS[dtype] + 7) // 8
    if needed != offsets[1] - offsets[0]:
        raise InvalidHeader(
            f"tensor {_name(name)}: shape {shorten(str(shape), 60)} of {dtype} needs {needed} "
            f"bytes, but its data_offsets span {offsets[1] - offsets[0]}"
        )
    return dtype, count, offsets[0], offsets[1]


def _contiguous(spans: list[tuple[int, int, str]], data_size: int) -> None:
    """Tensors must tile the data section exactly: no gap, no overlap, nothing outside."""
    position = 0
    for start, end, name in sorted(spans):
        if end > data_size:
            raise InvalidHeader(
                f"tensor {_name(name)}: data_offsets [{start}, {end}] run past the end of the "
                f"file (its data section is {data_size} bytes)"
            )
        if start < position:
            raise InvalidHeader(f"tensor {_name(name)} overlaps the tensor before it")
        if start > position:
            raise InvalidHeader(f"{start - position} bytes before tensor {_name(name)} are unused")
        position = end
    if position != data_size:
        raise InvalidHeader(
            f"the tensors end at byte {position} of a {data_size}-byte data section"
        )


def safetensors(handle: BinaryIO, relative: str, file_size: int) -> WeightsHeader:
    """Read and check a safetensors header without holding more than the header's text."""
    raw = handle.read(8)
    if len(raw) < 8:
        raise ValueError("file shorter than the 8-byte header length")
    (length,) = struct.unpack("<Q", raw)
    if length > MAX_SAFETENSORS_HEADER:
        raise ValueError(f"header length {length} exceeds the format's limit")
    if 8 + length > file_size:
        raise InvalidHeader(
            f"header length {length} runs past the end of the {file_size}-byte file"
        )
    text = handle.read(length).decode("utf-8")
    metadata: dict[str, str] = {}
    spans: list[tuple[int, int, str]] = []
    dtypes: set[str] = set()
    params = 0
    for name, info in _entries(text):
        if name == "__metadata__":
            metadata = {str(k): shorten(str(v), MAX_METADATA_VALUE) for k, v in info.items()}
            continue
        dtype, count, start, end = _tensor(name, info)
        dtypes.add(dtype)
        params += count
        spans.append((start, end, name))
    del text
    _contiguous(spans, file_size - 8 - length)
    return WeightsHeader(
        relative, "safetensors", params, len(spans), tuple(sorted(dtypes)), metadata
    )


class _Gguf:
    """A cursor over a GGUF file that checks every count and length against what is left."""

    def __init__(self, handle: BinaryIO, size: int):
        self.handle = handle
        self.size = size
        self.wide = True  # version 1 used 32-bit counts and lengths

    def left(self) -> int:
        return self.size - self.handle.tell()

    def read(self, fmt: str) -> Any:
        need = struct.calcsize("<" + fmt)
        raw = self.handle.read(need)
        if len(raw) < need:
            raise InvalidHeader("the file ends inside its header (truncated)")
        return struct.unpack("<" + fmt, raw)

    def count(self, what: str, smallest: int) -> int:
        (value,) = self.read("Q" if self.wide else "I")
        if value * smallest > self.left():
            raise InvalidHeader(f"{what} count {value} does not fit in the {self.size}-byte file")
        return int(value)

    def string(self) -> str:
        length = self.count("string length", 1)
        if length > _MAX_GGUF_STRING:
            raise ValueError("GGUF string too long")
        return self.handle.read(length).decode("utf-8", errors="replace")

    def value(self, kind: int) -> Any:
        if kind in _GGUF_TYPES:
            fmt, _ = _GGUF_TYPES[kind]
            return self.read(fmt)[0]
        if kind == 8:
            return self.string()
        if kind == 9:
            (item_kind,) = self.read("I")
            if item_kind == 9:
                raise ValueError("nested GGUF arrays are not supported")
            if item_kind not in _GGUF_TYPES and item_kind != 8:
                raise InvalidHeader(f"unknown GGUF value type {item_kind} in an array")
            width = (
                _GGUF_TYPES[item_kind][1] if item_kind in _GGUF_TYPES else (8 if self.wide else 4)
            )
            count = self.count("array", width)
            if item_kind in _GGUF_TYPES and count > 16:
                self.handle.seek(count * width, 1)  # skipped, not read into memory
                return f"[{count} items]"
            items = [self.value(item_kind) for _ in range(count)]
            return f"[{count} items]" if count > 16 else items
        raise InvalidHeader(f"unknown GGUF value type {kind}")


def _tensor_bytes(kind: int, shape: tuple[int, ...]) -> int | None:
    if kind not in GGML_BLOCKS:
        return None  # a newer quantisation: its extent is not checked
    block, size = GGML_BLOCKS[kind]
    count = prod(shape)
    return -(-count // block) * size


def gguf(handle: BinaryIO, relative: str, file_size: int) -> WeightsHeader:
    """Read a GGUF header (versions 1 to 3); every count and offset must fit in the file."""
    if handle.read(4) != b"GGUF":
        raise ValueError("missing GGUF magic")
    cursor = _Gguf(handle, file_size)
    (version,) = cursor.read("I")
    if version not in (1, 2, 3):
        raise InvalidHeader(f"GGUF version {version} is not supported (1 to 3)")
    cursor.wide = version > 1
    lengths = 8 if cursor.wide else 4
    tensors = cursor.count("tensor", lengths + 16)
    kv_count = cursor.count("metadata", lengths + 5)
    metadata: dict[str, str] = {"gguf.version": str(version)}
    for _ in range(kv_count):
        key = cursor.string()
        (kind,) = cursor.read("I")
        value = cursor.value(kind)
        if isinstance(value, str | int | float | bool):
            metadata[key] = shorten(str(value), MAX_METADATA_VALUE)
    infos = []
    for _ in range(tensors):
        name = cursor.string()
        (dims,) = cursor.read("I")
        if dims > _MAX_GGUF_DIMS:
            raise ValueError(f"tensor with {dims} dimensions")
        shape = cursor.read(f"{dims}{'Q' if cursor.wide else 'I'}")
        kind, offset = cursor.read("IQ")
        infos.append((name, tuple(shape), kind, offset))
    alignment = int(metadata.get("general.alignment", "32") or 32)
    start = -(-handle.tell() // max(alignment, 1)) * max(alignment, 1)
    data_size = file_size - start
    params = 0
    for name, shape, kind, offset in infos:
        params += prod(shape)
        needed = _tensor_bytes(kind, shape)
        if offset > data_size or (needed is not None and offset + needed > data_size):
            raise InvalidHeader(
                f"tensor {_name(name)} at offset {offset} runs past the end of the file "
                f"(its data section is {data_size} bytes; truncated?)"
            )
    return WeightsHeader(relative, "gguf", params, tensors, (), metadata)
