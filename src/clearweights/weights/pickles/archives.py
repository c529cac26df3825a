"""Where pickles hide in a file: the file itself, zip and tar members, numpy object arrays,
compressed streams. Each is read once, streaming; a zip is read through its central directory
and through its local headers, and any disagreement between the two is a finding."""

from __future__ import annotations

import ast
import collections
import lzma
import struct
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, cast

from clearweights.weights.pickles.compressed import Readable, decompressed, spooled
from clearweights.weights.pickles.machine import Scan
from clearweights.weights.pickles.stream import ERRORS, scan_stream, strong_sniff, weak_sniff

# Weight files that are pickles by name (the rest are recognised by their content).
PICKLE_SUFFIXES = frozenset({".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".th", ".joblib"})
# Names that say "pickle inside", whatever the content turns out to be.
PICKLE_NAMES = PICKLE_SUFFIXES | {".dat", ".model"}
MAX_MEMBERS = 1 << 16
MAX_CENTRAL = 32 << 20  # bytes of central directory read into memory
MAX_DEPTH = 3
_HEAD = 1 << 12
_STORAGE = ("data", ".data")
_UNREADABLE = (
    *ERRORS, OSError, zipfile.BadZipFile, tarfile.TarError, NotImplementedError, RuntimeError,
    zlib.error, lzma.LZMAError, SyntaxError, MemoryError, KeyError, IndexError, TypeError,
)  # fmt: skip


@dataclass
class Found:
    """Everything found in one file, across all its members."""

    scan: Scan
    pickles: int = 0
    legacy: bool = False
    errors: list[str] = field(default_factory=list)

    def error(self, member: str, message: str) -> None:
        self.errors.append(f"{member}: {message}" if member else message)


class _Prefixed:
    """A stream whose first bytes were already read to sniff it."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self._head, self._rest = head, rest

    def read(self, n: int = -1) -> bytes:
        if not self._head:
            return self._rest.read(n)
        if n < 0:
            out, self._head = self._head + self._rest.read(), b""
            return out
        out, self._head = self._head[:n], self._head[n:]
        return out + self._rest.read(n - len(out)) if len(out) < n else out


def scan_file(handle: IO[bytes], name: str, found: Found, depth: int = 0) -> None:
    """Scan a seekable file (or archive member) for pickles wherever they may be."""
    head = handle.read(_HEAD)
    handle.seek(0)
    is_zip = False
    if depth == 0 or head.startswith(b"PK\x03\x04"):  # a member is only sought to its end when
        is_zip = zipfile.is_zipfile(handle)  # it looks like a zip: decompressing is not free
        handle.seek(0)
    pickled = strong_sniff(head) or weak_sniff(head)
    if is_zip and pickled:
        found.scan.issue(0, "the file is both a pickle and a zip archive (polyglot)")
    if pickled:
        _pickle(handle, found)
    if is_zip and depth < MAX_DEPTH:
        _zip(handle, found, depth)
    elif head[257:262] == b"ustar" and depth < MAX_DEPTH:
        with tarfile.open(fileobj=handle, mode="r:") as archive:
            _tar(archive, found, depth, seekable=True)
    elif not pickled:
        _other(handle, head, name, found, depth)


def _pickle(stream: IO[bytes] | _Prefixed, found: Found, start: int = 0) -> None:
    result = scan_stream(cast(IO[bytes], stream), found.scan, start)
    found.pickles += result.pickles
    found.legacy = found.legacy or result.legacy
    if result.error:
        found.error(found.scan.member, result.error)


def _other(stream: IO[bytes] | _Prefixed, head: bytes, name: str, found: Found, depth: int) -> None:
    """Numpy arrays, tars and compressed streams; anything else holds no pickle."""
    if head.startswith(b"\x93NUMPY"):
        _npy(stream, found)
    elif head[257:262] == b"ustar" and depth < MAX_DEPTH:
        with tarfile.open(fileobj=cast(IO[bytes], stream), mode="r|") as archive:
            _tar(archive, found, depth, seekable=False)
    elif depth < MAX_DEPTH and (inner := decompressed(head, stream)) is not None:
        if isinstance(inner, str):
            found.error(found.scan.member, inner)
            return
        inner_head = inner.read(_HEAD)
        _stream_content(_Prefixed(inner_head, inner), inner_head, name, found, depth + 1)
    elif PurePosixPath(name).suffix.lower() in PICKLE_SUFFIXES:
        # pickle.load would fail on these bytes before running anything: nothing to judge.
        found.error(found.scan.member, "not a pickle, zip, tar or numpy file")


def _stream_content(stream: _Prefixed, head: bytes, name: str, found: Found, depth: int) -> None:
    """Content that can only be read forward (inside a compressed stream or a tar)."""
    if strong_sniff(head) or weak_sniff(head):
        _pickle(stream, found)
    elif head.startswith(b"PK\x03\x04"):
        # zip-in-gzip (a .npz or torch checkpoint compressed whole): zips need seeking.
        with spooled(stream) as copy:
            scan_file(copy, name, found, depth)
    else:
        _other(stream, head, name, found, depth)


def _has_object(descr: object) -> bool:
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, list | tuple):
        return any(_has_object(part) for part in descr)
    return False


def _npy(stream: IO[bytes] | _Prefixed, found: Found) -> None:
    """A numpy array file: object arrays are stored as a pickle after the header."""
    magic = stream.read(8)
    size = 2 if magic[6] == 1 else 4
    (length,) = struct.unpack("<H" if size == 2 else "<I", stream.read(size))
    if length > 1 << 20:
        found.error(found.scan.member, f"numpy header of {length} bytes")
        return
    try:
        header = ast.literal_eval(stream.read(length).decode("latin-1"))
    except (ValueError, SyntaxError, RecursionError, MemoryError) as exc:
        found.error(found.scan.member, f"unreadable numpy header: {exc}")
        return
    if isinstance(header, dict) and _has_object(header.get("descr")):
        _pickle(stream, found, 8 + size + length)


_Local = tuple[int, int, int, int, int, str, int]


def _local_header(handle: IO[bytes], offset: int) -> _Local | None:
    """(flags, method, crc, compressed, size, name, data offset) of the local header at *offset*."""
    handle.seek(offset)
    raw = handle.read(30)
    if len(raw) < 30 or raw[:4] != b"PK\x03\x04":
        return None
    fields = struct.unpack("<4sHHHHHIIIHH", raw)
    flags, method, crc, compressed, size, name_length, extra = (
        fields[2], fields[3], fields[6], fields[7], fields[8], fields[9], fields[10]
    )  # fmt: skip
    name = handle.read(name_length).decode("utf-8" if flags & 0x800 else "cp437", "replace")
    return flags, method, crc, compressed, size, name, offset + 30 + name_length + extra


def _compare(handle: IO[bytes], info: zipfile.ZipInfo, found: Found) -> int | None:
    """Check one member's local header against its central directory entry."""
    local = _local_header(handle, info.header_offset)
    at, name = info.header_offset, info.orig_filename
    if local is None:
        found.scan.issue(at, f"zip member {name!r} has no local header where the directory says")
        return None
    flags, method, crc, compressed, size, local_name, data = local
    if local_name != name:
        found.scan.issue(at, f"zip member {name!r} is named {local_name!r} in its local header")
    if (flags ^ info.flag_bits) & 1 or method != info.compress_type:
        found.scan.issue(at, f"zip member {name!r}: flags or method differ between headers")
    sized = not flags & 0x8 and 0xFFFFFFFF not in (compressed, size)
    if sized and (compressed, size, crc) != (info.compress_size, info.file_size, info.CRC):
        found.scan.issue(at, f"zip member {name!r}: sizes or CRC differ between headers")
    return data


def _first_local(handle: IO[bytes], limit: int) -> int:
    """The first local header signature before *limit* (the first the directory knows)."""
    handle.seek(0)
    done, tail = 0, b""
    while done < limit:
        chunk = handle.read(min(1 << 20, limit - done))
        if not chunk:
            break
        found = (tail + chunk).find(b"PK\x03\x04")
        if found >= 0:
            return done - len(tail) + found
        done, tail = done + len(chunk), chunk[-3:]
    return limit


def _walk_local(handle: IO[bytes], infos: list[zipfile.ZipInfo], found: Found) -> None:
    """Read the local headers front to back, as a streaming unzip would: none may be hidden."""
    central = {info.header_offset: info for info in infos}
    pos = _first_local(handle, min(central, default=0))
    for _ in range(MAX_MEMBERS):
        local = _local_header(handle, pos)
        if local is None:
            return
        flags, _, _, compressed, _, name, data = local
        info = central.get(pos)
        if info is None:
            found.scan.issue(pos, f"zip member {name!r} is in the local headers only (hidden)")
            if flags & 0x8 and compressed == 0:
                return  # its end cannot be found without the directory
        pos = data + (info.compress_size if info else compressed)
        if flags & 0x8:
            handle.seek(pos)
            pos += 16 if handle.read(4) == b"PK\x07\x08" else 12


def _storages(names: list[str]) -> set[str]:
    """Folders of torch zip checkpoints, whose ``data/`` members are raw tensor bytes."""
    return {name[: -len("data.pkl")] for name in names if name.endswith("data.pkl")}


def _central_size(handle: IO[bytes]) -> int:
    """The central directory's size, from the end record (zip64's when it says so)."""
    size = handle.seek(0, 2)
    handle.seek(max(0, size - (1 << 16) - 22))
    tail = handle.read()
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) < end + 22:
        return 0
    central = int(struct.unpack("<I", tail[end + 12 : end + 16])[0])
    locator = tail.rfind(b"PK\x06\x07", 0, end)
    if central == 0xFFFFFFFF and locator >= 0:
        handle.seek(int(struct.unpack("<Q", tail[locator + 8 : locator + 16])[0]) + 40)
        central = int(struct.unpack("<Q", handle.read(8).ljust(8, b"\0"))[0])
    return central


def _zip(handle: IO[bytes], found: Found, depth: int) -> None:
    outer = found.scan.member
    if _central_size(handle) > MAX_CENTRAL:
        found.error(outer, f"zip central directory larger than {MAX_CENTRAL >> 20} MiB")
        return
    try:
        archive = zipfile.ZipFile(handle)
        infos = archive.infolist()
    except _UNREADABLE as exc:
        found.error(outer, f"unreadable zip archive: {exc}")
        return
    if len(infos) > MAX_MEMBERS:
        found.error(outer, f"more than {MAX_MEMBERS} zip members; the rest are not scanned")
        infos = infos[:MAX_MEMBERS]
    for name, count in collections.Counter(i.filename for i in infos).items():
        if count > 1:
            found.scan.issue(0, f"zip member name {name!r} appears {count} times")
    for info in infos:
        _compare(handle, info, found)
    _walk_local(handle, infos, found)
    prefixes = _storages([i.filename for i in infos])
    for info in infos:
        parent, _, leaf = info.filename.rpartition("/")
        if info.is_dir() or (leaf.isdigit() and parent.rpartition("/")[0] + "/" in prefixes):
            continue
        found.scan.member = f"{outer}/{info.filename}" if outer else info.filename
        try:
            with archive.open(info) as member:
                scan_file(member, info.filename, found, depth + 1)
        except _UNREADABLE as exc:
            found.error(found.scan.member, f"unreadable zip member: {exc}")
    found.scan.member = outer


def _tar(archive: tarfile.TarFile, found: Found, depth: int, *, seekable: bool) -> None:
    outer = found.scan.member
    seen: collections.Counter[str] = collections.Counter()
    try:
        for index, info in enumerate(archive):
            if index >= MAX_MEMBERS:
                found.error(outer, f"more than {MAX_MEMBERS} tar members; the rest are not scanned")
                break
            seen[info.name] += 1
            if seen[info.name] == 2:
                found.scan.issue(info.offset, f"tar member name {info.name!r} appears twice")
            member = archive.extractfile(info) if info.isfile() else None
            if member is None:
                continue
            found.scan.member = f"{outer}/{info.name}" if outer else info.name
            if seekable:
                scan_file(member, info.name, found, depth + 1)
            else:
                head = member.read(_HEAD)
                _stream_content(_Prefixed(head, member), head, info.name, found, depth + 1)
    except _UNREADABLE as exc:
        found.error(found.scan.member, f"unreadable tar archive: {exc}")
    found.scan.member = outer
