"""Benchmark the pickle scanner against picklescan, fickling and modelscan.

The corpus is built here, at run time (nothing is stored): the hostile and benign samples of
``tests/pickle_corpus.py`` plus files written by the real frameworks (scikit-learn estimators
pickled and dumped with joblib, numpy arrays, torch checkpoints when torch is installed),
made in the benchmark's own environment ``.bench/pickle-venv``, which also holds the three
other scanners (never dependencies of clearweights; see the Makefile's ``bench`` target).

No sample is ever loaded, here or there; payloads only ever ``touch`` a sentinel file, and the
run fails if it appears. Each tool runs in-process in its own environment; the time is per
file, after start-up (median and maximum).

Run: ``python bench/pickle_scan.py [--write]`` (``--write`` updates docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import pickle_corpus  # noqa: E402

from clearweights.weights import scan_pickle  # noqa: E402

VENV = ROOT / ".bench" / "pickle-venv" / "bin" / "python"
TOOLS = ("clearweights", "picklescan", "fickling", "modelscan")

# Runs in .bench/pickle-venv: writes real framework files (dumping, never loading).
_FRAMEWORKS = r"""
import json, os, pickle, sys
from pathlib import Path
import joblib, numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
out, sentinel = Path(sys.argv[1]), sys.argv[2]
rng = np.random.RandomState(0)
X, y = rng.rand(60, 4), (rng.rand(60) > 0.5).astype(int)
models = {
    "logistic": LogisticRegression().fit(X, y),
    "forest": RandomForestClassifier(n_estimators=3, random_state=rng).fit(X, y),
    "pipeline": Pipeline([("s", StandardScaler()), ("m", LogisticRegression())]).fit(X, y),
    "tfidf": TfidfVectorizer().fit(["open weights", "clear licences for weights"]),
    "onehot": OneHotEncoder(dtype=np.float32).fit([["a"], ["b"]]),
    "knn": KNeighborsClassifier(algorithm="kd_tree").fit(X, y),
    "hgb": HistGradientBoostingClassifier(max_iter=3).fit(X, y),
}
made = []
def add(name, filename, malicious, kind, write):
    name = "real-" + name
    folder = out / name
    folder.mkdir()
    write(folder / filename)
    made.append([name, str(folder / filename), malicious, kind])
for name, model in models.items():
    for proto in (2, 4, 5):
        add(f"sklearn-{name}-p{proto}", "model.pkl", False, "scikit-learn (real)",
            lambda p, m=model, q=proto: p.write_bytes(pickle.dumps(m, protocol=q)))
    add(f"joblib-{name}", "model.joblib", False, "joblib (real)",
        lambda p, m=model: joblib.dump(m, p))
    add(f"joblib-{name}-zlib", "model.joblib", False, "joblib (real)",
        lambda p, m=model: joblib.dump(m, p, compress=3))
add("numpy-float", "array.npy", False, "numpy (real)", lambda p: np.save(p, rng.rand(8, 8)))
add("numpy-object", "array.npy", False, "numpy (real)",
    lambda p: np.save(p, np.array([{"a": 1}, "x", None], dtype=object)))
add("numpy-npz", "arrays.npz", False, "numpy (real)",
    lambda p: np.savez(p, a=rng.rand(3), b=np.array(["x", 1], dtype=object)))
add("numpy-rng", "state.pkl", False, "numpy (real)", lambda p: p.write_bytes(pickle.dumps(
    {"rng": np.random.default_rng(0), "legacy": np.random.RandomState(0), "w": rng.rand(3)})))
class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {sentinel}",))
add("joblib-payload", "model.joblib", True, "joblib payload (real)",
    lambda p: joblib.dump({"model": Payload()}, p))
add("joblib-payload-zlib", "model.joblib", True, "joblib payload (real)",
    lambda p: joblib.dump({"model": Payload()}, p, compress=3))
add("numpy-payload", "array.npy", True, "numpy object array",
    lambda p: np.save(p, np.array([Payload()], dtype=object)))
try:
    import torch
except ImportError:
    torch = None
if torch is not None:
    net = torch.nn.Linear(4, 2)
    add("torch-zip", "pytorch_model.bin", False, "PyTorch (real)",
        lambda p: torch.save(net.state_dict(), p))
    add("torch-legacy-real", "model.pt", False, "PyTorch (real)",
        lambda p: torch.save(net.state_dict(), p, _use_new_zipfile_serialization=False))
print(json.dumps(made))
"""

# Runs in .bench/pickle-venv: one tool over every file, in-process, timing each file.
_DRIVER = r"""
import json, sys, time, logging
logging.disable(logging.CRITICAL)
tool, paths = sys.argv[1], json.loads(sys.stdin.read())
if tool == "picklescan":
    from picklescan.scanner import scan_file_path
    def check(path):
        result = scan_file_path(path)
        return result.infected_files > 0, bool(result.scan_err)
elif tool == "fickling":
    import zipfile
    import fickling
    def check(path):  # stacked pickles, and pickle members of a zip
        results = [fickling.scan_file(path, graceful=True)]
        if zipfile.is_zipfile(path):
            results += fickling.scan_zip_archive(path, graceful=True).values()
        return any(not r.is_safe for r in results), any(r.errors for r in results)
else:
    from modelscan.modelscan import ModelScan
    def check(path):
        report = ModelScan().scan(path)
        return report["summary"]["total_issues"] > 0, bool(report.get("errors"))
results = {}
for path in paths:
    start = time.perf_counter()
    try:
        flagged, error = check(path)
    except BaseException:  # a tool that crashes on a file did not flag it
        flagged, error = False, True
    results[path] = [flagged, error, time.perf_counter() - start]
print(json.dumps(results))
"""


def _corpus(folder: Path, sentinel: Path) -> list[tuple[str, Path, bool, str]]:
    samples = []
    for sample in [*pickle_corpus.malicious(sentinel), *pickle_corpus.benign()]:
        (folder / sample.name).mkdir()
        path = folder / sample.name / sample.filename
        sample.write(path)
        samples.append((sample.name, path, sample.malicious, sample.kind))
    made = subprocess.run(
        [str(VENV), "-c", _FRAMEWORKS, str(folder), str(sentinel)],
        check=True,
        capture_output=True,
        text=True,
    )
    for name, path, malicious, kind in json.loads(made.stdout.strip().splitlines()[-1]):
        samples.append((name, Path(path), malicious, kind))
    return samples


def _ours(paths: list[Path]) -> dict[str, list[object]]:
    results: dict[str, list[object]] = {}
    for path in paths:
        start = time.perf_counter()
        scan = scan_pickle(path, path.name)
        results[str(path)] = [not scan.safe, scan.error is not None, time.perf_counter() - start]
    return results


def _theirs(tool: str, paths: list[Path]) -> dict[str, list[object]]:
    run = subprocess.run(
        [str(VENV), "-c", _DRIVER, tool],
        input=json.dumps([str(p) for p in paths]),
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise SystemExit(f"{tool} failed: {run.stderr[-2000:]}")
    result: dict[str, list[object]] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def _table(samples: list[tuple[str, Path, bool, str]], runs: dict[str, dict[str, Any]]) -> str:
    bad = [s for s in samples if s[2]]
    good = [s for s in samples if not s[2]]
    lines = ["| measure | " + " | ".join(TOOLS) + " |", "|---" * (len(TOOLS) + 1) + "|"]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    def count(group: list[tuple[str, Path, bool, str]], tool: str, index: int) -> int:
        return sum(bool(runs[tool][str(s[1])][index]) for s in group)

    row(f"malicious detected (of {len(bad)})", [str(count(bad, t, 0)) for t in TOOLS])
    row(f"benign flagged: false alarms (of {len(good)})", [str(count(good, t, 0)) for t in TOOLS])
    row("files with a scan error", [str(count(samples, t, 1)) for t in TOOLS])
    for label, pick in (("median", statistics.median), ("max", max)):
        times = [pick([float(runs[t][str(s[1])][2]) for s in samples]) * 1000 for t in TOOLS]
        row(f"time per file, {label} (ms)", [f"{x:.1f}" for x in times])
    lines += ["", "| malicious sample | class | " + " | ".join(TOOLS) + " |"]
    lines.append("|---" * (len(TOOLS) + 2) + "|")
    for name, path, _, kind in bad:
        marks = ["yes" if runs[t][str(path)][0] else "**no**" for t in TOOLS]
        lines.append(f"| `{name}` | {kind} | " + " | ".join(marks) + " |")
    alarms = [(n, k, [t for t in TOOLS if runs[t][str(p)][0]]) for n, p, _, k in good]
    lines += ["", "Benign files flagged: " + "; ".join(
        f"`{n}` ({', '.join(ts)})" for n, _, ts in alarms if ts
    ) + "."]  # fmt: skip
    return "\n".join(lines)


def _write_docs(section: str) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8")
    title = "## Pickle scanning (`bench/pickle_scan.py`)"
    start = text.find(title)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    else:
        end = text.find("\n## ", start + len(title))
        text = text[:start] + section + ("\n" + text[end:] if end >= 0 else "\n")
    doc.write_text(text, encoding="utf-8")


def main() -> int:
    if not VENV.exists():
        print(f"missing {VENV}: run `make bench` first", file=sys.stderr)
        return 2
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}")
    with tempfile.TemporaryDirectory() as tmp:
        folder, sentinel = Path(tmp) / "corpus", Path(tmp) / "SENTINEL"
        folder.mkdir()
        samples = _corpus(folder, sentinel)
        paths = [s[1] for s in samples]
        runs = {"clearweights": _ours(paths)}
        for tool in TOOLS[1:]:
            runs[tool] = _theirs(tool, paths)
        table = _table(samples, runs)
        if sentinel.exists():
            print("a payload ran: the sentinel file exists", file=sys.stderr)
            return 1
    print(table)
    if "--write" in sys.argv:
        _write_docs(_section(machine, table))
    return 0


def _section(machine: str, table: str) -> str:
    versions = subprocess.run(
        [str(VENV), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    pins = [
        line for line in versions.splitlines()
        if line.split("==")[0].lower() in {"picklescan", "fickling", "modelscan", "scikit-learn"}
    ]  # fmt: skip
    return (
        "## Pickle scanning (`bench/pickle_scan.py`)\n\n"
        f"Machine: {machine}, {time.strftime('%Y-%m-%d')}. Compared tools run in their own "
        f"environment (`.bench/pickle-venv`: {', '.join(pins)}), in-process, one file at a "
        "time. A file counts as detected when the tool calls it unsafe (picklescan: a dangerous "
        "import; fickling: `scan_file`, plus `scan_zip_archive` for zips, is not safe; "
        "modelscan: any issue; clearweights: a "
        "`SEC-PICKLE` finding). The corpus is built at run time by `tests/pickle_corpus.py` and, "
        "for real framework files, by scikit-learn, joblib and numpy in the benchmark's "
        "environment; no payload ever runs (a sentinel file is checked).\n\n"
        "Goal: detect every malicious sample any of the other tools detects, with no more false "
        "alarms than picklescan. clearweights' scan errors are files it reports as unreadable "
        "(a `WEIGHTS-UNREADABLE` finding), never as safe.\n\n" + table + "\n"
    )


if __name__ == "__main__":
    raise SystemExit(main())
