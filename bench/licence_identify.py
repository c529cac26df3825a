"""Benchmark licence identification against ScanCode on the same files.

Measures, pinned to one core: median time to identify a full AI licence text and a one-line
notice (after start-up), the start-up of ``clearweights license identify`` as a process, and
peak memory; then runs ScanCode (installed only in the benchmark's own environment,
``.bench/scancode-venv``; ``make bench`` creates it) on the same files and prints both sides,
the ratios and each tool's accuracy on the benchmark corpus.

Run: ``make bench`` (or ``python bench/licence_identify.py --no-scancode``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
SCANCODE_PY = ROOT / ".bench" / "scancode-venv" / "bin" / "python"
CLI = Path(sys.executable).parent / "clearweights"


def _pin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _perturb(text: str) -> str:
    """Straight quotes, no date lines, a header: what users' copies look like."""
    table: dict[str, str | int | None] = {"\u201c": '"', "\u201d": '"', "\u2019": "'"}
    text = text.translate(str.maketrans(table))
    lines = [
        ln
        for ln in text.splitlines()
        if not re.search(r"(release date|last modified|dated)\s*:", ln, re.I)
    ]
    return "LICENSE\n\nCopyright 2025 Example Labs.\n\n" + "\n".join(lines)


def build_cases(workdir: Path) -> tuple[list[tuple[Path, str]], list[tuple[Path, str]]]:
    """Write the benchmark files: (full AI texts and perturbed copies, one-line notices)."""
    from clearweights.licenses._catalogue import load

    cat = load()
    full: list[tuple[Path, str]] = []
    for path in sorted((CORPUS / "licences").glob("LicenseRef-*.txt")):
        if cat.licences[path.stem].kind != "licence":  # type: ignore[index]
            continue
        text = path.read_text(encoding="utf-8")
        full.append((path, path.stem))
        copy = workdir / f"{path.stem}.perturbed.txt"
        copy.write_text(_perturb(text), encoding="utf-8")
        full.append((copy, path.stem))
    notices: list[tuple[Path, str]] = []
    rows = (CORPUS / "notices" / "labels.tsv").read_text(encoding="utf-8").splitlines()
    for i, row in enumerate(r for r in rows if r and not r.startswith("#")):
        text, expected = row.rsplit("\t", 1)
        path = workdir / f"notice-{i:02d}.txt"
        path.write_text(text + "\n", encoding="utf-8")
        notices.append((path, expected))
    return full, notices


def time_ours(cases: list[tuple[Path, str]], repeat: int) -> tuple[float, float]:
    """Median milliseconds per file and accuracy of clearweights, in-process after start-up."""
    from clearweights.licenses import identify

    texts = [(p.read_text(encoding="utf-8"), expected) for p, expected in cases]
    identify(texts[0][0])  # start-up: catalogue and index
    times: list[float] = []
    correct = 0
    for text, expected in texts:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            found = identify(text)
            best = min(best, time.perf_counter() - start)
        times.append(best * 1000)
        correct += bool(found.licences) and found.licences[0].licence.id == expected
    return statistics.median(times), correct / len(texts)


def startup_ms(sample: Path, runs: int = 7) -> float:
    """Median wall time of a whole ``clearweights license identify`` process."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [str(CLI), "license", "identify", str(sample)], check=True, capture_output=True
        )
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def peak_rss_mb(paths: list[Path]) -> float:
    """Peak resident memory of one process identifying every benchmark file."""
    code = (
        "import resource,sys\n"
        "from clearweights.licenses import identify_file\n"
        "[identify_file(p) for p in sys.argv[1:]]\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, paths)], check=True, capture_output=True, text=True
    )
    return int(out.stdout.strip()) / 1024


SCANCODE_SCRIPT = r"""
import json, sys, time, resource
t0 = time.perf_counter()
from licensedcode.cache import get_index
from scancode.api import get_licenses
get_index()
startup = time.perf_counter() - t0
out = {"startup_s": startup, "files": {}}
for path in sys.argv[1:]:
    start = time.perf_counter()
    result = get_licenses(path)
    elapsed = (time.perf_counter() - start) * 1000
    keys = []
    for detection in result.get("license_detections", []):
        for m in detection.get("matches", []):
            keys.append(m.get("license_expression", ""))
    out["files"][path] = {"ms": elapsed, "keys": keys}
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def run_scancode(cases: list[tuple[Path, str]]) -> dict[str, object] | None:
    """Run ScanCode on the same files in its own environment; ``None`` if it is not installed."""
    if not SCANCODE_PY.exists():
        return None
    env = dict(os.environ)
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "0",
            str(SCANCODE_PY),
            "-c",
            SCANCODE_SCRIPT,
            *[str(p) for p, _ in cases],
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def scancode_accuracy(
    result: dict[str, object], cases: list[tuple[Path, str]]
) -> tuple[float, float]:
    """Median ms and accuracy: the first detected key must be the expected licence's key."""
    from clearweights.licenses._catalogue import load

    cat = load()
    files = result["files"]
    assert isinstance(files, dict)
    times, correct = [], 0
    for path, expected in cases:
        entry = files[str(path)]
        times.append(entry["ms"])
        record = cat.licences[expected]  # type: ignore[index]
        want = record.scancode_key or (record.spdx_id or "").lower()
        keys = entry["keys"]
        correct += bool(want) and bool(keys) and keys[0] == want
    return statistics.median(times), correct / len(cases)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-scancode", action="store_true", help="measure clearweights only")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    _pin()
    with tempfile.TemporaryDirectory() as tmp:
        full, notices = build_cases(Path(tmp))
        full_ms, full_acc = time_ours(full, args.repeat)
        notice_ms, notice_acc = time_ours(notices, args.repeat * 4)
        start = startup_ms(full[0][0])
        rss = peak_rss_mb([p for p, _ in full + notices])
        machine = f"{platform.machine()}, {os.cpu_count()} cores"
        print(f"machine: {machine}, Python {platform.python_version()}, pinned to 1 core")
        print(f"corpus: {len(full)} full AI licence texts (verbatim + perturbed), ", end="")
        print(f"{len(notices)} one-line notices")
        print("clearweights:")
        print(f"  full text  median {full_ms:8.3f} ms   accuracy {full_acc:.1%}")
        print(f"  notice     median {notice_ms:8.3f} ms   accuracy {notice_acc:.1%}")
        print(f"  process start-up (identify one file) {start:.0f} ms; peak RSS {rss:.0f} MB")
        if args.no_scancode:
            return 0
        result = run_scancode(full + notices)
        if result is None:
            print("scancode: not installed (run `make bench` to create .bench/scancode-venv)")
            return 0
        sc_full_ms, sc_full_acc = scancode_accuracy(result, full)
        sc_notice_ms, sc_notice_acc = scancode_accuracy(result, notices)
        print("scancode-toolkit-mini 32.5.0 (same files, same core):")
        print(f"  full text  median {sc_full_ms:8.3f} ms   accuracy {sc_full_acc:.1%}")
        print(f"  notice     median {sc_notice_ms:8.3f} ms   accuracy {sc_notice_acc:.1%}")
        sc_start, sc_rss = float(str(result["startup_s"])), float(str(result["peak_rss_mb"]))
        print(f"  index start-up {sc_start:.2f} s; peak RSS {sc_rss:.0f} MB")
        print("ratio (scancode / clearweights):")
        print(f"  full text {sc_full_ms / full_ms:.0f}x   notice {sc_notice_ms / notice_ms:.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
