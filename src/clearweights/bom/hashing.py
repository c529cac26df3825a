"""SHA-256 of every file of a release: streamed, and files hashed in parallel."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

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
_BATCH = 64  # files per task


def sha256_file(path: Path | str) -> str:
    """Stream a file through SHA-256 (hashlib releases the GIL, so threads run in parallel)."""
    return _digest(path)[2]


def _digest(path: Path | str) -> tuple[int, int, str]:
    """Size, modification time and SHA-256 of a file, opened once and read in plain chunks (no
    file object: most files of a release are small, and their cost is the opening)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        digest = hashlib.sha256()
        done, regular = 0, stat.S_ISREG(info.st_mode)
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
            done += len(chunk)
            # A short read of a regular file is its end: no second system call to learn it.
            if regular and len(chunk) < _CHUNK and done >= info.st_size:
                break
        return info.st_size, int(info.st_mtime), digest.hexdigest()
    finally:
        os.close(fd)


def hash_files(
    root: Path,
    paths: Sequence[str],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    locations: Mapping[str, str] | None = None,
) -> tuple[FileDigest, ...]:
    """Hash *paths* (relative to *root*, or where *locations* says each one is), sorted by path.

    Raises:
        InputError: when a file cannot be read, naming it.
    """
    observer = progress or Silent()
    observer.start(len(paths), "hashing")

    base = str(root)

    def one(rel: str) -> FileDigest:
        full = locations[rel] if locations and rel in locations else os.path.join(base, rel)
        try:
            size, mtime, digest = _digest(full)
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=Path(full)) from exc
        observer.advance(rel)
        return FileDigest(rel, size, digest, mtime)

    def batch(rels: Sequence[str]) -> list[FileDigest]:
        return [one(rel) for rel in rels]

    ordered = sorted(paths)
    # Batches, not one task per file: a release of 50,000 small files is mostly task overhead.
    batches = [ordered[i : i + _BATCH] for i in range(0, len(ordered), _BATCH)]
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        digests = [d for done in pool.map(batch, batches) for d in done]
    observer.finish()
    return tuple(digests)


def root_digest(digests: Sequence[FileDigest]) -> str:
    """One digest for the release: SHA-256 over the sorted per-file digests (as OMS does)."""
    h = hashlib.sha256()
    for d in sorted(digests, key=lambda d: d.path):
        h.update(bytes.fromhex(d.sha256))
    return h.hexdigest()
