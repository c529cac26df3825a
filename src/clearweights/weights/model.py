"""What reading a weight file yields."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class WeightsHeader:
    """Header facts of one weight file; ``error`` is set when the header is unreadable."""

    path: str
    format: str  # safetensors, gguf, pickle, onnx, other
    parameters: int | None = None
    tensors: int | None = None
    dtypes: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    invalid: bool = False  # the header parses but contradicts the file (WEIGHTS-INVALID)


@dataclass(frozen=True)
class PickleScan:
    """The imports a pickle would perform, found by reading its opcodes (never by unpickling)."""

    path: str
    imports: tuple[str, ...]  # "module.name" for every GLOBAL / STACK_GLOBAL
    unsafe: tuple[str, ...]  # imports outside the allow-list
    error: str | None = None
