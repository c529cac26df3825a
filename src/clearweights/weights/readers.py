"""Safetensors and GGUF header readers: nothing from a release is executed or unpickled."""

from __future__ import annotations

import os
import struct
from pathlib import Path

from clearweights.weights._headers import InvalidHeader, gguf, safetensors
from clearweights.weights.model import WeightsHeader


def read_header(path: Path, relative: str) -> WeightsHeader:
    """Read the header of a weight file; errors are reported in the result, not raised."""
    suffix = path.suffix.lower()
    try:
        size = os.stat(path).st_size
        with path.open("rb") as handle:
            match suffix:
                case ".safetensors":
                    return safetensors(handle, relative, size)
                case ".gguf":
                    return gguf(handle, relative, size)
                case _:
                    return WeightsHeader(relative, suffix.lstrip(".") or "other")
    except InvalidHeader as exc:
        return WeightsHeader(
            relative, suffix.lstrip("."), error=f"invalid header: {exc}", invalid=True
        )
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
