"""Training data as ``generate`` writes it: ``messages`` JSON Lines with per-sample provenance.

The same split is used by ``train`` and ``evaluate``: a sample is held out by a hash of its id,
so the two never disagree and a re-run holds out the same samples.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearweights.errors import InputError

MAX_LINE_BYTES = 4 << 20  # one sample; generated samples are a few kilobytes
MAX_SAMPLES = 2_000_000
ROLES = frozenset({"system", "user", "assistant"})


@dataclass(frozen=True)
class Sample:
    """One training conversation and where it comes from."""

    id: str
    messages: tuple[tuple[str, str], ...]  # (role, content), ending with the assistant's answer
    leaf: str
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def as_prompt_completion(self) -> dict[str, list[dict[str, str]]]:
        """The conversational prompt/completion form TRL trains on the completion only."""
        turns = [{"role": r, "content": c} for r, c in self.messages]
        return {"prompt": turns[:-1], "completion": turns[-1:]}

    @property
    def question(self) -> str:
        return next(c for r, c in reversed(self.messages[:-1]) if r == "user")

    @property
    def answer(self) -> str:
        return self.messages[-1][1]


@dataclass(frozen=True)
class Provenance:
    """What the data carries forward: licences of documents and teachers, duties, leaves."""

    document_licenses: tuple[str, ...]
    teacher_licenses: tuple[str, ...]
    teachers: tuple[str, ...]
    student_families: tuple[str, ...]
    inherited_duties: tuple[str, ...]
    leaves: tuple[str, ...]
    samples: int


def _messages(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        raise InputError("'messages' must be a list of at least two turns", path=where)
    out = []
    for turn in raw:
        role = turn.get("role") if isinstance(turn, dict) else None
        content = turn.get("content") if isinstance(turn, dict) else None
        if role not in ROLES or not isinstance(content, str):
            raise InputError(
                "every turn needs a role (system, user, assistant) and text", path=where
            )
        out.append((str(role), content))
    if out[-1][0] != "assistant" or not any(r == "user" for r, _ in out):
        raise InputError("a sample must have a user turn and end with the assistant", path=where)
    return tuple(out)


def _sample(line: bytes, where: str) -> Sample:
    try:
        raw = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a JSON object: {exc}", path=where) from None
    if not isinstance(raw, dict):
        raise InputError("not a JSON object", path=where)
    found = raw.get("metadata")
    meta: dict[str, Any] = found if isinstance(found, dict) else {}
    messages = _messages(raw.get("messages"), where)
    ident = raw.get("id")
    if not isinstance(ident, str) or not ident:
        ident = hashlib.sha256(line).hexdigest()[:32]
    return Sample(ident, messages, str(meta.get("leaf") or ""), meta)


def iter_samples(path: Path) -> Iterator[Sample]:
    """Read samples one line at a time, naming the file and line of a bad one.

    Raises:
        InputError: missing file, an oversized or malformed line, too many samples.
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read the training data: {exc.strerror}", path=path) from None
    with handle:
        for number, line in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""), 1):
            where = f"{path}:{number}"
            if len(line) > MAX_LINE_BYTES:
                raise InputError(f"a line is longer than {MAX_LINE_BYTES} bytes", path=where)
            if number > MAX_SAMPLES:
                raise InputError(f"more than {MAX_SAMPLES} samples", path=path)
            if line.strip():
                yield _sample(line, where)


def load_samples(path: Path) -> list[Sample]:
    """All samples of a JSON Lines file (see :func:`iter_samples`)."""
    samples = list(iter_samples(path))
    if not samples:
        raise InputError("no training samples in the file", path=path)
    return samples


def is_held_out(sample: Sample, fraction: float) -> bool:
    """Whether evaluation keeps this sample out of training (stable across runs and machines)."""
    if fraction <= 0:
        return False
    digest = int.from_bytes(hashlib.sha256(sample.id.encode()).digest()[:8], "big")
    return digest / 2**64 < fraction


def split(samples: list[Sample], fraction: float) -> tuple[list[Sample], list[Sample]]:
    """(training, held out) by :func:`is_held_out`."""
    train = [s for s in samples if not is_held_out(s, fraction)]
    held = [s for s in samples if is_held_out(s, fraction)]
    return train, held


def _strings(values: Any) -> list[str]:
    return [str(v) for v in values if v] if isinstance(values, list) else []


def provenance(samples: list[Sample]) -> Provenance:
    """Collect the licences, teachers and duties every sample's metadata records."""
    docs: dict[str, None] = {}
    teacher_licenses: dict[str, None] = {}
    teachers: dict[str, None] = {}
    families: dict[str, None] = {}
    duties: dict[str, None] = {}
    leaves: dict[str, None] = {}
    for s in samples:
        meta = s.metadata
        for doc in meta.get("documents") or []:
            if isinstance(doc, dict):
                docs[str(doc.get("license") or "unknown")] = None
        found = meta.get("teacher")
        teacher: dict[str, Any] = found if isinstance(found, dict) else {}
        teacher_licenses[
            str(meta.get("teacher_license") or teacher.get("license") or "unknown")
        ] = None
        if teacher.get("model"):
            teachers[str(teacher["model"])] = None
        if meta.get("student_family"):
            families[str(meta["student_family"])] = None
        duties.update(dict.fromkeys(_strings(meta.get("inherited_duties"))))
        if s.leaf:
            leaves[s.leaf] = None
    return Provenance(
        tuple(sorted(docs)),
        tuple(sorted(teacher_licenses)),
        tuple(sorted(teachers)),
        tuple(sorted(families)),
        tuple(duties),
        tuple(sorted(leaves)),
        len(samples),
    )
