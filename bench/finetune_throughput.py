"""LoRA fine-tuning throughput: clearweights' training path against the plain Hugging Face
Trainer + PEFT (padded batches, and packed), side by side in one process.

The model has Llama-3.2-1B's shape with random weights (nothing is downloaded); LoRA r=16 on
every linear layer; the sequences' lengths follow a JSON Lines file of generated samples
(``--data``, e.g. what ``clearweights generate`` wrote) or, without one, a seeded log-normal
length distribution like generated Q&A (median ~300 tokens).

Reported per configuration: tokens per second (real tokens, padding excluded) and model FLOPs
utilisation (6 x parameters x tokens plus attention, over the GPU's dense bf16 peak), and
whether it ran out of memory.

    python bench/finetune_throughput.py                 # on a GPU: the 1B shape
    python bench/finetune_throughput.py --tiny --steps 3  # on a CPU: the script's own check

clearweights' configuration: TRL SFTTrainer, padding-free packing (position ids, no padding),
flash-attention varlen kernels when installed (else SDPA), Liger kernels (fused RMSNorm, SwiGLU,
RoPE and linear + cross-entropy, no logits materialised) when installed, bf16, 16k tokens per
step.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

# Dense bf16 peak per GPU, TFLOPS (vendor figures, no sparsity).
PEAKS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0, "A10G": 125.0}
LLAMA_1B = {
    "vocab_size": 128256, "hidden_size": 2048, "intermediate_size": 8192,
    "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
    "max_position_embeddings": 16384, "rope_theta": 500000.0, "tie_word_embeddings": True,
}  # fmt: skip
TINY = {
    "vocab_size": 512, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 4096,
    "tie_word_embeddings": True,
}  # fmt: skip


def lengths(data: Path | None, count: int, cap: int, seed: int) -> list[int]:
    """Token lengths of the samples: from generated data (~4 characters a token) or seeded."""
    rng = random.Random(seed)
    if data is not None:
        found = []
        for line in data.read_text(encoding="utf-8").splitlines():
            if line.strip():
                messages = json.loads(line)["messages"]
                found.append(max(16, sum(len(m["content"]) for m in messages) // 4 + 12))
        return [min(cap, rng.choice(found)) for _ in range(count)]
    return [min(cap, max(32, int(rng.lognormvariate(math.log(300), 0.6)))) for _ in range(count)]


def model_and_lora(shape: dict[str, Any], attn: str, dtype: Any) -> Any:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(**shape, attn_implementation=attn)
    model = LlamaForCausalLM(config).to(dtype)
    if torch.cuda.is_available():
        model = model.cuda()
    lora = LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM")
    return get_peft_model(model, lora), sum(p.numel() for p in model.parameters())


def flops(params: int, shape: dict[str, Any], tokens: int, seq: float) -> float:
    """6N per token plus attention (12 x layers x hidden x average sequence length)."""
    attention = 12 * int(shape["num_hidden_layers"]) * int(shape["hidden_size"]) * seq
    return (6 * params + attention) * tokens


def _dataset(lens: list[int], vocab: int, seed: int) -> Any:
    from datasets import Dataset

    rng = random.Random(seed)
    rows = []
    for n in lens:
        ids = [rng.randrange(4, vocab) for _ in range(n)]
        rows.append({"input_ids": ids, "labels": ids, "attention_mask": [1] * n})
    return Dataset.from_list(rows)


def _packed(lens: list[int], vocab: int, block: int, seed: int) -> Any:
    """Samples concatenated and cut into blocks (the classic `group_texts` packing)."""
    from datasets import Dataset

    rng = random.Random(seed)
    stream = [rng.randrange(4, vocab) for n in lens for _ in range(n)]
    rows = [stream[i : i + block] for i in range(0, len(stream) - block + 1, block)]
    return Dataset.from_list([{"input_ids": r, "labels": r} for r in rows])


def _pad(rows: list[dict[str, list[int]]]) -> dict[str, Any]:
    """Right-pad a batch to its longest sample (labels -100 on padding)."""
    import torch

    width = max(len(r["input_ids"]) for r in rows)

    def fill(key: str, value: int) -> Any:
        return torch.tensor([r[key] + [value] * (width - len(r[key])) for r in rows])

    mask = torch.tensor([[1] * len(r["input_ids"]) + [0] * (width - len(r["input_ids"]))
                         for r in rows])  # fmt: skip
    return {"input_ids": fill("input_ids", 0), "labels": fill("labels", -100),
            "attention_mask": mask}  # fmt: skip


def run_trainer(args: argparse.Namespace, shape: dict[str, Any], mode: str) -> dict[str, Any]:
    """The plain Hugging Face Trainer + PEFT: ``padded`` batches or ``packed`` blocks."""
    import torch
    from transformers import Trainer, TrainingArguments

    gpu = torch.cuda.is_available()
    model, params = model_and_lora(shape, "sdpa", torch.bfloat16 if gpu else torch.float32)
    lens = lengths(args.data, args.samples, args.max_length, args.seed)
    if mode == "padded":
        data, batch = _dataset(lens, shape["vocab_size"], args.seed), args.padded_batch
    else:
        data, batch = (
            _packed(lens, shape["vocab_size"], args.max_length, args.seed),
            args.packed_batch,
        )
    collator = _pad if mode == "padded" else None
    targs = TrainingArguments(
        output_dir=str(args.workdir / mode), max_steps=args.steps + args.warmup,
        per_device_train_batch_size=batch, learning_rate=1e-4, bf16=gpu, use_cpu=not gpu,
        logging_steps=1, save_strategy="no", report_to=[], disable_tqdm=True,
        remove_unused_columns=False,
    )  # fmt: skip
    trainer = Trainer(model=model, args=targs, train_dataset=data, data_collator=collator)
    return _timed(trainer, args, params, shape, mode)


def _tokenizer() -> Any:
    """The data is token ids already; TRL only needs the pad and end ids from a tokenizer."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>")  # fmt: skip


def run_clearweights(args: argparse.Namespace, shape: dict[str, Any]) -> dict[str, Any]:
    """clearweights' path: TRL SFT, padding-free packing, varlen attention, Liger if present."""
    import torch
    from trl import SFTConfig, SFTTrainer

    gpu = torch.cuda.is_available()
    flash = gpu and importlib.util.find_spec("flash_attn") is not None
    liger = gpu and importlib.util.find_spec("liger_kernel") is not None
    attn = "flash_attention_2" if flash else "sdpa"
    model, params = model_and_lora(shape, attn, torch.bfloat16 if gpu else torch.float32)
    lens = lengths(args.data, args.samples, args.max_length, args.seed)
    data = _dataset(lens, shape["vocab_size"], args.seed).remove_columns(["labels"])
    config = SFTConfig(
        output_dir=str(args.workdir / "clearweights"), max_steps=args.steps + args.warmup,
        per_device_train_batch_size=max(1, args.tokens_per_step // args.max_length),
        max_length=args.max_length, packing=True, padding_free=True, learning_rate=1e-4,
        bf16=gpu, use_cpu=not gpu, logging_steps=1, save_strategy="no", report_to=[],
        disable_tqdm=True, use_liger_kernel=liger, dataset_kwargs={"skip_prepare_dataset": False},
        torch_compile=args.compile,
    )  # fmt: skip
    trainer = SFTTrainer(
        model=model, args=config, train_dataset=data, processing_class=_tokenizer()
    )
    result = _timed(trainer, args, params, shape, "clearweights")
    result.update(attention=attn, liger=liger, compile=args.compile)
    return result


def _timed(trainer: Any, args: argparse.Namespace, params: int, shape: dict[str, Any],
           name: str) -> dict[str, Any]:  # fmt: skip
    """Train; time the steps after the warm-up; count real (non-padding) tokens."""
    import torch
    from transformers import TrainerCallback

    marks: dict[str, float] = {}
    tokens = {"n": 0, "seqs": 0}

    class Clock(TrainerCallback):  # type: ignore[misc]
        def on_step_begin(self, a: Any, state: Any, control: Any, **kw: Any) -> None:
            if state.global_step == args.warmup:
                if torch.cuda.is_available():
                    torch.cuda.synchronize()
                marks["start"] = time.perf_counter()

    original = trainer.compute_loss

    def counting(model: Any, inputs: Any, *a: Any, **kw: Any) -> Any:
        if "start" in marks:
            labels = inputs.get("labels")
            tokens["n"] += int((labels != -100).sum()) if labels is not None else 0
            tokens["seqs"] += int(inputs["input_ids"].shape[0])
        return original(model, inputs, *a, **kw)

    trainer.compute_loss = counting
    trainer.add_callback(Clock())
    try:
        trainer.train()
    except torch.cuda.OutOfMemoryError:
        return {"config": name, "oom": True}
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    seconds = time.perf_counter() - marks["start"]
    per_s = tokens["n"] / seconds
    peak = _peak()
    seq = tokens["n"] / max(1, tokens["seqs"])
    mfu = flops(params, shape, tokens["n"], seq) / seconds / (peak * 1e12) if peak else None
    memory = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
    return {"config": name, "oom": False, "tokens_per_s": round(per_s, 1),
            "mfu": round(mfu, 4) if mfu else None, "seconds": round(seconds, 2),
            "tokens": tokens["n"], "peak_gib": round(memory, 1) if memory else None}  # fmt: skip


def _peak() -> float | None:
    import torch

    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name()
    return next((v for k, v in PEAKS.items() if k in name), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="generated samples (JSON Lines)")
    parser.add_argument("--tiny", action="store_true", help="a tiny model (check on a CPU)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--max-length", type=int, default=2048)
    parser.add_argument("--padded-batch", type=int, default=8)
    parser.add_argument("--packed-batch", type=int, default=4)
    parser.add_argument("--tokens-per-step", type=int, default=16384)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["padded", "packed", "clearweights"])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/clearweights-bench-finetune"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    shape = TINY if args.tiny else LLAMA_1B
    if args.tiny:
        args.samples, args.max_length = min(args.samples, 200), min(args.max_length, 256)
        args.tokens_per_step = min(args.tokens_per_step, 1024)
    import torch

    results = []
    for name in ("padded", "packed", "clearweights"):
        if args.only and args.only != name:
            continue
        run = (
            run_clearweights(args, shape)
            if name == "clearweights"
            else run_trainer(args, shape, name)
        )
        results.append(run)
        print(json.dumps(run), flush=True)
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else platform.processor()
    doc = {"device": device, "python": sys.version.split()[0], "torch": torch.__version__,
           "shape": "tiny" if args.tiny else "llama-3.2-1b", "results": results}  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
