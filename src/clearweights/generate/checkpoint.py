"""Per-leaf checkpoints: one JSON line per finished unit of work, appended as it finishes.

The first line holds the run's fingerprint (pipeline, teacher, sampling, seed, system prompt);
a checkpoint from another configuration is refused rather than mixed in. A line cut short by
a kill is ignored, so its unit is generated again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from clearweights.errors import InputError, UsageError
from clearweights.generate.model import BlockStats

CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class UnitDone:
    """A finished unit as the checkpoint keeps it."""

    unit: str
    records: tuple[dict[str, Any], ...]
    stats: tuple[BlockStats, ...]
    finished: str  # ISO 8601 UTC time the unit finished


def slug(leaf: str) -> str:
    """A file name for a leaf path."""
    return re.sub(r"[^A-Za-z0-9._-]+", "__", leaf.strip("/")) or "leaf"


class Checkpoint:
    """The checkpoint file of one leaf."""

    def __init__(self, path: Path, fingerprint: dict[str, Any]) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self._handle: TextIO | None = None

    def load(self) -> dict[str, UnitDone]:
        """Finished units by id (empty when there is no checkpoint yet)."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the checkpoint: {exc}", path=self.path) from None
        if not lines:
            return {}
        try:
            head = json.loads(lines[0])
        except ValueError:
            head = None
        if not isinstance(head, dict) or head.get("fingerprint") != self.fingerprint:
            raise UsageError(
                "this checkpoint was written by a run with another pipeline, teacher, sampling, "
                "seed or system prompt",
                path=self.path,
                hint="use another --output directory, or delete the checkpoint to start over",
            )
        done: dict[str, UnitDone] = {}
        for line in lines[1:]:
            try:
                data = json.loads(line)
                entry = UnitDone(
                    str(data["unit"]),
                    tuple(data["records"]),
                    tuple(BlockStats.from_dict(s) for s in data["stats"]),
                    str(data["finished"]),
                )
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a kill: its unit is redone
            done[entry.unit] = entry
        return done

    def append(self, done: UnitDone) -> None:
        """Record a finished unit (written and flushed at once)."""
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not self.path.exists() or self.path.stat().st_size == 0
            self._handle = self.path.open("a", encoding="utf-8")
            if fresh:
                head = {"checkpoint": CHECKPOINT_VERSION, "fingerprint": self.fingerprint}
                self._handle.write(json.dumps(head, sort_keys=True) + "\n")
            elif not self._ends_with_newline():
                self._handle.write("\n")  # end a line cut short, so the next one parses
        line = {
            "finished": done.finished,
            "records": list(done.records),
            "stats": [s.as_dict() for s in done.stats],
            "unit": done.unit,
        }
        self._handle.write(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n")
        self._handle.flush()

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as f:
            f.seek(-1, 2)
            return f.read(1) == b"\n"

    def close(self) -> None:
        """Close the file."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
