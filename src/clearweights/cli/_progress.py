"""A rich progress bar on stderr for long work (only when stderr is a terminal)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class BarProgress:
    """Shows the progress of an audit of many releases."""

    def __init__(self) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
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
