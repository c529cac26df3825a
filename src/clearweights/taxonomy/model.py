"""The typed model of an InstructLab-style taxonomy: leaves, seeds, documents, attribution.

Everything here is a frozen dataclass built by :mod:`clearweights.taxonomy` from a ``qna.yaml``
file and the ``attribution.txt`` beside it; nothing in this module reads files.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

QNA_FILE = "qna.yaml"
ATTRIBUTION_FILE = "attribution.txt"


class LeafKind(StrEnum):
    """What a leaf teaches; picks the synthetic-data pipeline."""

    KNOWLEDGE = "knowledge"
    FREEFORM_SKILL = "freeform_skill"  # skills whose seeds carry no context
    GROUNDED_SKILL = "grounded_skill"  # skills whose seeds answer from a context

    @property
    def is_skill(self) -> bool:
        """Whether the leaf is a compositional skill (freeform or grounded)."""
        return self is not LeafKind.KNOWLEDGE


@dataclass(frozen=True)
class QuestionAnswer:
    """One seed question with the answer the contributor wants."""

    question: str
    answer: str


@dataclass(frozen=True)
class SeedExample:
    """One item of ``seed_examples``.

    Knowledge seeds hold a context (an excerpt of the document) and three or more Q&A; skill
    seeds hold exactly one Q&A and, for grounded skills, a context.

    Attributes:
        id: stable identifier, ``<leaf name>#<index>`` (index from 0 in file order).
        index: position in ``seed_examples``.
        context: the context, or ``None`` for freeform skills.
        questions_and_answers: the seed's Q&A pairs.
        line: line of the seed in ``qna.yaml`` (1-based; 0 when unknown).
    """

    id: str
    index: int
    context: str | None
    questions_and_answers: tuple[QuestionAnswer, ...]
    line: int = 0


@dataclass(frozen=True)
class DocumentRef:
    """Where a knowledge leaf's documents live: a git repository pinned by commit.

    Attributes:
        repo: URL or path of the repository, as written in ``qna.yaml``.
        commit: the pinned commit (a full or abbreviated SHA, or a ref).
        patterns: glob patterns of the documents, relative to the repository root.
    """

    repo: str
    commit: str
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class AttributedWork:
    """One work named in ``attribution.txt``.

    Attributes:
        title: ``Title of work``.
        link: ``Link to work``.
        revision: ``Revision`` (a permalink or version).
        license: ``License of the work`` as written (an SPDX id by convention).
        creator: ``Creator names``.
        fields: every ``key: value`` line of the work's block, in file order, keys lower-cased.
        line: line where the work's block starts (1-based).
    """

    title: str | None
    link: str | None
    revision: str | None
    license: str | None
    creator: str | None
    fields: tuple[tuple[str, str], ...]
    line: int


@dataclass(frozen=True)
class Attribution:
    """The parsed ``attribution.txt`` of a leaf (one block per work, blank lines between)."""

    path: Path
    works: tuple[AttributedWork, ...]


@dataclass(frozen=True)
class Leaf:
    """One taxonomy leaf: a ``qna.yaml`` and its ``attribution.txt``.

    Attributes:
        name: the leaf's directory relative to the taxonomy root, with ``/`` separators
            (``knowledge/astronomy/constellations/phoenix``).
        path: the ``qna.yaml`` file.
        kind: knowledge, freeform skill or grounded skill (upstream picks it from the first seed).
        version: the ``version`` key.
        created_by: the contributor's user name.
        domain: knowledge domain (knowledge leaves).
        task_description: what the skill does (skill leaves).
        document_outline: one-line summary of the documents (knowledge leaves).
        seed_examples: the seeds, in file order.
        document: the documents' repository (knowledge leaves).
        attribution: the parsed ``attribution.txt``, or ``None`` when it is missing.
    """

    name: str
    path: Path
    kind: LeafKind
    version: int
    created_by: str
    domain: str | None
    task_description: str | None
    document_outline: str | None
    seed_examples: tuple[SeedExample, ...]
    document: DocumentRef | None
    attribution: Attribution | None

    @property
    def directory(self) -> Path:
        """The leaf's directory."""
        return self.path.parent


@dataclass(frozen=True)
class Document:
    """A knowledge document read from its repository at the pinned commit.

    Attributes:
        leaf: the leaf's name.
        repo: the repository as written in ``qna.yaml``.
        commit: the full SHA the pinned commit resolved to.
        path: the document's path inside the repository.
        blob: the git blob id of the document (content address).
        text: the document's text (UTF-8).
    """

    leaf: str
    repo: str
    commit: str
    path: str
    blob: str
    text: str

    @property
    def words(self) -> int:
        """Number of whitespace-separated words."""
        return len(self.text.split())
