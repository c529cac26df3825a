"""Progress of a generation run through an injected observer (the CLI prints; the default is
silent), in the style of ``clearweights.progress``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from clearweights.generate.model import BlockStats, LeafResult


@dataclass(frozen=True)
class LeafProgress:
    """Where one leaf stands after a unit of work."""

    leaf: str
    done: int  # units finished, resumed ones included
    units: int
    stats: tuple[BlockStats, ...]  # per block, over the finished units
    kept: int  # records past every unit-scoped block
    requests: int  # requests sent to the teacher in this run
    seconds: float  # since the leaf started in this run
    generated: int  # units generated in this run (not resumed)

    @property
    def rate(self) -> float:
        """Units generated per second in this run."""
        return self.generated / self.seconds if self.seconds > 0 else 0.0


class GenerateObserver(Protocol):
    """Receives the progress of ``generate``."""

    def warning(self, message: str) -> None:
        """Something the user must know (an unknown teacher licence)."""

    def leaf_started(self, leaf: str, units: int, resumed: int) -> None:
        """A leaf begins; *resumed* units come from its checkpoint."""

    def unit_finished(self, progress: LeafProgress) -> None:
        """One unit of work is done."""

    def leaf_finished(self, result: LeafResult, seconds: float) -> None:
        """A leaf is done (its samples may still be zero: the run then fails)."""


class SilentObserver:
    """The default observer: ignores everything."""

    def warning(self, message: str) -> None:
        """Ignore."""

    def leaf_started(self, leaf: str, units: int, resumed: int) -> None:
        """Ignore."""

    def unit_finished(self, progress: LeafProgress) -> None:
        """Ignore."""

    def leaf_finished(self, result: LeafResult, seconds: float) -> None:
        """Ignore."""
