"""Rich progress bars on stderr for long work (the CLI shows them only on a terminal)."""

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


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "-/s")


def _bar(*columns: ProgressColumn) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *columns,
        console=Console(stderr=True),
        transient=True,
    )


class BarProgress:
    """Shows the progress of an audit of many releases."""

    def __init__(self) -> None:
        self._bar = _bar(TimeRemainingColumn())
        self._task = self._bar.add_task("", total=0)

    def start(self, total: int, label: str) -> None:
        """Show the bar."""
        self._bar.update(self._task, total=total, description=label)
        self._bar.start()

    def advance(self, description: str) -> None:
        """One release done."""
        self._bar.update(self._task, advance=1, description=description[-40:])

    def finish(self) -> None:
        """Remove the bar."""
        self._bar.stop()


class ScanBar:
    """Shows a scan: count, rate, elapsed time, ETA when the total is known, failures.

    A :class:`clearweights.scale.ScanObserver`.
    """

    def __init__(self) -> None:
        counts = TextColumn("{task.fields[unchanged]} unchanged, {task.fields[failed]} failed")
        self._bar = _bar(_Rate(), TimeElapsedColumn(), TimeRemainingColumn(), counts)
        self._task = self._bar.add_task("scanning", total=None, unchanged=0, failed=0)
        self._unchanged = self._failed = 0

    def start(self, total: int | None) -> None:
        """Show the bar."""
        self._bar.update(self._task, total=total)
        self._bar.start()

    def advance(self, audited: int, unchanged: int, failed: int) -> None:
        """More releases done."""
        self._unchanged += unchanged
        self._failed += failed
        self._bar.update(
            self._task,
            advance=audited + unchanged,
            unchanged=self._unchanged,
            failed=self._failed,
        )

    def finish(self) -> None:
        """Remove the bar."""
        self._bar.stop()
