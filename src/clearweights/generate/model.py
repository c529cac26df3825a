"""What synthetic data generation reads and produces (frozen dataclasses)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class LeafKind(StrEnum):
    """The three kinds of taxonomy leaf, each with its own pipeline."""

    KNOWLEDGE = "knowledge"
    FREEFORM = "freeform"  # a skill whose seeds have no context
    GROUNDED = "grounded"  # a skill whose seeds each carry a context


@dataclass(frozen=True)
class Seed:
    """One seed example of a leaf (a knowledge seed gives one per question and answer)."""

    id: str
    question: str
    answer: str
    context: str = ""


@dataclass(frozen=True)
class SourceDocument:
    """A knowledge document, read from a git repository pinned by commit.

    Attributes:
        repo: the repository URL (or local path) the leaf names.
        commit: the pinned commit.
        path: the file's path inside the repository.
        text: the document's text (Markdown or plain text).
        license: the licence id found for the document (``None``: unknown).
        attribution: what ``attribution.txt`` says must accompany it (title, creator, link).
    """

    repo: str
    commit: str
    path: str
    text: str
    license: str | None = None
    attribution: str = ""


@dataclass(frozen=True)
class GenLeaf:
    """A taxonomy leaf as generation needs it."""

    path: str  # the leaf's path in the taxonomy, e.g. ``knowledge/science/astronomy``
    kind: LeafKind
    seeds: tuple[Seed, ...]
    task_description: str = ""
    domain: str = ""
    documents: tuple[SourceDocument, ...] = ()


@dataclass(frozen=True)
class Sampling:
    """Sampling parameters sent with every generation request (recorded per sample)."""

    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 1024

    def as_dict(self) -> dict[str, Any]:
        """The parameters as they appear in requests and metadata."""
        return {"max_tokens": self.max_tokens, "temperature": self.temperature, "top_p": self.top_p}


@dataclass(frozen=True)
class Teacher:
    """The teacher model: where it is, and what is known of its licence.

    Attributes:
        url: base URL of an OpenAI-compatible API (``http://127.0.0.1:8000/v1``).
        model: the model name the server expects.
        revision: the model's revision when known (a commit, a tag), else ``unknown``.
        license: the teacher's licence id, or ``unknown`` when no release was audited.
        student_family: the student family the licence was checked against, if any.
        duties: naming and attribution duties the student inherits from the teacher.
    """

    url: str
    model: str
    revision: str = "unknown"
    license: str = "unknown"
    student_family: str | None = None
    duties: tuple[str, ...] = ()


@dataclass(frozen=True)
class BlockStats:
    """What one block did to the records of a leaf."""

    block: str
    kind: str  # generate, parse, judge-filter, deduplicate, chunk
    inputs: int = 0
    outputs: int = 0
    dropped: Mapping[str, int] = field(default_factory=dict)  # reason -> count

    def plus(self, other: BlockStats) -> BlockStats:
        """Counts of both."""
        reasons = dict(self.dropped)
        for reason, count in other.dropped.items():
            reasons[reason] = reasons.get(reason, 0) + count
        return BlockStats(
            self.block,
            self.kind,
            self.inputs + other.inputs,
            self.outputs + other.outputs,
            dict(sorted(reasons.items())),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON form (checkpoints, the dataset card)."""
        return {
            "block": self.block,
            "dropped": dict(self.dropped),
            "inputs": self.inputs,
            "kind": self.kind,
            "outputs": self.outputs,
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> BlockStats:
        """Inverse of :meth:`as_dict`."""
        return BlockStats(
            str(data["block"]),
            str(data["kind"]),
            int(data["inputs"]),
            int(data["outputs"]),
            {str(k): int(v) for k, v in dict(data.get("dropped", {})).items()},
        )


def merge_stats(*runs: tuple[BlockStats, ...]) -> tuple[BlockStats, ...]:
    """Add up block statistics of several runs of the same pipeline, block by block."""
    total: dict[str, BlockStats] = {}
    for run in runs:
        for stats in run:
            known = total.get(stats.block)
            total[stats.block] = stats if known is None else known.plus(stats)
    return tuple(total.values())


@dataclass(frozen=True)
class LeafResult:
    """One leaf's outcome: its samples (training records) and what each block did."""

    leaf: str
    kind: LeafKind
    samples: tuple[dict[str, Any], ...]
    stats: tuple[BlockStats, ...]
    units: int  # units of work (chunk x seed, or seed)
    resumed: int = 0  # units read back from a checkpoint instead of generated


@dataclass(frozen=True)
class GenerateResult:
    """What a run of ``generate`` produced and where it wrote it."""

    leaves: tuple[LeafResult, ...]
    teacher: Teacher
    dataset: str  # path of the messages JSON Lines
    card: str  # path of the dataset card (README.md)
    bom: str  # path of the CycloneDX data component
    preview: bool = False

    written: int = 0  # samples in the data file (after ``max_per_leaf``)

    @property
    def kept(self) -> int:
        """Samples written."""
        return self.written
