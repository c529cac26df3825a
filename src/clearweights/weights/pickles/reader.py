"""A forward-only, buffered byte reader over any binary stream, with bounded memory."""

from __future__ import annotations

from typing import IO

CHUNK = 1 << 20


class Reader:
    """Reads a stream once, front to back; ``pos`` counts bytes from the stream's start."""

    def __init__(self, raw: IO[bytes], start: int = 0) -> None:
        self._raw = raw
        self._buf = b""
        self._i = 0
        self._base = start  # stream offset of _buf[0]

    @property
    def pos(self) -> int:
        return self._base + self._i

    def _fill(self, n: int) -> bool:
        """Make *n* bytes available; False at the end of the stream."""
        while len(self._buf) - self._i < n:
            more = self._raw.read(max(CHUNK, n - (len(self._buf) - self._i)))
            if not more:
                return False
            self._base += self._i
            self._buf = self._buf[self._i :] + more
            self._i = 0
        return True

    def at_end(self) -> bool:
        return not self._fill(1)

    def peek(self, n: int) -> bytes:
        self._fill(n)
        return self._buf[self._i : self._i + n]

    def read(self, n: int) -> bytes:
        if n < 0 or not self._fill(n):
            raise EOFError(f"the stream ends inside a {n}-byte field at offset {self.pos}")
        out = self._buf[self._i : self._i + n]
        self._i += n
        return out

    def byte(self) -> int | None:
        i = self._i
        if i >= len(self._buf):  # the buffer is refilled only once a megabyte
            if not self._fill(1):
                return None
            i = self._i
        self._i = i + 1
        return self._buf[i]

    def readline(self, limit: int = 1 << 16) -> bytes:
        """One newline-terminated line, newline excluded."""
        start = self._i
        while True:
            end = self._buf.find(b"\n", start, self._i + limit + 1)
            if end >= 0:
                line = self._buf[self._i : end]
                self._i = end + 1
                return line
            if len(self._buf) - self._i > limit:
                raise ValueError(f"a text argument longer than {limit} bytes at offset {self.pos}")
            start = len(self._buf)
            keep = start - self._i
            if not self._fill(keep + 1):
                raise EOFError(f"the stream ends inside a text argument at offset {self.pos}")
            start = self._i + keep

    def skip(self, n: int) -> None:
        """Consume *n* bytes without keeping them (large byte strings, raw array data)."""
        if n < 0:
            raise ValueError(f"negative length at offset {self.pos}")
        while n > 0:
            if not self._fill(1):
                raise EOFError(f"the stream ends inside a {n}-byte field at offset {self.pos}")
            step = min(n, len(self._buf) - self._i)
            self._i += step
            n -= step
