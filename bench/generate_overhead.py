"""Benchmark the overhead of `clearweights generate` over the teacher's own time.

A local OpenAI-compatible server (the tests' fixture teacher, a real HTTP process) answers each
request after a fixed delay standing for the model's generation time. Measured:

1. The server alone: the same number of requests the pipeline will send, at the same
   concurrency, from a bare httpx client: requests/s and the wall time they take.
2. Through the pipeline: a knowledge leaf (chunking, generate, parse, dedupe, two judges,
   checkpoints, records, card, BOM) against the same server at the same concurrency.

The pipeline's own overhead per sample = (the pipeline's CPU time - the bare client's CPU time
for as many requests) / samples, against the server's time per sample (server-alone wall time /
samples); target: under 5 %. CPU time is the fair measure on a shared two-core machine, where
the fixture server itself competes for the cores; wall times are reported beside it. A warm-up
run first pays the one-off imports, as a long real run amortises them.

Run: ``python bench/generate_overhead.py [--delay 0.5] [--concurrency 16] [--chunks 48]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx

from clearweights.generate import GenerateOptions, GenLeaf, LeafKind, Teacher, generate
from clearweights.generate.model import Sampling, Seed, SourceDocument
from clearweights.generate.pipeline import knowledge

SERVER = Path(__file__).parents[1] / "tests" / "generate_servers" / "fixture_server.py"


def _rules(delay: float) -> dict[str, object]:
    return {
        "rules": [
            {"match": "Reply with the word ready", "reply": "ready"},
            {
                "match": r"Now read this part.*?\[Document\]\n(?P<doc>[^\n]+)",
                "reply": "[Question] What does it say about \\g<doc>?\n[Answer] \\g<doc>",
                "delay": delay,
            },
            {"match": "fully supported", "reply": "[Judgment] YES", "delay": delay},
            {"match": "how relevant", "reply": "[Score] 2", "delay": delay},
        ]
    }


def _leaf(chunks: int) -> GenLeaf:
    text = "\n\n".join(
        f"Paragraph {i} says that fact number {i} holds for the constellation."
        for i in range(chunks)
    )
    doc = SourceDocument("bench/docs", "0" * 40, "doc.md", text, "CC-BY-4.0", "bench authors")
    seeds = tuple(Seed(f"s{i}", f"Question {i}?", f"Answer {i}.", "Context.") for i in range(3))
    return GenLeaf("knowledge/bench", LeafKind.KNOWLEDGE, seeds, domain="bench", documents=(doc,))


async def _server_alone(url: str, requests: int, concurrency: int) -> tuple[float, float]:
    gate = asyncio.Semaphore(concurrency)
    body = {
        "model": "bench",
        "messages": [{"role": "user", "content": "is it fully supported?"}],
        "max_tokens": 64,
    }
    async with httpx.AsyncClient(
        timeout=60, limits=httpx.Limits(max_connections=concurrency)
    ) as client:

        async def one() -> None:
            async with gate:
                response = await client.post(f"{url}/chat/completions", json=body)
                response.raise_for_status()

        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one() for _ in range(requests)))
        return time.perf_counter() - start, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.5, help="server seconds per request")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--chunks", type=int, default=48, help="units of work of the leaf")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.json"
        rules.write_text(json.dumps(_rules(args.delay)), encoding="utf-8")
        server = subprocess.Popen(
            [sys.executable, str(SERVER), str(rules)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert server.stdout is not None
            url = f"http://127.0.0.1:{server.stdout.readline().split()[1]}/v1"
            pipeline = replace(knowledge(scale=1), chunk_words=12)
            options = GenerateOptions(
                Path(tmp) / "out",
                scale=1,
                concurrency=args.concurrency,
                sampling=Sampling(max_tokens=64),
                pipelines={LeafKind.KNOWLEDGE: pipeline},
            )
            warm = replace(options, output=Path(tmp) / "warm-up")
            generate([_leaf(1)], Teacher(url, "bench"), warm)
            start, cpu = time.perf_counter(), time.process_time()
            result = generate([_leaf(args.chunks)], Teacher(url, "bench"), options)
            through, through_cpu = time.perf_counter() - start, time.process_time() - cpu
            requests = 1 + 3 * args.chunks  # the probe, then generate + two judges per chunk
            alone, alone_cpu = asyncio.run(_server_alone(url, requests, args.concurrency))
        finally:
            server.terminate()
            server.wait()
    samples = result.kept
    overhead = (through_cpu - alone_cpu) / samples
    server_per_sample = alone / samples
    print(f"server delay {args.delay} s, concurrency {args.concurrency}, {requests} requests")
    print(
        f"server alone:      {requests / alone:7.2f} requests/s, {samples / alone:6.2f} samples/s"
    )
    print(
        f"through pipeline:  {requests / through:7.2f} requests/s, "
        f"{samples / through:6.2f} samples/s"
    )
    print(f"client CPU: pipeline {through_cpu:.2f} s, bare client {alone_cpu:.2f} s")
    print(
        f"pipeline overhead per sample: {overhead * 1000:.1f} ms CPU = "
        f"{100 * overhead / server_per_sample:.2f} % of the server's {server_per_sample:.3f} s "
        "(target < 5 %)"
    )
    print(f"wall time: pipeline {through:.2f} s, server alone {alone:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
