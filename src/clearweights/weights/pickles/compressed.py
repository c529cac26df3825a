"""Compressed streams read through, in bounded memory and to a bounded size.

gzip, bzip2, xz, zlib (joblib's default) and lz4 frames (joblib's ``compress="lz4"``; read
only when the optional ``lz4`` package is installed, otherwise the file is reported as not
scanned, never as safe). What a stream expands to is capped: past the cap, the rest is
not scanned and the file says so. A zip inside a compressed stream needs seeking, so it is
copied to a temporary file (at most the cap) and scanned as a zip.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import tempfile
import zlib
from typing import IO, Protocol, cast

MAX_EXPANDED = 2 << 30  # bytes a compressed stream may expand to before the rest is refused
_LZ4_FRAME = b"\x04\x22\x4d\x18"
_SPOOL_IN_MEMORY = 16 << 20
MAGICS = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ", _LZ4_FRAME)  # zlib has no fixed magic
NOT_SCANNED = "could not scan"  # opens every reason a stream was not (wholly) read


class Readable(Protocol):
    """Anything with ``read(n)``: a file, an archive member, a decompressor."""

    def read(self, n: int = -1, /) -> bytes: ...


class TooLarge(ValueError):
    """A compressed stream expanded past :data:`MAX_EXPANDED`."""


class _Zlib:
    """A zlib stream, decompressed as it is read."""

    def __init__(self, raw: Readable) -> None:
        self._raw, self._z = raw, zlib.decompressobj()

    def read(self, n: int = -1) -> bytes:
        size = n if n > 0 else 1 << 20
        out = self._z.decompress(self._z.unconsumed_tail, size)
        while len(out) < size and not self._z.eof:
            chunk = self._raw.read(1 << 16)
            if not chunk:
                break
            out += self._z.decompress(chunk, size - len(out))
        return out


class _Capped:
    """A decompressed stream that refuses to expand past *limit* bytes (a bomb is named)."""

    def __init__(self, inner: Readable, limit: int) -> None:
        self._inner, self._left, self._limit = inner, limit, limit

    def read(self, n: int = -1) -> bytes:
        want = self._left + 1 if n < 0 else min(n, self._left + 1)
        out = self._inner.read(want)
        self._left -= len(out)
        if self._left < 0:
            raise TooLarge(
                f"{NOT_SCANNED} past {self._limit >> 20} MiB: the stream expands further"
            )
        return out


def _lz4(raw: Readable) -> Readable | str:
    try:
        import lz4.frame
    except ImportError:
        return f"{NOT_SCANNED}: lz4 not installed (pip install 'clearweights[lz4]')"
    return cast(Readable, lz4.frame.LZ4FrameFile(cast(IO[bytes], raw), mode="rb"))


def decompressed(head: bytes, raw: Readable) -> Readable | str | None:
    """The decompressed stream of *raw* (whose first bytes are *head*), capped at
    :data:`MAX_EXPANDED`; a reason when it cannot be read here; ``None`` when it is not a
    compressed stream."""
    inner: Readable | str
    stream = cast(IO[bytes], raw)
    if head[:1] == b"\x78" and int.from_bytes(head[:2], "big") % 31 == 0:
        inner = _Zlib(raw)
    elif head.startswith(b"\x1f\x8b"):
        inner = cast(Readable, gzip.GzipFile(fileobj=stream, mode="rb"))
    elif head.startswith(b"BZh"):
        inner = cast(Readable, bz2.BZ2File(stream))
    elif head.startswith(b"\xfd7zXZ"):
        inner = cast(Readable, lzma.LZMAFile(stream))  # noqa: SIM115 - the caller reads it
    elif head.startswith(_LZ4_FRAME):
        inner = _lz4(raw)
    else:
        return None
    return inner if isinstance(inner, str) else _Capped(inner, MAX_EXPANDED)


def spooled(stream: Readable) -> IO[bytes]:
    """Copy a forward-only stream into a seekable temporary file (memory first, then disk)."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - returned
    while chunk := stream.read(1 << 20):
        spool.write(chunk)
    spool.seek(0)
    return cast(IO[bytes], spool)
