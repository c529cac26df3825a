"""Safetensors and GGUF header readers. Nothing here executes or imports anything from a release."""

from __future__ import annotations

import json
import struct
from math import prod
from pathlib import Path
from typing import Any, BinaryIO

from clearweights.weights.model import WeightsHeader

MAX_SAFETENSORS_HEADER = 100 << 20  # the format's own limit
_MAX_GGUF_DIMS = 8
_GGUF_TYPES = {
    0: ("B", 1), 1: ("b", 1), 2: ("H", 2), 3: ("h", 2), 4: ("I", 4), 5: ("i", 4), 6: ("f", 4),
    7: ("?", 1), 10: ("Q", 8), 11: ("q", 8), 12: ("d", 8),
}  # fmt: skip


def read_header(path: Path, relative: str) -> WeightsHeader:
    """Read the header of a weight file; errors are reported in the result, not raised."""
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as handle:
            match suffix:
                case ".safetensors":
                    return _safetensors(handle, relative)
                case ".gguf":
                    return _gguf(handle, relative)
                case _:
                    return WeightsHeader(relative, suffix.lstrip(".") or "other")
    except (
        OSError,
        ValueError,
        TypeError,
        AttributeError,
        struct.error,
        UnicodeDecodeError,
        RecursionError,
        MemoryError,
    ) as exc:
        return WeightsHeader(relative, suffix.lstrip("."), error=f"unreadable header: {exc}")


def _safetensors(handle: BinaryIO, relative: str) -> WeightsHeader:
    raw = handle.read(8)
    if len(raw) < 8:
        raise ValueError("file shorter than the 8-byte header length")
    (length,) = struct.unpack("<Q", raw)
    if length > MAX_SAFETENSORS_HEADER:
        raise ValueError(f"header length {length} exceeds the format's limit")
    header = json.loads(handle.read(length))
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    raw_metadata = header.pop("__metadata__", None) or {}
    if not isinstance(raw_metadata, dict):
        raise ValueError("__metadata__ is not a JSON object")
    metadata = {str(k): str(v) for k, v in raw_metadata.items()}
    params = 0
    dtypes: set[str] = set()
    for name, info in header.items():
        shape = info.get("shape") if isinstance(info, dict) else None
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise ValueError(f"tensor {name!r} has no valid shape")
        params += prod(shape)
        dtypes.add(str(info.get("dtype")))
    return WeightsHeader(
        relative, "safetensors", params, len(header), tuple(sorted(dtypes)), metadata
    )


def _gguf_string(handle: BinaryIO) -> str:
    (length,) = struct.unpack("<Q", handle.read(8))
    if length > 1 << 20:
        raise ValueError("GGUF string too long")
    return handle.read(length).decode("utf-8")


def _gguf_value(handle: BinaryIO, kind: int) -> Any:
    if kind in _GGUF_TYPES:
        fmt, size = _GGUF_TYPES[kind]
        return struct.unpack("<" + fmt, handle.read(size))[0]
    if kind == 8:
        return _gguf_string(handle)
    if kind == 9:
        (item_kind,) = struct.unpack("<I", handle.read(4))
        if item_kind == 9:
            raise ValueError("nested GGUF arrays are not supported")
        (count,) = struct.unpack("<Q", handle.read(8))
        if count > 1 << 24:
            raise ValueError("GGUF array too long")
        items = [_gguf_value(handle, item_kind) for _ in range(count)]
        return f"[{count} items]" if count > 16 else items
    raise ValueError(f"unknown GGUF value type {kind}")


def _gguf(handle: BinaryIO, relative: str) -> WeightsHeader:
    if handle.read(4) != b"GGUF":
        raise ValueError("missing GGUF magic")
    version, tensors, kv_count = struct.unpack("<IQQ", handle.read(20))
    if kv_count > 1 << 16:
        raise ValueError("too many GGUF metadata entries")
    metadata: dict[str, str] = {"gguf.version": str(version)}
    for _ in range(kv_count):
        key = _gguf_string(handle)
        (kind,) = struct.unpack("<I", handle.read(4))
        value = _gguf_value(handle, kind)
        if isinstance(value, str | int | float | bool):
            metadata[key] = str(value)
    params = 0
    for _ in range(min(tensors, 1 << 20)):
        _gguf_string(handle)
        (dims,) = struct.unpack("<I", handle.read(4))
        if dims > _MAX_GGUF_DIMS:
            raise ValueError(f"tensor with {dims} dimensions")
        shape = struct.unpack(f"<{dims}Q", handle.read(8 * dims))
        handle.read(4 + 8)  # type and offset
        params += prod(shape)
    return WeightsHeader(relative, "gguf", params, tensors, (), metadata)
