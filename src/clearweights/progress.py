"""Progress reporting through an injected observer; library code never prints."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives progress of long work (the CLI shows a bar; the default does nothing)."""

    def start(self, total: int, label: str) -> None:
        """Work of *total* steps begins."""

    def advance(self, description: str) -> None:
        """One step is done."""

    def finish(self) -> None:
        """The work is over."""


class Silent:
    """The default observer: ignores everything."""

    def start(self, total: int, label: str) -> None:
        """Ignore."""

    def advance(self, description: str) -> None:
        """Ignore."""

    def finish(self) -> None:
        """Ignore."""
