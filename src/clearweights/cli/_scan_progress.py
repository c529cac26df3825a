"""The progress bar of ``scan``: count, rate, ETA when the total is known, failures."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from clearweights.scale.items import Outcome


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "-/s")


class ScanBar:
    """Shows a scan on stderr (the CLI uses it only when stderr is a terminal)."""

    def __init__(self) -> None:
        self._bar = Progress(
            TextColumn("scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            _Rate(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[unchanged]} unchanged, {task.fields[failed]} failed"),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._bar.add_task("", total=None, unchanged=0, failed=0)
        self._unchanged = self._failed = 0

    def start(self, total: int | None) -> None:
        """Show the bar."""
        self._bar.update(self._task, total=total)
        self._bar.start()

    def advance(self, outcome: Outcome | None) -> None:
        """One release done."""
        self._unchanged += outcome is None
        self._failed += outcome is not None and outcome.failed
        self._bar.update(self._task, advance=1, unchanged=self._unchanged, failed=self._failed)

    def finish(self) -> None:
        """Remove the bar."""
        self._bar.stop()
