"""A verdict is only as good as its evidence: model code, links and unknown licences."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearweights.audit import Declarations, ReleaseAudit, audit_release
from clearweights.frameworks import Criterion, Status
from tests.build import card, config, licence, safetensors, write
from tests.test_inventory import MUSICGEN_CARD, _audiocraft, _chatglm

ROOT = Path(__file__).resolve().parent.parent
NO_RISK = Declarations(systemic_risk=False, monetised=False)


def _criterion(result: ReleaseAudit, ident: str) -> Criterion:
    prefix = ident.split(".", 1)[0]
    profile = {"osaid": "osaid-1.0", "eu": "eu-ai-act-53-2"}.get(prefix, prefix)
    found = result.profile(profile)
    assert found is not None
    return next(c for c in found.criteria if c.id == ident)


def test_model_code_is_architecture_and_runs_the_model(tmp_path: Path) -> None:
    root = _audiocraft(tmp_path / "musicgen-small")
    (root / "utils" / "notebook.py").unlink()  # no inference code but the model's own
    write(root / "README.md", card("license: cc-by-nc-4.0", MUSICGEN_CARD))
    result = audit_release(str(root), declarations=NO_RISK)
    architecture = _criterion(result, "redhat.architecture")
    assert architecture.status is Status.PASS
    assert "musicgen.py" in architecture.evidence[0] and "MIT" in architecture.evidence[0]
    inference = _criterion(result, "redhat.inference")
    assert inference.status is Status.PASS
    assert inference.evidence[0].startswith("no separate inference code; the model code runs")
    assert _criterion(result, "osaid.code.inference").status is Status.PASS
    licence_check = _criterion(result, "redhat.weights-licence")
    assert licence_check.status is Status.FAIL
    assert "CC-BY-NC-4.0" in licence_check.evidence[0]
    assert result.profile("redhat").verdict is Status.FAIL  # type: ignore[union-attr]


def test_a_linked_repository_is_not_training_code_that_passes(tmp_path: Path) -> None:
    root = tmp_path / "tiny-open-lm"
    licence("Apache-2.0", root / "LICENSE")
    safetensors(root / "model.safetensors")
    config(root / "config.json", "LlamaForCausalLM", "llama")
    write(
        root / "README.md",
        card(
            "license: apache-2.0",
            "# Tiny Open LM\n\nTrained with https://github.com/example-lab/tiny-open-lm-train.\n"
            "See [the licence](https://github.com/example-lab/tiny-open-lm/blob/main/LICENSE#L13)"
            " and [discussion](https://github.com/example-lab/tiny-open-lm/discussions/4).\n",
        ),
    )
    result = audit_release(str(root), declarations=NO_RISK)
    training = _criterion(result, "redhat.training-code")
    assert training.status is Status.UNKNOWN
    assert "not verified" in training.evidence[-1]
    assert "tiny-open-lm-train" in training.evidence[0]
    assert "LICENSE#L13" not in training.evidence[0]
    assert _criterion(result, "osaid.code.training").status is Status.UNKNOWN
    assert _criterion(result, "mof.c7").status is Status.UNKNOWN


def test_weights_without_a_licence_make_licensing_unclear(tmp_path: Path) -> None:
    root = tmp_path / "release"
    licence("MIT", root / "LICENSE-CODE")
    safetensors(root / "model.safetensors")
    write(root / "run.py", "import torch\n")
    result = audit_release(str(root), declarations=NO_RISK)
    clarity = _criterion(result, "redhat.clarity")
    assert clarity.status is Status.FAIL
    assert clarity.evidence[-1].startswith("weights: model.safetensors: no licence")
    assert _criterion(result, "redhat.weights-licence").status is Status.FAIL
    assert _criterion(result, "redhat.inference").status is Status.PASS


def _trainer_output(root: Path) -> Path:
    licence("Apache-2.0", root / "LICENSE")
    safetensors(root / "model.safetensors")
    safetensors(root / "checkpoint-500" / "model.safetensors")
    config(root / "config.json", "Qwen2ForCausalLM", "qwen2")
    write(root / "trainer_state.json", '{"global_step": 500}\n')
    write(root / "README.md", card("license: apache-2.0\nlibrary_name: transformers", "# SFT"))
    return root


def _adapter(root: Path) -> Path:
    write(root / "adapter_config.json", '{"peft_type": "LORA", "r": 8}\n')
    safetensors(root / "adapter_model.safetensors")
    write(root / "README.md", card("license: mit\nlibrary_name: peft", "# LoRA adapter"))
    return root


def _documented(root: Path) -> Path:
    """Open weights and data card, datasets only named by the card (licence unknown)."""
    licence("Apache-2.0", root / "LICENSE")
    safetensors(root / "model.safetensors")
    config(root / "config.json", "OlmoForCausalLM", "olmo")
    write(root / "DATA_CARD.md", "# Data card\n\nWeb text, deduplicated.\n")
    front = "license: apache-2.0\ndatasets:\n- allenai/dolma"
    write(root / "README.md", card(front, "# Tiny OLMo\n\n## Uses\n\nResearch."))
    return root


RELEASES = {
    "documented": _documented,
    "chatglm": _chatglm,
    "audiocraft": _audiocraft,
    "trainer": _trainer_output,
    "adapter": _adapter,
}


@pytest.mark.parametrize("name", [*sorted(RELEASES), "examples"])
def test_no_criterion_passes_on_an_unknown_licence(tmp_path: Path, name: str) -> None:
    if name == "examples":
        roots = sorted((ROOT / "examples" / "releases").iterdir())
    else:
        roots = [RELEASES[name](tmp_path / name)]
    for root in roots:
        result = audit_release(str(root), declarations=NO_RISK)
        for profile in result.profiles:
            for criterion in profile.criteria:
                if criterion.status is Status.PASS:
                    text = " ".join(criterion.evidence)
                    assert "licence unknown" not in text, (root.name, criterion)
                    assert ": no licence (" not in text, (root.name, criterion)


def test_metadata_only_download_keeps_the_weights_licence_file(tmp_path: Path) -> None:
    """``hf download --include "*.md" "*.json" "LICENSE*"``: no weights; their licence is read."""
    root = _audiocraft(tmp_path / "musicgen-small")
    (root / "state_dict.safetensors").unlink()
    write(root / "README.md", card("license: cc-by-nc-4.0", MUSICGEN_CARD))
    result = audit_release(str(root), declarations=NO_RISK)
    present = _criterion(result, "redhat.weights")
    assert present.status is Status.UNKNOWN
    assert present.evidence == ("not verified: weights not present",)
    licence_check = _criterion(result, "redhat.weights-licence")
    assert licence_check.status is Status.FAIL
    assert "CC-BY-NC-4.0 (LICENSE_weights;" in licence_check.evidence[0]
    assert _criterion(result, "redhat.architecture").status is Status.PASS


def test_a_github_clone_without_weights_keeps_its_weights_licence(tmp_path: Path) -> None:
    """Like Stability-AI/StableCascade: MIT code, WEIGHTS_LICENSE, weights fetched later."""
    root = tmp_path / "StableCascade"
    licence("MIT", root / "LICENSE")
    licence("LicenseRef-scancode-stability-ai-nc-2023-12-06", root / "WEIGHTS_LICENSE")
    layers = "import torch\nfrom torch import nn\n\n\nclass LoRA(nn.Module):\n    pass\n"
    write(root / "modules" / "lora.py", layers)
    write(root / "modules" / "stage_c.py", layers.replace("LoRA", "StageC"))
    write(root / "train" / "train_c_lora.py", "from modules.lora import LoRA\n")
    write(root / "inference" / "utils.py", "def show_images(images):\n    return images\n")
    write(root / "models" / "download_models.sh", "#!/bin/bash\nwget https://example.org/x\n")
    result = audit_release(str(root), declarations=NO_RISK)
    architecture = _criterion(result, "redhat.architecture")
    assert architecture.status is Status.PASS
    assert architecture.evidence[0].startswith("modules/lora.py, modules/stage_c.py")
    assert _criterion(result, "redhat.weights").status is Status.UNKNOWN
    licence_check = _criterion(result, "redhat.weights-licence")
    assert licence_check.status is Status.FAIL
    assert "stability-ai-nc-2023-12-06 (WEIGHTS_LICENSE;" in licence_check.evidence[0]
    assert _criterion(result, "redhat.training-code").status is Status.PASS
