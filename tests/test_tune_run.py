"""How `clearweights train` runs: QLoRA where it can (refused with the reason where it cannot),
optional loggers, the [train] table of the config file, an interrupted run resumed, and
several processes under accelerate's launcher. A tiny Llama-shaped base built here."""

from __future__ import annotations

import json
import math
import os
import re
import struct
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("peft")

from clearweights.cli.main import main
from clearweights.errors import UsageError
from clearweights.tune import TrainConfig, train
from clearweights.tune.launch import compute_dtype, quantization_config
from clearweights.tune.train import preflight
from tests.tune_models import build_base, facts, vocabulary, write_samples

ROWS = facts(24)


def _fast(base: Path, data: Path, output: Path) -> TrainConfig:
    """Six steps, a checkpoint every two."""
    return TrainConfig(
        base=str(base), data=data, output=output, max_steps=6, batch_size=8,
        learning_rate=2e-2, rank=4, alpha=8, threads=1, max_length=128, holdout=0.0,
        save_steps=2,
    )  # fmt: skip


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("tune-run")
    return build_base(root / "base", vocabulary(ROWS)), write_samples(root / "data.jsonl", ROWS)


def test_qlora_recipe_is_4bit_nf4_double_quantised() -> None:
    import torch

    config = quantization_config(compute_dtype(gpu=True, bf16=True))
    assert config.load_in_4bit and not config.load_in_8bit
    assert config.bnb_4bit_quant_type == "nf4" and config.bnb_4bit_use_double_quant
    assert config.bnb_4bit_compute_dtype == torch.bfloat16
    assert config.bnb_4bit_quant_storage == torch.bfloat16  # FSDP shards the packed weights
    assert compute_dtype(gpu=True, bf16=False) == "float16"
    assert quantization_config("float16").bnb_4bit_compute_dtype == torch.float16


@pytest.mark.skipif(
    __import__("torch").cuda.is_available(), reason="the refusal is for machines without a GPU"
)
def test_qlora_refused_without_a_gpu_before_anything_is_written(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, data = inputs
    with pytest.raises(UsageError, match="no CUDA device is visible"):
        preflight(TrainConfig(base=str(base), data=data, output=tmp_path / "lib", qlora=True))
    out = tmp_path / "run"
    code = main(["train", "--base", str(base), "--data", str(data), "-o", str(out), "--qlora"])
    err = capsys.readouterr().err
    assert code == 2 and "--qlora cannot run here" in err and "no CUDA device" in err
    assert "hint: train without --qlora" in err
    assert not out.exists()  # refused before the licence gate wrote gate.json


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("mlflow") is not None, reason="mlflow is installed"
)
def test_report_to_mlflow_without_mlflow_is_refused(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, data = inputs
    out = tmp_path / "run"
    code = main(["train", "--base", str(base), "--data", str(data), "-o", str(out),
                 "--report-to", "mlflow"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "--report-to mlflow needs mlflow, which is not installed" in err
    assert "pip install mlflow" in err and not out.exists()


def _event_tags(folder: Path) -> set[str]:
    """The scalar tags in TensorBoard event files (TFRecord framing around Event protos)."""
    from tensorboardX.proto.event_pb2 import Event

    tags = set()
    for path in folder.rglob("events.out.tfevents.*"):
        data = path.read_bytes()
        at = 0
        while at + 12 <= len(data):
            (length,) = struct.unpack("<Q", data[at : at + 8])
            event = Event.FromString(data[at + 12 : at + 12 + length])
            tags |= {v.tag for v in event.summary.value}
            at += 12 + length + 4
    return tags


def test_cli_train_reads_its_config_table_and_flags_win(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tensorboardX")
    base, data = inputs
    project = tmp_path / "project"
    project.mkdir()
    (project / "data.jsonl").write_bytes(data.read_bytes())
    (project / "clearweights.toml").write_text(
        f'[train]\nbase = "{base}"\ndata = "data.jsonl"\nrank = 2\nalpha = 4\nmax-steps = 3\n'
        'batch-size = 8\nmax-length = 128\nholdout = 0.0\nlearning-rate = 0.02\n'
        'report-to = ["tensorboard"]\nsave-steps = 2\n', encoding="utf-8",
    )  # fmt: skip
    config = str(project / "clearweights.toml")
    code = main(["train", "--config", config, "-o", str(project / "run"), "--rank", "3", "-v"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "--alpha = 4 from clearweights.toml [train] alpha" in err
    assert "--data = " in err and "--rank = " not in err  # the flag, not the file
    summary = json.loads((project / "run" / "training.json").read_text())
    hyper = summary["hyperparameters"]
    assert (hyper["rank"], hyper["alpha"], hyper["max_steps"]) == (3, 4, 3)
    assert hyper["data"] == str(project / "data.jsonl")  # from the file's folder
    assert summary["steps"] == 3 and hyper["logging"] == ["tensorboard"]
    assert "train/loss" in _event_tags(project / "run" / "runs")
    (project / "clearweights.toml").write_text("[train]\nranks = 2\n", encoding="utf-8")
    code = main(["train", "--config", config, "-o", str(project / "again")])
    err = capsys.readouterr().err
    assert code == 2 and "[train] ranks: not an option of clearweights train" in err
    assert "did you mean 'rank'" in err and not (project / "again").exists()


class _Interrupt:
    """A progress observer that presses Ctrl-C once the run has logged *at* steps."""

    def __init__(self, at: int):
        self.at = at
        self.losses: list[float] = []

    def start(self, total: int, label: str) -> None:
        pass

    def advance(self, description: str) -> None:
        found = re.match(r"step (\d+)/\d+ loss ([\d.]+)", description)
        assert found, description
        self.losses.append(float(found[2]))
        if int(found[1]) >= self.at:
            raise KeyboardInterrupt

    def finish(self) -> None:
        pass


def test_interrupted_training_resumes_from_its_last_checkpoint(
    inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    base, data = inputs
    whole = train(_fast(base, data, tmp_path / "whole"))
    run = tmp_path / "interrupted"
    config = _fast(base, data, run)
    stop = _Interrupt(at=3)
    with pytest.raises(KeyboardInterrupt):
        train(config, progress=stop)
    assert sorted(p.name for p in run.glob("checkpoint-*")) == ["checkpoint-2"]
    assert not (run / "adapter").exists()
    resumed = train(config)
    assert resumed.steps == whole.steps == 6 and len(resumed.losses) == 6
    assert resumed.losses[:2] == pytest.approx(stop.losses[:2], abs=1e-4)  # kept, not redone
    # From the checkpoint's weights, optimizer, schedule and data order: the same run.
    assert resumed.losses == pytest.approx(whole.losses, rel=1e-3)
    assert all(math.isfinite(loss) for loss in resumed.losses)
    assert (run / "adapter" / "adapter_model.safetensors").is_file()
    # Its speed counts the tokens it trained itself, not those before the interruption.
    assert 0 < resumed.tokens_before < resumed.tokens == whole.tokens


def _launched(argv: list[str]) -> None:
    """One process of an accelerate launch: the CLI, as `accelerate launch -m` would run it."""
    from accelerate.state import AcceleratorState

    # A forked child inherits this test process's single-process state; a launched one starts
    # bare, as here.
    AcceleratorState._reset_state(reset_partial_state=True)
    code = main(argv)
    if code:
        raise SystemExit(f"rank {os.environ.get('RANK')}: exit {code}")


def _launch(argv: list[str], processes: int) -> None:
    from accelerate import debug_launcher

    debug_launcher(_launched, args=(argv,), num_processes=processes)


@pytest.mark.slow  # two processes each load torch's training stack: over a minute on 2 cores
def test_train_under_accelerate_with_two_processes(
    inputs: tuple[Path, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    base, data = inputs
    out = tmp_path / "run"
    argv = ["train", "--base", str(base), "--data", str(data), "-o", str(out), "--max-steps",
            "4", "--batch-size", "4", "--max-length", "128", "--holdout", "0", "--rank", "2",
            "--learning-rate", "0.02", "--save-steps", "2"]  # fmt: skip
    _launch(argv, processes=2)
    err = capfd.readouterr().err
    assert err.count("base model licence:") == 1, err  # the gate ran and spoke once
    assert err.count("trained 4 steps") == 1, err  # only the main process speaks
    summary = json.loads((out / "training.json").read_text())
    assert summary["steps"] == 4 and json.loads((out / "gate.json").read_text())["allowed"]
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    _launch([*argv, "--max-steps", "6"], processes=2)  # the last --max-steps wins; resumes
    again = json.loads((out / "training.json").read_text())
    assert again["steps"] == 6 and again["losses"][:4] == summary["losses"]


def test_the_documented_fsdp_config_is_one_accelerate_reads(tmp_path: Path) -> None:
    from accelerate.commands.config.config_args import ClusterConfig

    doc = (Path(__file__).parents[1] / "docs" / "finetuning.md").read_text(encoding="utf-8")
    found = re.search(r"```yaml\n# fsdp.yaml\n(.*?)```", doc, re.S)
    assert found, "docs/finetuning.md lost its FSDP example"
    (tmp_path / "fsdp.yaml").write_text(found[1], encoding="utf-8")
    config = ClusterConfig.from_yaml_file(str(tmp_path / "fsdp.yaml"))  # unknown top keys raise
    assert config.distributed_type.value == "FSDP" and config.num_processes == 8
    assert config.fsdp_config["fsdp_version"] == 2 and config.mixed_precision == "bf16"
    from accelerate.commands.launch import launch_command_parser

    # The fsdp_config keys become `accelerate launch` arguments: each must be one it knows.
    known = {action.dest for action in launch_command_parser()._actions}
    assert set(config.fsdp_config) <= known, set(config.fsdp_config) - known


def test_progress_reports_tokens_per_second_and_time_left() -> None:
    from clearweights.tune.train import _rate

    assert _rate(1000.0, 2, 6, 10.0) == ", 100 tokens/s, ETA 0:00:20"
    assert _rate(50.0, 1, 3601, 1.0) == ", 50 tokens/s, ETA 1:00:00"
    assert _rate(0.0, 0, 0, 0.0) == ""


def test_the_documented_train_table_holds_train_options_only(tmp_path: Path) -> None:
    from clearweights.cli._options import long_name
    from clearweights.cli.train import train_command
    from clearweights.config import load_config

    doc = (Path(__file__).parents[1] / "docs" / "finetuning.md").read_text(encoding="utf-8")
    found = re.search(r"```toml\n(\[tool\.clearweights\.train\]\n.*?)```", doc, re.S)
    assert found, "docs/finetuning.md lost its [tool.clearweights.train] example"
    (tmp_path / "pyproject.toml").write_text(found[1], encoding="utf-8")
    table = load_config(tmp_path / "pyproject.toml").section("train")
    options = {long_name(p) for p in train_command.params}
    assert table and set(table) <= options, set(table) - options
