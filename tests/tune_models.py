"""Tiny randomly initialised Llama-shaped models, written as real releases (weights, tokenizer,
config, card and licence file), for the fine-tuning tests. Nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

from clearweights.tune.tiny import build_tiny_base

CORPUS = Path(__file__).parent / "corpus" / "licences"


def build_base(
    root: Path,
    texts: list[str],
    *,
    license_id: str = "apache-2.0",
    license_file: str | None = "Apache-2.0.txt",
    name: str = "tiny-base",
    seed: int = 0,
) -> Path:
    """A tiny base release with a real licence text from the corpus."""
    text = (CORPUS / license_file).read_text(encoding="utf-8") if license_file else None
    return build_tiny_base(root, texts, license_id=license_id, license_text=text, name=name,
                           seed=seed)  # fmt: skip


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
