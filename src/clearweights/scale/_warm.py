"""Imported by the local pool's fork server only: readies what every worker would load itself.

A worker loads the licence catalogue, its aliases, the expression parser, the base-model
families and compiles its patterns on its first releases (about half a second of CPU), each
worker on its own while the cores could audit. Auditing a few made-up card-only releases here,
once, before the server forks the workers, gives every worker all of that already loaded,
shared copy-on-write; the objects are then frozen out of the collector's reach, so no worker's
collections walk them again. Nothing here is kept by the scan: the releases are made up and
their outcomes dropped; the caches they fill are keyed by all that each reads (their own rule),
so an entry made here is the entry a worker would have made.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Any

import huggingface_hub.repocard  # noqa: F401  (half a second of imports, every worker's)

from clearweights.scale.items import Item
from clearweights.scale.rows import row_item
from clearweights.scale.worker import audit_batch

_FILES = [{"rfilename": "README.md"}, {"rfilename": "config.json"},
          {"rfilename": "model.safetensors", "size": 10**9}]  # fmt: skip
_CARDS = (
    ("apache-2.0", None, "A text classifier fine-tuned on product reviews."),
    ("mit", "google-bert/bert-base-uncased", "Sentence embeddings. Open weights, open code."),
    ("llama3.1", "meta-llama/Llama-3.1-8B-Instruct", "A chat fine-tune. Built with Llama."),
    ("cc-by-nc-4.0", "mistralai/Mistral-7B-v0.1", "Research use only; fully open source."),
    ("other", "google/gemma-2-9b", "Gemma is provided under the Gemma Terms of Use."),
    ("openrail++", "stabilityai/stable-diffusion-xl-base-1.0", "An image model."),
)


def _items() -> list[Item]:
    """Dump rows as the Hub writes them, read as a scan reads them."""
    items = []
    for n, (license_id, base, body) in enumerate(_CARDS):
        front = f"license: {license_id}\n" + (f"base_model: {base}\n" if base else "")
        card = f"---\n{front}datasets:\n- tatsu-lab/alpaca\n---\n\n# warm-{n}\n\n{body}\n"
        row: dict[str, Any] = {"modelId": f"warm/model-{n}", "sha": f"{n:040x}", "card": card}
        if n % 2:
            row["siblings"] = _FILES
        items.append(row_item(row, f"warm:{n}"))
    return items


def warm() -> None:
    """Audit the made-up releases, then freeze what is loaded (see the module's comment)."""
    with contextlib.suppress(Exception):  # a head start only: workers load what they need
        audit_batch(_items())
    gc.collect()
    gc.freeze()


warm()
