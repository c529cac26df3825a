"""LoRA supervised fine-tuning with TRL's ``SFTTrainer`` and PEFT, offline.

The loss is on the assistant's answer only: samples go to TRL in the conversational
prompt/completion form, which needs no generation markers in the chat template, so any base
model's template works. Packing is padding-free (TRL's best-fit decreasing with position ids).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from clearweights.errors import InputError, UsageError
from clearweights.progress import Progress, Silent
from clearweights.tune import launch
from clearweights.tune.data import Sample, load_samples, split

ADAPTER_DIR = "adapter"
SUMMARY = "training.json"


@dataclass(frozen=True)
class TrainConfig:
    """What to train and how; the defaults suit a LoRA on a small model."""

    base: str  # a local model directory, or a repo id in the Hugging Face cache
    data: Path
    output: Path
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.0
    targets: str | tuple[str, ...] = "all-linear"
    learning_rate: float = 2e-4
    epochs: float = 1.0
    max_steps: int = -1
    max_length: int = 2048
    batch_size: int = 4
    gradient_accumulation: int = 1
    packing: bool = True
    gradient_checkpointing: bool = False
    holdout: float = 0.1  # kept out of training for `evaluate`
    seed: int = 0
    save_steps: int = 50
    threads: int | None = None  # CPU threads; None: torch's default
    logging: tuple[str, ...] = ()  # "tensorboard", "mlflow" (report_to)
    qlora: bool = False  # the base in 4-bit NF4 (bitsandbytes, a CUDA device)

    def __post_init__(self) -> None:
        if self.rank < 1 or self.alpha < 1:
            raise UsageError("--rank and --alpha must be positive")
        if not 0 <= self.holdout < 1:
            raise UsageError("--holdout must be in [0, 1)")
        if self.batch_size < 1 or self.max_length < 16:
            raise UsageError("--batch-size must be positive and --max-length at least 16")
        if self.save_steps < 1:
            raise UsageError("--save-steps must be positive")
        unknown = sorted(set(self.logging) - set(launch.REPORTERS))
        if unknown:
            raise UsageError(f"unknown --report-to {unknown[0]!r}",
                             hint="choose from mlflow, tensorboard or none")  # fmt: skip


def preflight(config: TrainConfig) -> None:
    """Refuse, before anything is written, a run this machine cannot do (QLoRA without
    bitsandbytes or a GPU; a logger that is not installed).

    Raises:
        UsageError: naming what is missing.
    """
    launch.check_reporters(config.logging)
    if config.qlora:
        launch.check_qlora()


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced."""

    adapter: Path
    steps: int
    losses: tuple[float, ...]
    train_samples: int
    held_out: int
    tokens: int
    seconds: float  # of this run; a resumed run's earlier part is not counted
    config: dict[str, Any] = field(default_factory=dict)
    tokens_before: int = 0  # trained before this run resumed

    @property
    def tokens_per_second(self) -> float:
        """This run's speed: the tokens it trained over the seconds it took."""
        return (self.tokens - self.tokens_before) / self.seconds if self.seconds else 0.0


def _checkpoint(output: Path) -> str | None:
    """The last complete checkpoint: the Trainer writes trainer_state.json last, so a run
    killed while saving leaves a folder without it, which is skipped."""
    found = sorted(
        (p for p in output.glob("checkpoint-*")
         if p.name.split("-")[-1].isdigit() and (p / "trainer_state.json").is_file()),
        key=lambda p: int(p.name.split("-")[-1]),
    )  # fmt: skip
    return str(found[-1]) if found else None


def load_base(
    base: str, *, adapter: Path | None = None, quantization: Any = None
) -> tuple[Any, Any]:
    """The base model and tokenizer, from a directory or the cache; never from the network.
    With *quantization* (a ``BitsAndBytesConfig``) the weights load in 4 bits on this
    process's GPU."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    placed: dict[str, Any] = {}
    if quantization is not None:
        placed = {"quantization_config": quantization, "dtype": quantization.bnb_4bit_quant_storage}
        if os.environ.get("ACCELERATE_USE_FSDP", "").lower() not in ("true", "1"):
            placed["device_map"] = {"": launch.local_rank()}  # FSDP places its shards itself
    try:
        tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, **placed)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot load the base model: {str(exc).splitlines()[0]}",
            path=base,
            hint="give a local model directory or a repo id already in the Hugging Face cache",
        ) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter))
    return model, tokenizer


def _rate(tokens: float, step: int, total: int, elapsed: float) -> str:
    """``, 412 tokens/s, ETA 0:00:31``: the speed and the time left, both counted from when
    this run began (after a resume too), from *step* of *total* steps done."""
    parts = []
    if elapsed > 0 and tokens > 0:
        parts.append(f"{tokens / elapsed:.0f} tokens/s")
    if total and step:
        left = int(elapsed / step * max(total - step, 0))
        parts.append(f"ETA {left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}")
    return (", " + ", ".join(parts)) if parts else ""


def _callback(progress: Progress) -> Any:
    from transformers import TrainerCallback

    class _Report(TrainerCallback):  # type: ignore[misc]
        # Only the main process speaks; the others train silently.
        started = 0.0
        first_step = total = tokens_before = 0

        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self.started, self.first_step = time.perf_counter(), state.global_step
            self.total = state.max_steps  # known now, also when set by epochs
            self.tokens_before = state.num_input_tokens_seen  # restored when resuming
            if state.is_world_process_zero:
                progress.start(self.total, "training")

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
            if logs and "loss" in logs and state.is_world_process_zero:
                done = state.global_step - self.first_step  # a resumed run counts from there
                tokens = float(state.num_input_tokens_seen - self.tokens_before)
                rate = _rate(tokens, done, self.total - self.first_step,
                             time.perf_counter() - self.started)  # fmt: skip
                progress.advance(
                    f"step {state.global_step}/{self.total} loss {logs['loss']:.4f}{rate}"
                )

        def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if state.is_world_process_zero:
                progress.finish()

    return _Report()


def _sft_config(config: TrainConfig) -> Any:
    import torch
    from trl import SFTConfig

    gpu = torch.cuda.is_available()
    return SFTConfig(
        output_dir=str(config.output),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.gradient_accumulation,
        learning_rate=config.learning_rate,
        max_length=config.max_length,
        packing=config.packing,
        padding_free=config.packing,
        completion_only_loss=True,
        **({"gradient_checkpointing": True} if config.gradient_checkpointing else {}),
        bf16=gpu and torch.cuda.is_bf16_supported(),
        use_cpu=not gpu,
        seed=config.seed,
        data_seed=config.seed,
        logging_steps=1,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=2,
        report_to=list(config.logging),
        # Counted by the Trainer and kept in checkpoints, so a resumed run's total is right;
        # padding-free packing has no padding to leave out.
        include_num_input_tokens_seen="all" if config.packing else "non_padding",
        disable_tqdm=True,
    )


def _dataset(samples: list[Sample]) -> Any:
    from datasets import Dataset

    return Dataset.from_list([s.as_prompt_completion() for s in samples])


def _model(config: TrainConfig) -> tuple[Any, Any]:
    """The base model (4-bit and prepared for k-bit training with ``qlora``) and tokenizer."""
    if not config.qlora:
        return load_base(config.base)
    import torch

    gpu = torch.cuda.is_available()
    dtype = launch.compute_dtype(gpu, gpu and torch.cuda.is_bf16_supported())
    model, tokenizer = load_base(config.base, quantization=launch.quantization_config(dtype))
    return launch.prepare_quantized(model, config.gradient_checkpointing), tokenizer


def _save_adapter(trainer: Any, tokenizer: Any, adapter: Path) -> None:
    """Save the LoRA weights (safetensors) and tokenizer once. Every process takes part in
    gathering the state dict (FSDP shards it); only the main process writes."""
    state_dict = trainer.accelerator.get_state_dict(trainer.model)
    if trainer.is_world_process_zero():
        model = trainer.accelerator.unwrap_model(trainer.model)
        model.save_pretrained(str(adapter), state_dict=state_dict, safe_serialization=True)
        tokenizer.save_pretrained(str(adapter))
    trainer.accelerator.wait_for_everyone()


def train(config: TrainConfig, *, progress: Progress | None = None) -> TrainResult:
    """Train a LoRA adapter on the samples (less the held-out split); resume if a checkpoint
    of the same output folder exists. Under ``accelerate launch`` every process calls this;
    the main one writes the adapter and ``training.json``.

    Raises:
        InputError: unreadable data or base model.
        UsageError: a bad setting, or one this machine cannot run (see :func:`preflight`).
    """
    preflight(config)
    samples, held = split(load_samples(config.data), config.holdout)
    if not samples:
        raise InputError("every sample is held out; lower --holdout", path=config.data)
    import torch
    from peft import LoraConfig
    from trl import SFTTrainer

    if config.threads:
        torch.set_num_threads(config.threads)
    model, tokenizer = _model(config)
    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=config.targets if isinstance(config.targets, str) else list(config.targets),
        task_type="CAUSAL_LM",
    )
    args = _sft_config(config)
    trainer = SFTTrainer(
        model=model, args=args, train_dataset=_dataset(samples),
        processing_class=tokenizer, peft_config=lora,
    )  # fmt: skip
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # progress goes to the injected observer
    report = _callback(progress or Silent())
    trainer.add_callback(report)
    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=_checkpoint(config.output))
    seconds = time.perf_counter() - started
    adapter = config.output / ADAPTER_DIR
    _save_adapter(trainer, tokenizer, adapter)
    history = trainer.state.log_history
    losses = tuple(float(h["loss"]) for h in history if "loss" in h)
    result = TrainResult(
        adapter, trainer.state.global_step, losses, len(samples), len(held),
        trainer.state.num_input_tokens_seen,
        seconds, {k: (list(v) if isinstance(v, tuple) else str(v) if isinstance(v, Path) else v)
                  for k, v in asdict(config).items()}, report.tokens_before,
    )  # fmt: skip
    if trainer.is_world_process_zero():
        _write_summary(config.output / SUMMARY, result)
    return result


def _write_summary(path: Path, result: TrainResult) -> None:
    doc = {
        "schema_version": 1,
        "adapter": str(result.adapter),
        "steps": result.steps,
        "losses": list(result.losses),
        "train_samples": result.train_samples,
        "held_out": result.held_out,
        "tokens": result.tokens,
        "seconds": round(result.seconds, 3),
        "tokens_per_second": round(result.tokens_per_second, 1),
        "hyperparameters": result.config,
    }
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_summary(output: Path) -> dict[str, Any]:
    """The ``training.json`` a run wrote (hyperparameters, losses), for the release's card."""
    from clearweights._untrusted import read_json

    doc = read_json(output / SUMMARY)
    if not isinstance(doc, dict):
        raise InputError("not a training summary", path=output / SUMMARY)
    return doc
