"""Where a training run runs: one process, or several under ``accelerate launch`` (DDP or
FSDP); full precision or QLoRA; and which optional loggers it may report to.

Everything here is checked before the licence gate writes anything, so a run that cannot
happen (QLoRA without a GPU, MLflow not installed) stops with a clear message and no output.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from typing import Any, TypeVar

from clearweights.errors import UsageError

T = TypeVar("T")

# What each ``--report-to`` needs installed: any one of the modules.
REPORTERS: dict[str, tuple[str, ...]] = {
    "tensorboard": ("tensorboard", "tensorboardX"),
    "mlflow": ("mlflow",),
}
_INSTALL = {"tensorboard": "pip install 'tensorboardX>=2.6,<3'", "mlflow": "pip install mlflow"}


def world_size() -> int:
    """How many processes train together (``accelerate launch`` and torchrun set WORLD_SIZE)."""
    try:
        return max(1, int(os.environ.get("WORLD_SIZE", "1")))
    except ValueError:
        return 1


def is_main_process() -> bool:
    """Whether this process writes the run's files and speaks (rank 0, or the only one)."""
    if world_size() > 1:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return bool(dist.get_rank() == 0)
    return os.environ.get("RANK", "0") == "0"


def local_rank() -> int:
    try:
        return int(os.environ.get("LOCAL_RANK", "0"))
    except ValueError:
        return 0


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check_reporters(names: tuple[str, ...]) -> None:
    """Refuse a logger that is unknown or not installed, naming what to install.

    Raises:
        UsageError: an unknown name, or its package is missing.
    """
    for name in names:
        if name not in REPORTERS:
            choices = ", ".join(sorted(REPORTERS))
            raise UsageError(f"unknown --report-to {name!r}", hint=f"choose from {choices} or none")
        if not any(_has(m) for m in REPORTERS[name]):
            raise UsageError(
                f"--report-to {name} needs {' or '.join(REPORTERS[name])}, which is not "
                "installed; nothing was trained or written",
                hint=_INSTALL[name],
            )


def check_qlora() -> None:
    """QLoRA needs bitsandbytes and a CUDA device; say which is missing.

    Raises:
        UsageError: bitsandbytes is not installed, or no CUDA device is visible.
    """
    import torch

    missing = []
    if not _has("bitsandbytes"):
        missing.append("bitsandbytes is not installed (pip install 'bitsandbytes>=0.45,<1')")
    if not torch.cuda.is_available():
        missing.append("no CUDA device is visible (4-bit NF4 weights need a GPU)")
    if missing:
        raise UsageError(
            "--qlora cannot run here: " + "; ".join(missing) + "; nothing was trained or written",
            hint="train without --qlora (LoRA in full precision), or on a machine with a GPU",
        )


def compute_dtype(gpu: bool, bf16: bool) -> str:
    """The dtype 4-bit weights are computed in: bf16 where the GPU has it, else fp16."""
    return "bfloat16" if gpu and bf16 else "float16"


def quantization_config(dtype: str) -> Any:
    """The QLoRA recipe: 4-bit NF4 with double quantisation, computed in *dtype*; the packed
    weights are stored in *dtype* too, so FSDP can shard them with the rest of the model."""
    import torch
    from transformers import BitsAndBytesConfig

    torch_dtype = getattr(torch, dtype)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch_dtype,
        bnb_4bit_quant_storage=torch_dtype,
    )


def prepare_quantized(model: Any, gradient_checkpointing: bool) -> Any:
    """PEFT's preparation of a k-bit model for training (norms in fp32, input grads on)."""
    from peft import prepare_model_for_kbit_training

    return prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing)


def run_once(compute: Callable[[], T]) -> T:
    """*compute* on the main process only; under ``accelerate launch`` every process gets its
    result (or its error), so the licence gate runs once and all processes obey it."""
    if world_size() == 1:
        return compute()
    import torch
    from accelerate import PartialState
    from accelerate.utils import broadcast_object_list

    state = PartialState(cpu=not torch.cuda.is_available())
    box: list[Any] = [None]
    if state.is_main_process:
        try:
            box[0] = ("ok", compute())
        except Exception as exc:  # every process must leave the broadcast, then fail alike
            box[0] = ("error", exc)
    broadcast_object_list(box, from_process=0)
    kind, value = box[0]
    if kind == "error":
        raise value
    result: T = value
    return result
