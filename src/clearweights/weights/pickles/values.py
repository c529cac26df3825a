"""What the simulated pickle machine keeps on its stack and in its memo.

Only what decides safety is modelled precisely (strings, imports, tuples, containers, the
callables behind objects); everything else is one opaque value. Nothing here is ever imported
or called.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

MAX_STRING = 256  # longer strings cannot name an import; they are kept as opaque values
MAX_ITEMS = 1 << 16  # items kept per container; more are counted, not kept


@dataclass
class Budget:
    """How many more container items one scan may keep (memory stays bounded)."""

    left: int = 1 << 22


class PickleError(ValueError):
    """The bytes stop being a pickle that ``pickle.load`` could run."""


class Opaque:
    """A value whose content does not matter to the scan (numbers, bytes, buffers)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<opaque>"


OPAQUE = Opaque()


@dataclass(eq=False)
class Global:
    """An import (GLOBAL, STACK_GLOBAL, INST); ``module`` is None when it cannot be resolved."""

    module: str | None
    name: str | None
    offset: int
    member: str
    uses: set[str] = field(default_factory=set)

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(eq=False)
class Instance:
    """What calling or constructing ``cls`` returns."""

    cls: object
    args: tuple[object, ...] = ()
    state: object = None


@dataclass(eq=False)
class Persistent:
    """A persistent id (how torch checkpoints point at their tensor storages)."""

    pid: object


@dataclass(eq=False)
class Container:
    """A list, dict or set built by the pickle; ``items`` is capped, ``count`` is not."""

    kind: str
    items: list[object] = field(default_factory=list)
    mapping: dict[object, object] = field(default_factory=dict)
    count: int = 0
    budget: Budget = field(default_factory=Budget)

    def add(self, value: object) -> None:
        self.count += 1
        if len(self.items) < MAX_ITEMS and self.budget.left > 0:
            self.budget.left -= 1
            self.items.append(value)

    def put(self, key: object, value: object) -> None:
        self.count += 1
        keep = len(self.mapping) < MAX_ITEMS and self.budget.left > 0
        if keep and isinstance(key, str | int | bytes | tuple):
            self.budget.left -= 1
            with contextlib.suppress(TypeError):  # an unhashable tuple
                self.mapping[key] = value
