"""Every pickle in a stream, one after another until its end, and the legacy torch.save layout."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import IO

from clearweights.weights.pickles.machine import Machine, Scan
from clearweights.weights.pickles.opcodes import OPS
from clearweights.weights.pickles.reader import Reader
from clearweights.weights.pickles.values import Container, Global, PickleError

TORCH_MAGIC = 0x1950A86A20F9469CFC6C  # the first pickle of a legacy torch.save file
_ELEMENT_SIZES = {
    "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2, "DoubleStorage": 8,
    "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1,
    "BoolStorage": 1, "ComplexFloatStorage": 8, "ComplexDoubleStorage": 16, "QInt8Storage": 1,
    "QUInt8Storage": 1, "QInt32Storage": 4, "QUInt4x2Storage": 1, "QUInt2x4Storage": 1,
    "UntypedStorage": 1,
}  # fmt: skip
ERRORS = (PickleError, EOFError, ValueError, struct.error, OverflowError, RecursionError)
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x01\x02")
# Containers whose magic happens to read as opcodes ("PK" is PERSID): never protocol 0 pickles.
_NOT_PICKLES = (b"PK", b"\x93NUMPY", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"GGUF")


@dataclass
class StreamResult:
    """How many pickles a stream held, whether it is torch's legacy layout, and any break."""

    pickles: int = 0
    legacy: bool = False
    error: str | None = None


def strong_sniff(head: bytes) -> bool:
    """A PROTO opcode (protocols 0 to 5) followed by a valid opcode: surely meant as a pickle."""
    return len(head) >= 3 and head[0] == 0x80 and head[1] <= 5 and head[2] in OPS


def _identifier(text: str | None) -> bool:
    return bool(text) and all(part.isidentifier() for part in (text or "").split("."))


def weak_sniff(head: bytes) -> bool:
    """Whether *head* (a file's first bytes) reads as a protocol 0/1 pickle: a complete one, one
    whose every byte is a valid opcode, or one that imports a well-formed name before it breaks.
    Bytes that fail sooner would make ``pickle.load`` fail before it runs anything."""
    if not head or head[0] not in OPS or head[0] == 0x80 or head.startswith(_NOT_PICKLES):
        return False
    scan = Scan("")
    machine = Machine(Reader(io.BytesIO(head)), scan)
    try:
        machine.run()
    except EOFError:  # every byte read was a valid opcode: a pickle longer than its head
        return len(head) >= 64 or any(_identifier(g.module) for g in scan.globals)
    except ERRORS:
        named = [g for g in scan.globals if _identifier(g.module) and _identifier(g.name)]
        return bool(named) and machine.r.pos > named[0].offset + 4
    return True


def _storage_sizes(persistent: list[object]) -> dict[str, int]:
    """Element size of each storage key, from the ('storage', type, key, ...) persistent ids."""
    sizes: dict[str, int] = {}
    for pid in persistent:
        if isinstance(pid, tuple) and len(pid) >= 3 and pid[0] == "storage":
            kind, key = pid[1], pid[2]
            if isinstance(kind, Global) and isinstance(key, str) and kind.name in _ELEMENT_SIZES:
                sizes[key] = _ELEMENT_SIZES[kind.name]
    return sizes


def _skip_storages(reader: Reader, keys: object, scan: Scan) -> None:
    """Legacy torch.save writes each storage raw after the pickles: a count, then the bytes."""
    if not isinstance(keys, Container) or keys.count != len(keys.items):
        raise PickleError("legacy torch checkpoint without a readable list of storage keys")
    sizes = _storage_sizes(scan.persistent)
    for key in keys.items:
        if not isinstance(key, str) or key not in sizes:
            raise PickleError(f"legacy torch storage {key!r} has no known element type")
        (count,) = struct.unpack("<q", reader.read(8))
        reader.skip(count * sizes[key])
    scan.persistent.clear()


def scan_stream(raw: IO[bytes], scan: Scan, start: int = 0) -> StreamResult:
    """Simulate every pickle in *raw* (which begins at offset *start*) to the stream's end."""
    reader = Reader(raw, start)
    machine = Machine(reader, scan)
    result = StreamResult()
    while True:
        start = reader.pos
        try:
            value = machine.run()
        except ERRORS as exc:
            where = "" if result.pickles == 0 else f" (pickle {result.pickles + 1})"
            result.error = f"not a readable pickle{where}: {exc}"
            return result
        result.pickles += 1
        if result.pickles == 1 and value == TORCH_MAGIC:
            result.legacy = True
        if result.legacy and result.pickles == 5:
            try:
                _skip_storages(reader, value, scan)
            except ERRORS as exc:
                result.error = f"legacy torch checkpoint: {exc}"
                return result
        if reader.at_end():
            return result
        if reader.peek(4) in _ZIP_SIGNATURES:
            scan.issue(reader.pos, f"a zip archive follows the pickle at offset {start} (polyglot)")
            return result
