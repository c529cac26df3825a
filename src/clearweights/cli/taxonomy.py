"""``clearweights taxonomy validate | diff``: check InstructLab-style taxonomy leaves."""

from __future__ import annotations

import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar, assert_never

import click

from clearweights.cli._options import CONFIG_KEY, output_option, write_output
from clearweights.cli._output import note
from clearweights.config import NO_CONFIG
from clearweights.errors import ExitCode
from clearweights.taxonomy._config import settings
from clearweights.taxonomy._format import format_json, format_text, summary
from clearweights.taxonomy._pii import PHONE_REGIONS
from clearweights.taxonomy.report import ValidationReport
from clearweights.taxonomy.validate import (
    DEFAULT_ALLOWED_LICENSES,
    ValidationOptions,
    resolve_allowed,
    validate,
    validate_changed,
)

F = TypeVar("F", bound=Callable[..., Any])

EPILOG = """\b
Exit codes:
  0  every leaf passed (warnings allowed)
  1  a rule was broken (schema, yamllint, attribution, licence, personal data)
  2  usage error
  3  could not complete: a path, the git base or a document repository out of reach"""


class TaxonomyFormat(StrEnum):
    """Output formats of the taxonomy commands."""

    TEXT = "text"
    JSON = "json"

    def render(self, report: ValidationReport) -> str:
        """The report in this format."""
        match self:
            case TaxonomyFormat.TEXT:
                return format_text(report)
            case TaxonomyFormat.JSON:
                return format_json(report)
            case _:  # pragma: no cover - exhaustive
                assert_never(self)


def parse_mirrors(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, Path]:
    out = {}
    for value in values:
        url, sep, path = value.rpartition("=")
        if not sep or not url:
            raise click.BadParameter(f"{value}: expected URL=PATH", ctx=ctx, param=param)
        if not Path(path).is_dir():
            raise click.BadParameter(f"{path}: not a directory", ctx=ctx, param=param)
        out[url] = Path(path)
    return out


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clearweights" / "taxonomy-repos"


def common_options(func: F) -> F:
    """Options shared by ``validate`` and ``diff``."""
    options = [
        click.option(
            "--format",
            "output_format",
            type=click.Choice([f.value for f in TaxonomyFormat]),
            default=TaxonomyFormat.TEXT.value,
            envvar="CLEARWEIGHTS_FORMAT",
            show_default=True,
            help="text for people, json for machines.",
        ),
        output_option,
        click.option(
            "--allow-license",
            "allowed",
            multiple=True,
            metavar="ID",
            help="A licence contributed documents may carry (repeatable; replaces the default "
            f"list: {', '.join(DEFAULT_ALLOWED_LICENSES)}).",
        ),
        click.option(
            "--mirror",
            "mirrors",
            multiple=True,
            callback=parse_mirrors,
            metavar="URL=PATH",
            help="Read the document repository URL from a local clone at PATH (repeatable).",
        ),
        click.option(
            "--offline",
            is_flag=True,
            help="Never clone a document repository; leaves whose documents are not local are "
            "reported as not checked.",
        ),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Where document repositories are cloned [default: ~/.cache/clearweights].",
        ),
        click.option(
            "--jobs", type=click.IntRange(1, 64), default=None, help="Processes [default: CPUs]."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def validation_options(
    allowed: tuple[str, ...],
    mirrors: dict[str, Path],
    offline: bool,
    cache_dir: Path | None,
    jobs: int | None,
    *,
    default_cache: Path | None = None,
) -> ValidationOptions:
    """The command line over ``[tool.clearweights.taxonomy]`` over the built-in defaults.

    Shared by ``taxonomy validate|diff`` and ``generate`` so both judge a leaf alike;
    *default_cache* is where repositories are cloned when neither says (None: offline).
    """
    config = click.get_current_context().meta.get(CONFIG_KEY, NO_CONFIG)
    found = settings(config)
    cache = cache_dir or found.cache_dir or default_cache
    return ValidationOptions(
        allowed_licenses=resolve_allowed(allowed or found.licenses or DEFAULT_ALLOWED_LICENSES),
        mirrors={**found.mirrors, **mirrors},
        cache=None if offline or found.offline else cache,
        phone_regions=found.phone_regions or PHONE_REGIONS,
        size=found.size,
        workers=jobs or min(os.cpu_count() or 1, 8),
    )


def _finish(report: ValidationReport, output_format: str, output: Path | None) -> int:
    text = TaxonomyFormat(output_format).render(report)
    if text or output is not None:
        write_output(output, text)
    note(summary(report))
    if report.errors:
        return ExitCode.FAILED
    return ExitCode.INCOMPLETE if report.incomplete else ExitCode.OK


@click.group(name="taxonomy", epilog=EPILOG)
def taxonomy_group() -> None:
    """Validate InstructLab-style taxonomies (qna.yaml leaves and their documents)."""


@taxonomy_group.command(name="validate", epilog=EPILOG)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@common_options
def validate_command(
    paths: tuple[Path, ...], output_format: str, output: Path | None, **kw: Any
) -> int:
    """Validate leaves: qna.yaml files, or directories searched for them.

    \b
    Examples:
      clearweights taxonomy validate examples/taxonomy
      clearweights taxonomy validate knowledge/astronomy/phoenix/qna.yaml --format json
    """
    options = validation_options(**kw, default_cache=_cache())
    return _finish(validate(paths, options), output_format, output)


@taxonomy_group.command(name="diff", epilog=EPILOG)
@click.argument("root", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--base",
    "base_ref",
    default="origin/main",
    show_default=True,
    help="Git ref to compare with; 'empty' checks every leaf.",
)
@common_options
def diff_command(
    root: Path, base_ref: str, output_format: str, output: Path | None, **kw: Any
) -> int:
    """Validate the leaves added or changed since --base (untracked files included).

    \b
    Examples:
      clearweights taxonomy diff --base origin/main
      clearweights taxonomy diff path/to/taxonomy --base empty --format json
    """
    options = validation_options(**kw, default_cache=_cache())
    return _finish(validate_changed(root, base_ref, options), output_format, output)
