"""``clearweights stats --store URL``: counts over stored audits, without re-auditing."""

from __future__ import annotations

from pathlib import Path

import click

from clearweights.cli._options import output_option, write_output


@click.command(name="stats")
@click.option(
    "--store",
    "store_url",
    envvar="CLEARWEIGHTS_STORE",
    metavar="URL",
    required=True,
    help="The store a scan wrote: an SQLite file path or a database URL.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "csv", "markdown"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many licences text and markdown list.",
)
@output_option
def stats_command(store_url: str, output_format: str, top: int, output: Path | None) -> int:
    """Licence distribution, verdicts per framework and open-washing counts of a store.

    Each release counts once, by its latest audit.
    """
    from clearweights.cli.scan import open_store_or_explain
    from clearweights.scale.stats import render_stats

    store = open_store_or_explain(store_url, create=False)
    try:
        from clearweights.store.queries import store_stats

        stats = store_stats(store)
    finally:
        store.close()
    write_output(output, render_stats(stats, output_format, top=top))
    return 0
