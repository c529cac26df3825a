"""Inventories of card-only releases, placed once per shape.

A bulk scan of Hub metadata audits millions of releases whose files are only listed (no file
has content here): their inventory depends on a few facts, listed in :func:`shape_key`, and a
dump holds a few thousand such shapes. Each shape is placed once per process and kept in a
bounded least-recently-used table; what it keeps is immutable (frozen components, tuples) and
every release gets its own inventory (a fresh dict of components, its own licence index), so
no caller's change reaches another. The components the card links to (datasets, papers, code
repositories) are added as :func:`build_inventory` adds them, kept per shape and links.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, fields

from clearweights._untrusted import Heads
from clearweights.components import Component, MofComponent
from clearweights.inventory import MEMO, Inventory, _names
from clearweights.inventory.external import external
from clearweights.inventory.licence_files import LicenceFile, LicenceIndex
from clearweights.licenses.model import Licence
from clearweights.release.model import Release

MAX_ENTRIES = 4096  # shapes kept; a Hub dump has a few thousand
MAX_FILES = 64  # a longer file list is seldom seen twice: placed afresh, not kept
_memo: dict[Hashable, Shape] = {}
# (shape id, card links, datasets) -> (the shape, its components with the linked ones)
_links: dict[Hashable, tuple[Shape, tuple[tuple[MofComponent, Component], ...]]] = {}
_enabled = MEMO  # one switch for every memo of the inventory (tests turn them off)

__all__ = ["MAX_ENTRIES", "Shape", "disabled", "recall", "shape_key"]


@dataclass(frozen=True)
class Shape:
    """What an inventory of one shape holds, before the card's links are added."""

    components: tuple[tuple[MofComponent, Component], ...]  # in component order
    licence_files: tuple[LicenceFile, ...]
    card_licences: tuple[Licence, ...]
    unassigned: tuple[str, ...]
    card_source: str
    weights_absent: bool  # the weights component stands for weights not present

    def inventory(self, release: Release, kept: bool = True) -> Inventory:
        """The inventory of *release* (of this shape): its own objects around shared parts
        (*kept*: the shape is kept by :func:`recall`, so its linked components may be too)."""
        # Built field by field: a frozen dataclass's __init__ costs five times as much, and
        # this runs for every card-only release of a bulk scan.
        placed: Inventory = object.__new__(Inventory)
        placed.__dict__.update(
            components=dict(_with_links(self, release) if kept else _linked(self, release)),
            licence_files=self.licence_files,
            card_licences=self.card_licences,
            unassigned=self.unassigned,
            # No licence file: no index, which places a file as an empty one does.
            index=LicenceIndex(self.licence_files) if self.licence_files else None,
            card_source=self.card_source,
        )
        return placed


# Every field of an inventory is set above.
assert {f.name for f in fields(Inventory)} == {
    "components", "licence_files", "card_licences", "unassigned", "index", "card_source"
}  # fmt: skip


def _with_links(shape: Shape, release: Release) -> tuple[tuple[MofComponent, Component], ...]:
    """The shape's components with those the card of *release* links to, in component order:
    kept per shape, card links and datasets (all ``external`` reads)."""
    card = release.card
    if card is None:
        return shape.components
    datasets = card.datasets
    if not _enabled[0] or any(type(d) is not str for d in datasets):
        return _linked(shape, release)  # 1 and True are one key, not one dataset's address
    # Links need no such test: external cleans each as text, whatever else fails there alike.
    key = (id(shape), card.links, datasets)
    try:
        kept = _links.pop(key, None)
    except TypeError:  # not tuples
        return _linked(shape, release)
    if kept is None or kept[0] is not shape:  # the id of a shape no longer kept
        kept = (shape, _linked(shape, release))
        if len(_links) >= MAX_ENTRIES:
            with suppress(KeyError, RuntimeError, StopIteration):
                del _links[next(iter(_links))]
    _links[key] = kept
    return kept[1]


def _linked(shape: Shape, release: Release) -> tuple[tuple[MofComponent, Component], ...]:
    """The shape's components and those ``external`` adds, as :func:`with_external` orders
    them (it adds only kinds the shape lacks)."""
    found = external(release, dict(shape.components))
    if not found:
        return shape.components
    return tuple(sorted((*shape.components, *found.items()), key=lambda kv: kv[0].spec.cid))


def shape_key(
    release: Release, config: Mapping[str, object] | None, heads: Heads | None
) -> Hashable | None:
    """Everything placing the files of *release* reads, or ``None`` when it is not kept.

    Kept only for releases none of whose files has content here (a listed file: no licence
    text, code head or config.json to read, each read fails alike). :func:`placed_files` then
    reads: the kind, the files' paths in order (never their sizes), the card's ``license``,
    ``license_name``, path and whether it has a model-index, and the words naming the model
    (release name, config.json's model type and architecture), which place ``.py`` files only.
    """
    if not _enabled[0] or release.kind == "mof-file" or len(release.files) > MAX_FILES:
        return None
    if heads is not None and heads.get("", 1) is not None:  # bytes kept for no file at all
        return None
    paths = []
    code = False
    for f in release.files:
        if f.absolute:
            return None
        paths.append(f.path)
        code = code or f.path[-3:].lower() == ".py"
    card = release.card
    declared = None
    if card is not None:
        # Each value with its type: 1, 1.0 and True are equal keys, not equal licence names.
        value = card.license
        licence = (
            ("list", *[(type(v), v) for v in value])
            if isinstance(value, list)
            else (type(value), value)
        )
        declared = (
            licence,
            (type(card.license_name), card.license_name),
            (type(card.path), card.path),
            bool(card.model_index),
        )
    return (release.kind, tuple(paths), declared, _names(release, config) if code else None)


def recall(key: Hashable, place: Callable[[], Shape]) -> Shape:
    """The shape kept under *key*, placed by *place* when not kept yet."""
    try:
        shape = _memo.pop(key, None)
    except TypeError:  # a card value YAML made a mapping: not kept
        return place()
    if shape is None:
        shape = place()
        if len(_memo) >= MAX_ENTRIES:
            with suppress(KeyError, RuntimeError, StopIteration):  # another thread's at once
                del _memo[next(iter(_memo))]  # the least recently used
    _memo[key] = shape
    return shape


@contextmanager
def disabled() -> Iterator[None]:
    """Place every release afresh in the block (tests compare both ways)."""
    before = _enabled[0]
    _enabled[0] = False
    try:
        yield
    finally:
        _enabled[0] = before
