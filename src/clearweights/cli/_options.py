"""Options shared by reporting commands, and writing their output."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from clearweights.formats import REPORT_FORMATS, OutputFormat

if TYPE_CHECKING:
    from clearweights.formats.interface import Report

F = TypeVar("F", bound=Callable[..., Any])


def format_option(func: F, formats: tuple[OutputFormat, ...] = REPORT_FORMATS) -> F:
    """``--format text|json|markdown`` (env ``CLEARWEIGHTS_FORMAT``)."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice([f.value for f in formats]),
        default=OutputFormat.TEXT.value,
        envvar="CLEARWEIGHTS_FORMAT",
        show_default=True,
        help="Output format: text for people, json for machines, markdown for PR comments.",
    )(func)


def emit(report: Report, output_format: str) -> None:
    """Write the report (data) to stdout."""
    click.echo(OutputFormat(output_format).to_format().render(report), nl=False)
