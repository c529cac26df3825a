"""``clearweights report PATH... -o report.html`` and ``clearweights badge PATH -o badge.svg``."""

from __future__ import annotations

from pathlib import Path

import click

from clearweights.cli._options import output_option, write_output
from clearweights.errors import ExitCode


@click.command(name="report")
@click.argument("paths", nargs=-1, required=True)
@output_option
@click.option("--title", default="clearweights report", show_default=True)
def report_command(paths: tuple[str, ...], output: Path | None, title: str) -> int:
    """A self-contained HTML report of one or more releases (no network needed to view it).

    \b
    Example:
      clearweights report examples/releases/* -o report.html
    """
    from clearweights.audit import audit
    from clearweights.formats.html import render_html

    result = audit(list(paths))
    write_output(output, render_html(result, title))
    for entry in result.audits:
        if entry.error:
            click.echo(f"clearweights: {entry.path}: {entry.error}", err=True)
    return ExitCode.OK if result.complete else ExitCode.INCOMPLETE


@click.command(name="badge")
@click.argument("path")
@click.option(
    "--kind",
    type=click.Choice(["redhat", "osaid", "mof", "eu", "licence"]),
    default="redhat",
    show_default=True,
    help="What the badge shows.",
)
@output_option
def badge_command(path: str, kind: str, output: Path | None) -> int:
    """A shields-style SVG badge for a README or model card.

    \b
    Examples:
      clearweights badge ./my-model --kind redhat -o badge.svg
      clearweights badge ./my-model --kind mof -o mof.svg
    """
    from clearweights.audit import audit_release
    from clearweights.errors import ReleaseError
    from clearweights.formats.badge import badge

    result = audit_release(path)
    if result.error:
        raise ReleaseError(result.error, path=path)
    write_output(output, badge(result, kind))
    return ExitCode.OK
