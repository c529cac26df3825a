"""Build realistic releases in a temporary folder: tiny safetensors, real licence texts, cards."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
TINY = {"model.embed_tokens.weight": [8, 4], "lm_head.weight": [8, 4]}


def safetensors(path: Path, tensors: dict[str, list[int]] | None = None) -> None:
    """Write a valid safetensors file of float16 zeros."""
    header: dict[str, object] = {}
    offset = 0
    for name, shape in (tensors or TINY).items():
        size = 2 * shape[0] * shape[1]
        header[name] = {"dtype": "F16", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(offset))


def licence(licence_id: str, target: Path) -> None:
    """Copy a real licence text from the corpus (``licences/<id>.txt``)."""
    source = CORPUS / "licences" / f"{licence_id}.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def write(path: Path, text: str) -> None:
    """Write a text file, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_files(folder: Path, files: dict[str, bytes | str]) -> None:
    """Write files (text or bytes) under *folder*, creating folders."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)


def config(path: Path, architecture: str, model_type: str) -> None:
    """A small config.json."""
    body = {"architectures": [architecture], "model_type": model_type, "hidden_size": 4}
    write(path, json.dumps(body, indent=2) + "\n")


def card(front: str, body: str) -> str:
    """A model card: YAML front matter and Markdown."""
    return f"---\n{front.strip()}\n---\n\n{body.strip()}\n"


def varied_release(
    root: Path, front: str, odd_names: tuple[str, ...], parts: dict[str, str]
) -> Path:
    """A release for BOM tests: Apache at the top and MIT under ``vendor/`` (each with a file
    named oddly), an ``MIT OR GPL-3.0-only`` header, many small *parts*, a Llama config and
    tiny weights."""
    licence("Apache-2.0", root / "LICENSE")
    licence("MIT", root / "vendor" / "LICENSE")
    write_files(root, {
        "README.md": card(front, "# Varied"),
        "dual.py": "# SPDX-License-Identifier: MIT OR GPL-3.0-only\nx = 1\n",
        **{f"vendor/{name}": f"{name}\n" for name in odd_names},
        **parts,
    })  # fmt: skip
    config(root / "config.json", "LlamaForCausalLM", "llama")
    safetensors(root / "model.safetensors")
    return root


def pickled_global(module: str, name: str, state: dict[str, str]) -> bytes:
    """Protocol-2 pickle bytes of ``module.name`` built from *state* (written, never loaded).

    The shape ``torch.save`` gives a Trainer's ``training_args.bin``: GLOBAL, EMPTY_TUPLE,
    NEWOBJ, a dict of settings, BUILD, STOP.
    """
    out = b"\x80\x02" + f"c{module}\n{name}\n".encode() + b")\x81}"
    for key, value in state.items():
        for text in (key, value):
            raw = text.encode()
            out += b"X" + struct.pack("<I", len(raw)) + raw
        out += b"s"
    return out + b"b."
