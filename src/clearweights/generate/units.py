"""Units of work: what one pass of a pipeline starts from (a document chunk, or a seed).

A unit is the grain of checkpoints: a killed run redoes at most the units in flight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from clearweights.generate.model import GenLeaf, LeafKind, SourceDocument

_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Unit:
    """One unit of work of a leaf."""

    id: str  # stable across runs: the checkpoint key
    record: dict[str, Any]  # the fields the first block reads
    seed_ids: tuple[str, ...]
    document: SourceDocument | None = None
    chunk: int | None = None


def chunk_text(text: str, words: int) -> list[str]:
    """Split *text* into chunks of about *words* words, at paragraph ends where possible.

    A paragraph longer than a chunk is cut at word boundaries.
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for paragraph in _PARAGRAPH.split(text):
        tokens = paragraph.split()
        if not tokens:
            continue
        if size and size + len(tokens) > words:
            chunks.append("\n\n".join(current))
            current, size = [], 0
        piece = paragraph.strip()
        if len(tokens) > words:
            while len(tokens) > words:
                chunks.append(" ".join(tokens[:words]))
                tokens = tokens[words:]
            piece = " ".join(tokens)
        current.append(piece)
        size += len(tokens)
    if current:
        chunks.append("\n\n".join(current))
    return chunks


def _base(leaf: GenLeaf) -> dict[str, Any]:
    return {"leaf": leaf.path, "domain": leaf.domain, "task_description": leaf.task_description}


def units(leaf: GenLeaf, chunk_words: int = 400) -> list[Unit]:
    """The leaf's units: chunk x one seed (knowledge, seeds taken in turn), or one per seed."""
    if leaf.kind is LeafKind.KNOWLEDGE:
        return _knowledge_units(leaf, chunk_words)
    out = []
    for seed in leaf.seeds:
        record = {**_base(leaf), "seed_question": seed.question, "seed_answer": seed.answer}
        if leaf.kind is LeafKind.GROUNDED:
            record["seed_context"] = seed.context
        out.append(Unit(f"seed:{seed.id}", record, (seed.id,)))
    return out


def _knowledge_units(leaf: GenLeaf, chunk_words: int) -> list[Unit]:
    out: list[Unit] = []
    seeds = leaf.seeds
    for doc in leaf.documents:
        for index, chunk in enumerate(chunk_text(doc.text, chunk_words)):
            seed = seeds[len(out) % len(seeds)] if seeds else None
            record = {
                **_base(leaf),
                "document": chunk,
                "icl_context": seed.context if seed else "",
                "icl_question": seed.question if seed else "",
                "icl_answer": seed.answer if seed else "",
            }
            out.append(
                Unit(
                    f"doc:{doc.path}#{index}",
                    record,
                    (seed.id,) if seed else (),
                    document=doc,
                    chunk=index,
                )
            )
    return out
