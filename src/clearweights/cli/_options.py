"""Options shared by reporting commands, and writing their output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from clearweights.errors import InputError
from clearweights.formats import REPORT_FORMATS, OutputFormat

if TYPE_CHECKING:
    from clearweights.formats.interface import Report

F = TypeVar("F", bound=Callable[..., Any])


_FORMAT_HELP = {
    OutputFormat.TEXT: "text for people",
    OutputFormat.JSON: "json for machines",
    OutputFormat.MARKDOWN: "markdown for pull-request comments",
    OutputFormat.MOF_YAML: "mof-yaml for the Model Openness Tool",
    OutputFormat.SARIF: "sarif for code scanning",
    OutputFormat.JUNIT: "junit for test reports",
}


def format_option(func: F, formats: tuple[OutputFormat, ...] = REPORT_FORMATS) -> F:
    """``--format`` with the formats a command offers (env ``CLEARWEIGHTS_FORMAT``)."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice([f.value for f in formats]),
        default=OutputFormat.TEXT.value,
        envvar="CLEARWEIGHTS_FORMAT",
        show_default=True,
        help="Output format: " + ", ".join(_FORMAT_HELP[f] for f in formats) + ".",
    )(func)


def declaration_options(func: F) -> F:
    """The EU AI Act declarations a release's files cannot show."""
    func = click.option(
        "--monetised/--not-monetised",
        default=None,
        help="Declare whether the model is made available against payment or otherwise monetised.",
    )(func)
    return click.option(
        "--systemic-risk/--no-systemic-risk",
        default=None,
        help="Declare whether the model is a general-purpose AI model with systemic risk.",
    )(func)


def _bases(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        repo, sep, path = value.rpartition("=")
        key = repo if sep else "*"
        if not Path(path).is_dir():
            raise click.BadParameter(f"{path}: not a directory", ctx=ctx, param=param)
        out[key] = path
    return out


def base_option(func: F) -> F:
    """``--base [REPO=]PATH``: a local copy of a base model, for lineage (repeatable)."""
    return click.option(
        "--base",
        "bases",
        multiple=True,
        callback=_bases,
        metavar="[REPO=]PATH",
        help="A local copy of the base model (its card and LICENSE) to read the inherited "
        "licence from; REPO= names which base when there are several (repeatable).",
    )(func)


def output_option(func: F) -> F:
    """``-o/--output FILE``: write the result there instead of stdout."""
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write here instead of stdout.",
    )(func)


def write_output(path: Path | None, text: str) -> None:
    """Write *text* to *path*, or to stdout when there is none."""
    if path is None:
        click.echo(text, nl=False)
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", path=path) from exc
    click.echo(f"wrote {path}", err=True)


def emit(report: Report, output_format: str) -> None:
    """Write the report (data) to stdout."""
    click.echo(OutputFormat(output_format).to_format().render(report), nl=False)
