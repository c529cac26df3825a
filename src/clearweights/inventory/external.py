"""Components a model card links to but the release does not hold: datasets, papers, code.

Only links that can be what they are taken for count: a paper is an arXiv abstract or a PDF; code
is a repository (or a folder or training script in one), never a link to its LICENSE (``#L13``),
an issue, a discussion, a release page or an image. BibTeX and Markdown leave closing braces
and brackets on URLs (``https://arxiv.org/abs/2306.05284}``); they are trimmed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from clearweights.components import Component, MofComponent
from clearweights.release.model import Release

M = MofComponent
UNKNOWN = "licence unknown (external)"
_TRAILING = ".,;:}]){'\"`>*"
_PAPER = re.compile(r"arxiv\.org/(?:abs|pdf)/[\w.\-/]+$|\.pdf$", re.I)
_REPO = re.compile(
    r"^https?://(?:www\.)?github\.com/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?"
    r"(?P<rest>/(?:tree|blob)/[^#?]+)?/?$"
)
# Site pages under github.com that are not a repository owner.
_NOT_OWNERS = {"orgs", "topics", "features", "sponsors", "settings", "marketplace", "about",
               "apps", "collections", "enterprise", "login", "pricing", "site",
               "user-attachments"}  # fmt: skip
# Libraries and tools a card tells readers to install: other projects, not this model's code.
_LIBRARIES = {
    "huggingface/transformers", "huggingface/diffusers", "huggingface/peft", "huggingface/trl",
    "huggingface/accelerate", "huggingface/datasets", "huggingface/huggingface_hub",
    "huggingface/optimum", "huggingface/tokenizers", "huggingface/text-generation-inference",
    "huggingface/candle", "huggingface/safetensors", "pytorch/pytorch", "pytorch/vision",
    "pytorch/audio", "tensorflow/tensorflow", "google/jax", "jax-ml/jax", "vllm-project/vllm",
    "ggerganov/llama.cpp", "ggml-org/llama.cpp", "ollama/ollama", "microsoft/deepspeed",
    "deepspeedai/deepspeed", "nvidia/megatron-lm", "sgl-project/sglang", "mlc-ai/mlc-llm",
    "eleutherai/lm-evaluation-harness", "openai/tiktoken", "dao-ailab/flash-attention",
    "bitsandbytes-foundation/bitsandbytes", "timdettmers/bitsandbytes", "autogptq/autogptq",
    "casper-hansen/autoawq", "triton-lang/triton", "hiyouga/llama-factory",
    "axolotl-ai-cloud/axolotl", "unslothai/unsloth", "lm-sys/fastchat",
}  # fmt: skip
_TRAINING_PATH = re.compile(r"train|finetun|fine[-_]tun|pretrain|sft|recipe", re.I)
_IMAGE = re.compile(r"\.(?:png|jpe?g|gif|svg|webp|mp4|ico)$", re.I)


def clean(url: str) -> str:
    """A URL without the punctuation prose, Markdown or BibTeX leave after it."""
    return url.rstrip(_TRAILING)


def code_repository(url: str) -> bool:
    """Whether a link can be a code repository (or training code inside one)."""
    found = _REPO.match(url)
    if found is None or found["owner"].lower() in _NOT_OWNERS or _IMAGE.search(url):
        return False
    if f"{found['owner']}/{found['repo']}".lower() in _LIBRARIES:
        return False
    rest = found["rest"]
    if rest is None or (rest.startswith("/tree/") and rest.count("/") <= 2):
        return True  # the repository, or one of its branches
    # A folder or file inside it: only when it is about training, never a LICENSE anchor.
    tail = rest.split("/", 3)[-1] if rest.count("/") >= 3 else ""
    return bool(tail) and bool(_TRAINING_PATH.search(tail)) and "licen" not in tail.lower()


def external(
    release: Release, have: Mapping[MofComponent, Component]
) -> dict[MofComponent, Component]:
    """Components the card links to but the release does not contain (never one of a kind
    *have* holds). Reads the card's links and datasets only: ``_shapes`` keeps the result
    per those."""
    card = release.card
    if card is None:
        return {}
    links = tuple(dict.fromkeys(clean(u) for u in card.links))
    out: dict[MofComponent, Component] = {}
    if card.datasets and M.DATASETS not in have:
        out[M.DATASETS] = Component(
            M.DATASETS,
            tuple(f"https://huggingface.co/datasets/{d}" for d in card.datasets),
            reason="datasets named in the model card",
            external=True,
            licence_source=UNKNOWN,
        )
    papers = tuple(u for u in links if _PAPER.search(u))
    if papers and M.RESEARCH_PAPER not in have:
        out[M.RESEARCH_PAPER] = Component(
            M.RESEARCH_PAPER,
            papers,
            reason="paper linked from the model card",
            external=True,
            licence_source=UNKNOWN,
        )
    repos = tuple(u for u in links if code_repository(u))
    if repos and M.TRAINING_CODE not in have:
        out[M.TRAINING_CODE] = Component(
            M.TRAINING_CODE,
            repos,
            reason="code repository linked from the model card "
            "(not verified to hold training code)",
            external=True,
            licence_source=UNKNOWN,
        )
    return out
