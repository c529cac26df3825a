"""The release model: files, model card and what a source could not read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clearweights.weights.model import WeightsHeader


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release (never loaded whole: only headers and small texts are read)."""

    path: str  # relative, with forward slashes
    size: int
    absolute: str  # where to read it; empty for declared-only files


@dataclass(frozen=True)
class CardData:
    """What the model card says (front matter fields and claims in the text)."""

    license: str | list[str] | None = None
    license_name: str | None = None
    license_link: str | None = None
    base_model: tuple[str, ...] = ()
    base_model_relation: str | None = None
    datasets: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    pipeline_tag: str | None = None
    model_index: tuple[dict[str, Any], ...] = ()
    claims: tuple[tuple[int, str], ...] = ()  # (line, sentence) saying the release is open source
    open_weights: tuple[tuple[int, str], ...] = ()  # (line, sentence) saying "open weights"
    links: tuple[str, ...] = ()  # URLs in the card text
    sections: tuple[str, ...] = ()  # headings, lowercased
    limitations: str | None = None  # the text under a limitations, bias or risks heading
    uses: str | None = None  # the text under an intended-use or uses heading
    path: str = "README.md"
    notes: tuple[str, ...] = ()  # what the front matter held that could not be read


@dataclass(frozen=True)
class DeclaredComponent:
    """A component declared by a MOF release file rather than found on disk."""

    name: str
    licence: str | None  # after the MOT inheritance rules; None = unlicensed
    licence_source: str
    path: str = ""
    description: str = ""


@dataclass(frozen=True)
class Skipped:
    """A file or link the audit could not use, and why."""

    path: str
    reason: str


HUB_METADATA = "hf-metadata"  # the kind of a release read from a Hub metadata row


@dataclass(frozen=True)
class Release:
    """A model release: its files or declared components, and its card."""

    name: str
    kind: str  # directory, hf-cache, mof-file, or HUB_METADATA
    location: str
    files: tuple[ReleaseFile, ...] = ()
    card: CardData | None = None
    declared: tuple[DeclaredComponent, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    # Headers of weight files read remotely (Hub range requests) for weights not present here.
    remote_headers: tuple[WeightsHeader, ...] = ()
