"""Sources of many releases, read lazily: directories, globs, folders of releases, the local
Hugging Face cache, lists of paths or repo ids, and Hub metadata dumps (JSON Lines, Parquet).

Every source yields :class:`Item` values one at a time, so memory stays flat however many
releases there are; what a source cannot read becomes an error item, recorded and reported.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from clearweights._untrusted import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    UntrustedInputError,
    load_json,
    shorten,
)
from clearweights.errors import ReleaseError
from clearweights.scale._json import optional_module
from clearweights.scale.items import Item, directory_digest
from clearweights.scale.rows import ROW_FIELDS, exact_row_item, malformed_item, row_item
from clearweights.sources.hf_cache import cache_folder, snapshot_at

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_MARKERS = re.compile(r"^(?:readme\.md|config\.json|modelcard\.md|.*licen[cs]e.*|copying.*)$", re.I)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet", ".pq")
_PARQUET_BATCH = 512


# An optional, faster JSON reader (the store extra): dump rows are read with it where it reads
# a row exactly as the standard one does (fast_row_item).
_orjson: Any = optional_module("orjson")


class ScanSource(Protocol):
    """Many releases, yielded lazily."""

    def items(self) -> Iterator[Item]:
        """The releases, one at a time."""
        ...

    def count(self) -> int | None:
        """How many items there will be, when cheap to know (for the progress bar)."""
        ...


def _hub_cache() -> str:
    return str(cache_folder())


def is_release(folder: str) -> bool:
    """Whether *folder* holds a model card, a config.json or a licence file at its top."""
    try:
        with os.scandir(folder) as listing:
            return any(_MARKERS.match(e.name) and not e.is_dir() for e in listing)
    except OSError:
        return False


def _directory(path: str) -> Item:
    resolved = str(Path(path).resolve())
    return Item("directory", resolved, directory_digest(resolved), location=path)


def _folder(path: str) -> Iterator[Item]:
    """A release directory, or a folder whose subfolders are releases."""
    if is_release(path):
        yield _directory(path)
        return
    found = False
    for name in sorted(os.listdir(path)):
        sub = os.path.join(path, name)
        if os.path.isdir(sub) and is_release(sub):
            found = True
            yield _directory(sub)
    if not found:
        yield Item(
            "directory",
            str(Path(path).resolve()),
            "",
            error=f"{path}: no release in it (no README.md, config.json or licence file "
            "at its top or in its subfolders)",
        )


def cached_repo(repo_id: str, cache: str, revision: str) -> Item:
    """The snapshot of *repo_id* at *revision* (a branch, tag or commit) in the cache."""
    try:
        snapshot = snapshot_at(repo_id, revision, cache)
    except ReleaseError as exc:
        return Item("hf-cache", repo_id, "", error=f"{repo_id}: {exc.message}")
    return Item("hf-cache", repo_id, snapshot.name, location=str(snapshot))


def _too_deep(value: Any, limit: int) -> bool:
    """Whether parsed JSON nests lists and objects more than *limit* deep (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        children = current.values() if isinstance(current, dict) else current
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def load_row(text: str) -> Any:
    """One dump row, as :func:`clearweights._untrusted.load_json` reads JSON, faster.

    The C decoder parses first (it refuses runaway nesting with a RecursionError, safely);
    the nesting limit is then checked on the parsed containers, so a row's strings (the card)
    are never scanned twice: the resumption of a run is mostly this function.

    Raises:
        UntrustedInputError: too large, too deeply nested, or not JSON.
    """
    if len(text) > MAX_DOCUMENT_BYTES:
        return load_json(text)  # the same refusal, worded once
    try:
        value = json.loads(text)
    except RecursionError:
        raise UntrustedInputError(f"is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise UntrustedInputError(f"is not valid JSON: {shorten(str(exc))}") from None
    # Fewer brackets than the limit, in strings or not, cannot nest past it: no walk needed.
    few = text.count("[") + text.count("{") <= MAX_DEPTH
    if not few and isinstance(value, dict | list) and _too_deep(value, MAX_DEPTH):
        raise UntrustedInputError(f"is nested more than {MAX_DEPTH} levels deep")
    return value


def _plain(value: Any) -> bool:
    """Whether orjson's reading of a row is the standard decoder's and within the nesting limit:
    no float outside the 64-bit integers or not finite (orjson reads an integer past 64 bits as
    a float, the standard decoder keeps it exact), no list or mapping nested past MAX_DEPTH."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        for child in current.values() if type(current) is dict else current:
            kind = type(child)
            if kind is float and not -(2.0**63) < child < 2.0**63:
                return False
            if kind is dict or kind is list:
                if depth >= MAX_DEPTH:
                    return False
                stack.append((child, depth + 1))
    return True


def fast_row_item(line: bytes) -> Item | None:
    """The item of one JSON Lines row as :func:`load_row` and :func:`row_item` make it, read by
    orjson (three times faster: a resumed run is mostly this), or None where only the standard
    reader can say the same: orjson missing, a row it refuses, one with a number it reads
    otherwise, or one that is malformed (its error is then worded by the standard reader).
    """
    if _orjson is None or len(line) > MAX_DOCUMENT_BYTES:
        return None
    try:
        raw = _orjson.loads(line)
    except _orjson.JSONDecodeError:  # invalid UTF-8 or JSON, NaN, a lone surrogate, too deep
        return None
    if type(raw) is not dict or not _plain(raw):
        return None
    return exact_row_item(raw)


@dataclass(frozen=True)
class JsonLinesDump:
    """A Hub metadata dump in JSON Lines: one repository per line."""

    path: str

    def count(self) -> int | None:
        """The number of lines."""
        with open(self.path, "rb") as handle:
            return sum(1 for line in handle if line.strip())

    def items(self) -> Iterator[Item]:
        """One item per line; a line that is not a JSON object in UTF-8 is an error item."""
        with open(self.path, "rb") as handle:
            for number, line in enumerate(handle, 1):
                if not line or line.isspace():  # as `not line.strip()`, without copying the line
                    continue
                fast = fast_row_item(line)
                if fast is not None:
                    yield fast
                    continue
                where = f"{self.path}:{number}"
                try:
                    raw = load_row(line.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    yield malformed_item(where, f"not UTF-8 text (byte {exc.start})", line)
                except ValueError as exc:
                    yield malformed_item(where, f"not JSON ({exc})", line)
                else:
                    yield row_item(raw, where)


@dataclass(frozen=True)
class ParquetDump:
    """A Hub metadata dump in Parquet: one repository per row, read in batches."""

    path: str

    def _file(self) -> Any:
        import pyarrow.parquet as pq

        return pq.ParquetFile(self.path)

    def count(self) -> int | None:
        """The number of rows, from the file's footer."""
        try:
            return int(self._file().metadata.num_rows)
        except Exception:  # not Parquet: items() says so
            return None

    def items(self) -> Iterator[Item]:
        """One item per row; a file that is not Parquet is one error item."""
        try:
            import pyarrow as pa
        except ImportError:
            why = "reading Parquet needs pyarrow: pip install 'clearweights[store]'"
            yield Item("hf-metadata", self.path, "", error=f"{self.path}: {why}")
            return
        try:
            dump = self._file()
        except (pa.ArrowException, OSError) as exc:
            yield Item(
                "hf-metadata", self.path, "", error=f"{self.path}: not a Parquet file ({exc})"
            )
            return
        names = [n for n in dump.schema_arrow.names if n in ROW_FIELDS]
        start = 0
        for batch in dump.iter_batches(batch_size=_PARQUET_BATCH):
            used = batch.select(names) if len(set(names)) == len(names) else batch
            for offset, raw in enumerate(used.to_pylist()):
                item = exact_row_item(raw)
                if item is None:  # the error worded, and the row named, from all its columns
                    whole = batch.slice(offset, 1).to_pylist()[0]
                    item = row_item(whole, f"{self.path}#{start + offset + 1}")
                yield item
            start += batch.num_rows


@dataclass(frozen=True)
class LocationList:
    """Release locations given on the command line or in a file (``-``: standard input)."""

    locations: Sequence[str] = ()
    from_file: str | None = None
    cache: str | None = None
    revision: str = "main"

    def count(self) -> int | None:
        """Known when every location is one release directory (not a folder of them)."""
        if self.from_file is not None or not all(map(is_release, self.locations)):
            return None
        return len(self.locations)

    def _lines(self) -> Iterator[str]:
        yield from self.locations
        if self.from_file is None:
            return
        if self.from_file == "-":
            lines = (line for line in sys.stdin)
            yield from (s for line in lines if (s := line.strip()) and not s.startswith("#"))
            return
        with open(self.from_file, encoding="utf-8", errors="surrogateescape") as handle:
            yield from (s for line in handle if (s := line.strip()) and not s.startswith("#"))

    def items(self) -> Iterator[Item]:
        """The releases each location names."""
        for location in self._lines():
            yield from location_items(location, self.cache or _hub_cache(), self.revision)


def location_items(location: str, cache: str, revision: str) -> Iterator[Item]:
    """The releases one location names: directory, glob, dump file or cached repo id."""
    if os.path.isdir(location):
        yield from _folder(location)
    elif os.path.isfile(location):
        lower = location.lower()
        if lower.endswith(JSONL_SUFFIXES):
            yield from JsonLinesDump(location).items()
        elif lower.endswith(PARQUET_SUFFIXES):
            yield from ParquetDump(location).items()
        else:
            why = "is not a release, a folder of releases or a dump (.jsonl, .parquet)"
            yield Item("file", str(Path(location).resolve()), "", error=f"{location}: {why}")
    elif glob.has_magic(location):
        matches = sorted(glob.glob(location))
        if not matches:
            yield Item("glob", location, "", error=f"{location}: matches nothing")
        for match in matches:
            yield from location_items(match, cache, revision)
    elif _REPO_ID.match(location):
        yield cached_repo(location, cache, revision)
    else:
        error = f"{location}: no such file or directory, nor a repo id"
        yield Item("directory", location, "", error=error)


@dataclass(frozen=True)
class HubCacheSource:
    """Every model repository in a local Hugging Face cache, at one revision."""

    cache: str
    revision: str = "main"

    def _repos(self) -> list[str]:
        try:
            names = os.listdir(self.cache)
        except OSError:
            return []
        return sorted(n for n in names if n.startswith("models--"))

    def count(self) -> int | None:
        """The number of cached model repositories."""
        return len(self._repos())

    def items(self) -> Iterator[Item]:
        """One item per cached repository."""
        if not os.path.isdir(self.cache):
            yield Item("hf-cache", self.cache, "", error=f"{self.cache}: no such cache folder")
            return
        for name in self._repos():
            repo_id = name[len("models--") :].replace("--", "/")
            yield cached_repo(repo_id, self.cache, self.revision)


def hf_cache_source(cache: str | None = None, revision: str = "main") -> HubCacheSource:
    """The whole local Hugging Face cache (the default one when *cache* is None)."""
    return HubCacheSource(cache or _hub_cache(), revision)


def list_source(path: str, *, cache: str | None = None, revision: str = "main") -> LocationList:
    """Paths or repo ids, one a line, in *path* (``-`` for standard input)."""
    return LocationList(from_file=path, cache=cache, revision=revision)


def sources_for(
    locations: Sequence[str], *, cache: str | None = None, revision: str = "main"
) -> list[ScanSource]:
    """Sources for command-line locations (dumps get their own, for an exact count)."""
    sources: list[ScanSource] = []
    for location in locations:
        lower = location.lower()
        if os.path.isfile(location) and lower.endswith(JSONL_SUFFIXES):
            sources.append(JsonLinesDump(location))
        elif os.path.isfile(location) and lower.endswith(PARQUET_SUFFIXES):
            sources.append(ParquetDump(location))
        else:
            sources.append(LocationList((location,), cache=cache, revision=revision))
    return sources
