"""Bounded reading and parsing of everything a release (or a user) hands to clearweights.

Every YAML and JSON document the tool reads goes through here: a size cap, a nesting limit
checked before any recursive code runs, and YAML aliases counted by what they expand to (an
alias bomb is refused in linear time, before anything walks the expanded value). Files are read
only when they are regular files: a FIFO would block forever and a device never ends.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

MAX_DEPTH = 100  # nesting of lists and mappings; real cards, configs and policies stay under 20
MAX_YAML_NODES = 250_000  # scalars and collections once every alias is expanded
MAX_DOCUMENT_BYTES = 256 << 20  # JSON read whole (a BOM of 50,000 files is ~30 MB)
MAX_CONFIG_BYTES = 1 << 20  # config.json, adapter_config.json
MAX_POLICY_BYTES = 1 << 20
MAX_KEY_BYTES = 1 << 20  # a PEM key is a few hundred bytes
MAX_MESSAGE = 300  # characters of an error message that quotes input


class UntrustedInputError(ValueError):
    """An input breaks a safety limit (size, nesting, alias expansion) or is not a regular file.

    The message never quotes the expanded input; callers wrap it into their own error, which
    names the file.
    """


def shorten(text: str, limit: int = MAX_MESSAGE) -> str:
    """*text* cut to *limit* characters, saying so (for messages that quote hostile input)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters]"


def file_kind(mode: int) -> str:
    """Name the kind of a non-regular file for messages."""
    kinds = (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISLNK, "a symbolic link"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def read_bounded(path: str | Path, limit: int) -> bytes:
    """Read a regular file of at most *limit* bytes.

    Raises:
        UntrustedInputError: not a regular file (checked before opening), or larger than *limit*.
        OSError: the file cannot be opened or read (``strerror`` says why).
    """
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise UntrustedInputError(f"is {file_kind(info.st_mode)}, not a regular file; not read")
    if info.st_size > limit:
        raise UntrustedInputError(f"is {info.st_size} bytes, over the limit of {limit} bytes")
    # O_NONBLOCK: a file swapped for a FIFO after the check still cannot block the open.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise UntrustedInputError("is not a regular file; not read")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise UntrustedInputError(f"is over the limit of {limit} bytes")
    return data


# Flags of every read of release content: never block on a FIFO, never take a terminal.
READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def read_head(path: str | Path, limit: int) -> tuple[bytes, bool]:
    """The first *limit* bytes of a regular file, and whether the file is longer.

    Checked before it is opened (opening a device or FIFO can act or block) and again on the
    open descriptor (a file swapped since is refused; ``O_NONBLOCK`` keeps a swapped-in FIFO
    from blocking). The files a walk lists go through :class:`Heads` instead, opened once.
    """
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise UntrustedInputError(f"is {file_kind(info.st_mode)}, not a regular file; not read")
    data = _read_open(os.open(path, READ_FLAGS), limit)[0]
    return data[:limit], len(data) > limit


def read_listed(path: str, limit: int) -> tuple[bytes, os.stat_result]:
    """The first *limit* + 1 bytes of a file a folder listing gave as a regular file (not a
    link), and its ``fstat``: opened without following a link, checked on the descriptor.

    Raises:
        OSError: it cannot be opened or read (a link now: ``ELOOP``).
        UntrustedInputError: it is no longer a regular file.
    """
    return _read_open(os.open(path, READ_FLAGS | _NOFOLLOW), limit)


def regular_stat(fd: int) -> os.stat_result:
    """The ``fstat`` of *fd*; raises UntrustedInputError when it is not a regular file (a FIFO
    or a device would read without end, or as empty)."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise UntrustedInputError(f"is {file_kind(info.st_mode)}, not a regular file; not read")
    return info


def _read_open(fd: int, limit: int) -> tuple[bytes, os.stat_result]:
    """Up to *limit* + 1 bytes of the regular file open at *fd* (closed here), its ``fstat``."""
    try:
        info = regular_stat(fd)
        wanted = limit + 1
        # No more than the file holds (and one byte to see it did not grow): a 4 KiB buffer
        # for a file of ten bytes costs more than the read.
        asked = min(wanted, 1 << 24, info.st_size + 1)
        data = os.read(fd, asked)
        # A short read of a regular file is its end (no second system call to learn it).
        if len(data) < wanted and (len(data) == asked or 0 < len(data) < info.st_size):
            data = _read_rest(fd, data, wanted, info.st_size)
    finally:
        os.close(fd)
    return data, info


class Heads:
    """The first bytes of release files, read once while the release is listed, for every
    reader after (the pickle sniff, code and licence files): one open per file in all.

    Up to *budget* bytes are kept (by absolute path); files past it are read when asked for.
    """

    SIZE = 1 << 12  # what the pickle sniff and a code file's licence header read

    def __init__(self, budget: int = 32 << 20) -> None:
        self._heads: dict[str, bytes] = {}
        self._mtimes: dict[str, int] = {}
        self._left = budget

    def room(self) -> bool:
        """Whether another head may be kept."""
        return self._left > 0

    def keep(self, absolute: str, data: bytes, mtime: int = 0) -> None:
        """Keep *data*: the first ``SIZE`` + 1 bytes of the file (fewer: the whole file), and
        its modification time (seconds) when it was read."""
        self._heads[absolute] = data
        self._mtimes[absolute] = mtime
        self._left -= len(data) + 64  # with the entry's own cost, for a release of empty files

    def get(self, absolute: str, limit: int) -> tuple[bytes, bool] | None:
        """``read_head(absolute, limit)`` from the bytes kept, or ``None`` when they are not
        enough (nothing kept, or a longer head of a longer file asked for)."""
        data = self._heads.get(absolute)
        if data is None:
            return None
        if len(data) > limit:
            return data[:limit], True
        if len(data) <= self.SIZE:  # the whole file
            return data, False
        return None

    def whole(self, absolute: str) -> tuple[bytes, int] | None:
        """The whole file and its modification time, when its head was all of it (a BOM
        hashes it from these bytes: what was audited, without opening it again)."""
        data = self._heads.get(absolute)
        if data is None or len(data) > self.SIZE:
            return None
        return data, self._mtimes[absolute]


def _read_rest(fd: int, first: bytes, wanted: int, size: int) -> bytes:
    """Read on after a first chunk, as the first read's loop (large heads, growing files)."""
    chunks, done = [first], len(first)
    while done < wanted:
        asked = min(wanted - done, 1 << 24)
        chunk = os.read(fd, asked)
        chunks.append(chunk)
        done += len(chunk)
        if len(chunk) < asked and (done >= size or not chunk):
            break
    return b"".join(chunks)


# An unterminated string runs to the end (the optional quote): one pass, never quadratic.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[{]|[\]}]')


def json_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """The nesting depth of JSON *text* (strings skipped), stopping once it passes *limit*."""
    depth = deepest = 0
    for m in _JSON_TOKENS.finditer(text):
        token = m.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif token in "]}":
            depth -= 1
    return deepest


def load_json(data: str | bytes, *, limit: int = MAX_DOCUMENT_BYTES, depth: int = MAX_DEPTH) -> Any:
    """Parse JSON that may be hostile: size and nesting checked first.

    Raises:
        UntrustedInputError: too large, too deeply nested, or not JSON (the message is short).
    """
    if len(data) > limit:
        raise UntrustedInputError(f"is {len(data)} bytes, over the limit of {limit} bytes")
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    if json_depth(text, depth) > depth:
        raise UntrustedInputError(f"is nested more than {depth} levels deep")
    try:
        return json.loads(text)
    except RecursionError as exc:  # a nesting the depth scan did not see: still refused
        raise UntrustedInputError(f"is nested too deeply: {exc}") from exc
    except ValueError as exc:
        raise UntrustedInputError(f"is not valid JSON: {shorten(str(exc))}") from exc


def read_json(path: str | Path, limit: int = MAX_DOCUMENT_BYTES) -> Any:
    """Read and parse a JSON file with :func:`read_bounded` and :func:`load_json`."""
    try:
        return load_json(read_bounded(path, limit), limit=limit)
    except UnicodeDecodeError as exc:
        raise UntrustedInputError(f"is not UTF-8 text: {exc.reason}") from exc


_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# NOTE: PyYAML exports CSafeLoader but not CParser at the top level; it lives in yaml.cyaml.
_Parser = getattr(getattr(yaml, "cyaml", None), "CParser", None)


def _events(text: str | bytes) -> Any:
    if _Parser is not None:
        parser = _Parser(text)
        try:
            while (event := parser.get_event()) is not None:
                yield event
        except yaml.YAMLError as exc:
            # libyaml scans flow collections ahead of its events and stops at its own limit.
            if "maximum nesting depth" in str(exc):
                raise UntrustedInputError("is nested too deeply (over libyaml's limit)") from exc
            raise
        finally:
            parser.dispose()
    else:  # pragma: no cover - PyYAML without libyaml
        yield from yaml.parse(text, Loader=yaml.SafeLoader)


def check_yaml(text: str | bytes, *, depth: int = MAX_DEPTH, nodes: int = MAX_YAML_NODES) -> None:
    """Refuse YAML whose nesting or alias expansion is out of bounds, in one linear pass.

    Each anchor's expanded size is recorded when its node ends, so an alias costs one lookup
    and a billion-laughs document is refused after reading it once. An alias to a node that is
    still open (a recursive structure) is refused too.

    Raises:
        UntrustedInputError: naming the limit and the line where it was passed.
        yaml.YAMLError: the text is not YAML.
    """
    stack: list[list[Any]] = [[0, None]]  # [expanded size, anchor] of each open collection
    sizes: dict[str, int] = {}
    total = 0
    for event in _events(text):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([1, event.anchor])
            total += 1
            if len(stack) - 1 > depth:
                raise UntrustedInputError(f"is nested more than {depth} levels deep (line {line})")
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            size, anchor = stack.pop()
            if anchor is not None:
                sizes[anchor] = size
            stack[-1][0] += size
            continue
        if isinstance(event, yaml.ScalarEvent):
            size = 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in sizes:
                raise UntrustedInputError(
                    f"has an alias to an unfinished or unknown anchor (line {line}): "
                    "recursive structures are refused"
                )
            size = sizes[event.anchor]
        else:
            continue
        stack[-1][0] += size
        total += size
        if total > nodes:
            raise UntrustedInputError(
                f"expands to more than {nodes} values once its aliases are resolved "
                f"(line {line}): refused as an alias bomb"
            )


def load_yaml(text: str | bytes, *, limit: int = MAX_DOCUMENT_BYTES) -> Any:
    """Parse YAML that may be hostile: safe tags only, size, nesting and aliases bounded.

    Raises:
        UntrustedInputError: a limit is passed.
        yaml.YAMLError: the text is not YAML.
        ValueError: a value YAML cannot build (an impossible date).
    """
    if len(text) > limit:
        raise UntrustedInputError(f"is {len(text)} bytes, over the limit of {limit} bytes")
    check_yaml(text)
    return yaml.load(text, Loader=_Loader)  # a safe loader (C when available)


# The same block huggingface_hub's REGEX_YAML_BLOCK finds (a closing "--- " included), so what
# is checked here is exactly what the Hub library then parses.
# Front matter as the Hub splits a card: optional leading blank space, a line "---", the
# block (as short as it can be), a line "---" (trailing blanks allowed) ending the text or
# followed by a line break. Its own, so a card is read without importing the Hub client's
# upload and download code (about 0.4 s of every command's start).
FRONT_MATTER = re.compile(
    r"\A\s*---(?:\r\n|\r|\n)(?P<block>[\S\s]*?)(?:\r\n|\r|\n)---[ \t]*(?:\r\n|\n|$)"
)


def front_matter(text: str) -> str | None:
    """The YAML front matter of a Markdown file (as the Hub reads it), or ``None``."""
    found = FRONT_MATTER.match(text)
    return found["block"] if found else None


def compose_yaml(text: str | bytes) -> yaml.Node | None:
    """The node tree of YAML already accepted by :func:`check_yaml` (for line numbers)."""
    check_yaml(text)
    return yaml.compose(text, Loader=_Loader)  # composing runs no constructors
