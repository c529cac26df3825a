"""SHA-256 of every file of a release: streamed, and large files hashed in parallel."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from clearweights._untrusted import READ_FLAGS, Heads, UntrustedInputError, regular_stat
from clearweights.errors import InputError
from clearweights.progress import Progress, Silent


@dataclass(frozen=True)
class FileDigest:
    """One file's size and SHA-256."""

    path: str  # relative, forward slashes
    size: int
    sha256: str
    mtime: int = 0  # seconds, as the file system says when it was hashed


_CHUNK = 1 << 20
# Files up to this size are hashed where they are opened: for a small file the cost is the
# system calls, and handing it to a thread (and back) costs more than hashing it. Larger
# files go to threads (hashlib releases the GIL), while the small ones go on being hashed.
_INLINE = 64 << 10


def sha256_file(path: Path | str) -> str:
    """Stream a file through SHA-256 (hashlib releases the GIL, so threads run in parallel)."""
    return _digest(path)[2]


def _digest(path: Path | str) -> tuple[int, int, str]:
    """Size, modification time and SHA-256 of a file, opened once and read in plain chunks (no
    file object: most files of a release are small, and their cost is the opening)."""
    fd, info = _open_regular(path)
    try:
        return info.st_size, int(info.st_mtime), _read(fd, info)
    finally:
        os.close(fd)


def _open_regular(path: Path | str) -> tuple[int, os.stat_result]:
    """*path* open for reading, and its ``fstat``; a file swapped for a FIFO or a device since
    the release was listed is refused (it would hash as empty, or read without end).

    Raises:
        OSError: it cannot be opened.
        UntrustedInputError: it is not a regular file.
    """
    fd = os.open(path, READ_FLAGS)
    try:
        return fd, regular_stat(fd)
    except BaseException:
        os.close(fd)
        raise


def _read(fd: int, info: os.stat_result) -> str:
    """The SHA-256 of what is left to read from *fd*, whose ``fstat`` is *info*."""
    regular, size = stat.S_ISREG(info.st_mode), info.st_size
    if regular and size < _CHUNK:
        # One byte more than its size: a small file is read whole by one call, and its
        # shortness tells the end (no second call to learn it).
        first = os.read(fd, size + 1)
        if len(first) == size:
            return hashlib.sha256(first).hexdigest()
        digest, done = hashlib.sha256(first), len(first)  # it changed since: read on
        if not first:
            return digest.hexdigest()
    else:
        digest, done = hashlib.sha256(), 0
    while chunk := os.read(fd, _CHUNK):
        digest.update(chunk)
        done += len(chunk)
        # A short read of a regular file is its end: no second system call to learn it.
        if regular and len(chunk) < _CHUNK and done >= size:
            break
    return digest.hexdigest()


def hash_files(
    root: Path,
    paths: Sequence[str],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    locations: Mapping[str, str] | None = None,
    heads: Heads | None = None,
) -> tuple[FileDigest, ...]:
    """Hash *paths* (relative to *root*, or where *locations* says each one is), sorted by path;
    a file whose whole content *heads* kept is hashed from it.

    Raises:
        InputError: when a file cannot be read, naming it.
    """
    observer = progress or Silent()
    observer.start(len(paths), "hashing")
    base = str(root)
    locations = locations or {}

    def where(rel: str) -> str:
        return locations.get(rel) or os.path.join(base, rel)

    def large(rel: str) -> FileDigest:
        full = where(rel)
        try:
            size, mtime, digest = _digest(full)
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=Path(full)) from exc
        except UntrustedInputError as exc:
            raise InputError(str(exc), path=Path(full)) from exc
        observer.advance(rel)
        return FileDigest(rel, size, digest, mtime)

    done: list[FileDigest | Future[FileDigest]] = []
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for rel in sorted(paths):
            full = where(rel)
            kept = heads.whole(full) if heads is not None else None
            if kept is not None:
                data, mtime = kept
                observer.advance(rel)
                done.append(FileDigest(rel, len(data), hashlib.sha256(data).hexdigest(), mtime))
                continue
            try:
                fd, info = _open_regular(full)
                try:
                    if info.st_size > _INLINE:
                        done.append(pool.submit(large, rel))  # opened again in its thread
                        continue
                    digest = _read(fd, info)
                finally:
                    os.close(fd)
            except OSError as exc:
                raise InputError(f"cannot read: {exc.strerror or exc}", path=Path(full)) from exc
            except UntrustedInputError as exc:
                raise InputError(str(exc), path=Path(full)) from exc
            observer.advance(rel)
            done.append(FileDigest(rel, info.st_size, digest, int(info.st_mtime)))
        digests = tuple(d if isinstance(d, FileDigest) else d.result() for d in done)
    observer.finish()
    return digests


def root_digest(digests: Sequence[FileDigest]) -> str:
    """One digest for the release: SHA-256 over the sorted per-file digests (as OMS does)."""
    h = hashlib.sha256()
    for d in sorted(digests, key=lambda d: d.path):
        h.update(bytes.fromhex(d.sha256))
    return h.hexdigest()
