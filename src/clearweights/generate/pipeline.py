"""Pipelines: a list of blocks per leaf kind, built in code or read from YAML.

The YAML form is the code's form written out (``to_yaml``), so a user can start from a
built-in pipeline, change prompts or filters, and pass the file back with ``--pipeline``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearweights.errors import UsageError
from clearweights.generate import prompts as p
from clearweights.generate.blocks import AnyBlock, Deduplicate, Generate, JudgeFilter, Parse
from clearweights.generate.model import LeafKind, Sampling

PIPELINE_VERSION = 1
MAX_PIPELINE_BYTES = 1024 * 1024

# The fields each kind of unit of work offers to the first block.
UNIT_FIELDS: dict[LeafKind, tuple[str, ...]] = {
    LeafKind.KNOWLEDGE: (
        "leaf", "domain", "task_description", "document", "icl_context", "icl_question",
        "icl_answer",
    ),
    LeafKind.FREEFORM: ("leaf", "domain", "task_description", "seed_question", "seed_answer"),
    LeafKind.GROUNDED: (
        "leaf", "domain", "task_description", "seed_context", "seed_question", "seed_answer",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Pipeline:
    """The blocks that turn one leaf's units of work into training samples.

    Attributes:
        name: shown in progress and recorded in every sample.
        kind: the leaf kind it serves.
        blocks: run in order; unit-scoped blocks per unit of work, then leaf-scoped ones.
        user: template of the training record's user message.
        assistant: template of the training record's assistant message.
        chunk_words: knowledge only: words per document chunk.
    """

    name: str
    kind: LeafKind
    blocks: tuple[AnyBlock, ...]
    user: str = "{question}"
    assistant: str = "{answer}"
    chunk_words: int = 400

    @property
    def unit_blocks(self) -> tuple[AnyBlock, ...]:
        """Blocks run on each unit of work (and checkpointed with it)."""
        return tuple(b for b in self.blocks if not _leaf_scoped(b))

    @property
    def leaf_blocks(self) -> tuple[AnyBlock, ...]:
        """Blocks run once on all the records of a leaf, in unit order."""
        return tuple(b for b in self.blocks if _leaf_scoped(b))

    def template_hash(self) -> str:
        """SHA-256 of every prompt, pattern and setting: recorded in each sample."""
        text = json.dumps(to_dict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def check(self, source: str = "pipeline") -> None:
        """Raise :class:`UsageError` when a block reads a field no earlier step writes."""
        known = set(UNIT_FIELDS[self.kind])
        for block in (*self.unit_blocks, *self.leaf_blocks):
            missing = [f for f in block.reads() if f not in known]
            if missing:
                raise UsageError(
                    f"pipeline {self.name}: block {block.name} reads {{{missing[0]}}}, which no "
                    f"earlier block writes (known: {', '.join(sorted(known))})",
                    path=source,
                )
            known.update(block.writes())
        for name, template in (("user", self.user), ("assistant", self.assistant)):
            missing = [f for f in p.fields(template) if f not in known]
            if missing:
                raise UsageError(
                    f"pipeline {self.name}: the {name} template reads {{{missing[0]}}}, "
                    "which no block writes",
                    path=source,
                )


def _leaf_scoped(block: AnyBlock) -> bool:
    return isinstance(block, Deduplicate) and block.scope == "leaf"


def knowledge(scale: int = 3) -> Pipeline:
    """Q&A grounded in each document chunk, judged for faithfulness and relevance."""
    return Pipeline(
        "knowledge",
        LeafKind.KNOWLEDGE,
        (
            Generate("gen_qa", p.KNOWLEDGE_QA, "raw", n=scale),
            Parse("parse_qa", "raw", p.QA_PATTERN),
            Deduplicate("dedup_questions", ("question",)),
            JudgeFilter("judge_faithfulness", p.JUDGE_FAITHFULNESS, p.JUDGMENT_PATTERN, ("YES",)),
            JudgeFilter("judge_relevance", p.JUDGE_RELEVANCE, p.SCORE_PATTERN, ("2",)),
            Deduplicate("dedup_samples", ("question", "answer"), scope="leaf"),
        ),
    )


def _skills(
    name: str,
    kind: LeafKind,
    prompts: tuple[str, str],
    judge: tuple[str, str],
    scale: int,
    user: str = "{question}",
) -> Pipeline:
    """New tasks from the seeds, answered, and the pairs judged (the two skill pipelines differ
    only in their prompts, their judge and the user turn)."""
    return Pipeline(
        name,
        kind,
        (
            Generate("gen_questions", prompts[0], "raw_question", n=scale),
            Parse("parse_questions", "raw_question", p.QUESTION_PATTERN),
            Deduplicate("dedup_questions", ("question",)),
            Generate("gen_answers", prompts[1], "raw_answer"),
            Parse("parse_answers", "raw_answer", p.ANSWER_PATTERN),
            JudgeFilter(judge[0], judge[1], p.SCORE_PATTERN, ("2", "3")),
            Deduplicate("dedup_samples", ("question", "answer"), scope="leaf"),
        ),
        user=user,
    )


def freeform(scale: int = 3) -> Pipeline:
    """New tasks like the seeds, answered, and the pairs judged."""
    prompts = (p.FREEFORM_QUESTIONS, p.FREEFORM_ANSWER)
    return _skills("freeform-skills", LeafKind.FREEFORM, prompts, ("judge_pair", p.JUDGE_PAIR),
                   scale)  # fmt: skip


def grounded(scale: int = 3) -> Pipeline:
    """New tasks on each seed's context, answered from it, and the pairs judged."""
    prompts = (p.GROUNDED_QUESTIONS, p.GROUNDED_ANSWER)
    judge = ("judge_grounded", p.JUDGE_GROUNDED_PAIR)
    return _skills("grounded-skills", LeafKind.GROUNDED, prompts, judge, scale,
                   user="{seed_context}\n\n{question}")  # fmt: skip


def builtin(kind: LeafKind, scale: int = 3) -> Pipeline:
    """The built-in pipeline for a leaf kind."""
    match kind:
        case LeafKind.KNOWLEDGE:
            return knowledge(scale)
        case LeafKind.FREEFORM:
            return freeform(scale)
        case LeafKind.GROUNDED:
            return grounded(scale)


def _block_dict(block: AnyBlock) -> dict[str, Any]:
    out: dict[str, Any] = {"type": block.kind, "name": block.name}
    match block:
        case Generate():
            out.update(prompt=block.prompt, output=block.output, n=block.n)
            if block.sampling:
                out["sampling"] = block.sampling.as_dict()
        case Parse():
            out.update(source=block.source, pattern=block.pattern)
        case JudgeFilter():
            out.update(prompt=block.prompt, pattern=block.pattern, keep=list(block.keep))
            out["sampling"] = block.sampling.as_dict()
        case Deduplicate():
            out.update(fields=list(block.fields), scope=block.scope)
    return out


def to_dict(pipeline: Pipeline) -> dict[str, Any]:
    """The pipeline as plain data (the YAML form)."""
    return {
        "version": PIPELINE_VERSION,
        "name": pipeline.name,
        "kind": pipeline.kind.value,
        "chunk_words": pipeline.chunk_words,
        "user": pipeline.user,
        "assistant": pipeline.assistant,
        "blocks": [_block_dict(b) for b in pipeline.blocks],
    }


def to_yaml(pipeline: Pipeline) -> str:
    """The YAML a user can edit and pass back with ``--pipeline``."""
    import yaml

    return yaml.safe_dump(to_dict(pipeline), sort_keys=False, allow_unicode=True, width=100)


_BLOCK_KEYS = {
    "generate": {"type", "name", "prompt", "output", "n", "sampling"},
    "parse": {"type", "name", "source", "pattern"},
    "judge-filter": {"type", "name", "prompt", "pattern", "keep", "sampling"},
    "deduplicate": {"type", "name", "fields", "scope"},
}
_TOP_KEYS = {"version", "name", "kind", "chunk_words", "user", "assistant", "blocks"}


def _sampling(data: Any, where: str) -> Sampling:
    if not isinstance(data, dict) or set(data) - {"temperature", "top_p", "max_tokens"}:
        raise ValueError(f"{where}.sampling: a mapping of temperature, top_p, max_tokens")
    return Sampling(
        float(data.get("temperature", 0.7)),
        float(data.get("top_p", 1.0)),
        int(data.get("max_tokens", 1024)),
    )


def _block(data: Any, where: str) -> AnyBlock:
    if not isinstance(data, dict) or data.get("type") not in _BLOCK_KEYS:
        raise ValueError(f"{where}: a mapping whose type is one of {', '.join(_BLOCK_KEYS)}")
    unknown = set(data) - _BLOCK_KEYS[data["type"]]
    if unknown:
        raise ValueError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    name = str(data["name"])
    for key in ("pattern",):
        if key in data:
            try:
                re.compile(str(data[key]))
            except re.error as exc:
                raise ValueError(f"{where}.pattern: not a regular expression ({exc})") from None
    match data["type"]:
        case "generate":
            sampling = _sampling(data["sampling"], where) if "sampling" in data else None
            n = int(data.get("n", 1))
            if not 1 <= n <= 100:
                raise ValueError(f"{where}.n: between 1 and 100")
            return Generate(name, str(data["prompt"]), str(data["output"]), n, sampling)
        case "parse":
            return Parse(name, str(data["source"]), str(data["pattern"]))
        case "judge-filter":
            if "verdict" not in re.compile(str(data["pattern"])).groupindex:
                raise ValueError(f"{where}.pattern: needs a (?P<verdict>...) group")
            judge = JudgeFilter(
                name, str(data["prompt"]), str(data["pattern"]), tuple(map(str, data["keep"]))
            )
            if "sampling" in data:
                return JudgeFilter(
                    judge.name, judge.prompt, judge.pattern, judge.keep,
                    _sampling(data["sampling"], where),
                )  # fmt: skip
            return judge
        case _:
            scope = data.get("scope", "unit")
            if scope not in ("unit", "leaf"):
                raise ValueError(f"{where}.scope: unit or leaf")
            return Deduplicate(name, tuple(map(str, data["fields"])), scope)


def from_dict(data: Any, source: str = "pipeline") -> Pipeline:
    """Build a pipeline from its YAML form; errors name the file and the key."""
    try:
        if not isinstance(data, dict):
            raise ValueError("the top level must be a mapping")
        unknown = set(data) - _TOP_KEYS
        if unknown:
            raise ValueError(f"unknown key {sorted(unknown)[0]!r}")
        if data.get("version") != PIPELINE_VERSION:
            raise ValueError(f"version must be {PIPELINE_VERSION}")
        blocks = data.get("blocks")
        if not isinstance(blocks, list) or not blocks:
            raise ValueError("blocks: a non-empty list")
        pipeline = Pipeline(
            name=str(data["name"]),
            kind=LeafKind(data["kind"]),
            blocks=tuple(_block(b, f"blocks[{i}]") for i, b in enumerate(blocks)),
            user=str(data.get("user", "{question}")),
            assistant=str(data.get("assistant", "{answer}")),
            chunk_words=int(data.get("chunk_words", 400)),
        )
    except KeyError as exc:
        raise UsageError(f"not a pipeline: missing key {exc}", path=source) from None
    except (TypeError, ValueError) as exc:
        raise UsageError(f"not a pipeline: {exc}", path=source) from None
    pipeline.check(source)
    return pipeline


def load(path: Path) -> Pipeline:
    """Read a pipeline YAML file (size, nesting and aliases bounded; safe tags only)."""
    import yaml

    from clearweights._untrusted import UntrustedInputError, load_yaml, read_bounded

    try:
        data = load_yaml(read_bounded(path, MAX_PIPELINE_BYTES).decode("utf-8"))
    except UntrustedInputError as exc:
        raise UsageError(f"pipeline file {exc}", path=path) from None
    except OSError as exc:
        raise UsageError(f"cannot read the pipeline: {exc.strerror}", path=path) from None
    except (UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
        raise UsageError(f"not a YAML pipeline: {exc}", path=path) from None
    return from_dict(data, str(path))
