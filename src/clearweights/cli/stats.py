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
@click.option(
    "--compare",
    "runs",
    type=int,
    nargs=2,
    metavar="RUN_A RUN_B",
    help="Releases whose verdicts or weights licence changed from run A to run B.",
)
@click.option(
    "--changes",
    is_flag=True,
    help="As --compare, between the last two runs.",
)
@output_option
def stats_command(
    store_url: str,
    output_format: str,
    top: int,
    runs: tuple[int, int] | None,
    changes: bool,
    output: Path | None,
) -> int:
    """Licence distribution, verdicts per framework and open-washing counts of a store.

    Each release counts once, by its latest audit. With --compare or --changes: the releases
    whose verdicts changed between two runs, with each framework's old and new verdict.

    \b
    Examples:
      clearweights stats --store audits.db --format markdown -o stats.md
      clearweights stats --store audits.db --changes
      clearweights stats --store audits.db --compare 3 5 --format csv
    """
    from clearweights.cli.scan import open_store_or_explain

    store = open_store_or_explain(store_url, create=False)
    try:
        if runs or changes:
            from clearweights.store.compare import compare_runs, render_comparison

            text = render_comparison(compare_runs(store, runs or ()), output_format)
        else:
            from clearweights.scale.stats import render_stats
            from clearweights.store.queries import store_stats

            text = render_stats(store_stats(store), output_format, top=top)
    finally:
        store.close()
    write_output(output, text)
    return 0
