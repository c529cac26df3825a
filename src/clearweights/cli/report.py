"""``clearweights report PATH... -o report.html`` and ``clearweights badge PATH -o badge.svg``."""

from __future__ import annotations

from pathlib import Path

import click

from clearweights.errors import ExitCode, InputError


def _write(path: Path | None, text: str) -> None:
    if path is None:
        click.echo(text, nl=False)
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", path=path) from exc
    click.echo(f"wrote {path}", err=True)


@click.command(name="report")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (default stdout).",
)
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
    _write(output, render_html(result, title))
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
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (default stdout).",
)
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
    _write(output, badge(result, kind))
    return ExitCode.OK
