"""Unpacking an uploaded archive of a release's metadata files, defensively.

Zip and tar (plain, gzip, bzip2, xz), recognised by their bytes, not their name. Refused: paths
that are absolute, climb out (``..``), or hold a backslash, drive or NUL; links, devices and
any member that is not a file or folder; more than ``max_files`` members (checked before any is
written, for tar as they are read); more than ``max_unpacked`` bytes in all, counted as they are
written (a zip's declared sizes can lie); a member expanding more than ``max_ratio`` times.
Nothing in an archive is ever run or unpickled; it is written as plain files for the audit.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from clearweights.errors import UsageError

_CHUNK = 64 * 1024
_MAX_DEPTH = 32
_MAX_NAME = 1024


class ArchiveRejected(UsageError):
    """An uploaded archive breaks a rule (the message says which); nothing was kept."""


@dataclass(frozen=True)
class Limits:
    """What an archive may hold."""

    max_files: int = 2000
    max_unpacked: int = 64 * 1024 * 1024
    max_ratio: int = 200


@dataclass(frozen=True)
class _Member:
    name: str
    is_dir: bool
    size: int  # declared
    packed: int  # compressed size where the format says (zip), else the declared size


def safe_name(name: str) -> str | None:
    """The member's path, normalised, or None for a folder entry such as ``./``.

    Raises:
        ArchiveRejected: for absolute, climbing, overlong or otherwise unsafe paths.
    """
    if "\\" in name or "\0" in name or len(name) > _MAX_NAME:
        raise ArchiveRejected(f"unsafe member name {name[:80]!r}")
    path = PurePosixPath(name)
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise ArchiveRejected(f"absolute member path {name[:80]!r}")
    parts = [p for p in path.parts if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise ArchiveRejected(f"member path climbs out of the archive: {name[:80]!r}")
    if len(parts) > _MAX_DEPTH:
        raise ArchiveRejected(f"member path deeper than {_MAX_DEPTH} folders: {name[:80]!r}")
    return "/".join(parts) or None


def _zip_members(archive: zipfile.ZipFile) -> Iterator[tuple[_Member, IO[bytes] | None]]:
    for info in archive.infolist():
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode) or (mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))):
            raise ArchiveRejected(f"{info.filename[:80]!r} is a link or special file")
        member = _Member(info.filename, info.is_dir(), info.file_size, info.compress_size)
        yield member, None if info.is_dir() else archive.open(info)


def _tar_members(archive: tarfile.TarFile) -> Iterator[tuple[_Member, IO[bytes] | None]]:
    for info in archive:
        if not (info.isfile() or info.isdir()):
            raise ArchiveRejected(f"{info.name[:80]!r} is a link or special file")
        member = _Member(info.name, info.isdir(), info.size, info.size)
        yield member, archive.extractfile(info) if info.isfile() else None


def _write(source: IO[bytes], target: Path, budget: int) -> int:
    """Copy a member, stopping as soon as it passes *budget* bytes; returns the bytes written."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    written = 0
    with os.fdopen(os.open(target, flags, 0o600), "wb") as out:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > budget:
                raise ArchiveRejected("the archive unpacks to more than the size limit")
            out.write(chunk)
    return written


def _open(data: bytes) -> tuple[Iterator[tuple[_Member, IO[bytes] | None]], int | None]:
    """The members of a zip or tar archive, and how many there are when known up front."""
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError) as exc:
            raise ArchiveRejected(f"not a readable zip archive: {exc}") from None
        return _zip_members(archive), len(archive.infolist())
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115 (in memory)
    except (tarfile.TarError, ValueError, EOFError, OSError) as exc:
        raise ArchiveRejected(f"not a zip or tar archive: {exc}") from None
    return _tar_members(tar), None


DEFAULT_LIMITS = Limits()


def unpack(data: bytes, folder: Path, limits: Limits = DEFAULT_LIMITS) -> int:
    """Unpack the archive *data* into the empty *folder*; returns the number of files.

    Raises:
        ArchiveRejected: when any rule is broken (the folder may then hold part of the
            archive: the caller removes it).
    """
    members, count = _open(data)
    if count is not None and count > limits.max_files:
        raise ArchiveRejected(
            f"the archive holds {count} members, over the limit of {limits.max_files}"
        )
    seen: set[str] = set()
    files = total = entries = 0
    try:
        for member, stream in members:
            entries += 1
            if entries > limits.max_files:
                raise ArchiveRejected(f"the archive holds more than {limits.max_files} members")
            name = safe_name(member.name)
            if name is None:
                continue
            if name.lower() in seen:
                raise ArchiveRejected(f"{name[:80]!r} appears twice")
            seen.add(name.lower())
            target = folder.joinpath(*name.split("/"))
            if member.is_dir or stream is None:
                target.mkdir(parents=True, exist_ok=True, mode=0o700)
                continue
            if member.size > limits.max_unpacked - total:
                raise ArchiveRejected("the archive unpacks to more than the size limit")
            if member.size > 1024 * 1024 and member.size > member.packed * limits.max_ratio:
                raise ArchiveRejected(
                    f"{name[:80]!r} expands {member.size // max(member.packed, 1)} times: a bomb"
                )
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if (
                target.parent.resolve() != folder.resolve()
                and folder.resolve() not in target.parent.resolve().parents
            ):
                raise ArchiveRejected(f"{name[:80]!r} lands outside the archive folder")
            with stream:
                total += _write(stream, target, limits.max_unpacked - total)
            files += 1
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, RuntimeError) as exc:
        raise ArchiveRejected(f"the archive is damaged: {exc}") from None
    if len(data) and total > len(data) * limits.max_ratio and total > 1024 * 1024:
        raise ArchiveRejected(f"the archive expands {total // len(data)} times: a bomb")
    if not files:
        raise ArchiveRejected("the archive holds no files")
    return files


# Spooled uploads: each in a private folder directly inside the spool, named upload-*.
_UPLOAD = "upload-"


def spool_folder(spool: Path) -> Path:
    """A new private folder (0700) for one upload, directly inside *spool*."""
    spool.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Path(tempfile.mkdtemp(prefix=_UPLOAD, dir=spool))


def in_spool(folder: str | Path, spool: Path) -> Path | None:
    """*folder* when it is an upload's folder directly inside *spool*, else None."""
    path = Path(folder)
    if path.is_symlink():
        return None
    path = path.resolve()
    if path.parent != spool.resolve() or not path.name.startswith(_UPLOAD):
        return None
    return path


def discard(folder: str | Path | None, spool: Path) -> None:
    """Remove an upload's folder; anything that is not one inside *spool* is left alone."""
    path = in_spool(folder, spool) if folder else None
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


def orphans(spool: Path, kept: set[Path], older_than: float) -> list[Path]:
    """Upload folders no job holds, untouched for *older_than* seconds (a crash left them)."""
    if not spool.is_dir():
        return []
    found = []
    limit = time.time() - older_than
    for entry in spool.iterdir():
        path = in_spool(entry, spool)
        if path is not None and path not in kept and entry.lstat().st_mtime < limit:
            found.append(path)
    return found
