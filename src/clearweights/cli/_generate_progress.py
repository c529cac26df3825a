"""Progress of ``clearweights generate`` on stderr: per leaf and per block, with counts and rate."""

from __future__ import annotations

import time

import click

from clearweights.cli._output import note, verbosity
from clearweights.generate.model import BlockStats, LeafResult
from clearweights.generate.observe import LeafProgress

_EVERY = 2.0  # seconds between progress lines of one leaf


def _block(stats: BlockStats) -> str:
    dropped = sum(stats.dropped.values())
    return f"{stats.block} {stats.inputs}->{stats.outputs}" + (f" (-{dropped})" if dropped else "")


class LinePrinter:
    """Prints a line per leaf start, a line every few seconds, and a summary per leaf.

    ``-q`` silences all but warnings (an unknown teacher licence is always said); ``--no-progress``
    drops the lines between a leaf's start and its summary.
    """

    def __init__(self) -> None:
        self._last = 0.0
        self._progress = verbosity().progress

    def warning(self, message: str) -> None:
        """Loud, on stderr."""
        click.echo(click.style(f"clearweights: WARNING: {message}", fg="red", bold=True), err=True)

    def leaf_started(self, leaf: str, units: int, resumed: int) -> None:
        """Name the leaf and its units."""
        again = f", {resumed} done already (checkpoint)" if resumed else ""
        note(f"{leaf}: {units} units of work{again}")
        self._last = time.monotonic()

    def unit_finished(self, progress: LeafProgress) -> None:
        """Counts per block and the rate, at most every few seconds."""
        now = time.monotonic()
        if not self._progress or (now - self._last < _EVERY and progress.done < progress.units):
            return
        self._last = now
        blocks = " | ".join(_block(s) for s in progress.stats)
        note(
            f"  {progress.done}/{progress.units} units, {progress.requests} requests, "
            f"{progress.rate:.2f} units/s | {blocks} | kept {progress.kept}"
        )

    def leaf_finished(self, result: LeafResult, seconds: float) -> None:
        """Per block: in, out, and each reason records were dropped for."""
        note(f"{result.leaf}: kept {len(result.samples)} samples in {seconds:.1f} s")
        for stats in result.stats:
            reasons = "; ".join(f"{why}: {n}" for why, n in stats.dropped.items())
            note(
                f"  {stats.block:<20} {stats.kind:<12} in {stats.inputs:>5}  out {stats.outputs:>5}"
                + (f"  dropped: {reasons}" if reasons else "")
            )
