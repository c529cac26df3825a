"""A directory laid out like a Hugging Face model repository."""

from __future__ import annotations

import os
from pathlib import Path

from clearweights.errors import ReleaseError
from clearweights.release.card import MAX_CARD_BYTES, CardError, parse_card
from clearweights.release.model import CardData, Release, ReleaseFile, Skipped

_IGNORED_DIRS = {".git", ".hg", ".svn", "__pycache__", ".cache", ".ipynb_checkpoints"}
CARD_NAMES = ("README.md", "readme.md", "README.MD", "ModelCard.md")


class LocalDirectory:
    """Inventories a directory; symlinks leading outside ``root`` are reported, not followed."""

    def __init__(
        self,
        path: Path,
        *,
        root: Path | None = None,
        name: str | None = None,
        kind: str = "directory",
    ):
        self.path = path
        self.root = (root or path).resolve()
        self.name = name or path.resolve().name
        self.kind = kind

    def collect(self) -> Release:
        """Return the release: every file with its size, and the parsed model card."""
        files: list[ReleaseFile] = []
        skipped: list[Skipped] = []
        base = self.path
        for folder, dirs, names in os.walk(base, followlinks=False):
            dirs[:] = sorted(d for d in dirs if d not in _IGNORED_DIRS)
            for d in list(dirs):
                full = Path(folder, d)
                if full.is_symlink():
                    dirs.remove(d)
                    skipped.append(Skipped(self._rel(full), "symlinked directory, not followed"))
            for name in sorted(names):
                full = Path(folder, name)
                rel = self._rel(full)
                if full.is_symlink():
                    target = full.resolve()
                    if not target.is_relative_to(self.root):
                        skipped.append(
                            Skipped(
                                rel, f"symlink leading out of the release ({target}), not followed"
                            )
                        )
                        continue
                    if not target.is_file():
                        skipped.append(Skipped(rel, "broken symlink"))
                        continue
                try:
                    size = full.stat().st_size
                except OSError as exc:
                    skipped.append(Skipped(rel, f"unreadable: {exc.strerror}"))
                    continue
                files.append(ReleaseFile(rel, size, str(full)))
        if not files:
            raise ReleaseError("is an empty directory, not a release", path=self.path)
        card, card_skip = self._card(files)
        if card_skip:
            skipped.append(card_skip)
        return Release(
            name=self.name,
            kind=self.kind,
            location=str(self.path),
            files=tuple(sorted(files, key=lambda f: f.path)),
            card=card,
            skipped=tuple(skipped),
        )

    def _rel(self, full: Path) -> str:
        return full.relative_to(self.path).as_posix()

    @staticmethod
    def _card(files: list[ReleaseFile]) -> tuple[CardData | None, Skipped | None]:
        by_path = {f.path: f for f in files}
        entry = next((by_path[n] for n in CARD_NAMES if n in by_path), None)
        if entry is None:
            return None, None
        try:
            with open(entry.absolute, "rb") as handle:
                raw = handle.read(MAX_CARD_BYTES)
            return parse_card(raw.decode("utf-8", errors="replace"), entry.path), None
        except OSError as exc:
            return None, Skipped(entry.path, f"model card unreadable: {exc.strerror}")
        except CardError as exc:
            return None, Skipped(entry.path, f"model card ignored: {exc}")
