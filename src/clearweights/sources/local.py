"""A directory laid out like a Hugging Face model repository."""

from __future__ import annotations

import errno
import os
import stat
from operator import attrgetter
from pathlib import Path

from clearweights._gc import paused
from clearweights._untrusted import (
    Heads,
    UntrustedInputError,
    file_kind,
    front_matter,
    read_head,
    read_listed,
)
from clearweights.errors import ReleaseError
from clearweights.release.card import MAX_CARD_BYTES, CardError, parse_card
from clearweights.release.model import CardData, Release, ReleaseFile, Skipped

_IGNORED_DIRS = {".git", ".hg", ".svn", "__pycache__", ".cache", ".ipynb_checkpoints"}
CARD_NAMES = ("README.md", "readme.md", "README.MD", "ModelCard.md")
MAX_FOLDER_DEPTH = 256  # real releases nest a handful of folders; deeper ones are named, not read


def display_path(path: str) -> str:
    """*path* as text that every output format can hold: undecodable bytes become ``\\xNN``."""
    if path.isascii():  # the usual name, and no surrogate escape is ASCII
        return path
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # os.fsdecode's surrogate escapes of a non-UTF-8 name
        return os.fsencode(path).decode("utf-8", errors="backslashreplace")
    return path


class LocalDirectory:
    """Inventories a directory; symlinks leading outside ``root`` are reported, not followed.

    Only regular files are listed: FIFOs, devices and sockets are named and never opened, and
    the walk is iterative (no recursion limit) and never follows a symlinked folder.
    """

    def __init__(
        self,
        path: Path,
        *,
        root: Path | None = None,
        name: str | None = None,
        kind: str = "directory",
        heads: Heads | None = None,
    ):
        self.path = path
        self.root = (root or path).resolve()
        self.name = name or path.resolve().name
        self.kind = kind
        self.heads = heads  # when given, each regular file's first bytes are read and kept

    def collect(self) -> Release:
        """Return the release: every file with its size, and the parsed model card."""
        with paused():  # bounded reads only: see clearweights._gc
            return self._collect()

    def _collect(self) -> Release:
        files: list[ReleaseFile] = []
        skipped: list[Skipped] = []
        stack: list[tuple[str, str, int]] = [(str(self.path), "", 0)]
        while stack:
            folder, prefix, depth = stack.pop()
            try:  # listed in the order the system gives: files and skips are sorted once, below
                with os.scandir(folder) as listing:
                    entries = list(listing)
            except OSError as exc:
                skipped.append(Skipped(prefix or ".", f"folder could not be read: {_why(exc)}"))
                continue
            for entry in entries:
                rel = f"{prefix}/{entry.name}" if prefix else entry.name
                if entry.is_file(follow_symlinks=False):  # the usual case, inline
                    found = self._regular(entry, rel)
                    if isinstance(found, ReleaseFile):
                        files.append(found)
                    else:
                        skipped.append(found)
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if entry.name in _IGNORED_DIRS:
                        continue
                    if depth + 1 >= MAX_FOLDER_DEPTH:
                        reason = f"folder nested over {MAX_FOLDER_DEPTH} deep, not read"
                        skipped.append(Skipped(display_path(rel), reason))
                        continue
                    stack.append((entry.path, rel, depth + 1))
                    continue
                found = self._file(entry, rel)
                if isinstance(found, Skipped):
                    skipped.append(found)
                else:
                    files.append(found)
        skipped.sort(key=lambda s: (s.path, s.reason))
        if not files:
            self._empty(skipped)
        card, card_skip = self._card(files)
        skipped.extend(card_skip)
        return Release(
            name=self.name,
            kind=self.kind,
            location=str(self.path),
            files=tuple(sorted(files, key=attrgetter("path"))),
            card=card,
            skipped=tuple(sorted(skipped, key=lambda s: (s.path, s.reason))),
        )

    def _regular(self, entry: os.DirEntry[str], rel: str) -> ReleaseFile | Skipped:
        """The file at *entry*, which the folder listing says is a regular file (not a link).

        With room left in the heads, the file is opened (without following a link, never
        blocking) and its first bytes kept: that open says whether it can be read, as
        ``access`` would. Otherwise it is checked as any entry is, without opening it.
        """
        heads = self.heads
        if heads is None or not heads.room():
            return self._file(entry, rel)
        shown = rel if rel.isascii() else display_path(rel)
        try:
            data, info = read_listed(entry.path, Heads.SIZE)
        except OSError as exc:
            return Skipped(shown, f"could not be read: {_why(exc)}")
        except UntrustedInputError as exc:  # swapped for a FIFO or a device since listed
            return Skipped(shown, str(exc))
        heads.keep(entry.path, data, int(info.st_mtime))
        return ReleaseFile(shown, info.st_size, entry.path)

    def _file(self, entry: os.DirEntry[str], rel: str) -> ReleaseFile | Skipped:
        """The release file at *entry*, or why it was skipped (nothing is opened here)."""
        shown = display_path(rel)
        try:
            if entry.is_symlink():
                skip = self._link(entry)
                if skip is not None:
                    return Skipped(shown, skip)
                info = os.stat(entry.path)
            else:
                info = entry.stat(follow_symlinks=False)
        except OSError as exc:
            return Skipped(shown, f"could not be read: {_why(exc)}")
        if not stat.S_ISREG(info.st_mode):
            return Skipped(shown, f"is {file_kind(info.st_mode)}, not a regular file; not read")
        if not os.access(entry.path, os.R_OK):
            return Skipped(shown, "could not be read: permission denied")
        return ReleaseFile(shown, info.st_size, entry.path)

    def _link(self, entry: os.DirEntry[str]) -> str | None:
        """Why the symlink at *entry* is not followed, or ``None`` when it may be."""
        try:
            os.stat(entry.path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "symlink loop, not followed"
            if self.kind == "hf-cache":
                return "blob missing from the Hugging Face cache (dangling snapshot link)"
            return "broken symlink"
        target = Path(os.path.realpath(entry.path))
        if not target.is_relative_to(self.root):
            return f"symlink leading out of the release ({display_path(str(target))}), not followed"
        if target.is_dir():
            return "symlinked directory, not followed"
        return None

    def _empty(self, skipped: list[Skipped]) -> None:
        missing = [s for s in skipped if "blob missing" in s.reason]
        if missing:
            raise ReleaseError(
                f"its cached snapshot links to {len(missing)} blob(s) that are missing "
                f"(first: {missing[0].path})",
                path=self.path,
                hint="fetch it again: pass --download",
            )
        if skipped:
            first = skipped[0]
            raise ReleaseError(
                f"has no regular file that can be read ({len(skipped)} skipped; "
                f"first: {first.path}: {first.reason})",
                path=self.path,
            )
        raise ReleaseError("is an empty directory, not a release", path=self.path)

    @staticmethod
    def _card(files: list[ReleaseFile]) -> tuple[CardData | None, list[Skipped]]:
        by_path = {f.path: f for f in files if f.path in CARD_NAMES}  # no map of every file
        entry = next((by_path[n] for n in CARD_NAMES if n in by_path), None)
        if entry is None:
            return None, []
        try:
            raw, cut = read_head(entry.absolute, MAX_CARD_BYTES)
        except (OSError, UntrustedInputError) as exc:
            reason = _why(exc) if isinstance(exc, OSError) else str(exc)
            return None, [Skipped(entry.path, f"model card unreadable: {reason}")]
        text = raw.decode("utf-8", errors="replace")
        notes = []
        if cut:
            cap = f"{MAX_CARD_BYTES >> 20} MiB"
            if text.lstrip().startswith("---") and front_matter(text) is None:
                reason = f"model card front matter cut by the {cap} size cap: metadata not read"
                notes.append(Skipped(entry.path, reason))
            else:
                reason = f"only the first {cap} were read (size cap); the rest was not audited"
                notes.append(Skipped(entry.path, reason))
        try:
            card = parse_card(text, entry.path)
        except CardError as exc:
            return None, [*notes, Skipped(entry.path, f"model card ignored: {exc}")]
        return card, [*notes, *(Skipped(entry.path, note) for note in card.notes)]


def _why(exc: OSError) -> str:
    """The reason of an OS error in words (``permission denied``), without the path."""
    return (exc.strerror or str(exc)).lower() if exc.strerror else str(exc)
