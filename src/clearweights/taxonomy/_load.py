"""Read ``qna.yaml`` and ``attribution.txt`` into :class:`~clearweights.taxonomy.model.Leaf`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from clearweights._untrusted import UntrustedInputError, check_yaml, read_bounded, shorten
from clearweights.errors import TaxonomyError
from clearweights.taxonomy._attribution import parse_attribution
from clearweights.taxonomy.model import (
    ATTRIBUTION_FILE,
    QNA_FILE,
    Attribution,
    DocumentRef,
    Leaf,
    LeafKind,
    QuestionAnswer,
    SeedExample,
)

MAX_QNA_BYTES = 1 << 20  # upstream guidance is ~2,300 words per skill, 5 x 500-word contexts
MAX_ATTRIBUTION_BYTES = 64 << 10
TOP_FOLDERS = ("knowledge", "compositional_skills", "foundational_skills")

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ParsedYaml:
    """A ``qna.yaml`` parsed once: its text, value and node tree (for line numbers)."""

    text: str
    data: Any
    node: yaml.Node | None


def read_text(path: Path, limit: int, what: str) -> str:
    """A bounded UTF-8 file; errors name *path* and say what was wrong."""
    try:
        data = read_bounded(path, limit)
    except FileNotFoundError as exc:
        raise TaxonomyError(f"{what} does not exist", path=path) from exc
    except UntrustedInputError as exc:
        raise TaxonomyError(f"{what} {exc}", path=path) from exc
    except OSError as exc:
        raise TaxonomyError(f"{what} cannot be read: {exc.strerror}", path=path) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TaxonomyError(
            f"{what} is not UTF-8 text (byte {exc.start}: {exc.reason})",
            path=path,
            hint="save the file as UTF-8",
        ) from exc


def parse_yaml(path: Path) -> ParsedYaml:
    """Read and parse a ``qna.yaml`` with every hostile-input limit applied."""
    text = read_text(path, MAX_QNA_BYTES, "qna.yaml")
    try:
        check_yaml(text)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except UntrustedInputError as exc:
        raise TaxonomyError(f"qna.yaml {exc}", path=path) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = exc.problem or exc.context or "unreadable"
        raise TaxonomyError(f"qna.yaml is not valid YAML: {problem}{where}", path=path) from exc
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"qna.yaml is not valid YAML: {shorten(str(exc))}", path=path) from exc
    except ValueError as exc:  # a value YAML cannot build (an impossible date)
        raise TaxonomyError(f"qna.yaml holds a bad value: {shorten(str(exc))}", path=path) from exc
    return ParsedYaml(text=text, data=data, node=node)


def leaf_name(path: Path, root: Path | None = None) -> str:
    """The leaf's directory from its top folder (``knowledge/...``), as upstream names leaves.

    Relative to *root* when that starts at a top folder; from the last top folder in the path
    otherwise; relative to *root* (or the bare directory name) when the path has none.
    """
    directory = path.resolve().parent
    relative = None
    if root is not None and directory.is_relative_to(root.resolve()):
        relative = directory.relative_to(root.resolve()).as_posix()
        if relative.split("/", 1)[0] in TOP_FOLDERS:
            return relative
    parts = directory.parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] in TOP_FOLDERS:
            return "/".join(parts[i:])
    return relative if relative and relative != "." else directory.name


def leaf_kind(name: str, data: dict[str, Any]) -> LeafKind:
    """Upstream's rule: the top folder picks the schema, else a ``document`` key means knowledge."""
    top = name.split("/", 1)[0]
    if top == "knowledge" or (top not in TOP_FOLDERS and "document" in data):
        return LeafKind.KNOWLEDGE
    seeds = data.get("seed_examples")
    first = seeds[0] if isinstance(seeds, list) and seeds else None
    if isinstance(first, dict) and first.get("context"):
        return LeafKind.GROUNDED_SKILL
    return LeafKind.FREEFORM_SKILL


def _text(value: Any, where: str, path: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TaxonomyError(f"{where} must be a non-empty string", path=path)
    return value


def _optional(value: Any, where: str, path: Path) -> str | None:
    return None if value is None else _text(value, where, path)


def _seed_lines(node: yaml.Node | None) -> list[int]:
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "seed_examples" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _qna(item: Any, where: str, path: Path) -> QuestionAnswer:
    if not isinstance(item, dict):
        raise TaxonomyError(f"{where} must be a mapping with question and answer", path=path)
    return QuestionAnswer(
        question=_text(item.get("question"), f"{where}.question", path),
        answer=_text(item.get("answer"), f"{where}.answer", path),
    )


def _seeds(name: str, parsed: ParsedYaml, kind: LeafKind, path: Path) -> tuple[SeedExample, ...]:
    items = parsed.data.get("seed_examples")
    if not isinstance(items, list) or not items:
        raise TaxonomyError("seed_examples must be a non-empty list", path=path)
    lines = _seed_lines(parsed.node)
    seeds = []
    for i, item in enumerate(items):
        where = f"seed_examples[{i}]"
        if not isinstance(item, dict):
            raise TaxonomyError(f"{where} must be a mapping", path=path)
        if kind is LeafKind.KNOWLEDGE:
            pairs = item.get("questions_and_answers")
            if not isinstance(pairs, list) or not pairs:
                raise TaxonomyError(f"{where}.questions_and_answers must be a list", path=path)
            qnas = tuple(
                _qna(p, f"{where}.questions_and_answers[{j}]", path) for j, p in enumerate(pairs)
            )
        else:
            qnas = (_qna(item, where, path),)
        context = _optional(item.get("context"), f"{where}.context", path)
        line = lines[i] if i < len(lines) else 0
        seeds.append(SeedExample(f"{name}#{i}", i, context, qnas, line))
    return tuple(seeds)


def _document(value: Any, path: Path) -> DocumentRef | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TaxonomyError("document must be a mapping with repo, commit and patterns", path=path)
    patterns = value.get("patterns")
    if not isinstance(patterns, list) or not patterns:
        raise TaxonomyError("document.patterns must be a non-empty list", path=path)
    return DocumentRef(
        repo=_text(value.get("repo"), "document.repo", path),
        commit=_text(str(value.get("commit", "")), "document.commit", path),
        patterns=tuple(_text(p, "document.patterns[]", path) for p in patterns),
    )


def load_attribution(directory: Path) -> Attribution | None:
    """The leaf's parsed ``attribution.txt``, or ``None`` when there is none."""
    path = directory / ATTRIBUTION_FILE
    if not path.exists() and not path.is_symlink():
        return None
    return parse_attribution(read_text(path, MAX_ATTRIBUTION_BYTES, ATTRIBUTION_FILE), path)


def build_leaf(
    path: Path, parsed: ParsedYaml, root: Path | None = None, *, name: str | None = None
) -> Leaf:
    """A :class:`Leaf` from a parsed ``qna.yaml`` (raises :class:`TaxonomyError` on bad shape)."""
    data = parsed.data
    if not isinstance(data, dict):
        raise TaxonomyError("qna.yaml must hold a mapping of keys to values", path=path)
    name = name or leaf_name(path, root)
    kind = leaf_kind(name, data)
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise TaxonomyError("version must be an integer", path=path)
    return Leaf(
        name=name,
        path=path,
        kind=kind,
        version=version,
        created_by=_text(data.get("created_by"), "created_by", path),
        domain=_optional(data.get("domain"), "domain", path),
        task_description=_optional(data.get("task_description"), "task_description", path),
        document_outline=_optional(data.get("document_outline"), "document_outline", path),
        seed_examples=_seeds(name, parsed, kind, path),
        document=_document(data.get("document"), path),
        attribution=load_attribution(path.parent),
    )


def load_leaf(path: str | Path, root: str | Path | None = None) -> Leaf:
    """Read one leaf from its ``qna.yaml`` (or the directory holding it).

    This reads; it does not validate against the schema (see ``validate``).

    Raises:
        TaxonomyError: the file is missing, hostile, not UTF-8, not YAML or not leaf-shaped.
    """
    file = Path(path)
    if file.is_dir():
        file = file / QNA_FILE
    return build_leaf(file, parse_yaml(file), Path(root) if root is not None else None)


def find_leaf_files(root: str | Path) -> tuple[Path, ...]:
    """Every ``qna.yaml`` under *root* (hidden directories and symlinks skipped), sorted."""
    base = Path(root)
    if base.is_file():
        return (base,)
    if not base.is_dir():
        raise TaxonomyError("taxonomy path does not exist", path=base)
    return tuple(sorted(_walk(base)))


def _walk(base: Path) -> Iterator[Path]:
    for directory, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if QNA_FILE in files:
            yield Path(directory) / QNA_FILE


def load_taxonomy(root: str | Path) -> tuple[Leaf, ...]:
    """Every leaf under *root*, sorted by name.

    Raises:
        TaxonomyError: for the first leaf that cannot be read (the error names it).
    """
    base = Path(root)
    return tuple(load_leaf(path, base if base.is_dir() else None) for path in find_leaf_files(base))
