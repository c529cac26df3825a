"""Training records: ``messages`` as TRL, Axolotl and instructlab-training read them, plus
``metadata`` that says where every sample comes from."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from clearweights import __version__
from clearweights.generate.model import GenLeaf, Teacher
from clearweights.generate.prompts import render
from clearweights.generate.units import Unit

if TYPE_CHECKING:
    from clearweights.generate.pipeline import Pipeline
    from clearweights.generate.run import GenerateOptions

RECORD_SCHEMA_VERSION = 1
_IDS = uuid.UUID("0f3c7a52-9d8e-4b61-a2f4-6c1e0b9d7a35")


def _documents(unit: Unit) -> list[dict[str, Any]]:
    doc = unit.document
    if doc is None:
        return []
    return [
        {
            "commit": doc.commit,
            "license": doc.license or "unknown",
            "path": doc.path,
            "repo": doc.repo,
            **({"chunk": unit.chunk} if unit.chunk is not None else {}),
        }
    ]


def _teacher(teacher: Teacher, record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "answered_by": str(record.get("_answered_by", teacher.model)),
        "license": teacher.license,
        "model": teacher.model,
        "revision": teacher.revision,
    }
    if record.get("_fingerprint"):
        out["system_fingerprint"] = str(record["_fingerprint"])
    return out


def to_sample(
    record: dict[str, Any],
    unit: Unit,
    leaf: GenLeaf,
    pipeline: Pipeline,
    teacher: Teacher,
    options: GenerateOptions,
) -> dict[str, Any]:
    """One JSON Lines record: ``messages``, ``metadata`` and a stable ``id``."""
    user = render(pipeline.user, record).strip()
    assistant = render(pipeline.assistant, record).strip()
    messages = [
        *([{"role": "system", "content": options.system_prompt}] if options.system_prompt else []),
        {"role": "user", "content": user},
        {"role": "assistant", "content": assistant},
    ]
    metadata: dict[str, Any] = {
        "schema_version": RECORD_SCHEMA_VERSION,
        "clearweights_version": __version__,
        "leaf": leaf.path,
        "leaf_kind": leaf.kind.value,
        "seed_ids": list(unit.seed_ids),
        "unit": unit.id,
        "documents": _documents(unit),
        "teacher": _teacher(teacher, record),
        "teacher_license": teacher.license,
        "student_family": teacher.student_family,
        "inherited_duties": list(teacher.duties),
        "pipeline": pipeline.name,
        "prompt_template_sha256": pipeline.template_hash(),
        "sampling": options.sampling.as_dict(),
        "seed": options.seed,
        "requests": list(record.get("_requests", [])),
        "system_prompt": options.system_prompt,
        "generated_at": str(record.get("_finished", "")),
    }
    key = "\x1f".join((leaf.path, unit.id, user, assistant))
    return {"messages": messages, "metadata": metadata, "id": str(uuid.uuid5(_IDS, key))}
