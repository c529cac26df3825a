"""Pickle scanning: opcodes are read, never executed or unpickled."""

from __future__ import annotations

import io
import pickletools
import struct
import zipfile
import zlib
from pathlib import Path

from clearweights.weights.model import PickleScan

PICKLE_SUFFIXES = frozenset({".bin", ".pt", ".pth", ".ckpt", ".pkl"})
MAX_PICKLE_BYTES = 64 << 20  # opcodes of larger pickles are scanned up to this much
# Callables a model checkpoint legitimately references when unpickled.
SAFE_GLOBALS = {
    "collections": {"OrderedDict", "defaultdict"},
    "torch": {
        "FloatStorage", "HalfStorage", "BFloat16Storage", "DoubleStorage", "LongStorage",
        "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage", "Size",
        "float16", "float32", "bfloat16", "int64", "device", "dtype",
    },
    "torch._utils": {
        "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_parameter",
        "_rebuild_parameter_with_state",
    },
    "torch.storage": {"UntypedStorage", "_load_from_bytes"},
    "numpy": {"dtype", "ndarray"},
    "numpy.core.multiarray": {"_reconstruct", "scalar"},
    "numpy._core.multiarray": {"_reconstruct", "scalar"},
    "builtins": {
        "set", "frozenset", "slice", "complex", "bytearray", "int", "float", "str", "tuple",
        "list", "dict", "bool",
    },
    "_codecs": {"encode"},
}  # fmt: skip


def _pickle_streams(path: Path) -> list[tuple[str, bytes]]:
    """The pickles inside a file: a zip checkpoint (torch.save) holds ``*/data.pkl``."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            streams = []
            for name in archive.namelist():
                if name.endswith(".pkl"):
                    with archive.open(name) as member:  # bounded read: no zip bomb expands fully
                        streams.append((name, member.read(MAX_PICKLE_BYTES)))
            return streams
    with path.open("rb") as handle:
        return [("", handle.read(MAX_PICKLE_BYTES))]


_STRING_OPS = {
    "SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8", "STRING", "SHORT_BINSTRING",
    "BINSTRING",
}  # fmt: skip


def _globals(data: bytes, found: list[str]) -> None:
    """Add every module.name a pickle imports to *found* (kept when the pickle is broken later)."""
    strings: list[str] = []
    memo: dict[int, str] = {}
    memo_count = 0
    last_string = False
    for opcode, arg, _ in pickletools.genops(io.BytesIO(data)):
        name = opcode.name
        if name in _STRING_OPS:
            strings.append(str(arg))
        elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
            if last_string:
                memo[int(str(arg))] = strings[-1]
        elif name == "MEMOIZE":
            if last_string:
                memo[memo_count] = strings[-1]
            memo_count += 1
        elif name in ("BINGET", "LONG_BINGET", "GET") and int(str(arg)) in memo:
            strings.append(memo[int(str(arg))])
        elif name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            found.append(f"{module}.{attr}")
        elif name == "STACK_GLOBAL" and len(strings) >= 2:
            found.append(f"{strings[-2]}.{strings[-1]}")
        if name == "STOP":
            break
        last_string = name in _STRING_OPS or name in ("BINGET", "LONG_BINGET", "GET")


def _is_safe(qualified: str) -> bool:
    module, _, name = qualified.rpartition(".")
    return name in SAFE_GLOBALS.get(module, set())


def scan_pickle(path: Path, relative: str) -> PickleScan:
    """List the callables a pickle would import, flagging those outside the allow-list."""
    imports: list[str] = []
    error = None
    try:
        for _, data in _pickle_streams(path):
            try:
                _globals(data, imports)
            except (
                ValueError,
                EOFError,
                IndexError,
                KeyError,
                struct.error,
                RecursionError,
            ) as exc:
                # pickle.loads runs every opcode before the broken one: what was read still counts.
                error = f"not a readable pickle: {exc}"
    except (
        OSError,
        ValueError,
        zipfile.BadZipFile,
        NotImplementedError,
        RuntimeError,
        zlib.error,
    ) as exc:
        error = f"not a readable pickle file: {exc}"
    unique = tuple(dict.fromkeys(imports))
    return PickleScan(relative, unique, tuple(i for i in unique if not _is_safe(i)), error)
