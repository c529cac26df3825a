"""Licence files by other names, model code and card links, on realistic releases."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from clearweights.audit import audit_release
from clearweights.cli.main import main
from clearweights.components import Component, MofComponent
from clearweights.inventory import Role, assign, build_inventory, licence_role
from clearweights.inventory.rules import model_names
from clearweights.licenses.summary import summarize
from clearweights.sources import open_release
from tests.build import card, config, licence, safetensors, write

M = MofComponent


def _components(root: Path) -> dict[MofComponent, Component]:
    return build_inventory(open_release(str(root))).components


def _chatglm(root: Path) -> Path:
    """Laid out like THUDM/chatglm3-6b: Apache-2.0 code, the ChatGLM3 licence for the weights."""
    licence("Apache-2.0", root / "LICENSE")
    licence("LicenseRef-clearweights-chatglm3-6b", root / "MODEL_LICENSE")
    config(root / "config.json", "ChatGLMModel", "chatglm")
    for name in ("configuration_chatglm.py", "modeling_chatglm.py", "tokenization_chatglm.py"):
        write(root / name, "import torch\n\n\nclass Placeholder:\n    pass\n")
    write(root / "quantization.py", "import torch\n\n\ndef quantize(model, bits):\n    return 0\n")
    for shard in (1, 2):
        safetensors(root / f"model-0000{shard}-of-00002.safetensors")
    write(root / "tokenizer_config.json", '{"model_max_length": 8192}\n')
    write(
        root / "README.md",
        "# ChatGLM3-6B\n\n## 协议\n\n本仓库的代码依照 [Apache-2.0](LICENSE) 协议开源，"  # noqa: RUF001
        "ChatGLM3-6B 模型的权重的使用则需要遵循 [Model License](MODEL_LICENSE)。\n",
    )
    return root


def test_chatglm_weights_keep_their_model_licence(tmp_path: Path) -> None:
    inventory = build_inventory(open_release(str(_chatglm(tmp_path / "chatglm3-6b"))))
    weights = inventory.components[M.MODEL_PARAMETERS_FINAL]
    assert weights.licence_source == "MODEL_LICENSE"
    # The ChatGLM3-6B licence is in the catalogue: named, with its revocable grant.
    assert [lic.id for lic in weights.licences] == ["LicenseRef-clearweights-chatglm3-6b"]
    assert weights.licences[0].terms.revocable.value is True
    code = inventory.components[M.MODEL_ARCHITECTURE]
    assert code.licence_name == "Apache-2.0" and code.licence_source == "LICENSE"
    assert "modeling_chatglm.py" in code.paths and "configuration_chatglm.py" in code.paths
    roles = {lf.path: lf.role for lf in inventory.licence_files}
    assert roles == {"LICENSE": Role.GENERAL, "MODEL_LICENSE": Role.WEIGHTS}


# Names seen beside weights in public repositories, each holding the weights' licence.
WEIGHTS_LICENCE_NAMES = [
    "MODEL_LICENSE",
    "LICENSE_weights",
    "LICENSE-MODEL.md",
    "LICENSE.weights",
    "WEIGHTS_LICENSE",
    "weights/license.txt",
    "model_license.txt",
    "LICENSES/MODEL_LICENSE.md",
    "Community License for Tiny Model.txt",
]


@pytest.mark.parametrize("name", WEIGHTS_LICENCE_NAMES)
def test_a_non_commercial_weights_licence_is_not_replaced_by_the_code_licence(
    tmp_path: Path, name: str
) -> None:
    root = tmp_path / "release"
    licence("MIT", root / "LICENSE")
    licence("CC-BY-NC-4.0", root / name)
    safetensors(root / "model.safetensors")
    write(root / "generate.py", "import torch\n\nprint('generate')\n")
    components = _components(root)
    weights = components[M.MODEL_PARAMETERS_FINAL]
    assert weights.licence_name == "CC-BY-NC-4.0", weights.licence_source
    assert weights.licence_source == name
    commercial = summarize(weights.licences[0]).answers[0]
    assert commercial.question == "May I use it commercially?" and commercial.answer == "no"
    assert components[M.INFERENCE_CODE].licence_name == "MIT"


def test_the_weights_licence_is_chosen_by_meaning_not_alphabetically(tmp_path: Path) -> None:
    root = tmp_path / "release"
    licence("MIT", root / "LICENSE-CODE")  # sorts before LICENSE-MODEL
    licence("CC-BY-NC-4.0", root / "LICENSE-MODEL")
    safetensors(root / "model.safetensors")
    write(root / "data" / "train.jsonl", '{"text": "hello"}\n')
    components = _components(root)
    assert components[M.MODEL_PARAMETERS_FINAL].licence_name == "CC-BY-NC-4.0"
    # Neither file covers data: no licence rather than the first name in the alphabet.
    assert components[M.DATASETS].licence_name is None


def test_a_code_licence_never_covers_the_weights(tmp_path: Path) -> None:
    root = tmp_path / "release"
    licence("MIT", root / "LICENSE-CODE")
    safetensors(root / "model.safetensors")
    weights = _components(root)[M.MODEL_PARAMETERS_FINAL]
    assert weights.licence_name is None and weights.licences == ()


def test_a_plain_licence_titled_as_a_model_licence_covers_the_weights(tmp_path: Path) -> None:
    root = tmp_path / "release"
    licence("Apache-2.0", root / "LICENSE")
    licence("LicenseRef-clearweights-stability-ai-nc-2024-03-18", root / "LICENSE.md")
    safetensors(root / "model.safetensors")
    write(root / "sample.py", "import torch\n")
    inventory = build_inventory(open_release(str(root)))
    stability = next(lf for lf in inventory.licence_files if lf.path == "LICENSE.md")
    assert stability.role is Role.WEIGHTS and not stability.by_name
    assert stability.why == "it holds a model licence"
    weights = inventory.components[M.MODEL_PARAMETERS_FINAL]
    assert weights.licence_name == "LicenseRef-clearweights-stability-ai-nc-2024-03-18"
    assert inventory.components[M.INFERENCE_CODE].licence_name == "Apache-2.0"


def test_a_licence_whose_title_names_the_model_covers_the_weights(tmp_path: Path) -> None:
    root = tmp_path / "release"
    licence("BSD-3-Clause", root / "LICENSE")
    licence("LicenseRef-scancode-nvidia-open-model-2025-04-28", root / "LICENSE.txt")
    safetensors(root / "model.safetensors")
    inventory = build_inventory(open_release(str(root)))
    nvidia = next(lf for lf in inventory.licence_files if lf.path == "LICENSE.txt")
    assert nvidia.why == "its title: 'NVIDIA Open Model License Agreement'"
    weights = inventory.components[M.MODEL_PARAMETERS_FINAL]
    assert weights.licence_name == "LicenseRef-scancode-nvidia-open-model-2025-04-28"


def test_a_lone_model_licence_still_covers_the_code_beside_it(tmp_path: Path) -> None:
    """Meta's llama repositories: one LICENSE, the model licence, over code and weights."""
    root = tmp_path / "llama3"
    licence("LicenseRef-clearweights-llama-3", root / "LICENSE")
    write(root / "llama" / "model.py", "from torch import nn\n\n\nclass Attention(nn.Module):\n")
    safetensors(root / "model.safetensors")
    components = _components(root)
    assert components[M.MODEL_ARCHITECTURE].licence_name == "LicenseRef-clearweights-llama-3"
    assert components[M.MODEL_PARAMETERS_FINAL].licence_name == "LicenseRef-clearweights-llama-3"


def test_every_licence_file_is_read_and_reported(tmp_path: Path) -> None:
    root = _chatglm(tmp_path / "chatglm3-6b")
    licence("Apache-2.0", root / "THIRD_PARTY_LICENSES.md")
    licence("MIT", root / "LICENSE-MIT")
    write(root / "NOTICE", "ChatGLM3-6B\nCopyright 2023 THUDM\n")
    result = audit_release(str(root))
    assert result.error is None
    inventory = build_inventory(open_release(str(root)))
    found = {lf.path: (lf.role, [lic.id for lic in lf.licences]) for lf in inventory.licence_files}
    assert found["THIRD_PARTY_LICENSES.md"] == (Role.THIRD_PARTY, ["Apache-2.0"])
    assert found["NOTICE"][0] is Role.NOTICE
    # Two general licences at the same level: both apply (dual licensing), neither is dropped.
    code = inventory.components[M.MODEL_ARCHITECTURE]
    assert {lic.id for lic in code.licences} == {"Apache-2.0", "MIT"}
    assert code.licence_source == "LICENSE; LICENSE-MIT"
    # A list of dependencies' licences licenses nothing of the release.
    assert "THIRD_PARTY_LICENSES.md" not in {
        s for c in inventory.components.values() for s in c.licence_source.split("; ")
    }


def test_licence_files_are_in_the_json_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _chatglm(tmp_path / "chatglm3-6b")
    write(root / "weights" / "LICENSE.txt", "")
    assert main(["audit", str(root), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    schema_path = Path(__file__).resolve().parent.parent / "docs" / "audit-schema.json"
    jsonschema.validate(doc, json.loads(schema_path.read_text(encoding="utf-8")))
    files = {f["path"]: f for f in doc["audits"][0]["license_files"]}
    assert files["MODEL_LICENSE"]["role"] == "weights"
    assert files["MODEL_LICENSE"]["licenses"] == ["LicenseRef-clearweights-chatglm3-6b"]
    assert files["LICENSE"] == {
        "path": "LICENSE",
        "role": "general",
        "role_from": "its name",
        "scope": ".",
        "licenses": ["Apache-2.0"],
        "by_name": True,
        "tree": {"license": "Apache-2.0"},
        "error": None,
    }
    # An empty file beside no weights is still listed: nothing is silently ignored.
    assert files["weights/LICENSE.txt"]["role_from"] == "in a weights/ folder"
    assert files["weights/LICENSE.txt"]["licenses"] == []


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("LICENSE", Role.GENERAL),
        ("COPYING.txt", Role.GENERAL),
        ("LICENSE-APACHE", Role.GENERAL),
        ("LICENSE-CODE", Role.CODE),
        ("ModelLicense.md", Role.WEIGHTS),
        ("LICENSES/Apache-2.0.txt", Role.GENERAL),
        ("USE_POLICY.md", Role.USE_POLICY),
        ("ACCEPTABLE_USE_POLICY.txt", Role.USE_POLICY),
        ("NOTICE.txt", Role.NOTICE),
        ("ThirdPartyNotices.txt", Role.THIRD_PARTY),
        ("license_plate_detector.safetensors", None),
        ("models/license_weights.pt", None),  # a number-plate detector's weights
        ("licence_check.py", None),
        ("docs/licenses.json", None),
        ("README.md", None),
    ],
)
def test_licence_file_names(path: str, role: Role | None) -> None:
    assert licence_role(path) is role


def _audiocraft(root: Path) -> Path:
    """Laid out like facebookresearch/audiocraft: MIT code, CC-BY-NC-4.0 weights."""
    licence("MIT", root / "LICENSE")
    licence("CC-BY-NC-4.0", root / "LICENSE_weights")
    write(root / "musicgen.py", "from .lm import LMModel\n\n\nclass MusicGen:\n    pass\n")
    write(
        root / "modules" / "unet.py",
        "import torch\n\n\nclass DiffusionUnet(torch.nn.Module):\n    pass\n",
    )
    write(
        root / "utils" / "blocks.py",
        "from torch import nn\n\n\nclass ConvBlock(nn.Module):\n    def forward(self, x):\n"
        "        return x\n",
    )
    write(root / "utils" / "notebook.py", "def display_audio(samples):\n    return samples\n")
    safetensors(root / "state_dict.safetensors")
    return root


def test_names_that_name_no_model_are_not_model_code() -> None:
    arch = "WhisperForConditionalGeneration"
    names = model_names("example-lab/whisper-tiny-demo", "whisper", arch)
    assert names == {"whisper"}
    assert assign("demo.py", names=names) == (M.INFERENCE_CODE, "inference code")
    assert assign("whisper.py", names=names) is not None
    assert assign("whisper.py", names=names)[0] is M.MODEL_ARCHITECTURE  # type: ignore[index]


def test_model_code_named_after_the_model_is_architecture(tmp_path: Path) -> None:
    components = _components(_audiocraft(tmp_path / "musicgen-small"))
    arch = components[M.MODEL_ARCHITECTURE]
    assert set(arch.paths) == {"musicgen.py", "modules/unet.py", "utils/blocks.py"}
    assert arch.licence_name == "MIT"
    assert components[M.INFERENCE_CODE].paths == ("utils/notebook.py",)
    assert components[M.MODEL_PARAMETERS_FINAL].licence_name == "CC-BY-NC-4.0"


MUSICGEN_CARD = """
# MusicGen - Small - 300M

MusicGen was published in [Simple and Controllable Music Generation](https://arxiv.org/abs/2306.05284).

![MusicGen architecture](https://github.com/facebookresearch/audiocraft/raw/main/assets/musicgen.png)

Install the [Transformers library](https://github.com/huggingface/transformers) first.

**License:** Code is released under [MIT](https://github.com/facebookresearch/audiocraft/blob/main/LICENSE#L13),
model weights under [CC-BY-NC 4.0](https://github.com/facebookresearch/audiocraft/blob/main/LICENSE_weights).
Questions: [discussions](https://github.com/facebookresearch/audiocraft/discussions/31).

```
@misc{copet2023simple,
      title={Simple and Controllable Music Generation},
      url={https://arxiv.org/abs/2306.05284},
      year={2023},
}
```
"""


def test_links_that_are_not_code_are_not_training_code(tmp_path: Path) -> None:
    root = tmp_path / "musicgen-small"
    front = "license: cc-by-nc-4.0\npipeline_tag: text-to-audio"
    write(root / "README.md", card(front, MUSICGEN_CARD))
    safetensors(root / "model.safetensors")
    components = _components(root)
    assert M.TRAINING_CODE not in components
    assert components[M.RESEARCH_PAPER].paths == ("https://arxiv.org/abs/2306.05284",)


def test_a_linked_repository_is_code_but_not_verified(tmp_path: Path) -> None:
    root = tmp_path / "musicgen-small"
    body = MUSICGEN_CARD + "\nTraining code: https://github.com/facebookresearch/audiocraft.\n"
    write(root / "README.md", card("license: cc-by-nc-4.0", body))
    training = _components(root)[M.TRAINING_CODE]
    assert training.paths == ("https://github.com/facebookresearch/audiocraft",)
    assert training.external and training.licences == ()
    assert "not verified" in training.reason


def test_many_file_headers_are_counted_not_listed(tmp_path: Path) -> None:
    root = tmp_path / "release"
    licence("Apache-2.0", root / "LICENSE")
    for i in range(8):
        write(root / "serve" / f"worker_{i}.py", "# SPDX-License-Identifier: MIT\nimport os\n")
    inference = _components(root)[M.INFERENCE_CODE]
    assert inference.licence_name == "MIT"
    sources = inference.licence_source.split("; ")
    assert sources[0] == "serve/worker_0.py header" and sources[-1] == "3 more file headers"
    assert len(sources) == 6


def test_an_unreadable_weights_licence_is_not_replaced_by_the_card(tmp_path: Path) -> None:
    """Baichuan 2 style: an Apache-2.0 card field, the model's own licence as a PDF."""
    root = tmp_path / "Baichuan2-7B-Chat"
    licence("Apache-2.0", root / "LICENSE")
    pdf = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\x00endobj\n"
    (root / "Community License for Baichuan 2 Model.pdf").write_bytes(pdf)
    safetensors(root / "model.safetensors")
    write(root / "README.md", card("license: apache-2.0", "# Baichuan 2"))
    inventory = build_inventory(open_release(str(root)))
    found = {lf.path: lf for lf in inventory.licence_files}
    model_licence = found["Community License for Baichuan 2 Model.pdf"]
    assert model_licence.role is Role.WEIGHTS and model_licence.error is not None
    weights = inventory.components[M.MODEL_PARAMETERS_FINAL]
    assert weights.licence_name is None and weights.licences == ()
    assert "Baichuan 2 Model.pdf (cannot be read: binary file" in weights.licence_source
    # An empty plain LICENSE leaves the card to speak.
    (root / "Community License for Baichuan 2 Model.pdf").unlink()
    (root / "LICENSE").write_text("", encoding="utf-8")
    weights = _components(root)[M.MODEL_PARAMETERS_FINAL]
    assert weights.licence_name == "Apache-2.0"


def test_card_licence_expression_keeps_every_licence(tmp_path: Path) -> None:
    """A card's ``license: MIT AND CC-BY-NC-4.0`` keeps the non-commercial part."""
    from clearweights.inventory import card_licences

    release = tmp_path / "mixed"
    release.mkdir()
    (release / "README.md").write_text(
        "---\nlicense: MIT AND CC-BY-NC-4.0\n---\n# Mixed\n\nWeights for research.\n",
        encoding="utf-8",
    )
    ids = [lic.id for lic in card_licences(open_release(str(release)))]
    assert ids == ["MIT", "CC-BY-NC-4.0"]


def _rule_paths() -> list[str]:
    """Paths that each rule of the table may or may not place: its names, folders and
    suffixes, in and out of folders, with stems that other rules look for."""
    from clearweights.inventory.rules import LATER_RULES, RULES

    words = {"model", "config", "tokenizer", "train", "README", "LICENSE", "optimizer", "x",
             "adapter_model", "training_args", "eval_results", "modeling_llama"}  # fmt: skip
    suffixes = {"", ".json", ".txt", ".md", ".csv", ".pdf"}
    folders = {"", "checkpoint-500/", "Step_10/", "eval/", "data/", "docs/", "scripts/"}
    for rule in (*RULES, *LATER_RULES):
        words |= set(rule.names)
        suffixes |= set(rule.suffixes)
        folders |= {f"{f}x/" for f in rule.folders}
    return sorted({f"{f}{w}{s}" for f in folders for w in words for s in suffixes})


def test_the_rule_table_places_files_as_each_rule_decides() -> None:
    """``assign`` tests all rules at once before trying them in order: it must place every
    file as the first rule whose ``fits`` is true, rule by rule."""
    from pathlib import PurePosixPath

    from clearweights.inventory.rules import CATCH_ALL, LATER_RULES, RULES

    placed = 0
    for path in _rule_paths():
        p = PurePosixPath(path)
        name, suffix = p.name.lower(), p.suffix.lower()
        parents = tuple(part.lower() for part in p.parts[:-1])
        expected = next(
            (
                (r.kind, r.reason)
                for r in (*RULES, *LATER_RULES)
                if r.fits(path, name, suffix, parents)
            ),
            CATCH_ALL if suffix == ".py" else None,
        )
        assert assign(path) == expected, path
        placed += expected is not None
    assert 1000 < placed < len(_rule_paths())  # both kinds of file are tried
