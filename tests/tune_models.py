"""Tiny randomly initialised Llama-shaped models, written as real releases (weights, tokenizer,
config, card and licence file), for the fine-tuning tests. Nothing is downloaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CORPUS = Path(__file__).parent / "corpus" / "licences"
SPECIAL = ["<unk>", "<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} "
    "{% if m['role'] == 'assistant' %}</s> {% else %}<|end|> {% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)


def build_tokenizer(texts: list[str]) -> Any:
    """A word-level tokenizer over *texts* with a chat template (no markers needed)."""
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


def build_base(
    root: Path,
    texts: list[str],
    *,
    license_id: str = "apache-2.0",
    license_file: str | None = "Apache-2.0.txt",
    name: str = "tiny-base",
    seed: int = 0,
) -> Path:
    """Write a tiny Llama-shaped base model release under *root* and return its path."""
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
    model = LlamaForCausalLM(config)
    root.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(root, safe_serialization=True)
    tokenizer.save_pretrained(root)
    card = (
        f"---\nlicense: {license_id}\nlibrary_name: transformers\npipeline_tag: text-generation\n"
        f"---\n\n# {name}\n\nA tiny randomly initialised Llama-shaped model for tests.\n"
    )
    (root / "README.md").write_text(card, encoding="utf-8")
    if license_file:
        (root / "LICENSE").write_text((CORPUS / license_file).read_text(encoding="utf-8"))
    return root


def facts(n: int = 24) -> list[tuple[str, str, str]]:
    """(leaf, question, answer): a memorisable set over two leaves."""
    out = []
    for i in range(n):
        leaf = "knowledge/geography/capitals" if i % 2 == 0 else "skills/arithmetic"
        if i % 2 == 0:
            out.append((leaf, f"What is the capital of land{i} ?", f"city{(i * 7) % n}"))
        else:
            out.append((leaf, f"What is {i} plus one ?", f"{i + 1}"))
    return out


def write_samples(
    path: Path,
    rows: list[tuple[str, str, str]],
    *,
    document_license: str = "CC-BY-4.0",
    teacher_license: str = "Apache-2.0",
    teacher: str = "tiny-teacher",
) -> Path:
    """Samples in the shape ``clearweights generate`` writes, with provenance metadata."""
    import json

    lines = []
    for i, (leaf, question, answer) in enumerate(rows):
        meta = {
            "schema_version": 1, "leaf": leaf, "seed_ids": [f"{leaf}#{i}"],
            "documents": [{"repo": "file:///docs", "commit": "0" * 40, "path": "doc.md",
                           "license": document_license}],
            "teacher": {"model": teacher, "license": teacher_license, "revision": None},
            "teacher_license": teacher_license, "student_family": None, "inherited_duties": [],
        }  # fmt: skip
        messages = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        lines.append(json.dumps({"id": f"s{i}", "messages": messages, "metadata": meta}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def vocabulary(rows: list[tuple[str, str, str]]) -> list[str]:
    return [t for _, q, a in rows for t in (q, a)] + ["Built with Llama", "Llama"]
