"""The checks of one leaf: YAML, schema, attribution, documents, licence, personal data, size."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from clearweights.errors import RepositoryUnavailableError, TaxonomyError
from clearweights.taxonomy import _schema
from clearweights.taxonomy._dedup import SeedText, shingles
from clearweights.taxonomy._git import (
    is_path,
    local_repository,
    read_documents,
    read_license_files,
    taxonomy_root,
)
from clearweights.taxonomy._licensing import DEFAULT_ALLOWED_LICENSES, check_license
from clearweights.taxonomy._load import TOP_FOLDERS, ParsedYaml, build_leaf, leaf_name, parse_yaml
from clearweights.taxonomy._pii import PHONE_REGIONS, find_pii
from clearweights.taxonomy.model import QNA_FILE, Leaf, LeafKind
from clearweights.taxonomy.report import Finding, LeafLicense, Severity


@dataclass(frozen=True)
class SizeGuidance:
    """The upstream taxonomy's size advice, checked as warnings."""

    context_words: int = 500  # per knowledge context
    qna_words: int = 250  # per knowledge question and answer together
    skill_words: int = 2300  # per skill leaf, all seeds together
    max_seeds: int = 20  # more seeds make review hard and SDG slow


@dataclass(frozen=True)
class ValidationOptions:
    """What leaves are checked against (picklable: leaves are checked in worker processes)."""

    allowed_licenses: tuple[str, ...] = DEFAULT_ALLOWED_LICENSES
    mirrors: Mapping[str, Path] = field(default_factory=dict)
    cache: Path | None = None  # where remote document repositories are cloned; None: offline
    phone_regions: tuple[str, ...] = PHONE_REGIONS
    size: SizeGuidance = field(default_factory=SizeGuidance)
    workers: int = 1  # processes checking leaves in parallel


@dataclass(frozen=True)
class LeafOutcome:
    """Everything one leaf's checks found."""

    path: str
    name: str
    findings: tuple[Finding, ...]
    license: LeafLicense | None = None
    incomplete: tuple[str, ...] = ()
    units: tuple[SeedText, ...] = ()


class _Leaf:
    """Accumulates findings for one ``qna.yaml``."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self.findings: list[Finding] = []
        self.incomplete: list[str] = []

    def add(
        self,
        rule: str,
        message: str,
        line: int = 1,
        col: int = 1,
        *,
        path: Path | str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        where = str(path if path is not None else self.path)
        self.findings.append(Finding(where, line, col, rule, severity, message, self.name))


def _version(data: dict[str, Any]) -> int:
    value = data.get("version", 1)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value))
    except ValueError:
        return 1


def _schema_name(name: str, data: dict[str, Any]) -> str:
    top = name.split("/", 1)[0]
    if top == "knowledge":
        return "knowledge"
    if top in TOP_FOLDERS:
        return "compositional_skills"
    return "knowledge" if "document" in data else "compositional_skills"


def _structure(check: _Leaf, parsed: ParsedYaml) -> bool:
    """yamllint and the schema; whether the leaf is sound enough to read further."""
    data = parsed.data
    version = _version(data)
    if version > 1:  # upstream lints only v2+ files
        for line, col, rule, message in _schema.lint(parsed.text):
            check.add(f"yaml/{rule}", message, line, col)
    schema_name = _schema_name(check.name, data)
    deprecated = _schema.deprecation(version, schema_name)
    if deprecated is not None:
        line, col = _schema.locate(parsed.node, ["version"])
        check.add("schema/version", deprecated, line, col)
        return False
    clean = True
    for line, col, validator, where, message in _schema.schema_errors(
        data, parsed.node, version, schema_name
    ):
        check.add(f"schema/{validator}", f"[{where}] {message}", line, col)
        clean = False
    return clean


def _attribution(check: _Leaf, leaf: Leaf) -> None:
    if leaf.attribution is None:
        check.add(
            "attribution/missing",
            "attribution.txt is missing: every leaf credits its sources "
            "(title, link, revision, licence, creator)",
        )
        return
    path = leaf.attribution.path
    if not leaf.attribution.works:
        check.add("attribution/empty", "attribution.txt is empty", path=path)
    for work in leaf.attribution.works:
        for name, value in (
            ("Title of work", work.title),
            ("Link to work", work.link),
            ("License of the work", work.license),
            ("Creator names", work.creator),
        ):
            if not value:
                check.add("attribution/missing-field", f"no {name!r} line", work.line, path=path)
        if not work.revision and leaf.kind is LeafKind.KNOWLEDGE:
            check.add(
                "attribution/missing-field",
                "no 'Revision' line: pin the revision of the work the documents were taken from",
                work.line,
                path=path,
                severity=Severity.WARNING,
            )


def _documents(
    check: _Leaf, leaf: Leaf, options: ValidationOptions
) -> tuple[tuple[str, bytes], ...] | None:
    """Read the documents (to prove they exist and are text) and the repository's licence files."""
    if leaf.document is None:
        return None
    try:
        read_documents(leaf, mirrors=options.mirrors, cache=options.cache)
        return read_license_files(leaf, mirrors=options.mirrors, cache=options.cache)
    except RepositoryUnavailableError as exc:
        check.incomplete.append(f"{leaf.name}: {exc.message}")
        return None
    except TaxonomyError as exc:
        line, col = 1, 1
        check.add("document/unreadable", exc.message, line, col)
        return None


def _repo_label(leaf: Leaf) -> str | None:
    """``repo@commit`` for findings; a relative path is shown from the working directory."""
    if leaf.document is None:
        return None
    repo = leaf.document.repo
    if is_path(repo) and not Path(repo).is_absolute():
        repo = str(local_repository(repo, taxonomy_root(leaf)))
    return f"{repo}@{leaf.document.commit[:12]}"


def _position(parsed: ParsedYaml, path: list[str | int], text: str, start: int) -> tuple[int, int]:
    """Line and column of character *start* of the scalar at *path*."""
    node = _schema.find_node(parsed.node, path)
    if node is None:
        return 1, 1
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        line = node.start_mark.line + 2 + text.count("\n", 0, start)
        source = parsed.text.splitlines()
        indent = 0
        if line - 1 < len(source):
            indent = len(source[line - 1]) - len(source[line - 1].lstrip())
        return line, indent + start - (text.rfind("\n", 0, start) + 1) + 1
    return node.start_mark.line + 1, node.start_mark.column + 1


def _texts(leaf: Leaf) -> list[tuple[list[str | int], str, str]]:
    """``(yaml path, label, text)`` of every context, question and answer."""
    found: list[tuple[list[str | int], str, str]] = []
    for seed in leaf.seed_examples:
        base: list[str | int] = ["seed_examples", seed.index]
        if seed.context:
            found.append(([*base, "context"], f"seed {seed.index} context", seed.context))
        for j, qna in enumerate(seed.questions_and_answers):
            where = [*base, "questions_and_answers", j] if leaf.kind is LeafKind.KNOWLEDGE else base
            found.append(([*where, "question"], f"seed {seed.index} question", qna.question))
            found.append(([*where, "answer"], f"seed {seed.index} answer", qna.answer))
    return found


def _pii(check: _Leaf, leaf: Leaf, parsed: ParsedYaml, options: ValidationOptions) -> None:
    for path, label, text in _texts(leaf):
        for match in find_pii(text, phone_regions=options.phone_regions):
            line, col = _position(parsed, path, text, match.start)
            check.add(
                f"pii/{match.kind}",
                f"{label} holds what looks like {match.detail} ({match.masked}); "
                "remove it or replace it with an invented value",
                line,
                col,
            )


def _size(check: _Leaf, leaf: Leaf, parsed: ParsedYaml, size: SizeGuidance) -> None:
    def warn(rule: str, message: str, path: list[str | int]) -> None:
        line, col = _schema.locate(parsed.node, path)
        check.add(rule, message, line, col, severity=Severity.WARNING)

    if len(leaf.seed_examples) > size.max_seeds:
        warn(
            "size/seeds",
            f"{len(leaf.seed_examples)} seeds; keep to {size.max_seeds} or fewer",
            ["seed_examples"],
        )
    if leaf.kind.is_skill:
        words = sum(len(t.split()) for _, _, t in _texts(leaf))
        if words > size.skill_words:
            warn(
                "size/skill-words",
                f"the seeds hold {words} words; keep a skill under {size.skill_words}",
                ["seed_examples"],
            )
        return
    for seed in leaf.seed_examples:
        base: list[str | int] = ["seed_examples", seed.index]
        words = len((seed.context or "").split())
        if words > size.context_words:
            warn(
                "size/context-words",
                f"context of seed {seed.index} has {words} words; "
                f"keep it under {size.context_words}",
                [*base, "context"],
            )
        for j, qna in enumerate(seed.questions_and_answers):
            words = len(qna.question.split()) + len(qna.answer.split())
            if words > size.qna_words:
                warn(
                    "size/qna-words",
                    f"question and answer {j} of seed {seed.index} have {words} words; "
                    f"keep them under {size.qna_words}",
                    [*base, "questions_and_answers", j],
                )


def _units(leaf: Leaf) -> tuple[SeedText, ...]:
    units = []
    path = str(leaf.path)
    for seed in leaf.seed_examples:
        if seed.context:
            label = f"seed {seed.index} context"
            units.append(SeedText(leaf.name, path, seed.line, label, shingles(seed.context)))
        for j, qna in enumerate(seed.questions_and_answers):
            text = f"{qna.question}\n{qna.answer}"
            label = f"seed {seed.index} Q&A {j}"
            units.append(SeedText(leaf.name, path, seed.line, label, shingles(text)))
    return tuple(units)


def check_leaf(path: Path, options: ValidationOptions, root: Path | None = None) -> LeafOutcome:
    """Run every per-leaf check on one ``qna.yaml``; never raises for a bad leaf."""
    check = _Leaf(path, leaf_name(path, root))
    if path.name != QNA_FILE:
        check.add("file/name", f'taxonomy files must be named "qna.yaml", not "{path.name}"')
        return LeafOutcome(str(path), check.name, tuple(check.findings))
    try:
        parsed = parse_yaml(path)
    except TaxonomyError as exc:
        cause = exc.__cause__
        mark = cause.problem_mark if isinstance(cause, yaml.MarkedYAMLError) else None
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        check.add("yaml/unreadable", exc.message, line, col)
        return LeafOutcome(str(path), check.name, tuple(check.findings))
    if not parsed.data:
        check.add("yaml/empty", "the file is empty", severity=Severity.WARNING)
        return LeafOutcome(str(path), check.name, tuple(check.findings))
    if not isinstance(parsed.data, dict):
        check.add("schema/type", "the top level is not a mapping of keys to values")
        return LeafOutcome(str(path), check.name, tuple(check.findings))
    clean = _structure(check, parsed)
    try:
        leaf = build_leaf(path, parsed, root, name=check.name)
    except TaxonomyError as exc:
        if clean:  # the schema accepted what the model cannot read: say so
            check.add("schema/shape", exc.message)
        return LeafOutcome(str(path), check.name, tuple(check.findings))
    _attribution(check, leaf)
    license_files = _documents(check, leaf, options)
    label = _repo_label(leaf)
    verdict, license_findings = check_license(leaf, license_files, label, options.allowed_licenses)
    check.findings += license_findings
    _pii(check, leaf, parsed, options)
    _size(check, leaf, parsed, options.size)
    return LeafOutcome(
        str(path), leaf.name, tuple(check.findings), verdict, tuple(check.incomplete), _units(leaf)
    )
