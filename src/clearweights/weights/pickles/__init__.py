"""Pickle scanning: the pickle machine is simulated opcode by opcode, never run.

Every pickle of a file is read (one after another until the end of the stream, in every zip
and tar member, in numpy object arrays, in compressed streams), in bounded memory. Each import
is judged by how the pickle uses it (see :mod:`allowlist`); anything the simulation cannot
resolve is unsafe, and so are archive tricks (central directory and local headers that
disagree, hidden or duplicate members, a pickle that is also a zip).

Example:
    >>> import pickle, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "state.pkl").write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    >>> scan_pickle(folder / "state.pkl", "state.pkl").safe
    True
"""

from __future__ import annotations

import os
import stat
from functools import lru_cache
from pathlib import Path, PurePosixPath

from clearweights._untrusted import UntrustedInputError, read_head
from clearweights.weights.model import PickleIssue, PickleScan
from clearweights.weights.pickles.allowlist import judge
from clearweights.weights.pickles.archives import (
    _UNREADABLE,
    PICKLE_NAMES,
    PICKLE_SUFFIXES,
    Found,
    scan_file,
)
from clearweights.weights.pickles.compressed import MAGICS, NOT_SCANNED
from clearweights.weights.pickles.machine import Scan
from clearweights.weights.pickles.stream import strong_sniff, weak_sniff

_CONTAINERS = (b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY", *MAGICS)

__all__ = ["PICKLE_SUFFIXES", "might_hold_pickles", "scan_pickle", "scan_release_file"]


_NAMED = PICKLE_NAMES | {".npy", ".npz"}  # opened by the scan whatever their first bytes
_HEAD = 1 << 12


def might_hold_pickles(path: Path | str, head: bytes | None = None) -> bool:
    """Whether *path* is a regular file that is, or may contain, a pickle (reads 4 KiB).

    *head*: the file's first 4 KiB (all of it when shorter), when already read.
    """
    name = os.fspath(path).rpartition(os.sep)[2]  # os.path.basename, for every file
    dot = name.rfind(".")
    suffix = name[dot:].lower() if 0 < dot < len(name) - 1 else ""
    try:
        if suffix in _NAMED:
            return stat.S_ISREG(os.stat(path).st_mode)
        if head is None:
            head = read_head(path, _HEAD)[0]  # refuses anything but a regular file
    except (OSError, UntrustedInputError):
        return False
    return head.startswith(_CONTAINERS) or head[257:262] == b"ustar" or _sniff(head)


@lru_cache(maxsize=512)  # copies of one text (20,000 vendored LICENSE files) are sniffed once
def _sniff(head: bytes) -> bool:
    return strong_sniff(head) or weak_sniff(head)


def _framework(imports: tuple[str, ...], legacy: bool) -> str | None:
    """The known-benign layout the imports describe (all of them judged safe)."""
    modules = {name.rpartition(".")[0] for name in imports}
    checks = (
        ("Lightning checkpoint", ("pytorch_lightning", "lightning")),
        ("Hugging Face TrainingArguments", ("transformers.training_args",)),
        ("scikit-learn estimator", ("sklearn",)),
        ("PyTorch checkpoint (legacy torch.save)" if legacy else "PyTorch checkpoint", ("torch",)),
        ("numpy array", ("numpy",)),
    )
    for label, prefixes in checks:
        if any(m == p or m.startswith(p + ".") for m in modules for p in prefixes):
            return label
    return "PyTorch checkpoint (legacy torch.save)" if legacy else None


def scan_pickle(path: Path | str, relative: str) -> PickleScan:
    """Simulate every pickle in the file at *path*; problems are reported, never raised."""
    found = Found(Scan(""))
    try:
        with open(path, "rb") as handle:
            scan_file(handle, relative, found)
    except _UNREADABLE as exc:
        found.error(found.scan.member, f"not a readable pickle file: {exc}")
    issues = [PickleIssue(*issue) for issue in found.scan.issues]
    imports: dict[str, None] = {}
    unsafe: dict[str, None] = {}
    for item in found.scan.globals:
        if item.module is None or item.name is None:
            continue  # already an issue: the operands could not be resolved
        imports[item.qualified] = None
        reason = judge(item.module, item.name, item.uses)
        if reason:
            unsafe[item.qualified] = None
            issues.append(PickleIssue(item.member, item.offset, f"{item.qualified}: {reason}"))
    issues.sort(key=lambda i: (i.member, i.offset))
    safe = not issues
    return PickleScan(
        relative,
        tuple(imports),
        tuple(unsafe),
        "; ".join(dict.fromkeys(found.errors)) or None,
        tuple(dict.fromkeys(issues)),
        found.pickles,
        _framework(tuple(imports), found.legacy) if safe and found.pickles else None,
    )


def scan_release_file(
    path: Path | str, relative: str, *, expected: bool = False, head: bytes | None = None
) -> PickleScan | None:
    """The scan of one release file, or None when it holds no pickle and nothing to report.

    *expected* files (pickle-named weights) are always reported, so that one that cannot be
    read is named; others only when they hold a pickle or an archive trick. *head*: its first
    4 KiB, when already read.
    """
    if not might_hold_pickles(path, head):
        return None
    scan = scan_pickle(path, relative)
    named = PurePosixPath(relative).suffix.lower() in {".pkl", ".pickle", ".joblib"}
    # A container it could not open (lz4 missing, a bomb) is named whatever the file's name.
    unread = scan.error is not None and NOT_SCANNED in scan.error
    if scan.pickles or scan.issues or expected or unread or (named and scan.error):
        return scan
    return None
