"""A generation process killed mid-run continues where it stopped; chunking and mixing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from clearweights.generate import GenerateOptions, LeafKind, Seed, Teacher, generate, mix
from clearweights.generate.checkpoint import Checkpoint
from clearweights.generate.model import LeafResult
from clearweights.generate.pipeline import freeform
from clearweights.generate.units import chunk_text
from tests.generate_servers.fixtures import FixtureTeacher, fixture_teacher
from tests.generate_servers.scenario import HAIKU, RULES

__all__ = ["fixture_teacher"]

SCRIPT = """
import sys
from pathlib import Path
from dataclasses import replace
from clearweights.generate import GenerateOptions, Teacher, generate, LeafKind
from clearweights.generate.pipeline import freeform
from clearweights.generate import Seed
from tests.generate_servers.scenario import HAIKU
seeds = tuple(Seed(f"haiku#{i}", f"Write a haiku about thing {i}.", "Lines") for i in range(12))
leaf = replace(HAIKU, seeds=seeds)
options = GenerateOptions(Path(sys.argv[2]), scale=1, concurrency=1,
                          pipelines={LeafKind.FREEFORM: freeform(1)})
generate([leaf], Teacher(sys.argv[1], "t"), options)
"""


def _units(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(x)["unit"] for x in path.read_text().splitlines()[1:] if x.endswith("}")]


def test_a_killed_run_continues_and_loses_nothing(
    fixture_teacher: FixtureTeacher, tmp_path: Path
) -> None:
    slow = [{**r, "delay": 0.4} if "Example task" in r["match"] else r for r in RULES]
    fixture_teacher.rules(slow)
    out = tmp_path / "out"
    checkpoint = out / "checkpoints" / "compositional_skills__writing__haiku.jsonl"
    root = Path(__file__).parents[1]
    env = {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, fixture_teacher.url, str(out)], env=env, cwd=root
    )
    try:
        deadline = time.monotonic() + 120
        while (
            len(_units(checkpoint)) < 3 and time.monotonic() < deadline and process.poll() is None
        ):
            time.sleep(0.05)
    finally:  # killed on every path, also when reading the checkpoint fails
        process.send_signal(signal.SIGKILL)
        process.wait()
    done_before = _units(checkpoint)
    assert 3 <= len(done_before) < 12, "the run was not killed mid-way"
    assert not (out / "messages.jsonl").exists()

    fixture_teacher.rules(RULES)
    seeds = tuple(Seed(f"haiku#{i}", f"Write a haiku about thing {i}.", "Lines") for i in range(12))
    options = GenerateOptions(out, scale=1, pipelines={LeafKind.FREEFORM: freeform(1)})
    result = generate([replace(HAIKU, seeds=seeds)], Teacher(fixture_teacher.url, "t"), options)
    assert result.leaves[0].resumed == len(done_before)
    records = [json.loads(x) for x in (out / "messages.jsonl").read_text().splitlines()]
    assert sorted(r["metadata"]["unit"] for r in records) == sorted(
        f"seed:haiku#{i}" for i in range(12)
    )


def test_a_line_cut_by_a_kill_is_redone(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    fingerprint = {"seed": 1}
    path.write_text(
        json.dumps({"checkpoint": 1, "fingerprint": fingerprint}) + "\n"
        + json.dumps({"unit": "a", "records": [], "stats": [], "finished": "t"}) + "\n"
        + '{"unit": "b", "records": [{"question": "cut sh',
        encoding="utf-8",
    )  # fmt: skip
    checkpoint = Checkpoint(path, fingerprint)
    assert set(checkpoint.load()) == {"a"}
    from clearweights.generate.checkpoint import UnitDone

    checkpoint.append(UnitDone("b", (), (), "t2"))
    checkpoint.close()
    assert set(Checkpoint(path, fingerprint).load()) == {"a", "b"}


def test_chunks_keep_paragraphs_and_cut_long_ones() -> None:
    text = "one two three\n\nfour five\n\n" + " ".join(f"w{i}" for i in range(12))
    assert chunk_text(text, 5) == [
        "one two three\n\nfour five",
        "w0 w1 w2 w3 w4",
        "w5 w6 w7 w8 w9",
        "w10 w11",
    ]
    assert chunk_text("  \n\n ", 5) == []


def test_mix_caps_each_leaf_and_is_seeded() -> None:
    def leaf(name: str, n: int) -> LeafResult:
        samples = tuple({"id": f"{name}{i}"} for i in range(n))
        return LeafResult(name, LeafKind.FREEFORM, samples, (), n)

    leaves = [leaf("a", 5), leaf("b", 2)]
    mixed: list[dict[str, Any]] = mix(leaves, seed=3, max_per_leaf=3)
    assert sorted(s["id"] for s in mixed) == ["a0", "a1", "a2", "b0", "b1"]
    assert mixed == mix(leaves, seed=3, max_per_leaf=3)
    assert [s["id"] for s in mix(leaves, 4, None)] != [s["id"] for s in mix(leaves, 5, None)]
