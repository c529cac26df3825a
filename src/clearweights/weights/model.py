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
class PickleIssue:
    """One reason a pickle-bearing file is unsafe to load, and where it is."""

    member: str  # the archive member ("" for the file itself)
    offset: int  # byte offset of the opcode or header, within the member
    reason: str

    def __str__(self) -> str:
        where = f"{self.member} " if self.member else ""
        return f"{where}offset {self.offset}: {self.reason}"


@dataclass(frozen=True)
class PickleScan:
    """The imports a pickle would perform, found by simulating its opcodes (never unpickling).

    ``issues`` holds every reason the file is unsafe to load (unsafe or unresolvable imports,
    archive tricks), with offsets; a file with none still needs trust to be loaded.
    """

    path: str
    imports: tuple[str, ...]  # "module.name" for every resolved import
    unsafe: tuple[str, ...]  # imports outside the allow-list
    error: str | None = None
    issues: tuple[PickleIssue, ...] = ()
    pickles: int = 0  # how many pickles were found (in the file and all its members)
    framework: str | None = None  # the known-benign layout recognised, e.g. "PyTorch checkpoint"

    @property
    def safe(self) -> bool:
        """No unsafe import and no archive trick (an unreadable part still needs a look)."""
        return not self.issues and not self.unsafe
