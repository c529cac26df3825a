"""Which imports a pickle may perform, judged by how the pickle uses them.

Three uses are told apart: ``call`` (REDUCE, or INST/OBJ with arguments: the callable runs),
``new`` (NEWOBJ, ``copyreg._reconstructor``: only ``cls.__new__`` runs, then ``__setstate__``)
and ``value`` (the object is only referenced). Any import from outside the trusted namespaces,
any call of a callable that is not listed, and any nested loader is unsafe.
"""

from __future__ import annotations

from collections.abc import Iterable

CALL, NEW, VALUE = "call", "new", "value"

# Callables that run another unrestricted load (or code) on data inside the pickle: never safe,
# even when only referenced, even inside a trusted namespace.
NESTED_LOADS = frozenset({
    "torch.load", "torch.storage._load_from_bytes", "torch.serialization.load",
    "torch.serialization._legacy_load", "torch.jit.load", "torch.jit._serialization.load",
    "torch.hub.load", "torch.hub.load_state_dict_from_url", "torch._C.import_ir_module",
    "pickle.loads", "pickle.load", "pickle.Unpickler", "pickle._loads", "pickle._load",
    "_pickle.loads", "_pickle.load", "_pickle.Unpickler", "cPickle.loads", "cPickle.load",
    "numpy.load", "numpy.lib.npyio.load", "numpy.lib._npyio_impl.load", "numpy.loads",
    "numpy.core.numeric.loads", "numpy.lib.format.read_array", "numpy.ma.core._mareconstruct",
    "joblib.load", "joblib.numpy_pickle.load", "sklearn.externals.joblib.load",
    "sklearn.externals.joblib.numpy_pickle.load", "dill.loads", "dill.load", "dill._dill.loads",
    "cloudpickle.loads", "cloudpickle.load", "marshal.loads", "marshal.load",
    "pandas.read_pickle", "pandas.io.pickle.read_pickle", "shelve.open", "keras.models.load_model",
    "transformers.modeling_utils.load_state_dict",
})  # fmt: skip

# Namespaces whose import is harmless: their objects may be referenced, and their classes
# rebuilt through __new__ and __setstate__ (how estimators and argument objects are pickled).
TRUSTED_NAMESPACES = (
    "sklearn", "numpy", "scipy", "transformers", "torch.nn", "torch.optim", "torch.amp",
    "pytorch_lightning", "lightning", "lightning_fabric", "omegaconf", "collections",
    "datetime", "pathlib", "argparse", "typing", "enum", "decimal", "fractions", "uuid",
    "accelerate", "peft", "tokenizers",
)  # fmt: skip

_TORCH_STORAGES = (
    "FloatStorage", "HalfStorage", "BFloat16Storage", "DoubleStorage", "LongStorage",
    "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
    "ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage", "QUInt8Storage",
    "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage",
)  # fmt: skip
_TORCH_DTYPES = (
    "float16", "float32", "float64", "bfloat16", "half", "float", "double", "int8", "int16",
    "int32", "int64", "uint8", "bool", "complex64", "complex128", "float8_e4m3fn",
    "float8_e5m2", "long", "int", "short", "strided", "sparse_coo", "sparse_csr",
    "contiguous_format", "channels_last", "preserve_format", "channels_last_3d",
)  # fmt: skip

# Callables safe to call with any arguments: constructors of plain data and the rebuild
# functions of tensors and arrays.
SAFE_CALLS = frozenset({
    *(f"builtins.{n}" for n in (
        "set", "frozenset", "slice", "complex", "bytearray", "bytes", "int", "float", "str",
        "tuple", "list", "dict", "bool", "object", "range")),
    *(f"__builtin__.{n}" for n in ("set", "frozenset", "slice", "complex", "object", "unicode")),
    "collections.OrderedDict", "collections.defaultdict", "collections.Counter",
    "collections.deque", "copyreg._reconstructor", "copy_reg._reconstructor",
    "copyreg.__newobj__", "copyreg.__newobj_ex__", "_codecs.encode",
    *(f"torch.{n}" for n in (*_TORCH_STORAGES, "Size", "device", "dtype")),
    *(f"torch._utils.{n}" for n in (
        "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
        "_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_sparse_tensor",
        "_rebuild_meta_tensor_no_storage", "_rebuild_wrapper_subclass",
        "_rebuild_device_tensor_from_numpy", "_rebuild_nested_tensor")),
    "torch._tensor._rebuild_from_type_v2", "torch._tensor._rebuild_from_type",
    "torch.serialization._get_layout", "torch.storage.UntypedStorage",
    "torch.storage.TypedStorage", "torch.nn.parameter.Parameter",
    *(f"numpy.{m}.{n}" for m in ("core.multiarray", "_core.multiarray")
      for n in ("_reconstruct", "scalar")),
    "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer",
    "numpy.dtype", "numpy.ndarray", "numpy.random._pickle.__randomstate_ctor",
    "numpy.random._pickle.__generator_ctor", "numpy.random._pickle.__bit_generator_ctor",
    "numpy.random.__RandomState_ctor", "numpy.ma.core.MaskedArray",
    "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.PurePosixPath",
    "pathlib.PureWindowsPath", "pathlib.Path", "datetime.datetime", "datetime.date",
    "datetime.time", "datetime.timedelta", "datetime.timezone", "decimal.Decimal",
    "fractions.Fraction", "uuid.UUID", "argparse.Namespace", "re._compile",
    # Enums of Hugging Face TrainingArguments: calling an Enum class looks up a member.
    *(f"transformers.trainer_utils.{n}" for n in (
        "IntervalStrategy", "HubStrategy", "SchedulerType", "SaveStrategy",
        "EvaluationStrategy", "FSDPOption", "HPSearchBackend")),
    "transformers.training_args.OptimizerNames", "transformers.debug_utils.DebugOption",
    "transformers.utils.generic.ExplicitEnum", "accelerate.utils.dataclasses.DistributedType",
    # joblib's array wrapper only stores its fields; joblib.load itself is the loader.
    "joblib.numpy_pickle.NumpyArrayWrapper", "joblib.numpy_pickle.NDArrayWrapper",
    "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
    # scikit-learn's Cython objects rebuild through these module-level helpers.
    "sklearn.neighbors._kd_tree.newObj", "sklearn.neighbors._ball_tree.newObj",
    "sklearn.neighbors._binary_tree.newObj", "sklearn.metrics._dist_metrics.newObj",
    "pytorch_lightning.utilities.parsing.AttributeDict",
    "lightning_fabric.utilities.data.AttributeDict",
    "lightning.fabric.utilities.data.AttributeDict",
})  # fmt: skip

# Torch objects that are only referenced (dtypes, layouts): harmless as values.
SAFE_VALUES = frozenset(f"torch.{n}" for n in _TORCH_DTYPES)

# Safe callables that call (or rebuild) some of their positional arguments.
ARG_ROLES: dict[str, tuple[str, ...]] = {
    "copyreg._reconstructor": (NEW, CALL),
    "copy_reg._reconstructor": (NEW, CALL),
    "copyreg.__newobj__": (NEW,),
    "copyreg.__newobj_ex__": (NEW,),
    "collections.defaultdict": (CALL,),
    "torch._tensor._rebuild_from_type_v2": (CALL, NEW),
    "torch._tensor._rebuild_from_type": (CALL, NEW),
    "torch._utils._rebuild_wrapper_subclass": (NEW,),
    "numpy.core.multiarray._reconstruct": (NEW,),
    "numpy._core.multiarray._reconstruct": (NEW,),
}


def _estimator_class(module: str, name: str) -> bool:
    """scikit-learn classes (estimators, trees, losses): their constructors only store fields."""
    return (
        (module == "sklearn" or module.startswith("sklearn."))
        and name[:1].isupper()
        and ("." not in name and "_testing" not in module)
    )


def _cython_rebuild(module: str, name: str) -> bool:
    """Cython's generated ``__pyx_unpickle_<Class>`` of numpy, scipy and scikit-learn: they
    rebuild one extension class (checking its layout) and call nothing else."""
    top = module.partition(".")[0]
    return (
        top in {"numpy", "scipy", "sklearn"}
        and name.startswith("__pyx_unpickle_")
        and (name[len("__pyx_unpickle_") :].isidentifier())
    )


def trusted_namespace(qualified: str) -> bool:
    """Whether *qualified* lies inside a namespace whose import is harmless."""
    return any(qualified.startswith(ns + ".") for ns in TRUSTED_NAMESPACES)


def judge(module: str, name: str, uses: Iterable[str]) -> str | None:
    """Why importing ``module.name`` and using it as *uses* is unsafe, or None when it is safe."""
    qualified = f"{module}.{name}"
    if qualified in NESTED_LOADS:
        return "a nested unrestricted load"
    if qualified in SAFE_CALLS:
        return None
    used = set(uses)
    if qualified in SAFE_VALUES and used <= {VALUE}:
        return None
    if not trusted_namespace(qualified):
        return "outside the allow-list"
    if _cython_rebuild(module, name):
        return None
    if any(part.startswith("__") for part in name.split(".")):
        return "reaches a private attribute"  # ``cls.__init__.__globals__`` and the like
    if CALL in used and not _estimator_class(module, name):
        return "called, and not a known-safe callable"
    return None
