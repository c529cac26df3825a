"""``clearweights report PATH... -o report.html`` and ``clearweights badge PATH -o badge.svg``."""

from __future__ import annotations

from pathlib import Path

import click

from clearweights.cli._options import (
    declaration_options,
    output_option,
    revision_option,
    write_output,
)
from clearweights.cli._output import progress_bar
from clearweights.errors import ExitCode


@click.command(name="report")
@click.argument("paths", nargs=-1, required=True)
@output_option
@click.option("--title", default="clearweights report", show_default=True)
@revision_option
@declaration_options
def report_command(
    paths: tuple[str, ...],
    output: Path | None,
    title: str,
    revision: str | None,
    systemic_risk: bool | None,
    monetised: bool | None,
) -> int:
    """A self-contained HTML report of one or more releases (no network needed to view it).

    \b
    Example:
      clearweights report examples/releases/* -o report.html
    """
    from clearweights.audit import audit
    from clearweights.formats.html import render_html
    from clearweights.frameworks import Declarations

    result = audit(
        list(paths),
        declarations=Declarations(systemic_risk, monetised),
        progress=progress_bar(len(paths)),
        revision=revision,
    )
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
@revision_option
@declaration_options
def badge_command(
    path: str,
    kind: str,
    output: Path | None,
    revision: str | None,
    systemic_risk: bool | None,
    monetised: bool | None,
) -> int:
    """A shields-style SVG badge for a README or model card.

    \b
    Examples:
      clearweights badge ./my-model --kind redhat -o badge.svg
      clearweights badge ./my-model --kind mof -o mof.svg
    """
    from clearweights.audit import audit_release
    from clearweights.errors import ReleaseError
    from clearweights.formats.badge import badge
    from clearweights.frameworks import Declarations

    result = audit_release(
        path, declarations=Declarations(systemic_risk, monetised), revision=revision
    )
    if result.error:
        raise ReleaseError(result.error, path=path)
    write_output(output, badge(result, kind))
    return ExitCode.OK
