"""The blocks pipelines are made of: generate, parse, judge-filter, deduplicate.

A block takes records (``dict`` rows, like a table's) and returns records plus what it did.
Each block is one frozen dataclass; a pipeline is a list of them (see ``pipeline.py``).
Fields starting with ``_`` are bookkeeping (seeds used, answering model) kept for metadata.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from clearweights.generate.model import BlockStats, Sampling
from clearweights.generate.prompts import fields, render
from clearweights.generate.teacher import Completion, TeacherClient

Record = dict[str, Any]
Scope = Literal["unit", "leaf"]


@dataclass(frozen=True)
class BlockContext:
    """What a block needs besides its records: the teacher and where the work belongs."""

    teacher: TeacherClient | None
    leaf: str
    unit: str
    seed: int  # the run's seed
    sampling: Sampling  # the run's default sampling


class Block(Protocol):
    """One step of a pipeline."""

    name: str

    @property
    def kind(self) -> str:
        """``generate``, ``parse``, ``judge-filter`` or ``deduplicate``."""

    def reads(self) -> tuple[str, ...]:
        """Record fields the block needs."""

    def writes(self) -> tuple[str, ...]:
        """Record fields the block adds."""

    async def run(
        self, records: list[Record], ctx: BlockContext
    ) -> tuple[list[Record], BlockStats]:
        """Process the records of one unit (or of a whole leaf for leaf-scoped blocks)."""


def request_seed(*parts: object) -> int:
    """A stable 31-bit seed for one request, from the run seed and where the request is."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def _trace(record: Record, block: str, seed: int, completion: Completion) -> Record:
    requests = [*record.get("_requests", []), {"block": block, "seed": seed}]
    out = {**record, "_requests": requests, "_answered_by": completion.model}
    if completion.fingerprint:
        out["_fingerprint"] = completion.fingerprint
    return out


async def _ask(
    ctx: BlockContext, block: str, prompt: str, sampling: Sampling, index: int
) -> tuple[int, Completion]:
    if ctx.teacher is None:
        raise RuntimeError(f"block {block} needs a teacher")
    seed = request_seed(ctx.seed, ctx.leaf, ctx.unit, block, index)
    request = f"{ctx.leaf} unit {ctx.unit} block {block} request {index}"
    messages = [{"role": "user", "content": prompt}]
    return seed, await ctx.teacher.chat(messages, sampling, seed=seed, request=request)


@dataclass(frozen=True)
class Generate:
    """Ask the teacher *n* times per record; each answer becomes a record with *output* set."""

    name: str
    prompt: str
    output: str
    n: int = 1
    sampling: Sampling | None = None  # None: the run's sampling

    @property
    def kind(self) -> str:
        """The block kind."""
        return "generate"

    def reads(self) -> tuple[str, ...]:
        """Fields of the prompt."""
        return fields(self.prompt)

    def writes(self) -> tuple[str, ...]:
        """The output field."""
        return (self.output,)

    async def run(
        self, records: list[Record], ctx: BlockContext
    ) -> tuple[list[Record], BlockStats]:
        """Generate."""
        sampling = self.sampling or ctx.sampling
        jobs = [(r, i * self.n + k) for i, r in enumerate(records) for k in range(self.n)]
        answers = await asyncio.gather(
            *(_ask(ctx, self.name, render(self.prompt, r), sampling, idx) for r, idx in jobs)
        )
        out: list[Record] = []
        empty = 0
        for (record, _), (seed, completion) in zip(jobs, answers, strict=True):
            if not completion.text.strip():
                empty += 1
                continue
            out.append(
                {**_trace(record, self.name, seed, completion), self.output: completion.text}
            )
        dropped = {"empty answer from the teacher": empty} if empty else {}
        return out, BlockStats(self.name, self.kind, len(jobs), len(out), dropped)


@dataclass(frozen=True)
class Parse:
    """Read fields out of a text with a regular expression's named groups (one record per match)."""

    name: str
    source: str
    pattern: str
    max_matches: int = 10  # a runaway answer cannot multiply records without bound

    @property
    def kind(self) -> str:
        """The block kind."""
        return "parse"

    def reads(self) -> tuple[str, ...]:
        """The source field."""
        return (self.source,)

    def writes(self) -> tuple[str, ...]:
        """The pattern's named groups."""
        return tuple(re.compile(self.pattern).groupindex)

    async def run(
        self, records: list[Record], ctx: BlockContext
    ) -> tuple[list[Record], BlockStats]:
        """Parse."""
        regex = re.compile(self.pattern, re.DOTALL)
        out: list[Record] = []
        unreadable = 0
        for record in records:
            found = 0
            for match in regex.finditer(str(record[self.source])):
                values = {k: (v or "").strip() for k, v in match.groupdict().items()}
                if all(values.values()) and found < self.max_matches:
                    out.append({**record, **values})
                    found += 1
            unreadable += found == 0
        reason = f"answer does not match {self.pattern[:40]!r}"
        dropped = {reason: unreadable} if unreadable else {}
        return out, BlockStats(self.name, self.kind, len(records), len(out), dropped)


@dataclass(frozen=True)
class JudgeFilter:
    """Ask the teacher to judge each record; keep those whose verdict is in *keep*."""

    name: str
    prompt: str
    pattern: str  # a regular expression with a ``verdict`` group
    keep: tuple[str, ...]
    sampling: Sampling = field(default_factory=lambda: Sampling(temperature=0.0, max_tokens=128))

    @property
    def kind(self) -> str:
        """The block kind."""
        return "judge-filter"

    def reads(self) -> tuple[str, ...]:
        """Fields of the prompt."""
        return fields(self.prompt)

    def writes(self) -> tuple[str, ...]:
        """Nothing: a filter only drops."""
        return ()

    async def run(
        self, records: list[Record], ctx: BlockContext
    ) -> tuple[list[Record], BlockStats]:
        """Judge and filter."""
        regex = re.compile(self.pattern, re.IGNORECASE)
        answers = await asyncio.gather(
            *(
                _ask(ctx, self.name, render(self.prompt, r), self.sampling, i)
                for i, r in enumerate(records)
            )
        )
        keep = {k.upper() for k in self.keep}
        out: list[Record] = []
        dropped: dict[str, int] = {}
        for record, (seed, completion) in zip(records, answers, strict=True):
            match = regex.search(completion.text)
            verdict = match.group("verdict").upper() if match else None
            if verdict in keep:
                out.append(_trace(record, self.name, seed, completion))
                continue
            reason = f"judged {verdict}" if verdict else "judge's answer unreadable"
            dropped[reason] = dropped.get(reason, 0) + 1
        return out, BlockStats(
            self.name, self.kind, len(records), len(out), dict(sorted(dropped.items()))
        )


def _key(record: Record, names: Sequence[str]) -> str:
    return "\x1f".join(" ".join(str(record[n]).casefold().split()) for n in names)


@dataclass(frozen=True)
class Deduplicate:
    """Drop records whose *fields* repeat an earlier record's (case and spacing ignored).

    ``scope="unit"`` runs on each unit of work; ``"leaf"`` runs once on all of a leaf's
    records, in unit order, so its result does not depend on which request finished first.
    """

    name: str
    fields: tuple[str, ...]
    scope: Scope = "unit"

    @property
    def kind(self) -> str:
        """The block kind."""
        return "deduplicate"

    def reads(self) -> tuple[str, ...]:
        """The compared fields."""
        return self.fields

    def writes(self) -> tuple[str, ...]:
        """Nothing."""
        return ()

    async def run(
        self, records: list[Record], ctx: BlockContext
    ) -> tuple[list[Record], BlockStats]:
        """Deduplicate."""
        seen: set[str] = set()
        out: list[Record] = []
        for record in records:
            key = _key(record, self.fields)
            if key not in seen:
                seen.add(key)
                out.append(record)
        repeats = len(records) - len(out)
        dropped = {"duplicate of an earlier sample": repeats} if repeats else {}
        return out, BlockStats(self.name, self.kind, len(records), len(out), dropped)


AnyBlock = Generate | Parse | JudgeFilter | Deduplicate
