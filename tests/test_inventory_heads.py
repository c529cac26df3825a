"""Each file of a local release is opened once, while it is listed: what the walk keeps must be
exactly what the readers after it (pickle sniff, code heads, licence files) would have read."""

from __future__ import annotations

import errno
import gc
import json
import math
import os
import pickle
import stat
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

import pytest

from clearweights._gc import paused
from clearweights._jsontext import dumps_indented
from clearweights._untrusted import Heads, UntrustedInputError, read_head, read_listed
from clearweights.audit import audit_collected
from clearweights.audit.model import AuditReport
from clearweights.formats.json import JsonFormat
from clearweights.sources.local import LocalDirectory
from tests.hostile.corpus import MIT, can_make_devices, release

SIZES = (0, 1, 4095, 4096, 4097, 40_000)
LIMITS = (10, 4096, 4097, 32_768, (1 << 20) + 1)


def test_a_kept_head_is_what_read_head_reads(tmp_path: Path) -> None:
    heads = Heads()
    for size in SIZES:
        path = tmp_path / f"f{size}"
        path.write_bytes(bytes(i % 251 for i in range(size)))
        data, info = read_listed(str(path), Heads.SIZE)
        assert info.st_size == size
        heads.keep(str(path), data, int(info.st_mtime))
    answered = 0
    for size in SIZES:
        content = (tmp_path / f"f{size}").read_bytes()
        for limit in LIMITS:
            assert read_head(tmp_path / f"f{size}", limit) == (content[:limit], size > limit)
            kept = heads.get(str(tmp_path / f"f{size}"), limit)
            if kept is not None:  # None: the reader reads the file itself
                answered += 1
                assert kept == read_head(tmp_path / f"f{size}", limit)
    # Short files answer every limit; long ones only limits under what was kept.
    assert answered == 4 * len(LIMITS) + 2 * 2
    assert heads.get(str(tmp_path / "never-listed"), 10) is None
    for size in SIZES:  # whole files only, as the BOM hashes them
        path = tmp_path / f"f{size}"
        whole = heads.whole(str(path))
        if size <= Heads.SIZE:
            assert whole == (path.read_bytes(), int(path.stat().st_mtime))
        else:
            assert whole is None


def test_read_head_never_opens_a_fifo_and_hashing_refuses_one(tmp_path: Path) -> None:
    """A FIFO is refused before it is opened (opening one wakes its writer), and a release
    file swapped for one before hashing is named, not hashed as an empty file."""
    import threading

    from clearweights.bom.hashing import hash_files
    from clearweights.errors import InputError

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: os.close(os.open(fifo, os.O_WRONLY)), daemon=True)
    writer.start()
    try:
        with pytest.raises(UntrustedInputError, match="FIFO"):
            read_head(fifo, 16)
        writer.join(timeout=0.5)
        assert writer.is_alive()  # still waiting for a reader: read_head never opened it
    finally:
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # let the writer go
        writer.join(timeout=5)
    with pytest.raises(InputError, match="FIFO") as raised:
        hash_files(tmp_path, ["pipe"])
    assert raised.value.path == str(fifo)


def test_read_listed_refuses_a_fifo_without_blocking_and_a_link(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(UntrustedInputError, match="FIFO"):
        read_listed(str(tmp_path / "pipe"), 16)  # would block forever without O_NONBLOCK
    (tmp_path / "target").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with pytest.raises(OSError, match="symbolic links") as raised:  # swapped for a link
        read_listed(str(tmp_path / "link"), 16)
    assert raised.value.errno == errno.ELOOP  # not followed
    # read_head still follows a link (the walk follows those inside the release) ...
    assert read_head(tmp_path / "link", 16) == (b"x", False)
    # ... and still refuses a FIFO, through a link or not, and names a missing file.
    (tmp_path / "to-pipe").symlink_to(tmp_path / "pipe")
    for name in ("pipe", "to-pipe"):
        with pytest.raises(UntrustedInputError, match="FIFO"):
            read_head(tmp_path / name, 16)
    with pytest.raises(FileNotFoundError):
        read_head(tmp_path / "missing", 16)


def _hostile_release(tmp_path: Path) -> Path:
    big_code = "# SPDX-License-Identifier: Apache-2.0\n" + "x = 1\n" * 2000  # over 4 KiB
    folder = release(
        tmp_path / "rel",
        {
            "modeling_tiny.py": "import torch\nclass Tiny(nn.Module):\n    pass\n",
            "big.py": big_code,
            "tools/LICENSE": MIT,  # short: read whole while listed
            "vendor/LICENSE": MIT + "\n" * 5000,  # longer than a head: read again
            "weights/state": pickle.dumps({"w": [1.0]}, protocol=2),  # a pickle without a suffix
            "weights/old": pickle.dumps({"w": 1}, protocol=0),
            "training_args.bin": pickle.dumps([1, 2]),
            "empty.txt": "",
        },
    )
    os.mkfifo(folder / "FIFO")
    (folder / "inside").symlink_to(folder / "big.py")
    (folder / "outside").symlink_to("/etc/hostname")
    if can_make_devices(tmp_path):
        os.mknod(folder / "model.bin", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    return folder


def test_the_walk_with_heads_lists_the_same_release(tmp_path: Path) -> None:
    folder = _hostile_release(tmp_path)
    heads = Heads()
    kept = LocalDirectory(folder, heads=heads).collect()
    assert kept == LocalDirectory(folder).collect()
    reasons = {s.path: s.reason for s in kept.skipped}
    assert reasons["FIFO"] == "is a FIFO (named pipe), not a regular file; not read"
    assert "leading out of the release" in reasons["outside"]
    # Only regular files that are not links are kept: a link's target is read when asked.
    assert heads.get(str(folder / "inside"), 10) is None
    assert heads.get(str(folder / "FIFO"), 10) is None
    assert heads.get(str(folder / "LICENSE"), 10) == (MIT.encode()[:10], True)


@pytest.mark.parametrize("budget", [32 << 20, 300, 0])
def test_an_audit_with_heads_is_the_audit_without(tmp_path: Path, budget: int) -> None:
    """The same report whether every head, some (a small budget) or none was kept."""
    folder = _hostile_release(tmp_path)
    plain = audit_collected(LocalDirectory(folder).collect(), str(folder))
    heads = Heads(budget)
    collected = LocalDirectory(folder, heads=heads).collect()
    with_heads = audit_collected(collected, str(folder), heads=heads)
    text = JsonFormat().render(AuditReport((with_heads,)))
    assert text == JsonFormat().render(AuditReport((plain,)))
    pickles = {p.path for p in with_heads.pickles}
    assert {"weights/state", "weights/old", "training_args.bin"} <= pickles
    component = next(c for c in with_heads.components if "big.py" in c.paths)
    assert "big.py header" in component.licence_source


class Colour(StrEnum):
    RED = "red"


class Level(IntEnum):
    HIGH = 3


def _deep(levels: int) -> Any:
    value: Any = {"leaf": [1, "a"]}
    for i in range(levels):
        value = {"z": value, "a": [i, {"k": None}]} if i % 2 else [value, (True, 1.5)]
    return value


def test_the_json_writer_writes_what_json_writes() -> None:
    doc: dict[str, Any] = {
        "schema_version": "1.0",
        "b": [{"y": 1, "x": (2, {"d": 1, "c": [Colour.RED, Level.HIGH]})}],
        "a": {"é": "ünïcode \u2028 \x00", "nan": math.nan, "inf": -math.inf, "big": 1e300},
        "records": [{"path": f"p{i}", "size": i, "present": i % 2 == 0} for i in range(5)],
        "empty": [{}, [], ()],
        "deep": _deep(150),  # deeper than the writer's table of indents
    }
    reference = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)
    assert dumps_indented(doc) == reference
    assert dumps_indented(doc, ensure_ascii=True) == json.dumps(doc, indent=2, sort_keys=True)
    # The top level in its own order, every level below sorted (the report's version first).
    top = json.dumps(
        {k: json.loads(json.dumps(v, sort_keys=True)) for k, v in doc.items()},
        indent=2,
        ensure_ascii=False,
    )
    assert dumps_indented(doc, top_in_order=True) == top
    with pytest.raises(TypeError):
        dumps_indented({"a": {1: "b"}})
    with pytest.raises(TypeError):
        dumps_indented({"a": object()})


def test_the_collector_runs_again_after_the_last_pause() -> None:
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
        with paused():  # nested (a report written inside an audit)
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # a caller that paused it itself keeps it paused
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(ValueError, match="broken"), paused():  # resumed on an error too
        raise ValueError("broken")
    assert gc.isenabled()


def test_the_collector_runs_while_pickles_are_scanned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile pickle stream may build cyclic garbage as long as it runs: the collector is
    paused around listing and writing only, never around a pickle scan (audit or BOM)."""
    import clearweights.audit as audit_module
    from clearweights.audit import audit_release
    from clearweights.bom import build_bom
    from tests.build import pickled_global

    (tmp_path / "README.md").write_text("---\nlicense: mit\n---\n# A model\n", encoding="utf-8")
    (tmp_path / "training_args.bin").write_bytes(
        pickled_global("transformers.training_args", "TrainingArguments", {"seed": "42"})
    )
    seen: list[bool] = []
    scan = getattr(audit_module, "scan_release_file")  # noqa: B009  (not exported)

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return scan(*args, **kwargs)

    monkeypatch.setattr(audit_module, "scan_release_file", watched)
    assert gc.isenabled()
    audit_release(str(tmp_path))
    build_bom(str(tmp_path), "cyclonedx")
    assert seen and all(seen)  # the collector on through every scan, audit and BOM
    assert gc.isenabled()
