"""A tiny randomly initialised Llama-shaped base model, written as a real release (weights in
safetensors, tokenizer with a chat template, config, card, licence file), so the fine-tuning
pipeline can be tried and tested offline on a CPU. Nothing is downloaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SPECIAL = ["<unk>", "<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} "
    "{% if m['role'] == 'assistant' %}</s> {% else %}<|end|> {% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)


def build_tokenizer(texts: list[str]) -> Any:
    """A word-level tokenizer over *texts*, with a plain chat template."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=SPECIAL))
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", bos_token="<s>",
        eos_token="</s>",
    )  # fmt: skip
    fast.chat_template = TEMPLATE
    return fast


def build_tiny_base(
    root: Path,
    texts: list[str],
    *,
    license_id: str,
    license_text: str | None,
    name: str = "tiny-base",
    seed: int = 0,
) -> Path:
    """Write the model under *root* with card ``license: license_id`` and *license_text* as
    LICENSE; return *root*."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = build_tokenizer(texts)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=False,
        initializer_range=0.3,  # logits wide enough to be learnt through LoRA alone
    )  # fmt: skip
    root.mkdir(parents=True, exist_ok=True)
    LlamaForCausalLM(config).save_pretrained(root, safe_serialization=True)
    tokenizer.save_pretrained(root)
    card = (
        f"---\nlicense: {license_id}\nlibrary_name: transformers\npipeline_tag: text-generation\n"
        f"---\n\n# {name}\n\nA tiny randomly initialised Llama-shaped model for trying "
        "clearweights' fine-tuning offline.\n"
    )
    (root / "README.md").write_text(card, encoding="utf-8")
    if license_text:
        (root / "LICENSE").write_text(license_text, encoding="utf-8")
    return root
