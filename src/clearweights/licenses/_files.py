"""Licences in files and bytes: decoding, the size limit, and licence files that say nothing.

The text itself is identified by ``_identify.identify_text``; here a file's bytes become that
text, and a file whose name says it is a licence but whose text gives none is recorded as a
licence of unknown terms rather than as no licence.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from pathlib import Path

from clearweights.licenses._blocks import unidentified_match
from clearweights.licenses._identify import identify_text
from clearweights.licenses.model import FileResult, Identification

MAX_BYTES = 1 << 20  # read at most this much of one file
# A licence file's name holds one of these words; code and data files named so are not texts.
_LICENCE_WORDS = {"license", "licence", "licenses", "licences", "copying", "eula"}
_NOT_LICENCE_SUFFIX = {
    ".py", ".js", ".ts", ".json", ".jsonl", ".yaml", ".yml", ".toml", ".cfg", ".csv", ".tsv",
    ".sh", ".c", ".h", ".cpp", ".rs", ".go", ".java", ".ipynb", ".safetensors", ".bin", ".gguf",
}  # fmt: skip
_UNKNOWN_RULE = "licence file without identifiable licence"
_UNKNOWN_REASON = (
    "{name} is a licence file, but it holds no licence text, notice or terms that can be "
    "identified: its licence is unknown"
)


def _decode(data: bytes) -> tuple[str | None, str | None]:
    """Decode bytes as text; return ``(text, note)`` or ``(None, reason)`` for binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "decoded as UTF-16"
    if b"\x00" in data[:8192]:
        return None, "binary file (contains NUL bytes), not a licence text"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:  # a multi-byte character cut by the size limit
            return data[: exc.start].decode("utf-8"), None
        return data.decode("cp1252", errors="replace"), "not valid UTF-8; decoded as Windows-1252"


def identify_file(path: str | Path, *, max_bytes: int = MAX_BYTES) -> FileResult:
    """Identify the licences in one file; unreadable inputs give a result with ``error`` set."""
    shown = str(path)
    target = Path(path)
    try:
        if target.is_dir():
            return FileResult(shown, None, error="is a directory, not a file")
        with target.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        return FileResult(shown, None, error="no such file")
    except PermissionError:
        return FileResult(shown, None, error="permission denied")
    except OSError as exc:
        return FileResult(shown, None, error=f"cannot read: {exc.strerror or exc}")
    return identify_bytes(data, shown, max_bytes=max_bytes)


# The same licence text is in thousands of releases (every Apache-2.0 LICENSE file): a bulk
# scan identifies each distinct text once. The result is a frozen value of the text alone.
_CACHED_TEXT = 256 << 10
_identify_once = functools.lru_cache(maxsize=256)(identify_text)


def identify_bytes(data: bytes, name: str = "-", *, max_bytes: int = MAX_BYTES) -> FileResult:
    """Identify the licences in raw bytes (a file's content or standard input)."""
    notes: list[str] = []
    if len(data) > max_bytes:
        data = data[:max_bytes]
        notes.append(f"larger than {max_bytes} bytes; only the first {max_bytes} bytes were read")
    if not data.strip():
        return FileResult(
            name, Identification(()), notes=(*notes, "empty file"), bytes_read=len(data)
        )
    text, note = _decode(data)
    if text is None:
        return FileResult(name, None, error=note, notes=tuple(notes), bytes_read=len(data))
    found = _identify_once(text) if len(text) <= _CACHED_TEXT else identify_text(text)
    if note and note.startswith("not valid UTF-8") and not found.licences:
        # Nothing read as a licence in a guessed encoding: the file is unreadable, not empty.
        error = "not valid UTF-8, and no licence text when read as Windows-1252"
        return FileResult(name, None, error=error, notes=tuple(notes), bytes_read=len(data))
    if note:
        notes.append(note)
    if not found.licences and licence_file_name(name):
        # A file that says it is a licence but gives none we can read ("All rights reserved.",
        # "See the model card") leaves the licence unknown; it never lets anything else speak.
        reason = _UNKNOWN_REASON.format(name=Path(name).name)
        notes.append(reason)
        whole = [(0, len(text.rstrip()))]
        match = unidentified_match(text, (), whole)
        licence = replace(match.licence, notes=reason)
        found = replace(found, licences=(replace(match, licence=licence, rule=_UNKNOWN_RULE),))
    return FileResult(name, found, notes=tuple(notes), bytes_read=len(data))


def licence_file_name(name: str) -> bool:
    """Whether a file's name says it holds a licence (LICENSE, MODEL_LICENSE.md, COPYING)."""
    base = Path(name).name.lower()
    dot = base.rfind(".")
    if 0 < dot < len(base) - 1 and base[dot:] in _NOT_LICENCE_SUFFIX:
        return False
    return any(word in _LICENCE_WORDS for word in re.split(r"[^a-z]+", base))


__all__ = ["MAX_BYTES", "identify_bytes", "identify_file", "licence_file_name"]
