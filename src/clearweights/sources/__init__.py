"""Readers for the kinds of input an audit accepts; each returns a :class:`Release`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from clearweights.errors import ReleaseError
from clearweights.release.model import Release
from clearweights.sources.interface import ReleaseSource

if TYPE_CHECKING:
    from clearweights._untrusted import Heads

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def source_for(
    location: str,
    *,
    download: bool = False,
    revision: str | None = None,
    heads: Heads | None = None,
) -> ReleaseSource:
    """Pick the reader for *location*: a directory, a MOF YAML file or a Hub repo id.

    *revision* (a branch, tag or commit) applies to Hub repo ids only; *heads* keeps the first
    bytes of a directory's files, read as it is listed (see :class:`LocalDirectory`).
    """
    path = Path(location)
    if path.is_dir():
        from clearweights.sources.local import LocalDirectory

        return LocalDirectory(path, heads=heads)
    if path.is_file() and path.suffix.lower() in (".yml", ".yaml"):
        from clearweights.sources.mof_file import MofFile

        return MofFile(path)
    if not path.exists() and _REPO_ID.match(location):
        from clearweights.sources.hf_cache import HubCache

        return HubCache(location, download=download, revision=revision)
    if path.exists():
        raise ReleaseError(
            "is not a release: expected a directory, a MOF YAML file or a Hub repo id",
            path=location,
        )
    raise ReleaseError("no such file or directory", path=location)


def open_release(
    location: str,
    *,
    download: bool = False,
    revision: str | None = None,
    heads: Heads | None = None,
) -> Release:
    """Read the release at *location* (a Hub repo id at *revision* when given)."""
    return source_for(location, download=download, revision=revision, heads=heads).collect()


__all__ = ["ReleaseSource", "open_release", "source_for"]
