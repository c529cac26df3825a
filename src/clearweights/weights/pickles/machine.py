"""A simulation of the pickle machine: every opcode of protocols 0 to 5, with a stack and memo.

It computes which objects each import becomes and how they are used, so that operands built
through the memo or shuffled by decoy stack operations resolve exactly as ``pickle.load``
would resolve them. Nothing is imported, called or unpickled.
"""

from __future__ import annotations

import _compat_pickle
from dataclasses import dataclass, field

from clearweights.weights.pickles.allowlist import ARG_ROLES
from clearweights.weights.pickles.reader import Reader
from clearweights.weights.pickles.values import (
    OPAQUE,
    Budget,
    Container,
    Global,
    Instance,
    PickleError,
)

MAX_STACK = 1 << 21
MAX_MEMO = 1 << 19
_JOBLIB_WRAPPERS = frozenset({
    "joblib.numpy_pickle.NumpyArrayWrapper",
    "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
})  # fmt: skip


@dataclass
class Scan:
    """What the simulation of one stream found; filled as it goes, so a break keeps it all."""

    member: str
    globals: list[Global] = field(default_factory=list)
    issues: list[tuple[str, int, str]] = field(default_factory=list)  # member, offset, reason
    persistent: list[object] = field(default_factory=list)
    budget: Budget = field(default_factory=Budget)

    def issue(self, offset: int, reason: str) -> None:
        self.issues.append((self.member, offset, reason))


class Machine:
    """Runs pickles from one stream, one after another; the memo outlives each STOP."""

    def __init__(self, reader: Reader, scan: Scan) -> None:
        self.r = reader
        self.scan = scan
        self.stack: list[object] = []
        self.marks: list[int] = []
        self.memo: dict[int, object] = {}
        self.memo_full = False
        self.proto = 0
        self.at = 0  # offset of the opcode being run
        self.nested = 0

    # -- helpers -----------------------------------------------------------------------------
    def push(self, value: object) -> None:
        if len(self.stack) >= MAX_STACK:
            raise PickleError(f"more than {MAX_STACK} values on the stack")
        self.stack.append(value)

    def pop(self) -> object:
        if not self.stack:
            raise PickleError(f"stack underflow at offset {self.at}")
        return self.stack.pop()

    def top(self) -> object:
        if not self.stack:
            raise PickleError(f"stack underflow at offset {self.at}")
        return self.stack[-1]

    def pop_mark(self) -> list[object]:
        if not self.marks:
            raise PickleError(f"no MARK for the opcode at offset {self.at}")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def container(self, kind: str) -> Container:
        return Container(kind, budget=self.scan.budget)

    def new_global(self, module: object, name: object, how: str) -> Global:
        if isinstance(module, str) and isinstance(name, str):
            if self.proto < 3:  # pickle's fix_imports maps Python 2 names
                module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
                module = _compat_pickle.IMPORT_MAPPING.get(module, module)
            found = Global(module, name, self.at, self.scan.member)
        else:
            found = Global(None, None, self.at, self.scan.member)
            self.scan.issue(self.at, f"{how} operands cannot be resolved to a module and a name")
        self.scan.globals.append(found)
        return found

    def use(self, callable_: object, use: str, args: tuple[object, ...] = ()) -> None:
        """Record that *callable_* is called (or rebuilt) with *args*."""
        if not isinstance(callable_, Global):
            self.scan.issue(self.at, "calls an object the scan cannot resolve to an import")
            return
        callable_.uses.add(use)
        for arg, role in zip(args, ARG_ROLES.get(callable_.qualified, ()), strict=False):
            if isinstance(arg, Global):
                arg.uses.add(role)

    # -- running -----------------------------------------------------------------------------
    def run(self) -> object:
        """Run one pickle to its STOP and return the value it leaves."""
        self.stack, self.marks = [], []
        from clearweights.weights.pickles.opcodes import OPS as ops

        reader = self.r
        while True:
            self.at = reader.pos
            code = reader.byte()
            if code is None:
                raise EOFError(f"the pickle ends without STOP at offset {self.at}")
            op = ops.get(code)
            if op is None:
                raise PickleError(f"invalid opcode 0x{code:02x} at offset {self.at}")
            if code == 0x2E:  # STOP
                return self.pop()
            op(self)

    def memo_put(self, key: int, value: object) -> None:
        if len(self.memo) < MAX_MEMO or key in self.memo:
            self.memo[key] = value
        else:
            self.memo_full = True

    def memo_get(self, key: int) -> object:
        if key in self.memo:
            return self.memo[key]
        if self.memo_full:
            return OPAQUE
        raise PickleError(f"memo key {key} read before it is written, at offset {self.at}")

    def build(self) -> None:
        state = self.pop()
        inst = self.top()
        if isinstance(inst, Global):
            self.scan.issue(self.at, "BUILD sets attributes on an imported object")
        elif isinstance(inst, Instance):
            inst.state = state
            cls = inst.cls
            if isinstance(cls, Global) and cls.qualified in _JOBLIB_WRAPPERS:
                self.joblib_array(state)

    def joblib_array(self, state: object) -> None:
        """joblib writes array bytes (or a nested pickle) right after the wrapper's BUILD."""
        info = state.mapping if isinstance(state, Container) else {}
        dtype = info.get("dtype")
        shape = info.get("shape")
        args = dtype.args if isinstance(dtype, Instance) else ()
        spec = args[0] if args and isinstance(args[0], str) else None
        if spec is None or not isinstance(shape, tuple):
            raise PickleError(f"joblib array wrapper without a readable dtype at {self.at}")
        if spec.startswith("O"):
            if self.nested > 4:
                raise PickleError("joblib arrays nested too deeply")
            self.nested += 1
            inner = Machine(self.r, self.scan)
            inner.memo, inner.nested = {}, self.nested
            inner.run()
            self.nested -= 1
            return
        count = 1
        for dim in shape:
            count *= dim if isinstance(dim, int) and dim >= 0 else 0
        if info.get("numpy_array_alignment_bytes") is not None:
            pad = self.r.byte()
            self.r.skip(pad or 0)
        self.r.skip(count * _itemsize(spec, dtype))


def _itemsize(spec: str, dtype: object) -> int:
    digits = "".join(c for c in spec if c.isdigit())
    kind = spec.lstrip("<>|=")[:1]
    state = dtype.state if isinstance(dtype, Instance) else None
    if isinstance(state, tuple) and len(state) > 5 and isinstance(state[5], int) and state[5] > 0:
        return state[5]  # flexible types (str, bytes, void) carry their element size
    size = int(digits) if digits else 1
    return size * 4 if kind == "U" else size
