"""``clearweights scan SOURCE... [--store URL]``: audit many releases, streaming."""

from __future__ import annotations

import itertools
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from clearweights.errors import ClearweightsError, ExitCode, InputError, StoreError

if TYPE_CHECKING:
    from clearweights.scale.engine import ScanSummary
    from clearweights.scale.engines import Engine
    from clearweights.scale.items import Item, Outcome
    from clearweights.scale.sources import ScanSource
    from clearweights.store import Store


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def open_store_or_explain(location: str, *, create: bool = True) -> Store:
    """Open the store, saying which extra to install when SQLAlchemy is missing."""
    try:
        from clearweights.store import open_store
    except ImportError as exc:
        raise StoreError(
            f"the result store needs SQLAlchemy and Alembic ({exc.name} is missing)",
            hint="pip install 'clearweights[store]'",
        ) from None
    return open_store(location, create=create)


@contextmanager
def _interruptible(stored: bool) -> Iterator[threading.Event]:
    """SIGTERM and Ctrl-C stop the scan after the batch being stored (never in the middle of a
    store write): finished batches are kept, the next run resumes. A second Ctrl-C stops at once.
    """
    stop = threading.Event()

    def request(signum: int, _frame: object) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()

    main = threading.current_thread() is threading.main_thread()
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = [signal.signal(s, request) for s in signals] if main else []
    try:
        yield stop
    except KeyboardInterrupt:
        done = "the releases audited before it are stored" if stored else "the output is partial"
        raise ClearweightsError(
            f"interrupted: {done}",
            hint="run the same command again to resume" if stored else None,
        ) from None
    finally:
        for number, handler in zip(signals, previous, strict=False):
            signal.signal(number, handler or signal.SIG_DFL)


@contextmanager
def _sink(output: Path | None, jsonl: bool) -> Iterator[TextIO | None]:
    if output is None:
        yield sys.stdout if jsonl else None
        return
    try:
        handle = output.open("w", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", path=output) from exc
    with handle:
        yield handle


@click.command(name="scan")
@click.argument("sources", nargs=-1)
@click.option(
    "--store",
    "store_url",
    envvar="CLEARWEIGHTS_STORE",
    metavar="URL",
    help="Keep audits in this store: an SQLite file path or URL (sqlite:///x.db, "
    "postgresql+psycopg://...); a rerun then audits only what changed.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["jsonl"]),
    help="Write each audit as one line of JSON (the default without --store).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON Lines here instead of stdout.",
)
@click.option(
    "--hf-cache",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[DIR]",
    help="Every model repo in the local Hugging Face cache (or in DIR).",
)
@click.option(
    "--revision",
    default="main",
    show_default=True,
    help="The revision (branch, tag or commit) of cached repos and repo ids.",
)
@click.option(
    "--from-file",
    metavar="FILE",
    help="Release paths or repo ids, one a line; - reads standard input.",
)
@click.option(
    "--hub",
    "hub_query",
    metavar="QUERY",
    help="Models the Hub lists for QUERY (author=...,search=...,filter=...,limit=...): "
    "cards, file lists and licence files are read, never weights.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: the usable cores).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Where audits run: a local process pool, or Ray (the scale extra).",
)
@click.option(
    "--ray-address",
    envvar="CLEARWEIGHTS_RAY_ADDRESS",
    metavar="ADDR",
    help="The Ray cluster to use with --engine ray (default: start a local Ray instance).",
)
@click.option(
    "--results-parquet",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="With --engine ray and Parquet dumps: the cluster writes the audits as Parquet files "
    "in DIR (Ray Data) instead of sending them back.",
)
@click.option(
    "--weights-headers",
    is_flag=True,
    help="With --hub: read each safetensors file's header by range requests (never the weights).",
)
@click.option("--force", is_flag=True, help="Audit again releases the store already holds.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def scan_command(
    sources: tuple[str, ...],
    store_url: str | None,
    output_format: str | None,
    output: Path | None,
    hf_cache: str | None,
    revision: str,
    from_file: str | None,
    hub_query: str | None,
    jobs: int | None,
    engine: str,
    ray_address: str | None,
    results_parquet: Path | None,
    weights_headers: bool,
    force: bool,
    quiet: bool,
    no_progress: bool,
) -> int:
    """Audit many releases into a store and/or as JSON Lines, in constant memory.

    SOURCE is a release directory, a glob, a folder of releases, a Hub repo id in the local
    cache, or a Hub metadata dump (.jsonl, .parquet). Exit 3 when any release could not be
    audited (each one's error is recorded; the others are audited).
    """
    from clearweights.scale import scan

    if not sources and hf_cache is None and from_file is None and hub_query is None:
        raise click.UsageError("give a SOURCE, --hf-cache, --from-file or --hub")
    if ray_address is not None and engine != "ray":
        raise click.UsageError("--ray-address needs --engine ray")
    if weights_headers and hub_query is None:
        raise click.UsageError("--weights-headers needs --hub")
    only_dumps = engine == "ray" and not (from_file or hub_query) and hf_cache is None
    if results_parquet is not None:
        _results_parquet(sources if only_dumps else (), results_parquet, store_url, output,
                         output_format, ray_address, jobs)  # fmt: skip
        return int(ExitCode.OK)
    chosen = _chosen_sources(sources, hf_cache, revision, from_file, hub_query, weights_headers)
    store = open_store_or_explain(store_url) if store_url else None
    jsonl = output_format == "jsonl" or output is not None or store is None
    show = not quiet and not no_progress and sys.stderr.isatty()
    try:
        with _interruptible(store is not None) as stop, _sink(output, jsonl) as sink:
            from clearweights.cli._progress import ScanBar

            observer = ScanBar() if show else None
            if only_dumps and _ray_data(sources):  # Ray Data reads the dumps on the cluster
                from clearweights.scale.ray_data import scan_parquet

                summary = scan_parquet(sources, store=store, sink=sink, force=force,
                                       observer=observer, address=ray_address, jobs=jobs,
                                       stop=stop.is_set)  # fmt: skip
            else:
                runner = _engine(engine, ray_address, jobs)
                summary = scan(chosen, store=store, sink=sink, force=force, observer=observer,
                               engine=runner, stop=stop.is_set)  # fmt: skip
        if not quiet:
            _summary(summary, store, to_stderr=sink is sys.stdout)
    finally:
        if store is not None:
            store.close()
    return int(ExitCode.INCOMPLETE if summary.failed else ExitCode.OK)


def _chosen_sources(
    sources: tuple[str, ...],
    hf_cache: str | None,
    revision: str,
    from_file: str | None,
    hub_query: str | None,
    weights_headers: bool,
) -> list[ScanSource]:
    """Every source the options name: SOURCE arguments, then --from-file, --hf-cache, --hub."""
    from clearweights.scale import hf_cache_source, list_source, sources_for

    cache = hf_cache or None
    chosen: list[ScanSource] = list(sources_for(sources, cache=cache, revision=revision))
    if from_file is not None:
        if from_file != "-" and not os.path.isfile(from_file):
            raise InputError("no such file", path=from_file)
        chosen.append(list_source(from_file, cache=cache, revision=revision))
    if hf_cache is not None:
        chosen.append(hf_cache_source(cache, revision))
    if hub_query is not None:
        from clearweights.scale.hub import HubQuery, parse_query

        chosen.append(HubQuery(parse_query(hub_query), revision, headers=weights_headers))
    return chosen


def _ray_data(sources: tuple[str, ...]) -> bool:
    """Whether every source is a Parquet dump Ray Data can read (the scale extra installed)."""
    try:
        from clearweights.scale.ray_data import parquet_dumps
    except ImportError as exc:
        from clearweights.scale.engines import ray_missing

        raise ray_missing(exc) from None
    return parquet_dumps(sources)


def _results_parquet(
    sources: tuple[str, ...],
    folder: Path,
    store_url: str | None,
    output: Path | None,
    output_format: str | None,
    address: str | None,
    jobs: int | None,
) -> None:
    """The cluster audits Parquet dumps and writes the results as Parquet files itself."""
    if store_url or output is not None or output_format is not None:
        raise click.UsageError("--results-parquet writes the results: no --store, -o or --format")
    if not _ray_data(sources):
        raise click.UsageError("--results-parquet needs --engine ray and Parquet dumps only")
    from clearweights.scale.ray_data import write_results

    write_results(sources, str(folder), address=address, jobs=jobs)


def _engine(name: str, address: str | None, jobs: int | None) -> Engine:
    if name == "ray":  # started now: a cluster that cannot be reached fails before the scan
        from clearweights.scale.engines import ray_engine

        return ray_engine(address, jobs)
    return _WhenNeeded(jobs or usable_cores())


class _WhenNeeded:
    """The local engine, started with the first batch to audit: a resumed run where nothing
    changed imports no audit code and starts no process."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._engine: Engine | None = None

    def map(self, batches: Iterator[list[Item]]) -> Iterator[list[Outcome]]:
        """Each batch's outcomes, in order, from the engine started for the first."""
        first = next(batches, None)
        if first is None:
            return
        from clearweights.scale.engines import local_engine

        self._engine = local_engine(self.jobs)
        yield from self._engine.map(itertools.chain([first], batches))

    def close(self) -> None:
        """Stop the engine, if it was started."""
        if self._engine is not None:
            self._engine.close()


def _summary(summary: ScanSummary, store: Store | None, *, to_stderr: bool) -> None:
    """Counts of this run, then the stats of the store (or of this run without one)."""
    from clearweights.scale.stats import render_stats, summary_stats

    line = (
        f"scan: {summary.audited - summary.failed} audited, {summary.unchanged} unchanged, "
        f"{summary.failed} could not be audited"
    )
    click.echo(line, err=True)
    for error in summary.errors:
        click.echo(f"  {error.splitlines()[0]}", err=True)
    if summary.failed > len(summary.errors):
        click.echo(f"  ... and {summary.failed - len(summary.errors)} more", err=True)
    if store is not None:
        from clearweights.store.queries import store_stats

        stats = store_stats(store)
    else:
        stats = summary_stats(summary)
    click.echo(render_stats(stats, "text", top=10), nl=False, err=to_stderr)
