"""Fine-tuning output placed by what each file is: Trainer checkpoints, state, PEFT adapters."""

from __future__ import annotations

import io
import pickletools
from pathlib import Path

import pytest

from clearweights.audit import audit_release
from clearweights.components import Component, MofComponent
from clearweights.inventory import assign, build_inventory
from clearweights.sources import open_release
from tests.build import card, config, licence, pickled_global, safetensors, write

M = MofComponent


def _components(root: Path) -> dict[MofComponent, Component]:
    return build_inventory(open_release(str(root))).components


def test_trainer_output_is_placed_by_what_each_file_is(tmp_path: Path) -> None:
    root = tmp_path / "llama-3.2-1b-sft"
    licence("Apache-2.0", root / "LICENSE")
    args = pickled_global(
        "transformers.training_args", "TrainingArguments", {"output_dir": "out", "seed": "42"}
    )
    assert "TrainingArguments" in _disassembly(args)
    for folder in (root, root / "checkpoint-500"):
        safetensors(folder / "model.safetensors")
        config(folder / "config.json", "LlamaForCausalLM", "llama")
        (folder / "training_args.bin").write_bytes(args)
        write(folder / "trainer_state.json", '{"global_step": 500, "log_history": []}\n')
    for name in ("optimizer.pt", "scheduler.pt", "rng_state.pth"):
        state = pickled_global("collections", "OrderedDict", {})
        (root / "checkpoint-500" / name).write_bytes(state)
    write(root / "all_results.json", '{"eval_loss": 1.2}\n')
    components = _components(root)
    assert components[M.MODEL_PARAMETERS_FINAL].paths == ("model.safetensors",)
    metadata = components[M.MODEL_METADATA]
    assert set(metadata.paths) == {"training_args.bin", "trainer_state.json"}
    assert "training arguments" in metadata.reason
    intermediate = set(components[M.MODEL_PARAMETERS_INTERMEDIATE].paths)
    assert intermediate == {
        f"checkpoint-500/{n}"
        for n in ("model.safetensors", "config.json", "training_args.bin", "trainer_state.json",
                  "optimizer.pt", "scheduler.pt", "rng_state.pth")
    }  # fmt: skip
    assert components[M.MODEL_ARCHITECTURE].paths == ("config.json",)
    # Placement never hides a pickle from the scanner: every one is read (never loaded).
    scanned = {scan.path for scan in audit_release(str(root)).pickles}
    assert "training_args.bin" in scanned and "checkpoint-500/optimizer.pt" in scanned


def _disassembly(data: bytes) -> str:
    out = io.StringIO()
    pickletools.dis(data, out=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("optimizer.pt", M.MODEL_PARAMETERS_INTERMEDIATE),
        ("scheduler.pt", M.MODEL_PARAMETERS_INTERMEDIATE),
        ("rng_state_3.pth", M.MODEL_PARAMETERS_INTERMEDIATE),
        ("random_states_0.pkl", M.MODEL_PARAMETERS_INTERMEDIATE),
        ("global_step500/mp_rank_00_model_states.pt", M.MODEL_PARAMETERS_INTERMEDIATE),
        ("training_args.bin", M.MODEL_METADATA),
        ("trainer_state.json", M.MODEL_METADATA),
        ("pytorch_model.bin", M.MODEL_PARAMETERS_FINAL),
        ("adapter_model.safetensors", M.MODEL_PARAMETERS_FINAL),
        ("adapter_config.json", M.MODEL_ARCHITECTURE),
        ("checkpoint-200/adapter_model.safetensors", M.MODEL_PARAMETERS_INTERMEDIATE),
    ],
)
def test_fine_tuning_files(path: str, kind: MofComponent) -> None:
    placed = assign(path)
    assert placed is not None and placed[0] is kind, placed


def test_a_peft_adapter_is_the_final_parameters(tmp_path: Path) -> None:
    root = tmp_path / "llama-3.1-8b-lora-med"
    write(
        root / "adapter_config.json",
        '{"base_model_name_or_path": "meta-llama/Llama-3.1-8B", "peft_type": "LORA", "r": 16,\n'
        ' "lora_alpha": 32, "target_modules": ["q_proj", "v_proj"], "task_type": "CAUSAL_LM"}\n',
    )
    safetensors(root / "adapter_model.safetensors", {"base_model.model.lora_A.weight": [16, 4]})
    write(
        root / "README.md",
        card(
            "base_model: meta-llama/Llama-3.1-8B\nlibrary_name: peft\nlicense: llama3.1",
            "# Model Card for llama-3.1-8b-lora-med\n\n### Framework versions\n\n- PEFT 0.13.2\n",
        ),
    )
    components = _components(root)
    final = components[M.MODEL_PARAMETERS_FINAL]
    assert final.paths == ("adapter_model.safetensors",)
    assert "PEFT adapter" in final.reason and "base model" in final.reason
    assert components[M.MODEL_ARCHITECTURE].paths == ("adapter_config.json",)
    assert M.SUPPORTING_LIBRARIES not in components
