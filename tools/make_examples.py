"""Regenerate the example releases in examples/releases/ (deterministic; run from the repo root).

Weights are tiny generated safetensors; licence files are real texts from the test corpus;
model cards are written in the style of the real ones. The unsafe pickle is written opcode
by opcode: nothing is pickled or executed to make it.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "releases"
TEXTS = ROOT / "tests" / "corpus" / "licences"
SOURCES = ROOT / "tools" / "sources" / "texts"


def safetensors(
    path: Path, tensors: dict[str, list[int]], metadata: dict[str, str] | None = None
) -> None:
    """Write a valid safetensors file of float16 zeros."""
    header: dict[str, object] = {}
    offset = 0
    for name, shape in tensors.items():
        size = 2
        for d in shape:
            size *= d
        header[name] = {"dtype": "F16", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    if metadata:
        header["__metadata__"] = metadata
    raw = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    raw += b" " * (-len(raw) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(offset))


TINY = {
    "model.embed_tokens.weight": [64, 16],
    "model.layers.0.self_attn.q_proj.weight": [16, 16],
    "model.layers.0.mlp.up_proj.weight": [32, 16],
    "lm_head.weight": [64, 16],
}


def config(path: Path, architecture: str, model_type: str) -> None:
    """A small config.json."""
    body = {
        "architectures": [architecture],
        "model_type": model_type,
        "hidden_size": 16,
        "num_hidden_layers": 1,
        "vocab_size": 64,
        "torch_dtype": "float16",
    }
    write(path, json.dumps(body, indent=2) + "\n")


def write(path: Path, text: str) -> None:
    """Write a text file, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def copy_text(licence_id: str, target: Path) -> None:
    """Copy a real licence text from the corpus."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEXTS / f"{licence_id}.txt", target)


def tokenizer(folder: Path) -> None:
    """Tokenizer and generation settings."""
    write(
        folder / "tokenizer_config.json",
        json.dumps({"model_max_length": 2048, "bos_token": "<s>"}) + "\n",
    )
    write(
        folder / "generation_config.json",
        json.dumps({"temperature": 0.7, "max_new_tokens": 256}) + "\n",
    )


def card(front: str, body: str) -> str:
    """A model card: YAML front matter and Markdown."""
    return f"---\n{front.strip()}\n---\n\n{body.strip()}\n"


def open_release() -> None:
    d = OUT / "open-olmo-style"
    copy_text("Apache-2.0", d / "LICENSE")
    safetensors(d / "model.safetensors", TINY, {"format": "pt"})
    safetensors(d / "checkpoints" / "step1000" / "model.safetensors", TINY)
    config(d / "config.json", "OlmoForCausalLM", "olmo")
    tokenizer(d)
    write(
        d / "README.md",
        card(
            """
license: apache-2.0
datasets:
- example-org/open-pretraining-corpus
language: [en]
pipeline_tag: text-generation
model-index:
- name: tiny-open-lm
  results:
  - task: {type: text-generation}
    dataset: {name: HellaSwag, type: hellaswag}
    metrics:
    - {type: accuracy, value: 0.31}
""",
            """
# Tiny Open LM

A fully open language model in the style of OLMo and Pythia: weights, training code, data
preparation code, evaluation code and data are all released under Apache-2.0.

## Uses

Research on language models; see `inference.py` for a quick start.

## Limitations

A tiny research model: it makes things up and knows little; do not deploy it.

## Training data

See `DATA_CARD.md` and the technical report in `docs/technical_report.md`.
""",
        ),
    )
    write(
        d / "DATA_CARD.md",
        "# Data card\n\nThe pretraining corpus: sources, collection, filtering and licences.\n",
    )
    write(
        d / "docs" / "technical_report.md",
        "# Technical report\n\nArchitecture, training recipe, evaluation.\n",
    )
    write(
        d / "training" / "train.py",
        '# SPDX-License-Identifier: Apache-2.0\n"""Pretraining loop."""\n',
    )
    write(d / "scripts" / "preprocess_data.py", '"""Deduplicate and filter the corpus."""\n')
    write(d / "eval" / "evaluate.py", '"""Run the evaluation suite."""\n')
    write(d / "eval" / "data" / "hellaswag-sample.jsonl", '{"ctx": "A man is", "label": 0}\n')
    write(d / "results" / "eval_results.json", json.dumps({"hellaswag": 0.31}) + "\n")
    write(d / "inference.py", '"""Generate text with the model."""\n')
    write(d / "requirements.txt", "torch\ntransformers\n")
    write(d / "data" / "sample.jsonl", '{"text": "An example document."}\n')
    write(d / "samples" / "generation-1.txt", "Prompt: Once upon a time\nOutput: a tiny model.\n")
    write(d / "paper" / "README.md", "The research paper: https://arxiv.org/abs/2402.00838\n")
    (d / "paper" / "tiny-open-lm-paper.pdf").write_bytes(
        b"%PDF-1.4\n% tiny placeholder paper\n%%EOF\n"
    )


def llama_finetune() -> None:
    d = OUT / "llama-3.1-finetune"
    copy_text("LicenseRef-scancode-llama-3.1-license-2024", d / "LICENSE")
    shutil.copyfile(SOURCES / "llama-3.1-USE_POLICY.md", d / "USE_POLICY.md")
    write(
        d / "NOTICE",
        "Llama 3.1 is licensed under the Llama 3.1 Community License, "
        "Copyright © Meta Platforms, Inc. All Rights Reserved.\n",
    )
    safetensors(d / "model.safetensors", TINY)
    config(d / "config.json", "LlamaForCausalLM", "llama")
    tokenizer(d)
    write(
        d / "README.md",
        card(
            """
license: llama3.1
base_model: meta-llama/Llama-3.1-8B-Instruct
base_model_relation: finetune
pipeline_tag: text-generation
""",
            """
# Llama-3.1-Tiny-Support-Chat

A support-chat fine-tune of Llama 3.1 8B Instruct. Built with Llama.

## How to use

Load it with transformers and chat with it.
""",
        ),
    )


def gemma_release() -> None:
    d = OUT / "gemma-release"
    write(
        d / "NOTICE",
        "Gemma is provided under and subject to the Gemma Terms of Use "
        "found at ai.google.dev/gemma/terms\n",
    )
    safetensors(d / "model.safetensors", TINY)
    config(d / "config.json", "Gemma2ForCausalLM", "gemma2")
    tokenizer(d)
    write(
        d / "README.md",
        card(
            """
license: gemma
library_name: transformers
extra_gated_heading: Access Gemma on Hugging Face
""",
            """
# Gemma tiny

**Terms of Use**: [Terms](https://ai.google.dev/gemma/terms)

## Usage

Use with the transformers library.
""",
        ),
    )


def deepseek_pattern() -> None:
    d = OUT / "deepseek-pattern"
    copy_text("MIT", d / "LICENSE-CODE")
    copy_text("LicenseRef-scancode-deepseek-la-1.0", d / "LICENSE-MODEL")
    safetensors(d / "model.safetensors", TINY)
    config(d / "config.json", "DeepseekV3ForCausalLM", "deepseek_v3")
    write(d / "inference" / "generate.py", '"""Generate text with the model."""\n')
    write(d / "inference" / "model.py", '"""Model definition."""\n')
    write(
        d / "README.md",
        card(
            """
license: other
license_name: deepseek
license_link: LICENSE-MODEL
""",
            """
# DeepSeek-style Tiny

We open-source the model weights and code. This code repository is licensed under the MIT
License. The use of the models is subject to the Model License.

## How to run locally

See `inference/generate.py`.
""",
        ),
    )


def cc_by_nc() -> None:
    d = OUT / "cc-by-nc-release"
    copy_text("CC-BY-NC-4.0", d / "LICENSE")
    safetensors(d / "model.safetensors", TINY)
    config(d / "config.json", "MistralForCausalLM", "mistral")
    write(
        d / "README.md",
        card(
            """
license: cc-by-nc-4.0
""",
            """
# Tiny NC model

Released for non-commercial research under CC BY-NC 4.0.

## Usage

Load with transformers.
""",
        ),
    )


def open_washing() -> None:
    d = OUT / "open-washing"
    copy_text("LicenseRef-clearweights-llama-3", d / "LICENSE")
    safetensors(d / "model.safetensors", TINY)
    config(d / "config.json", "LlamaForCausalLM", "llama")
    write(
        d / "README.md",
        card(
            """
license: llama3
tags: [open-source]
""",
            """
# SuperOpen-8B

SuperOpen-8B is a fully open source model: an open-source AI you can use for anything.

## Usage

Load with transformers.
""",
        ),
    )


def unsafe_pickle() -> None:
    d = OUT / "unsafe-pickle"
    copy_text("Apache-2.0", d / "LICENSE")
    config(d / "config.json", "GPT2LMHeadModel", "gpt2")
    # Protocol 2: GLOBAL os.system, a one-string tuple, REDUCE, STOP. Never loaded anywhere.
    command = b"echo pwned"
    payload = (
        b"\x80\x02"
        + b"cos\nsystem\n"
        + b"X"
        + struct.pack("<I", len(command))
        + command
        + b"\x85"
        + b"R"
        + b"."
    )
    (d / "pytorch_model.bin").write_bytes(payload)
    write(
        d / "README.md",
        card(
            """
license: apache-2.0
""",
            """
# Tiny GPT-2

## Usage

Load with transformers.
""",
        ),
    )


def mof_file() -> None:
    write(
        OUT / "mof-release.yml",
        """\
# A release described in the Model Openness Tool's format (synthetic).
framework: {name: 'Model Openness Framework', version: '1.0', date: '2024-12-15'}
release:
  name: example-7b-instruct
  producer: Example Org
  date: '2025-03-01'
  type: language
  treatment: instruct fine-tuned
  license:
    distribution: {name: Apache-2.0, path: 'https://example.org/LICENSE'}
    document: {name: CC-BY-4.0}
  components:
    - {name: 'Model architecture'}
    - {name: 'Model parameters (Final)'}
    - {name: 'Model card'}
    - {name: 'Data card'}
    - {name: 'Evaluation results'}
    - {name: 'Research paper', license: CC-BY-4.0, component_path: 'https://arxiv.org/abs/0000.00000'}
    - {name: 'Inference code'}
    - {name: 'Training code', license: unlicensed}
    - {name: 'Datasets', license: CC-BY-NC-4.0}
""",
    )


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    for make in (
        open_release,
        llama_finetune,
        gemma_release,
        deepseek_pattern,
        cc_by_nc,
        open_washing,
        unsafe_pickle,
        mof_file,
    ):
        make()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
