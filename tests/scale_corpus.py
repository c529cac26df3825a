"""Release folders and Hub metadata dumps built from the realistic example releases."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "releases"
WEIGHTS = {"model.safetensors", "pytorch_model.bin"}
NAMES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def card_only_dirs(root: Path) -> dict[str, Path]:
    """Each example release without its weights (what a metadata row can describe)."""
    out = {}
    for name in NAMES:
        target = root / name
        shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns(*WEIGHTS))
        out[name] = target
    return out


def hub_row(name: str) -> dict[str, Any]:
    """The Hub's metadata of an example (files_metadata=True), licence and small texts included."""
    folder = EXAMPLES / name
    siblings: list[dict[str, Any]] = []
    texts = {}
    for path in _files(folder):
        rel = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        entry: dict[str, Any] = {"rfilename": rel, "size": len(data)}
        weights = path.name in WEIGHTS
        if weights:
            entry["lfs"] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        siblings.append(entry)
        if not weights and rel != "README.md":
            texts[rel] = data.decode("utf-8")
    return {
        "id": f"examples/{name}",
        "sha": hashlib.sha1(name.encode()).hexdigest(),
        "lastModified": "2026-11-01T10:00:00.000Z",
        "tags": ["transformers", "safetensors"],
        "downloads": 1234,
        "card": (folder / "README.md").read_text(encoding="utf-8"),
        "siblings": siblings,
        "texts": texts,
    }


def write_jsonl(rows: list[dict[str, Any]], path: Path) -> Path:
    """A JSON Lines dump."""
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_parquet(rows: list[dict[str, Any]], path: Path) -> Path:
    """A Parquet dump; mappings with free keys are stored as JSON text, as Hub dumps store them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    flat = [{**r, "texts": json.dumps(r["texts"])} if "texts" in r else r for r in rows]
    pq.write_table(pa.Table.from_pylist(flat), path)
    return path


def essence(audit: dict[str, Any]) -> dict[str, Any]:
    """What must agree between sources: verdicts, component licences and findings."""
    return {
        "profiles": {k: (p["verdict"], p.get("label")) for k, p in audit["profiles"].items()},
        "components": [
            (c["name"], (c["license"] or {}).get("expression"), tuple(c["paths"]))
            for c in audit["components"]
        ],
        "findings": sorted((f["code"], f["severity"]) for f in audit["findings"]),
    }


def audits(jsonl: str) -> list[dict[str, Any]]:
    """The audits of a JSON Lines output, one per line."""
    out = []
    for line in jsonl.splitlines():
        doc = json.loads(line)
        assert doc["schema_version"] == "1.0"
        [audit] = doc["audits"]
        out.append(audit)
    return out


def generated_rows(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """*count* card-only dump rows: the example cards, each under its own repo id and licence."""
    import random

    rng = random.Random(seed)
    cards = [(EXAMPLES / name / "README.md").read_text(encoding="utf-8") for name in NAMES]
    licences = ["apache-2.0", "mit", "llama3.1", "cc-by-nc-4.0", "gemma", "openrail", None]
    rows = []
    for i in range(count):
        body = rng.choice(cards)
        body = body.split("---", 2)[2] if body.startswith("---") else body
        licence = rng.choice(licences)
        front = f"---\nlicense: {licence}\n---\n" if licence else ""
        card = f"{front}\n# model-{i}\n{body}"
        rows.append({"id": f"user{i % 37}/model-{i}", "sha": f"{i:040x}", "card": card})
    return rows
