"""The licence catalogue shipped in ``clearweights/data/licences``: loading and look-up."""

from __future__ import annotations

import json
import re
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any

from clearweights.errors import DataError
from clearweights.licenses.model import (
    TERM_NAMES,
    Category,
    Citation,
    Licence,
    LicenceId,
    Naming,
    OutputUse,
    Term,
    Terms,
    Threshold,
    UsePolicy,
)

SCHEMA_VERSION = 1
_FINGERPRINT_CACHE = 64
_EXCLUSIVE_CACHE = 1024  # pairs of rival references whose exclusive sizes are kept
_DATA = "data/licences"
_SEPARATORS = re.compile(r"[\s_\-/,:;()\[\]'\"]+")
_NOISE = re.compile(r"\b(?:the|version|ver|v)\b")


def alias_key(name: str) -> str:
    """Normalise a licence id or name for look-up: case, separators and filler words."""
    key = name.strip().lower().replace("licence", "license").replace("&", " and ")
    key = _SEPARATORS.sub(" ", key)
    key = _NOISE.sub(" ", key)
    return " ".join(key.split())


def _alias_keys(name: str) -> Iterator[str]:
    key = alias_key(name)
    yield key
    for suffix in (" license agreement", " license", " agreement", " terms of use"):
        if key.endswith(suffix) and len(key) > len(suffix) + 2:
            yield key[: -len(suffix)]


@dataclass(frozen=True)
class Reference:
    """A reference text, held as a fingerprint (sorted bigram hashes) in the shared blob."""

    licence: LicenceId
    offset: int
    count: int
    tokens: int
    sha256: str
    anchors: tuple[re.Pattern[str], ...]
    indexed: int  # how many of its word pairs the index holds
    clauses: tuple[int, int] = (0, 0)  # offset and length of its clause signatures
    labels: tuple[str, ...] = ()  # the section of each clause ("2.", "4. (a)", "")


def _term_value(name: str, raw: Any) -> Any:
    match name:
        case "user_threshold":
            return Threshold(float(raw["value"]), str(raw["unit"]))
        case "acceptable_use_policy":
            return UsePolicy(**raw)
        case "derivative_naming":
            return Naming(
                tuple(raw.get("attribution", ())), raw.get("name_prefix"), raw.get("condition")
            )
        case "output_use_restriction":
            return OutputUse(bool(raw["restricted"]), raw.get("distillation_is_derivative"))
        case "distribution_conditions" | "territorial_exclusions":
            return tuple(raw)
        case _:
            return raw


def terms_from_json(raw: Mapping[str, Any]) -> Terms:
    """Rebuild :class:`Terms` from the catalogue's JSON form."""
    values: dict[str, Term[Any]] = {}
    for name in TERM_NAMES:
        entry = raw.get(name)
        if entry is None:
            continue
        cite = (
            Citation(entry["clause"], entry.get("quote", ""), entry.get("source", "text"))
            if "clause" in entry
            else None
        )
        value = entry.get("value")
        values[name] = Term(
            None if value is None else _term_value(name, value),
            cite,
            bool(entry.get("absent")),
            entry.get("reason", ""),
        )
    return Terms(**values)


def _licence_from_json(raw: Mapping[str, Any]) -> Licence:
    return Licence(
        id=LicenceId(raw["id"]),
        name=raw["name"],
        category=Category(raw["category"]),
        kind=raw.get("kind", "licence"),
        version=raw.get("version"),
        date=raw.get("date"),
        family=raw.get("family"),
        hf_id=raw.get("hf_id"),
        scancode_key=raw.get("scancode_key"),
        spdx_id=raw.get("spdx_id"),
        osi_approved=raw.get("osi_approved"),
        fsf_libre=raw.get("fsf_libre"),
        deprecated=bool(raw.get("deprecated", False)),
        url=raw.get("url"),
        aliases=tuple(raw.get("aliases", ())),
        terms=terms_from_json(raw.get("terms", {})),
        policies=tuple(LicenceId(p) for p in raw.get("policies", ())),
        has_reference_text=raw.get("reference") is not None,
        source=raw.get("source", ""),
        notes=raw.get("notes", ""),
    )


class _Records(Mapping[LicenceId, Licence]):
    """Licence records by id, each built from its JSON the first time it is asked for.

    Start-up reads only ids and names; most runs touch a handful of the 800 records.
    """

    def __init__(self, entries: dict[LicenceId, Mapping[str, Any]]):
        self._entries = entries
        self._built: dict[LicenceId, Licence] = {}

    def __getitem__(self, key: LicenceId) -> Licence:
        found = self._built.get(key)
        if found is None:
            found = self._built[key] = _licence_from_json(self._entries[key])
        return found

    def __iter__(self) -> Iterator[LicenceId]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries


class Catalogue:
    """All licence records, their look-up tables and reference fingerprints."""

    def __init__(self, raw: Mapping[str, Any], blob: bytes):
        if raw.get("schema_version") != SCHEMA_VERSION:
            raise DataError(
                f"licence catalogue schema {raw.get('schema_version')} is not {SCHEMA_VERSION}",
                path=_DATA,
                hint="reinstall clearweights",
            )
        self.meta: dict[str, Any] = {k: v for k, v in raw.items() if k != "licences"}
        entries = {LicenceId(entry["id"]): entry for entry in raw["licences"]}
        self.licences: Mapping[LicenceId, Licence] = _Records(entries)
        self.references: list[Reference] = []
        self.hf_families: frozenset[str] = frozenset(raw.get("hf_families", ()))
        for licence_id, entry in entries.items():
            ref = entry.get("reference")
            if ref is not None:
                anchors = tuple(re.compile(a) for a in ref.get("anchors", ()))
                clauses = ref.get("passages") or (0, 0)
                self.references.append(
                    Reference(
                        licence_id,
                        ref["offset"],
                        ref["count"],
                        ref["tokens"],
                        ref["sha256"],
                        anchors,
                        ref["indexed"],
                        (int(clauses[0]), int(clauses[1])),
                        tuple(ref.get("labels", ())),
                    )
                )
        self._entries = entries
        self._fingerprints: dict[int, frozenset[int]] = {}
        # Held by the catalogue, so a rebuilt catalogue never sees another one's sizes.
        self._exclusive: dict[tuple[int, int], tuple[int, int]] = {}
        self._blob = array("I")
        if self._blob.itemsize != 4:  # pragma: no cover - platform without 32-bit "I"
            self._blob = array("L")
        self._blob.frombytes(blob)
        if sys.byteorder != "little":  # pragma: no cover - the blob is little-endian
            self._blob.byteswap()

    @cached_property
    def _aliases(self) -> dict[str, LicenceId]:
        """Look-up keys, built on the first look-up by name (most runs match by text only)."""
        aliases: dict[str, LicenceId] = {}
        entries = self._entries

        def add(name: str, licence: LicenceId) -> None:
            for key in _alias_keys(name):
                aliases.setdefault(key, licence)

        # Look-up keys in priority order: current ids, Hub ids, deprecated ids, other names.
        for licence_id, entry in entries.items():
            if not entry.get("deprecated", False):
                add(licence_id, licence_id)
        for licence_id, entry in entries.items():
            hf_id = entry.get("hf_id")
            if hf_id and hf_id != "other":
                add(hf_id, licence_id)
        for licence_id in entries:
            add(licence_id, licence_id)
        for licence_id, entry in entries.items():
            names = [entry["name"], *entry.get("aliases", ())]
            if key := entry.get("scancode_key"):
                names += [key, f"LicenseRef-scancode-{key}"]
            for name in names:
                add(name, licence_id)
        return aliases

    def get(self, name: str) -> Licence | None:
        """Return the record for an id, Hugging Face id, ScanCode key or common name."""
        if (exact := self.licences.get(LicenceId(name))) is not None:
            return exact
        for key in _alias_keys(name):
            if (found := self._aliases.get(key)) is not None:
                return self.licences[found]
        return None

    def fingerprint(self, ref: Reference) -> frozenset[int]:
        """Return the bigram hashes of a reference text (recently used ones are kept)."""
        cached = self._fingerprints.get(ref.offset)
        if cached is None:
            if len(self._fingerprints) >= _FINGERPRINT_CACHE:
                self._fingerprints.pop(next(iter(self._fingerprints)))
            cached = frozenset(self._blob[ref.offset : ref.offset + ref.count])
            self._fingerprints[ref.offset] = cached
        return cached

    def exclusive_sizes(self, a: Reference, b: Reference) -> tuple[int, int]:
        """How many word pairs only *a* has, and only *b* has (recent pairs are kept)."""
        key = (a.offset, b.offset)
        sizes = self._exclusive.get(key)
        if sizes is None:
            if len(self._exclusive) >= _EXCLUSIVE_CACHE:
                self._exclusive.pop(next(iter(self._exclusive)))
            fa, fb = self.fingerprint(a), self.fingerprint(b)
            common = len(fa & fb)
            sizes = self._exclusive[key] = (len(fa) - common, len(fb) - common)
        return sizes

    @cached_property
    def _clause_blob(self) -> array[int]:
        """Clause signatures of every reference: a length, then that many word pairs."""
        raw = resources.files("clearweights").joinpath(_DATA, "passages.bin").read_bytes()
        blob = array("I")
        blob.frombytes(raw)
        if sys.byteorder != "little":  # pragma: no cover - the data is little-endian
            blob.byteswap()
        return blob

    def clauses(self, ref: Reference) -> list[tuple[str, frozenset[int]]]:
        """The clauses a copy of *ref* must keep: ``(label, signature word pairs)``."""
        offset, length = ref.clauses
        blob = self._clause_blob
        out: list[tuple[str, frozenset[int]]] = []
        position, end = offset, offset + length
        while position < end and len(out) < len(ref.labels):
            size = blob[position]
            out.append((ref.labels[len(out)], frozenset(blob[position + 1 : position + 1 + size])))
            position += 1 + size
        return out

    @cached_property
    def by_digest(self) -> dict[str, Reference]:
        """References by the SHA-256 of their normalised text, for exact matches."""
        return {ref.sha256: ref for ref in self.references}

    @cached_property
    def _postings(self) -> tuple[array[int], array[int]]:
        """The index: sorted sampled word-pair hashes and, in step, their reference positions."""
        raw = resources.files("clearweights").joinpath(_DATA, "index.bin").read_bytes()
        count = int.from_bytes(raw[:4], "little")
        hashes, positions = array("I"), array("H")
        hashes.frombytes(raw[4 : 4 + 4 * count])
        positions.frombytes(raw[4 + 4 * count : 4 + 6 * count])
        if sys.byteorder != "little":  # pragma: no cover - the data is little-endian
            hashes.byteswap()
            positions.byteswap()
        return hashes, positions

    def postings(self, h: int) -> array[int]:
        """The positions of the references whose indexed word pairs include *h*."""
        hashes, positions = self._postings
        lo = bisect_left(hashes, h)
        if lo == len(hashes) or hashes[lo] != h:
            return _EMPTY
        return positions[lo : bisect_right(hashes, h, lo)]


_EMPTY: array[int] = array("H")


@cache
def load() -> Catalogue:
    """Load the shipped catalogue once per process."""
    base = resources.files("clearweights").joinpath(_DATA)
    try:
        raw = json.loads(base.joinpath("catalogue.json").read_text(encoding="utf-8"))
        blob = base.joinpath("fingerprints.bin").read_bytes()
    except (OSError, ValueError) as exc:
        raise DataError(
            f"cannot read the licence catalogue: {exc}", path=_DATA, hint="reinstall clearweights"
        ) from exc
    return Catalogue(raw, blob)


def value_to_json(value: Any) -> Any:
    """Return the JSON form of a term value (dataclasses become objects)."""
    match value:
        case Threshold() | UsePolicy() | Naming() | OutputUse():
            return {k: value_to_json(v) for k, v in vars(value).items()}
        case tuple() | list():
            return [value_to_json(v) for v in value]
        case _:
            return value


def term_to_json(term: Term[Any]) -> Any:
    """The value users see: the value, ``False`` when known absent, ``None`` when unknown."""
    if term.value is not None:
        return value_to_json(term.value)
    return False if term.absent else None


def terms_to_json(terms: Terms) -> dict[str, Any]:
    """Return the catalogue's JSON form of *terms* (values with their citations)."""
    out: dict[str, Any] = {}
    for name, term in terms.items():
        if not term.known and term.cite is None and not term.reason:
            continue
        entry: dict[str, Any] = {"value": value_to_json(term.value)}
        if term.absent:
            entry["absent"] = True
        if term.cite is not None:
            entry.update(clause=term.cite.clause, quote=term.cite.quote, source=term.cite.source)
        if term.reason and not term.known:
            entry["reason"] = term.reason
        out[name] = entry
    return out
