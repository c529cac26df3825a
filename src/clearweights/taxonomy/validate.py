"""Validate taxonomy leaves: every rule upstream enforces, plus licences, personal data and size.

Example:
    >>> from pathlib import Path
    >>> from clearweights.taxonomy.validate import ValidationOptions, validate
    >>> report = validate([Path("examples/taxonomy")], ValidationOptions())  # doctest: +SKIP
    >>> [f.rule for f in report.errors]  # doctest: +SKIP
    ['license/not-allowed', 'pii/email']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from clearweights.errors import TaxonomyError
from clearweights.taxonomy._checks import LeafOutcome, SizeGuidance, ValidationOptions, check_leaf
from clearweights.taxonomy._dedup import NearDuplicate, near_duplicates
from clearweights.taxonomy._git import changed_leaf_paths
from clearweights.taxonomy._licensing import DEFAULT_ALLOWED_LICENSES, resolve_allowed
from clearweights.taxonomy.model import QNA_FILE
from clearweights.taxonomy.report import Finding, Severity, ValidationReport

__all__ = [
    "DEFAULT_ALLOWED_LICENSES",
    "SizeGuidance",
    "ValidationOptions",
    "resolve_allowed",
    "validate",
    "validate_changed",
]

_PARALLEL_FROM = 64  # below this many leaves, starting processes costs more than it saves


def _misnamed(directory: str, files: list[str]) -> Iterable[Finding]:
    for name in files:
        if name != QNA_FILE and name.lower() in ("qna.yaml", "qna.yml"):
            yield Finding(
                str(Path(directory) / name),
                1,
                1,
                "file/name",
                Severity.WARNING,
                f'taxonomy files must be named "qna.yaml"; "{name}" is skipped',
            )


def _collect(paths: Sequence[Path]) -> tuple[list[tuple[Path, Path | None]], list[Finding]]:
    """The ``qna.yaml`` files to check (with the root each was found under)."""
    files: list[tuple[Path, Path | None]] = []
    notes: list[Finding] = []
    for path in paths:
        if path.is_dir():
            for directory, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                if QNA_FILE in names:
                    files.append((Path(directory) / QNA_FILE, path))
                notes += _misnamed(directory, names)
        elif path.exists() or path.is_symlink():
            files.append((path, None))
        else:
            raise TaxonomyError("no such file or directory", path=path)
    return sorted(set(files), key=lambda item: str(item[0])), notes


def _check_all(
    files: list[tuple[Path, Path | None]], options: ValidationOptions
) -> list[LeafOutcome]:
    if options.workers > 1 and len(files) >= _PARALLEL_FROM:
        chunk = max(1, len(files) // (options.workers * 8))
        with ProcessPoolExecutor(max_workers=options.workers) as pool:
            return list(
                pool.map(
                    check_leaf,
                    [f for f, _ in files],
                    [options] * len(files),
                    [r for _, r in files],
                    chunksize=chunk,
                )
            )
    return [check_leaf(path, options, root) for path, root in files]


def _duplicates(outcomes: list[LeafOutcome]) -> list[Finding]:
    """One warning per leaf and earlier leaf it repeats (the first pair, and how many more)."""
    units = [unit for outcome in outcomes for unit in outcome.units]
    grouped: dict[tuple[str, str], list[NearDuplicate]] = {}
    for pair in near_duplicates(units):
        a, b = sorted((pair.first, pair.second), key=lambda u: (u.path, u.line, u.label))
        grouped.setdefault((b.path, a.path), []).append(NearDuplicate(a, b, pair.similarity))
    found = []
    for pairs in grouped.values():
        pairs.sort(key=lambda p: (p.second.line, p.second.label, p.first.line, p.first.label))
        first = pairs[0]
        a, b = first.first, first.second
        more = f" (and {len(pairs) - 1} more near-duplicate pairs)" if len(pairs) > 1 else ""
        where = "earlier in this leaf" if a.path == b.path else f"in {a.leaf}"
        found.append(
            Finding(
                b.path,
                b.line,
                1,
                "duplicate/seed",
                Severity.WARNING,
                f"{b.label} is a near-duplicate ({first.similarity:.0%} alike) of {a.label} "
                f"{where} ({a.path}:{a.line}){more}",
                b.leaf,
            )
        )
    return found


def _report(
    outcomes: list[LeafOutcome], extra: list[Finding], options: ValidationOptions
) -> ValidationReport:
    findings = [f for o in outcomes for f in o.findings] + extra + _duplicates(outcomes)
    incomplete = [i for o in outcomes for i in o.incomplete]
    try:
        import phonenumbers  # noqa: F401
    except ImportError:
        incomplete.append("phone numbers not checked: the phonenumbers package is not installed")
    return ValidationReport(
        leaves=tuple(sorted(o.name for o in outcomes)),
        findings=tuple(
            sorted(set(findings), key=lambda f: (f.path, f.line, f.col, f.rule, f.message))
        ),
        licenses=tuple(sorted((o.license for o in outcomes if o.license), key=lambda x: x.leaf)),
        incomplete=tuple(sorted(incomplete)),
        allowed_licenses=tuple(sorted(options.allowed_licenses)),
    )


def validate(paths: Sequence[str | Path], options: ValidationOptions) -> ValidationReport:
    """Validate the leaves at *paths* (``qna.yaml`` files, or directories searched for them).

    A bad leaf is a finding, never an exception.

    Raises:
        TaxonomyError: a path does not exist.
    """
    files, notes = _collect([Path(p) for p in paths])
    return _report(_check_all(files, options), notes, options)


def validate_changed(
    root: str | Path, base_ref: str, options: ValidationOptions
) -> ValidationReport:
    """Validate the leaves under *root* added or changed since *base_ref* (``ilab taxonomy diff``).

    Raises:
        TaxonomyError: *root* is not in a git repository, or *base_ref* is unknown.
    """
    base = Path(root)
    files: list[tuple[Path, Path | None]] = [(p, base) for p in changed_leaf_paths(base, base_ref)]
    return _report(_check_all(files, options), [], options)
