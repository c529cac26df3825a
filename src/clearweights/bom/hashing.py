"""SHA-256 of every file of a release: streamed, and files hashed in parallel."""

from __future__ import annotations

import hashlib
import os
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


_CHUNK = 1 << 20


def sha256_file(path: Path | str) -> str:
    """Stream a file through SHA-256 (hashlib releases the GIL, so threads run in parallel)."""
    return _size_and_digest(path)[1]


def _size_and_digest(path: Path | str) -> tuple[int, str]:
    """The size and SHA-256 of a file, opened once, read in plain chunks (no file object:
    most files of a release are small, and their cost is the opening)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        size = os.fstat(fd).st_size
        digest = hashlib.sha256()
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
        return size, digest.hexdigest()
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
            size, digest = _size_and_digest(full)
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=Path(full)) from exc
        observer.advance(rel)
        return FileDigest(rel, size, digest)

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        digests = list(pool.map(one, sorted(paths)))
    observer.finish()
    return tuple(digests)


def root_digest(digests: Sequence[FileDigest]) -> str:
    """One digest for the release: SHA-256 over the sorted per-file digests (as OMS does)."""
    h = hashlib.sha256()
    for d in sorted(digests, key=lambda d: d.path):
        h.update(bytes.fromhex(d.sha256))
    return h.hexdigest()
