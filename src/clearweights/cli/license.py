"""``clearweights license identify | show | list``."""

from __future__ import annotations

import sys

import click

from clearweights.cli._options import emit, format_option
from clearweights.errors import ExitCode
from clearweights.licenses import Category, catalogue, get, identify_bytes, identify_file, summarize
from clearweights.licenses.report import IdentifyReport, LicenceCard, LicenceListing


@click.group(name="license")
def license_group() -> None:
    """Identify licences and explain their terms."""


@license_group.command()
@click.argument("paths", nargs=-1, required=True)
@format_option
def identify(paths: tuple[str, ...], output_format: str) -> int:
    """Identify the licences in files (or '-' for standard input).

    \b
    Examples:
      clearweights license identify LICENSE NOTICE USE_POLICY.md
      echo "license: llama3.1" | clearweights license identify - --format json
    """
    results = [
        identify_bytes(sys.stdin.buffer.read(), "-") if p == "-" else identify_file(p)
        for p in paths
    ]
    report = IdentifyReport(tuple(results))
    emit(report, output_format)
    for result in results:
        if result.error:
            click.echo(f"clearweights: {result.path}: {result.error}", err=True)
    return ExitCode.OK if report.complete else ExitCode.INCOMPLETE


@license_group.command()
@click.argument("licence_id")
@format_option
def show(licence_id: str, output_format: str) -> int:
    """Explain a licence in plain words (any id, Hugging Face id or common name).

    \b
    Examples:
      clearweights license show llama3.1
      clearweights license show "CC BY-NC 4.0"
    """
    emit(LicenceCard(summarize(get(licence_id))), output_format)
    return ExitCode.OK


@license_group.command(name="list")
@click.option(
    "--category", type=click.Choice([c.value for c in Category]), help="Only this category."
)
@click.option(
    "--ai", "ai_only", is_flag=True, help="Only AI model licences and their use policies."
)
@format_option
def list_(category: str | None, ai_only: bool, output_format: str) -> int:
    """List the licences in the catalogue."""
    records = [
        lic
        for lic in catalogue()
        if (category is None or lic.category.value == category) and (not ai_only or lic.is_ai)
    ]
    emit(LicenceListing(tuple(records)), output_format)
    return ExitCode.OK
