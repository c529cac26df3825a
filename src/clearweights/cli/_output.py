"""Where a command's words go: data to stdout or files (written atomically), people to stderr.

Commands never decide this themselves: ``-q``, ``-v`` and ``--no-progress`` (added to every
command by :mod:`clearweights.cli._conventions`) are kept in the click context, and the
helpers here read them.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from clearweights.errors import InputError

if TYPE_CHECKING:
    from clearweights.cli._progress import BarProgress

_KEY = "clearweights.output"


@dataclass(frozen=True)
class Verbosity:
    """How much a command says on stderr."""

    quiet: bool = False
    verbose: bool = False
    progress: bool = True


def verbosity() -> Verbosity:
    """The current command's settings (defaults outside a command, for library-style calls)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return Verbosity()
    found = ctx.meta.get(_KEY)
    return found if isinstance(found, Verbosity) else Verbosity()


def set_verbosity(ctx: click.Context, value: Verbosity) -> None:
    """Record the settings for the command being run."""
    ctx.meta[_KEY] = value


def note(message: str) -> None:
    """Tell people something on stderr (not with ``-q``)."""
    if not verbosity().quiet:
        click.echo(message, err=True)


def detail(message: str) -> None:
    """Tell people more on stderr (only with ``-v``)."""
    settings = verbosity()
    if settings.verbose and not settings.quiet:
        click.echo(message, err=True)


def progress_bar(total: int = 2) -> BarProgress | None:
    """A progress bar on stderr when there is enough work, stderr is a terminal and it is wanted."""
    settings = verbosity()
    if total < 2 or settings.quiet or not settings.progress or not sys.stderr.isatty():
        return None
    from clearweights.cli._progress import BarProgress

    return BarProgress()


def _file_mode(path: Path) -> int:
    """Keep an existing file's mode; a new file gets what the umask allows."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _temp_copy(path: Path, text: str) -> Path:
    """Write *text* to a temporary file beside *path* (same filesystem, so rename is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        temp.chmod(_file_mode(path))
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


_SYSTEM = ("/dev/", "/proc/")  # /dev/stdout, /dev/fd/N, /proc/self/fd/N: the process's own


def _in_place(path: Path) -> bool:
    """Whether *path* is written in place, never renamed over: a device, FIFO or socket
    (``-o /dev/null``), or a link under /dev or /proc to the process's own stream (``-o
    /dev/stdout``, whatever the shell put behind it: a pipe, or the file it redirected to,
    which a rename would replace). A plain file there (/dev/shm) is renamed as anywhere."""
    absolute = os.path.abspath(path)
    if absolute.startswith(_SYSTEM) and os.path.realpath(absolute) != absolute:
        return True
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _write_in_place(path: Path, text: str) -> None:
    # Appending: a file behind /dev/stdout is the shell's redirection (``>`` emptied it,
    # ``>>`` keeps what it had); truncating it through /proc would undo ``>>``.
    with path.open("a", encoding="utf-8", newline="") as stream:
        stream.write(text)


def _through_links(path: Path) -> Path:
    """The file a symbolic link names (``-o report.json`` where report.json links into a
    shared folder): written there and the link kept, as a shell's ``>`` would; the rename
    would otherwise put a regular file in the link's place."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def write_files(outputs: Sequence[tuple[Path, str]]) -> None:
    """Write every ``(path, text)``: each to a temporary file beside it first, then all are
    renamed into place, so an error never leaves a partial file (nor a mix of old and new
    ones, unless a rename itself fails). Devices, FIFOs and the process's own streams are
    written in place, last; other symbolic links are followed.
    """
    in_place = [(path, text) for path, text in outputs if _in_place(path)]
    renamed = [(_through_links(path), text) for path, text in outputs if not _in_place(path)]
    temps: list[tuple[Path, Path]] = []
    current: Path | None = None
    try:
        for path, text in renamed:
            current = path
            temps.append((_temp_copy(path, text), path))
        for temp, path in temps:
            current = path
            temp.replace(path)
        for path, text in in_place:
            current = path
            _write_in_place(path, text)
    except OSError as exc:
        for temp, _ in temps:
            temp.unlink(missing_ok=True)
        reason = exc.strerror or str(exc)
        raise InputError(f"cannot write: {reason}", path=current) from exc
    for path, _ in outputs:
        note(f"wrote {path}")


def write_output(path: Path | None, text: str) -> None:
    """Write *text* to *path* atomically, or to stdout when there is none."""
    if path is None:
        click.echo(text, nl=False)
    else:
        write_files([(path, text)])
