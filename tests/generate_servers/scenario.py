"""A knowledge leaf, a skill leaf, and fixture-server rules that answer them deterministically."""

from __future__ import annotations

from typing import Any

from clearweights.generate import GenLeaf, LeafKind, Seed, SourceDocument
from clearweights.generate.pipeline import knowledge

DOCUMENT = """\
Phoenix is a minor constellation of the southern sky named after a mythical bird.

Ankaa is the brightest star of Phoenix, an orange giant of magnitude 2.4.

It is a rumour that Phoenix hides a second sun behind its brightest star.

The Phoenicids are a meteor shower first observed in December 1956.
"""

PHOENIX = GenLeaf(
    path="knowledge/astronomy/phoenix",
    kind=LeafKind.KNOWLEDGE,
    seeds=(
        Seed("phoenix#0/0", "What is Phoenix named after?", "A mythical bird.", "Phoenix is..."),
        Seed("phoenix#0/1", "Where is Phoenix?", "In the southern sky.", "Phoenix is..."),
    ),
    domain="astronomy",
    documents=(
        SourceDocument(
            repo="https://github.com/clearweights-fixtures/phoenix-docs",
            commit="0123456789abcdef0123456789abcdef01234567",
            path="phoenix.md",
            text=DOCUMENT,
            license="CC-BY-SA-4.0",
            attribution="Phoenix (constellation), Wikipedia contributors",
        ),
    ),
)

HAIKU = GenLeaf(
    path="compositional_skills/writing/haiku",
    kind=LeafKind.FREEFORM,
    seeds=(
        Seed("haiku#0", "Write a haiku about rain.", "Soft rain on the roof"),
        Seed("haiku#1", "Write a haiku about snow.", "Snow hides the garden"),
    ),
    task_description="Writing haiku",
)

# Knowledge: one question per chunk, built from the chunk's first clause; the judge rejects
# answers that repeat a rumour. Skills: a task derived from the seed, answered, scored 3.
RULES: list[dict[str, Any]] = [
    {"match": "Reply with the word ready", "reply": "ready"},
    {
        "match": r"Now read this part.*?\[Document\]\n(?P<first>[^.,\n]+)(?P<rest>[^\n]*)",
        "reply": (
            "[Question] What does the text say about \\g<first>?\n[Answer] \\g<first>\\g<rest>"
        ),
    },
    {
        "match": r"fully supported by the document.*\[Answer\][^\n]*rumour",
        "reply": "[Judgment] NO\nA rumour.",
    },
    {"match": "fully supported by the document", "reply": "[Judgment] YES\nStated in the text."},
    {"match": "how relevant both are", "reply": "[Score] 2\nRelevant."},
    {
        "match": r"Example task:\n\[Question\] (?P<q>[^\n]+)",
        "reply": "[Question] Like '\\g<q>', but about the sea.",
    },
    {
        "match": r"Now do this task well\.\n\[Question\] (?P<q>[^\n]+)",
        "reply": "[Answer] Waves fold on the shore, for: \\g<q>",
    },
    {
        "match": r"Now do this task using the context\.\n\[Question\] (?P<q>[^\n]+)",
        "reply": "[Answer] From the context: \\g<q>",
    },
    {"match": "Rate the answer", "reply": "[Score] 3\nGood."},
]  # fmt: skip


def small_knowledge(scale: int = 2) -> Any:
    """The built-in knowledge pipeline with one chunk per paragraph of ``DOCUMENT``."""
    from dataclasses import replace

    return replace(knowledge(scale), chunk_words=15)
