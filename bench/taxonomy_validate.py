"""Benchmark `clearweights taxonomy validate` on a generated 1,000-leaf taxonomy.

The taxonomy mixes 400 knowledge leaves (five 60-word contexts with three Q&A each, documents in
one of 20 local git repositories pinned by commit, with a real licence text), 300 freeform and
300 grounded skill leaves (five seeds each): the shape and size of upstream leaves, every text
distinct so near-duplicate detection has real work. Every check runs: yamllint, the schemas,
attribution, documents and licence files at the pinned commit, personal data, size,
near-duplicates. Target: under 10 s on 2 cores.

Run: ``make bench`` or ``python bench/taxonomy_validate.py [--leaves N] [--workers N]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LICENCES = ROOT / "tests" / "corpus" / "licences"
WORDS = [
    "star",
    "galaxy",
    "river",
    "mountain",
    "harbour",
    "library",
    "engine",
    "theorem",
    "cell",
    "protein",
    "market",
    "treaty",
    "poem",
    "melody",
    "glacier",
    "forest",
    "city",
    "bridge",
    "comet",
    "planet",
    "ocean",
    "desert",
    "language",
    "alphabet",
    "painting",
    "canal",
    "railway",
    "telescope",
    "archive",
    "season",
    "garden",
    "volcano",
    "island",
    "festival",
]
ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+0000",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+0000",
}


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def make_repo(folder: Path, rng: random.Random, licence: str) -> str:
    folder.mkdir(parents=True)
    for i in range(5):
        (folder / f"doc{i}.md").write_text(f"# Document {i}\n\n{sentence(rng, 400)}\n")
    (folder / "LICENSE").write_bytes((LICENCES / f"{licence}.txt").read_bytes())
    env = {**os.environ, **ENV}
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "commit.gpgsign=false", "commit", "-qm", "d"],
    ):
        subprocess.run(["git", "-C", str(folder), *args], env=env, check=True)
    done = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], env=env, check=True,
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout.strip()


def knowledge(rng: random.Random, repo: str, commit: str) -> str:
    seeds = []
    for _ in range(5):
        qnas = "".join(
            f"      - question: {sentence(rng, 10)}\n        answer: {sentence(rng, 20)}\n"
            for _ in range(3)
        )
        seeds.append(
            f"  - context: |\n      {sentence(rng, 60)}\n    questions_and_answers:\n{qnas}"
        )
    return (
        f"version: 3\ndomain: {rng.choice(WORDS)}\ncreated_by: bench\n"
        f"document_outline: {sentence(rng, 8)}\nseed_examples:\n{''.join(seeds)}"
        f"document:\n  repo: {repo}\n  commit: {commit}\n"
        f"  patterns:\n    - doc{rng.randrange(5)}.md\n"
    )


def skill(rng: random.Random, grounded: bool) -> str:
    seeds = []
    for _ in range(5):
        context = f"    context: {sentence(rng, 40)}\n" if grounded else ""
        seeds.append(
            f"  - question: {sentence(rng, 12)}\n{context}    answer: {sentence(rng, 30)}\n"
        )
    return (
        f"version: 3\ncreated_by: bench\ntask_description: {sentence(rng, 12)}\n"
        f"seed_examples:\n{''.join(seeds)}"
    )


ATTRIBUTION = (
    "Title of work: {title}\nLink to work: https://example.org/{title}\nRevision: 1\n"
    "License of the work: {licence}\nCreator names: Bench Authors\n"
)


def generate(root: Path, leaves: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    licences = ["CC-BY-SA-4.0", "CC-BY-4.0", "Apache-2.0", "MIT", "CC0-1.0"]
    repos = []
    for i in range(20):
        licence = licences[i % len(licences)]
        repos.append(
            (
                f".documents/repo{i}",
                make_repo(root / ".documents" / f"repo{i}", rng, licence),
                licence,
            )
        )
    for i in range(leaves):
        kind = ("knowledge", "freeform", "grounded")[0 if i % 10 < 4 else (1 if i % 10 < 7 else 2)]
        if kind == "knowledge":
            repo, commit, licence = repos[i % len(repos)]
            folder = root / "knowledge" / rng.choice(WORDS) / f"leaf{i:04d}"
            text = knowledge(rng, repo, commit)
        else:
            licence = "Apache-2.0"
            folder = root / "compositional_skills" / kind / rng.choice(WORDS) / f"leaf{i:04d}"
            text = skill(rng, kind == "grounded")
        folder.mkdir(parents=True)
        (folder / "qna.yaml").write_text(text)
        (folder / "attribution.txt").write_text(
            ATTRIBUTION.format(title=f"leaf{i}", licence=licence)
        )


def run(root: Path, workers: int) -> tuple[float, float, int, int]:
    """Wall time, CPU time of this process and its children, leaves, findings."""
    from clearweights.taxonomy.validate import ValidationOptions, validate

    cpu0 = os.times()
    start = time.perf_counter()
    report = validate([root], ValidationOptions(workers=workers))
    wall = time.perf_counter() - start
    cpu1 = os.times()
    cpu = sum(cpu1[:4]) - sum(cpu0[:4])
    return wall, cpu, len(report.leaves), len(report.findings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leaves", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    cores = os.cpu_count()
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "taxonomy"
        generate(root, args.leaves)
        size = sum(p.stat().st_size for p in root.rglob("qna.yaml"))
        print(f"{args.leaves} leaves, {size / 1e6:.1f} MB of qna.yaml")
        for workers in sorted({1, args.workers}):
            wall, cpu, leaves, findings = run(root, workers)
            print(f"  {workers} worker(s): {wall:.2f} s wall, {cpu:.2f} s CPU, "
                  f"{leaves} leaves, {findings} findings")  # fmt: skip
            if findings:
                print(
                    "  unexpected findings: the generated taxonomy should be clean", file=sys.stderr
                )
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
