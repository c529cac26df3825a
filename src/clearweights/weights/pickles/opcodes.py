"""The stack effect of every opcode of pickle protocols 0 to 5, keyed by opcode byte."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from clearweights.weights.pickles.allowlist import CALL, NEW
from clearweights.weights.pickles.values import (
    MAX_STRING,
    OPAQUE,
    Container,
    Instance,
    Persistent,
    PickleError,
)

if TYPE_CHECKING:
    from clearweights.weights.pickles.machine import Machine

Op = Callable[["Machine"], None]
MAX_MARKS = 1 << 21
OPS: dict[int, Op] = {}


def _s(data: bytes, encoding: str = "utf-8") -> object:
    """A decoded string operand, or OPAQUE when it cannot name anything."""
    if len(data) > MAX_STRING * 4:
        return OPAQUE
    try:
        text = (
            data.decode(encoding, "surrogatepass") if encoding == "utf-8" else data.decode(encoding)
        )
    except UnicodeDecodeError:
        return OPAQUE
    return text if len(text) <= MAX_STRING else OPAQUE


def _quoted(line: bytes) -> object:
    """The protocol-0 STRING argument: a quoted, escaped Python string."""
    if len(line) < 2 or line[0] != line[-1] or line[:1] not in (b"'", b'"'):
        raise PickleError("STRING argument is not quoted")
    try:
        return _s(line[1:-1].decode("ascii").encode("latin-1").decode("unicode_escape").encode())
    except (UnicodeError, ValueError):
        return OPAQUE


def _fmt(fmt: str) -> Callable[[Machine], int]:
    size = struct.calcsize(fmt)

    def read(m: Machine) -> int:
        value: int = struct.unpack(fmt, m.r.read(size))[0]
        return value

    return read


_u1, _u2, _i4, _u4, _u8 = _fmt("<B"), _fmt("<H"), _fmt("<i"), _fmt("<I"), _fmt("<Q")


def _counted(length: Callable[[Machine], int], kind: str) -> Op:
    """Opcodes with a length-prefixed argument: short ones are kept, long ones skipped."""

    def op(m: Machine) -> None:
        n = length(m)
        if n < 0:
            raise PickleError(f"negative length at offset {m.at}")
        if n > MAX_STRING * 4:
            m.r.skip(n)
            m.push(OPAQUE)
            return
        data = m.r.read(n)
        if kind == "str":
            m.push(_s(data))
        elif kind == "bstr":  # Python 2 str: decoded (pickle's default encoding is ASCII)
            m.push(_s(data, "latin-1"))
        else:
            m.push(OPAQUE if kind == "bytes" else data)

    return op


def _line_int(m: Machine) -> object:
    text = m.r.readline().strip().rstrip(b"L")
    if text in (b"00", b"01"):
        return text == b"01"
    try:
        return int(text)
    except ValueError:
        raise PickleError(f"invalid integer at offset {m.at}") from None


def _push(value: Callable[[Machine], object]) -> Op:
    return lambda m: m.push(value(m))


def _const(value: object) -> Op:
    return lambda m: m.push(value)


def _long(m: Machine, n: int) -> None:
    if n < 0:
        raise PickleError(f"negative length at offset {m.at}")
    if n > 64:
        m.r.skip(n)
        m.push(OPAQUE)
    else:
        m.push(int.from_bytes(m.r.read(n), "little", signed=True))


def _mark_tuple(m: Machine) -> None:
    m.push(tuple(m.pop_mark()))


def _tuple_n(n: int) -> Op:
    def op(m: Machine) -> None:
        if len(m.stack) < n or (m.marks and m.marks[-1] > len(m.stack) - n):
            raise PickleError(f"stack underflow at offset {m.at}")
        items = tuple(m.stack[len(m.stack) - n :]) if n else ()
        del m.stack[len(m.stack) - n :]
        m.push(items)

    return op


def _new(kind: str) -> Op:
    return lambda m: m.push(m.container(kind))


def _from_mark(kind: str) -> Op:
    def op(m: Machine) -> None:
        items = m.pop_mark()
        box = m.container(kind)
        if kind == "dict":
            for key, value in zip(items[::2], items[1::2], strict=False):
                box.put(key, value)
        else:
            for item in items:
                box.add(item)
        m.push(box)

    return op


def _append(m: Machine) -> None:
    value = m.pop()
    target = m.top()
    if isinstance(target, Container):
        target.add(value)


def _appends(m: Machine) -> None:
    items = m.pop_mark()
    target = m.top()
    if isinstance(target, Container):
        for item in items:
            target.add(item)


def _setitem(m: Machine) -> None:
    value, key = m.pop(), m.pop()
    target = m.top()
    if isinstance(target, Container):
        target.put(key, value)


def _setitems(m: Machine) -> None:
    items = m.pop_mark()
    target = m.top()
    if isinstance(target, Container):
        for key, value in zip(items[::2], items[1::2], strict=False):
            target.put(key, value)


def _pop(m: Machine) -> None:
    if m.stack and not (m.marks and m.marks[-1] == len(m.stack)):
        m.stack.pop()
    else:
        m.pop_mark()


def _mark(m: Machine) -> None:
    if len(m.marks) >= MAX_MARKS:
        raise PickleError(f"more than {MAX_MARKS} open MARKs at offset {m.at}")
    m.marks.append(len(m.stack))


def _global(m: Machine) -> None:
    module = _s(m.r.readline())
    name = _s(m.r.readline())
    m.push(m.new_global(module, name, "GLOBAL"))


def _stack_global(m: Machine) -> None:
    name, module = m.pop(), m.pop()
    m.push(m.new_global(module, name, "STACK_GLOBAL"))


def _instantiate(m: Machine, cls: object, args: tuple[object, ...]) -> None:
    m.use(cls, CALL if args else NEW, args)
    m.push(Instance(cls, args))


def _inst(m: Machine) -> None:
    module = _s(m.r.readline())
    name = _s(m.r.readline())
    cls = m.new_global(module, name, "INST")
    _instantiate(m, cls, tuple(m.pop_mark()))


def _obj(m: Machine) -> None:
    items = m.pop_mark()
    if not items:
        raise PickleError(f"OBJ without a class at offset {m.at}")
    _instantiate(m, items[0], tuple(items[1:]))


def _reduce(m: Machine) -> None:
    args, func = m.pop(), m.pop()
    arguments = args if isinstance(args, tuple) else ()
    m.use(func, CALL, arguments)
    m.push(Instance(func, arguments))


def _newobj(m: Machine) -> None:
    args, cls = m.pop(), m.pop()
    m.use(cls, NEW)
    m.push(Instance(cls, args if isinstance(args, tuple) else ()))


def _newobj_ex(m: Machine) -> None:
    m.pop()  # kwargs
    _newobj(m)


def _ext(size: Callable[[Machine], int]) -> Op:
    def op(m: Machine) -> None:
        code = size(m)
        m.scan.issue(m.at, f"EXT opcode imports extension code {code} from the copyreg registry")
        m.push(m.new_global(None, None, "EXT"))

    return op


def _put(key: Callable[[Machine], object]) -> Op:
    def op(m: Machine) -> None:
        index = key(m)
        if not isinstance(index, int) or index < 0:
            raise PickleError(f"invalid memo key at offset {m.at}")
        m.memo_put(index, m.top())

    return op


def _get(key: Callable[[Machine], object]) -> Op:
    def op(m: Machine) -> None:
        index = key(m)
        if not isinstance(index, int):
            raise PickleError(f"invalid memo key at offset {m.at}")
        m.push(m.memo_get(index))

    return op


def _proto(m: Machine) -> None:
    proto = _u1(m)
    if proto > 5:
        raise PickleError(f"unsupported pickle protocol {proto} at offset {m.at}")
    m.proto = proto


def _persid(m: Machine) -> None:
    pid = Persistent(_s(m.r.readline(), "ascii"))
    m.scan.persistent.append(pid.pid)
    m.push(pid)


def _binpersid(m: Machine) -> None:
    pid = m.pop()
    if len(m.scan.persistent) < 1 << 20:
        m.scan.persistent.append(pid)
    m.push(Persistent(pid))


def _dup(m: Machine) -> None:
    m.push(m.top())


def _float_line(m: Machine) -> None:
    m.r.readline()
    m.push(OPAQUE)


def _string(m: Machine) -> None:
    m.push(_quoted(m.r.readline().rstrip(b"\r")))


def _unicode(m: Machine) -> None:
    line = m.r.readline()
    try:
        text = line.decode("raw-unicode-escape")
    except UnicodeDecodeError:
        m.push(OPAQUE)
        return
    m.push(text if len(text) <= MAX_STRING else OPAQUE)


def _binfloat(m: Machine) -> None:
    m.r.skip(8)
    m.push(OPAQUE)


def _pop_mark(m: Machine) -> None:
    m.pop_mark()


def _nothing(m: Machine) -> None:
    """STOP is handled by the run loop; READONLY_BUFFER changes nothing that matters."""


def _build(m: Machine) -> None:
    m.build()


def _long1(m: Machine) -> None:
    _long(m, _u1(m))


def _long4(m: Machine) -> None:
    _long(m, _i4(m))


def _frame(m: Machine) -> None:
    _u8(m)  # frames only group opcodes: the same opcodes follow inline


def _memoize(m: Machine) -> None:
    m.memo_put(len(m.memo), m.top())


OPS.update({
    ord("("): _mark, ord("."): _nothing, ord("0"): _pop, ord("1"): _pop_mark,
    ord("2"): _dup, ord("F"): _float_line, ord("I"): _push(_line_int),
    ord("J"): _push(_i4), ord("K"): _push(_u1), ord("M"): _push(_u2),
    ord("L"): _push(_line_int), 0x8A: _long1, 0x8B: _long4,
    ord("N"): _const(None), 0x88: _const(True), 0x89: _const(False),
    ord("G"): _binfloat,
    ord("P"): _persid, ord("Q"): _binpersid, ord("R"): _reduce, ord("S"): _string,
    ord("T"): _counted(_i4, "bstr"), ord("U"): _counted(_u1, "bstr"),
    ord("B"): _counted(_u4, "bytes"), ord("C"): _counted(_u1, "bytes"),
    0x8E: _counted(_u8, "bytes"), 0x96: _counted(_u8, "bytes"),
    0x97: _const(OPAQUE), 0x98: _nothing,
    ord("V"): _unicode, ord("X"): _counted(_u4, "str"), 0x8C: _counted(_u1, "str"),
    0x8D: _counted(_u8, "str"),
    ord("]"): _new("list"), ord("a"): _append, ord("e"): _appends, ord("l"): _from_mark("list"),
    ord(")"): _const(()), ord("t"): _mark_tuple, 0x85: _tuple_n(1), 0x86: _tuple_n(2),
    0x87: _tuple_n(3), ord("}"): _new("dict"), ord("d"): _from_mark("dict"),
    ord("s"): _setitem, ord("u"): _setitems, 0x8F: _new("set"), 0x90: _appends,
    0x91: _from_mark("frozenset"),
    ord("g"): _get(_line_int), ord("h"): _get(_u1), ord("j"): _get(_u4),
    ord("p"): _put(_line_int), ord("q"): _put(_u1), ord("r"): _put(_u4), 0x94: _memoize,
    0x82: _ext(_u1), 0x83: _ext(_u2), 0x84: _ext(_i4),
    ord("c"): _global, 0x93: _stack_global, ord("b"): _build, ord("i"): _inst,
    ord("o"): _obj, 0x81: _newobj, 0x92: _newobj_ex, 0x80: _proto, 0x95: _frame,
})  # fmt: skip
