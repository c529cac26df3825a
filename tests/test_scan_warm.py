"""The local pool's fork server readies the audit code (scale._warm): same audits, warm workers."""

from __future__ import annotations

import importlib.util
import io
import shutil
import subprocess
import sys
from pathlib import Path

from clearweights.scale import scan, sources_for
from clearweights.scale.engines import PoolEngine, SerialEngine

ROOT = Path(__file__).resolve().parent.parent


def _generate(path: Path, count: int) -> None:
    """The benchmark's Hub-like dump (bench/scan_releases.py): its first *count* rows."""
    spec = importlib.util.spec_from_file_location("scan_releases", ROOT / "bench/scan_releases.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.generate(path, count)


def test_warm_workers_audit_as_this_process_does(tmp_path: Path) -> None:
    """Hub-like dump rows, then every example release, then the rows again in reverse order:
    the pool's warm workers write the documents this process writes, byte for byte."""
    dump = tmp_path / "rows.jsonl"
    _generate(dump, 240)
    lines = dump.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "reversed.jsonl").write_text("".join(reversed(lines)), encoding="utf-8")
    examples = tmp_path / "examples"
    for release in (ROOT / "examples/releases").iterdir():
        if release.is_dir():
            shutil.copytree(release, examples / release.name)
    sources = [str(dump), str(examples), str(tmp_path / "reversed.jsonl")]
    here, pooled = io.StringIO(), io.StringIO()
    scan(sources_for(sources), sink=here, engine=SerialEngine())
    summary = scan(sources_for(sources), sink=pooled, engine=PoolEngine(2), batch=16)
    assert summary.audited == 2 * 240 + len(list(examples.iterdir()))
    assert pooled.getvalue() == here.getvalue()


def test_the_warm_up_audits_its_releases_and_freezes_them() -> None:
    """The made-up releases audit without error (a failure would be silently skipped, and the
    workers would start cold); run in a fresh interpreter, as the fork server imports it."""
    code = (
        "import gc, clearweights.scale._warm as warm\n"
        "from clearweights.scale.worker import audit_batch\n"
        "outcomes = audit_batch(warm._items())\n"
        "print(len(outcomes), sum(o.failed for o in outcomes), gc.get_freeze_count() > 0)\n"
    )
    env_path = str(ROOT / "src")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": env_path}, check=True, timeout=120)  # fmt: skip
    assert done.stdout.split() == ["6", "0", "True"]
