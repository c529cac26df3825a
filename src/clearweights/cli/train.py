"""``clearweights train``: the licence gate, then LoRA fine-tuning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from clearweights.cli._output import note, progress_bar
from clearweights.errors import ExitCode

if TYPE_CHECKING:
    from clearweights.tune import TrainConfig


@click.command(name="train")
@click.option("--base", required=True, help="The base model: a local release or a cached repo id.")
@click.option(
    "--data",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="messages JSON Lines from `clearweights generate`.",
)
@click.option(
    "--output",
    "-o",
    "output",
    required=True,
    type=click.Path(path_type=Path),
    help="The run folder: checkpoints, adapter/, training.json, gate.json.",
)
@click.option("--policy", help="Also refuse inputs this policy forbids (e.g. commercial-product).")
@click.option("--student-family", help="The student's family, for teacher licences that except it.")
@click.option(
    "--license", "claimed", help="The licence you intend; corrected to the base's if it differs."
)
@click.option("--rank", default=8, show_default=True, type=int)
@click.option("--alpha", default=16, show_default=True, type=int)
@click.option("--learning-rate", default=2e-4, show_default=True, type=float)
@click.option("--epochs", default=1.0, show_default=True, type=float)
@click.option("--max-steps", default=-1, show_default=True, type=int, help="-1: by epochs.")
@click.option("--batch-size", default=4, show_default=True, type=int)
@click.option("--max-length", default=2048, show_default=True, type=int)
@click.option(
    "--holdout",
    default=0.1,
    show_default=True,
    type=float,
    help="Share of samples kept out for `evaluate`.",
)
@click.option(
    "--targets",
    default="all-linear",
    show_default=True,
    help="Modules LoRA adapts: all-linear, or names separated by commas (q_proj,v_proj).",
)
@click.option("--gradient-accumulation", default=1, show_default=True, type=int)
@click.option("--gradient-checkpointing", is_flag=True)
@click.option("--save-steps", default=50, show_default=True, type=int, help="Checkpoint every N.")
@click.option(
    "--qlora",
    is_flag=True,
    help="Load the base in 4-bit NF4 (needs bitsandbytes and a CUDA device).",
)
@click.option(
    "--report-to",
    "report_to",
    multiple=True,
    type=click.Choice(["none", "tensorboard", "mlflow"]),
    help="Also log to TensorBoard (run folder's runs/) or MLflow (repeatable; default none).",
)
@click.option("--seed", default=0, show_default=True, type=int)
def train_command(
    base: str,
    data: Path,
    output: Path,
    policy: str | None,
    student_family: str | None,
    claimed: str | None,
    rank: int,
    alpha: int,
    learning_rate: float,
    epochs: float,
    max_steps: int,
    batch_size: int,
    max_length: int,
    holdout: float,
    targets: str,
    gradient_accumulation: int,
    gradient_checkpointing: bool,
    save_steps: int,
    qlora: bool,
    report_to: tuple[str, ...],
    seed: int,
) -> int:
    """Check the licences of base model, data and teacher, then train a LoRA adapter.

    Exit 0 when trained, 1 when the licence gate refuses, 2 for usage errors (also --qlora
    without bitsandbytes or a GPU, a --report-to logger not installed), 3 when an input cannot
    be read. Under `accelerate launch`, the gate runs once and only the main process writes.

    \b
    Examples:
      clearweights train --base ./granite-tiny --data data/samples.jsonl -o runs/one
      clearweights train --base ./llama --data d.jsonl -o runs/two --policy commercial-product
      accelerate launch --config_file fsdp.yaml -m clearweights.cli.main train \\
          --base ./llama --data d.jsonl -o runs/three
    """
    from clearweights.tune import TrainConfig, train
    from clearweights.tune.launch import is_main_process, run_once
    from clearweights.tune.train import preflight

    names = tuple(t.strip() for t in targets.split(",") if t.strip())
    config = TrainConfig(
        base=base,
        data=data,
        output=output,
        rank=rank,
        alpha=alpha,
        learning_rate=learning_rate,
        epochs=epochs,
        max_steps=max_steps,
        batch_size=batch_size,
        max_length=max_length,
        holdout=holdout,
        targets=names[0] if names == ("all-linear",) else names,
        gradient_accumulation=gradient_accumulation,
        gradient_checkpointing=gradient_checkpointing,
        save_steps=save_steps,
        qlora=qlora,
        logging=tuple(sorted(set(report_to) - {"none"})),
        seed=seed,
    )
    preflight(config)  # before the gate writes anything
    allowed = run_once(lambda: _gate(config, policy, student_family, claimed))
    main = is_main_process()  # known for sure once run_once has joined the processes
    if not allowed:
        if main:
            click.echo("clearweights: the licence gate refuses this training run", err=True)
        return ExitCode.FAILED
    result = train(config, progress=progress_bar() if main else None)
    if main:
        last = f"{result.losses[-1]:.4f}" if result.losses else "n/a"
        note(
            f"trained {result.steps} steps on {result.train_samples} samples "
            f"({result.held_out} held out); final loss {last}; "
            f"{result.tokens_per_second:.0f} tokens/s; adapter: {result.adapter}"
        )
    return ExitCode.OK


def _gate(
    config: TrainConfig, policy: str | None, student: str | None, claimed: str | None
) -> bool:
    """The licence gate (main process only): show it, write gate.json, say whether to train."""
    from clearweights.audit import audit_release
    from clearweights.errors import ReleaseError
    from clearweights.policy import load_policy
    from clearweights.tune import load_samples, plan, provenance
    from clearweights.tune.gate import describe, plan_to_dict

    audited = audit_release(config.base, profiles=())
    if audited.error:
        raise ReleaseError(audited.error, path=config.base)
    chosen = load_policy(policy)[0] if policy else None
    gate = plan(
        audited,
        provenance(load_samples(config.data)),
        policy=chosen,
        student=student,
        claimed_license=claimed,
    )
    note(describe(gate))
    config.output.mkdir(parents=True, exist_ok=True)
    (config.output / "gate.json").write_text(
        json.dumps(plan_to_dict(gate), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return gate.allowed
