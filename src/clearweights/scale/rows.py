"""Hub metadata rows as releases: the card parsed as a directory's, files listed without content.

A row is one repository in the shape ``huggingface_hub`` returns (``list_models(full=True,
cardData=True)``, ``model_info(files_metadata=True)``) or the public model-card dumps give:
``id``/``modelId``, ``sha``/``lastModified``, ``tags``, ``cardData``, ``card`` and ``siblings``
(``rfilename``, ``size``, ``lfs.sha256``). A row may also carry ``texts``, a mapping of file
names to their text (licence files, config.json), which are then read like files on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from clearweights._untrusted import load_json
from clearweights.components import MofComponent
from clearweights.errors import ReleaseError
from clearweights.inventory.rules import assign
from clearweights.release.card import MAX_CARD_BYTES, CardError, parse_card
from clearweights.release.model import HUB_METADATA, CardData, Release, ReleaseFile, Skipped
from clearweights.scale.items import Item

SOURCE = HUB_METADATA
WEIGHT_KINDS = (MofComponent.MODEL_PARAMETERS_FINAL, MofComponent.MODEL_PARAMETERS_INTERMEDIATE)
_CARD = "README.md"


class TextPool:
    """Texts carried by rows, written once each under their SHA-256 so readers can open them."""

    def __init__(self, folder: str):
        self.folder = folder  # a Path only when a row carries texts (most rows carry none)

    def path_for(self, data: bytes) -> str:
        """A file holding *data* (written atomically: workers share the pool)."""
        name = hashlib.sha256(data).hexdigest()
        target = Path(self.folder, name[:2], name)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        return str(target)


def _mapping(value: Any, field: str) -> dict[str, Any] | None:
    """A mapping field, which dumps store as an object or as JSON text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = load_json(value)
        except ValueError as exc:
            raise ValueError(f"{field} is not JSON: {exc}") from None
    if isinstance(value, list) and all(isinstance(kv, tuple) and len(kv) == 2 for kv in value):
        value = dict(value)  # Parquet map columns read as key-value pairs
    if not isinstance(value, dict):
        raise ValueError(f"{field} is {type(value).__name__}, not a mapping")
    return value


def _siblings(value: Any) -> list[tuple[str, int]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"siblings is {type(value).__name__}, not a list")
    files = []
    for entry in value:
        name = entry.get("rfilename") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            raise ValueError("a siblings entry has no rfilename")
        lfs = entry.get("lfs") if isinstance(entry.get("lfs"), dict) else {}
        size = entry.get("size") if entry.get("size") is not None else lfs.get("size")
        files.append((name, int(size) if isinstance(size, int | float) else 0))
    return files


def row_item(raw: Any, where: str) -> Item:
    """The work item for one dump row; a row that cannot be used becomes an error item."""
    try:
        return _row_item(raw)
    except (ValueError, TypeError) as exc:
        return malformed_item(where, str(exc), repr(raw).encode("utf-8", "replace"))


def malformed_item(where: str, why: str, data: bytes) -> Item:
    """An error item for a row that cannot be used (named by where it sits in the dump)."""
    digest = hashlib.sha256(data).hexdigest()[:32]
    return Item(SOURCE, where, "sha256:" + digest, error=f"{where}: malformed row: {why}")


def exact_row_item(raw: Any) -> Item | None:
    """The work item for one row, or None when the row cannot be used (no error worded)."""
    try:
        return _row_item(raw)
    except (ValueError, TypeError):
        return None


_TEXT = (str, bytes)
# Every field _row_item reads: a Parquet dump's other columns are not converted to Python.
ROW_FIELDS = frozenset(
    ("id", "modelId", "repo_id", "sha", "lastModified", "last_modified", "card", "cardData",
     "tags", "siblings", "texts")
)  # fmt: skip


def _row_item(raw: Any) -> Item:
    # Absent fields are checked inline: a resumed scan makes an item of every row it skips.
    if not isinstance(raw, dict):
        raise ValueError(f"a row is {type(raw).__name__}, not an object")
    get = raw.get
    repo = get("id") or get("modelId") or get("repo_id")
    if not isinstance(repo, str) or not repo.strip():
        raise ValueError("no id or modelId")
    texts = get("texts")
    texts = {} if texts is None else _mapping(texts, "texts") or {}
    if texts and not all(isinstance(v, str | bytes) for v in texts.values()):
        raise ValueError("texts must map file names to text")
    card, data, tags, siblings = get("card"), get("cardData"), get("tags"), get("siblings")
    row = {
        "card": card if isinstance(card, _TEXT) else None,
        "cardData": None if data is None else _mapping(data, "cardData"),
        "tags": [str(t) for t in tags if isinstance(t, str)] if tags else [],
        "siblings": [] if siblings is None else _siblings(siblings),
        "texts": texts,
    }
    revision = get("sha") or get("lastModified") or get("last_modified")
    if not revision:
        blob = json.dumps(row, sort_keys=True, default=repr).encode("utf-8", "replace")
        revision = "sha256:" + hashlib.sha256(blob).hexdigest()[:32]
    key = repo.strip()
    return Item(SOURCE, key, str(revision), key, row)


def _card_text(row: dict[str, Any]) -> str | None:
    """The card's text: the card itself, else its metadata (or the Hub's licence tag) as YAML."""
    card = row["card"]
    if isinstance(card, bytes):  # undecodable bytes replaced, as the directory reader does
        return card[:MAX_CARD_BYTES].decode("utf-8", errors="replace")
    if isinstance(card, str) and card:
        raw = card.encode("utf-8", "surrogatepass")
        return (
            raw[:MAX_CARD_BYTES].decode("utf-8", errors="replace")
            if len(raw) > MAX_CARD_BYTES
            else card
        )
    data = row["cardData"]
    if not data:
        licences = [t.split(":", 1)[1] for t in row["tags"] if t.startswith("license:")]
        data = {"license": licences[0] if len(licences) == 1 else licences} if licences else None
    if not data:
        return None
    return "---\n" + _yaml(data) + "---\n"


# libyaml's emitter writes front matter 5x faster than PyYAML's own, the same text for short,
# printable ASCII text (what card metadata mostly holds); it folds long lines and writes an
# empty key or a non-ASCII escape otherwise, so other data is written by PyYAML's emitter
# (the representer and resolver, which choose quoting, are PyYAML's in both).
_C_DUMPER: Any = getattr(yaml, "CSafeDumper", None)
_SHORT = 64  # characters of a key or text value, at most, for libyaml's emitter
_DEPTH = 4  # nesting, at most


def _yaml(data: dict[str, Any]) -> str:
    """``yaml.safe_dump(data, sort_keys=True, allow_unicode=True)``, by libyaml where the same."""
    if _C_DUMPER is not None and _short_ascii(data, 0):
        text: str = yaml.dump(data, Dumper=_C_DUMPER, sort_keys=True, allow_unicode=True)
        return text
    return yaml.safe_dump(data, sort_keys=True, allow_unicode=True)


def _short_ascii(value: Any, depth: int) -> bool:
    """Whether *value* holds only short printable ASCII text (keys not empty), integers,
    booleans and None, in mappings and lists nested at most ``_DEPTH`` deep."""
    kind = type(value)
    if kind is str:
        return len(value) <= _SHORT and value.isascii() and value.isprintable()
    if kind is dict:
        return depth < _DEPTH and all(
            type(k) is str and k != "" and _short_ascii(k, depth) and _short_ascii(v, depth + 1)
            for k, v in value.items()
        )
    if kind is list:
        return depth < _DEPTH and all(_short_ascii(v, depth + 1) for v in value)
    return value is None or kind is int or kind is bool


def _card(text: str | None) -> tuple[CardData | None, list[Skipped]]:
    if text is None:
        return None, []
    try:
        return parse_card(text, _CARD), []
    except CardError as exc:
        return None, [Skipped(_CARD, f"model card ignored: {exc}")]


def row_release(item: Item, pool: TextPool) -> Release:
    """The release a metadata row describes; weights listed in it are absent (not downloaded)."""
    row = item.row or {}
    text = _card_text(row)
    card, skipped = _card(text)
    files: dict[str, ReleaseFile] = {}
    weights = []
    for name, size in row["siblings"]:
        placed = assign(name)
        if placed is not None and placed[0] in WEIGHT_KINDS:
            weights.append(name)
        else:
            files[name] = ReleaseFile(name, size, "")
    if text is not None:
        data = text.encode("utf-8", "surrogatepass")
        files[_CARD] = ReleaseFile(_CARD, files[_CARD].size if _CARD in files else len(data), "")
    for name, content in row["texts"].items():
        data = content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
        files[name] = ReleaseFile(name, len(data), pool.path_for(data))
    if not files and not weights:
        raise ReleaseError("the row has no card, card data or file list", path=item.key)
    return Release(
        name=item.key,
        kind=SOURCE,
        location=item.key,
        files=tuple(sorted(files.values(), key=lambda f: f.path)),
        card=card,
        skipped=tuple(skipped),
        metadata={"revision": item.revision, "weights_listed": weights, "tags": row["tags"]},
    )
