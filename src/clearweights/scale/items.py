"""One release to audit at scale: its identity, and how a worker reads it."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from typing import Any

# Folders a directory digest ignores, as the directory reader does.
_IGNORED_DIRS = {".git", ".hg", ".svn", "__pycache__", ".cache", ".ipynb_checkpoints"}


@dataclass(frozen=True)
class Item:
    """A release to audit, small enough to send to a worker process.

    ``source`` is the kind of source (directory, hf-cache, hf-metadata), ``key`` the path or repo
    id, ``revision`` the Hub revision or a content digest: together they name the release in the
    store. ``row`` holds a metadata row; ``error`` says why the source could not give a release.
    """

    source: str
    key: str
    revision: str
    location: str = ""
    row: dict[str, Any] | None = None
    error: str | None = None

    @property
    def identity(self) -> tuple[str, str, str]:
        """The store key of the release."""
        return (self.source, self.key, self.revision)


def directory_digest(path: str) -> str:
    """A digest of a directory's listing: each file's path, size and modification time.

    Contents are not hashed (weights run to gigabytes); any rewrite of a file changes its
    modification time, which is what an incremental run needs to notice.
    """
    digest = hashlib.sha256()
    stack = [(path, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            digest.update(f"!{prefix}:{exc.errno}\n".encode())
            continue
        for entry in entries:
            rel = f"{prefix}/{entry.name}" if prefix else entry.name
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                if entry.name not in _IGNORED_DIRS:
                    stack.append((entry.path, rel))
                continue
            line = f"{rel}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_mode:o}\n"
            digest.update(line.encode("utf-8", "surrogateescape"))
    return "sha256:" + digest.hexdigest()[:32]


@dataclass(frozen=True)
class Outcome:
    """What auditing one item gave: the audit JSON and its normalised rows, or an error."""

    item: Item
    tool_version: str
    catalogue_version: str
    seconds: float
    name: str | None = None
    error: str | None = None
    document: str | None = None  # one line of JSON, as `audit --format json` for this release
    weights_license: str | None = None
    licenses: tuple[tuple[str, str, str], ...] = ()  # component, licence id, category
    verdicts: tuple[tuple[str, str, str | None], ...] = ()  # framework, verdict, label
    findings: tuple[tuple[str, str, str], ...] = ()  # code, severity, message

    @property
    def failed(self) -> bool:
        """Whether the release could not be audited."""
        return self.error is not None
