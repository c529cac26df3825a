"""Builders of hostile inputs: each writes files only (nothing executes, nothing is stored)."""

from __future__ import annotations

import json
import os
import stat
import struct
from pathlib import Path

from tests.build import write_files

ROOT = Path(__file__).resolve().parent.parent.parent
MIT = (ROOT / "tests" / "corpus" / "licences" / "MIT.txt").read_text(encoding="utf-8")
CONFIG = '{"architectures": ["LlamaForCausalLM"]}'
CARD = "---\nlicense: mit\n---\n# Tiny model\n\nA small model.\n"


def safetensors(tensors: dict[str, tuple[str, list[int], list[int]]], data: bytes) -> bytes:
    """A safetensors file with the given ``name: (dtype, shape, data_offsets)`` entries."""
    header = {n: {"dtype": d, "shape": s, "data_offsets": o} for n, (d, s, o) in tensors.items()}
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


GOOD_WEIGHTS = safetensors({"w": ("F32", [2, 2], [0, 16])}, bytes(16))


def release(folder: Path, files: dict[str, bytes | str] | None = None) -> Path:
    """A small valid release (MIT licence, card, config, weights) plus *files*."""
    folder.mkdir(parents=True)
    base: dict[str, bytes | str] = {
        "LICENSE": MIT,
        "README.md": CARD,
        "config.json": CONFIG,
        "model.safetensors": GOOD_WEIGHTS,
    }
    write_files(folder, {**base, **(files or {})})
    return folder


def alias_bomb(levels: int = 9) -> str:
    """A billion-laughs YAML document: nine levels of nine aliases (9^9 values)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def deep_json(depth: int = 100_000) -> str:
    """JSON nested *depth* levels deep (Python's parser recurses on each level)."""
    return "[" * depth + "]" * depth


def deep_folders(base: Path, depth: int) -> Path:
    """Folders nested *depth* deep (made with directory descriptors: no path-length limit)."""
    fd = os.open(base, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        leaf = os.open("deep.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, b"x = 1\n")
        os.close(leaf)
    finally:
        os.close(fd)
    return base / "d"


def remove_deep(top: Path) -> None:
    """Remove what :func:`deep_folders` made, without recursion."""
    fds = [os.open(top.parent, os.O_RDONLY)]
    while True:
        try:
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        except FileNotFoundError:
            break
    for name in os.listdir(fds[-1]):
        os.unlink(name, dir_fd=fds[-1])
    while len(fds) > 1:
        os.close(fds.pop())
        os.rmdir("d", dir_fd=fds[-1])
    os.close(fds[0])


def can_make_devices(folder: Path) -> bool:
    """Whether this process may create a character device (root in most containers)."""
    probe = folder / "probe-device"
    try:
        os.mknod(probe, stat.S_IFCHR | 0o600, os.makedev(1, 5))
    except (PermissionError, OSError):
        return False
    probe.unlink()
    return True


def gguf(version: int, tensors: int, kv: int, body: bytes = b"") -> bytes:
    """A GGUF header with the given counts, followed by *body*."""
    return b"GGUF" + struct.pack("<IQQ", version, tensors, kv) + body


def gguf_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw
