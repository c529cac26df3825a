"""Every hostile class through every command that reads it, as a user would run it.

Each command runs in a subprocess with a timeout and an address-space limit; each must exit
with a documented code, name the offending file, print no traceback and modify nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile import corpus as hc

SRC = hc.ROOT / "src"
MEMORY = 1536 << 20  # address space of one command: generous for Python, tiny for a blow-up
CARD_TOP = "---\nlicense: mit\n---\n# Model\n\n"
TIMEOUT = 60  # far above a normal run (a second or two); a hang or quadratic blow-up passes it


@dataclass(frozen=True)
class Result:
    code: int
    out: str

    def clean(self, codes: set[int], *names: str) -> None:
        assert self.code in codes, self.out[-2000:]
        assert "Traceback" not in self.out, self.out[-2000:]
        assert "internal error" not in self.out, self.out[-2000:]
        for name in names:
            assert name in self.out, (name, self.out[-2000:])


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run(*args: str, cwd: Path, output: Path | None = None) -> Result:
    """Run the CLI; the text of *output* (when written) is added to what it printed."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "clearweights.cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=TIMEOUT,
        preexec_fn=_limit,
        check=False,
    )
    text = done.stdout.decode("utf-8") + done.stderr.decode("utf-8", errors="replace")
    if output is not None and output.exists():
        text += output.read_text(encoding="utf-8")
    return Result(done.returncode, text)


# Several commands in one process (one start-up, the catalogue loaded once), still under the
# timeout and the address-space limit; each command's output is captured on its own.
_DRIVER = """
import contextlib, io, json, sys
from clearweights.cli.main import main
results = []
for args in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    results.append([code, out.getvalue()])
sys.__stdout__.write(json.dumps(results))
"""


def run_all(calls: list[tuple[list[str], Path | None]], cwd: Path) -> list[Result]:
    """Run CLI commands in one process; each result adds the text of its output file."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, json.dumps([args for args, _ in calls])],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=TIMEOUT * len(calls),
        preexec_fn=_limit,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", errors="replace")[-2000:]
    results = []
    for (code, printed), (_, output) in zip(json.loads(done.stdout), calls, strict=True):
        written = output.read_text(encoding="utf-8") if output and output.exists() else ""
        results.append(Result(code, printed + written))
    return results


def snapshot(folder: Path) -> dict[str, str]:
    """Digest of every regular file under *folder* (special files are never read)."""
    out = {}
    stack = [folder]
    while stack:
        for entry in os.scandir(stack.pop()):
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                out[entry.path] = hashlib.sha256(Path(entry.path).read_bytes()).hexdigest()
            else:
                out[entry.path] = stat.filemode(entry.stat(follow_symlinks=False).st_mode)
    return out


def through_all(target: Path, tmp: Path, *names: str, readable: bool = True) -> None:
    """audit (JSON), report (HTML), check and bom on *target*, which must stay unmodified.

    With ``readable`` the release is audited (exit 0; check 0 or 1) and *names* appear in the
    audit and the report; otherwise the whole release fails (exit 3) naming *names*.
    """
    before = snapshot(target) if target.is_dir() else None
    ok = {0} if readable else {3}
    report, bom = tmp / "report.html", tmp / "bom.json"
    audited, reported, checked, built = run_all(
        [
            (["audit", str(target), "--format", "json"], None),
            (["report", str(target), "-o", str(report)], report),
            (["check", str(target), "--policy", "pragmatic"], None),
            (["bom", str(target), "-o", str(bom)], None),
        ],
        cwd=tmp,
    )
    audited.clean(ok, *names)
    reported.clean(ok, *names)
    checked.clean({0, 1} if readable else {3})
    built.clean({0} if readable else {2, 3})
    if before is not None:
        assert snapshot(target) == before


def test_alias_bomb_in_the_card(tmp_path: Path) -> None:
    card = "---\nlicense: mit\n" + hc.alias_bomb() + "---\n# Model\n"
    folder = hc.release(tmp_path / "r", {"README.md": card})
    through_all(folder, tmp_path, "README.md", "alias bomb")


def test_alias_bomb_and_deep_nesting_in_a_policy(tmp_path: Path) -> None:
    folder = hc.release(tmp_path / "r")
    bomb = tmp_path / "bomb.yml"
    bomb.write_text("policy: x\nversion: 1\n" + hc.alias_bomb(), encoding="utf-8")
    deep = tmp_path / "deep.yml"
    deep.write_text("policy: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    huge = tmp_path / "huge.yml"
    huge.write_text("policy: x\nversion: 1\n# " + "x" * (20 << 20) + "\n", encoding="utf-8")
    results = run_all(
        [(["check", str(folder), "--policy", str(p)], None) for p in (bomb, deep, huge)],
        cwd=tmp_path,
    )
    results[0].clean({2}, "bomb.yml", "alias")
    results[1].clean({2}, "deep.yml", "nested")
    results[2].clean({2}, "huge.yml", "limit")


def test_alias_bomb_and_huge_values_in_a_mof_file(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yml"
    bomb.write_text("framework:\n  name: x\n" + hc.alias_bomb(), encoding="utf-8")
    through_all(bomb, tmp_path, "bomb.yml", readable=False)
    wrong = tmp_path / "wrong.yml"
    wrong.write_text("[" + ", ".join(["x" * 100] * 20_000) + "]\n", encoding="utf-8")
    result = run("audit", str(wrong), cwd=tmp_path)
    result.clean({3}, "wrong.yml", "more characters")
    assert len(result.out) < 5000


def test_deeply_nested_json_everywhere(tmp_path: Path) -> None:
    deep = hc.deep_json()
    folder = hc.release(tmp_path / "r", {"config.json": deep, "adapter_config.json": deep})
    through_all(folder, tmp_path)
    mof = tmp_path / "deep.yml"
    mof.write_text("release: " + deep + "\n", encoding="utf-8")
    run("audit", str(mof), cwd=tmp_path).clean({3}, "deep.yml", "nested")
    bom = tmp_path / "bom.json"
    bom.write_text(deep, encoding="utf-8")
    run("bom", "validate", str(bom), cwd=tmp_path).clean({1}, "bom.json", "nested")


def test_fifo_named_licence_and_a_device_named_like_weights(tmp_path: Path) -> None:
    folder = hc.release(tmp_path / "r", {"LICENSE": "placeholder"})
    (folder / "LICENSE").unlink()
    os.mkfifo(folder / "LICENSE")
    names = ["LICENSE", "FIFO"]
    if hc.can_make_devices(tmp_path):
        os.mknod(folder / "pytorch_model.bin", stat.S_IFCHR | 0o600, os.makedev(1, 5))
        names += ["pytorch_model.bin", "character device"]
    through_all(folder, tmp_path, *names)


def test_a_device_or_fifo_given_as_a_signing_key(tmp_path: Path) -> None:
    folder = hc.release(tmp_path / "r")
    fifo = tmp_path / "key.pem"
    os.mkfifo(fifo)
    run("sign", str(folder), "--key", str(fifo), cwd=tmp_path).clean({3}, "key.pem", "FIFO")
    run("verify", str(folder), "--key", str(fifo), cwd=tmp_path).clean({3})
    if hc.can_make_devices(tmp_path):
        device = tmp_path / "zero.pem"
        os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 5))
        result = run("sign", str(folder), "--key", str(device), cwd=tmp_path)
        result.clean({3}, "zero.pem", "character device")


def test_deeply_nested_signature_bundle(tmp_path: Path) -> None:
    pytest.importorskip("model_signing")
    folder = hc.release(tmp_path / "r", {"model.sig": hc.deep_json()})
    key = tmp_path / "key.pub.pem"
    key.write_text(_public_key(), encoding="utf-8")
    run("verify", str(folder), "--key", str(key), cwd=tmp_path).clean({3}, "model.sig")


def _public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode()


def test_symlink_loops_and_deep_folders(tmp_path: Path) -> None:
    folder = hc.release(tmp_path / "r")
    (folder / "a.bin").symlink_to("b.bin")
    (folder / "b.bin").symlink_to("a.bin")
    (folder / "self").symlink_to(".")
    top = hc.deep_folders(folder, 2000)
    try:
        through_all(folder, tmp_path, "a.bin", "symlink loop", "nested over")
    finally:
        hc.remove_deep(top)


def test_non_utf8_file_names_in_every_format(tmp_path: Path) -> None:
    folder = hc.release(tmp_path / "r")
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.py"), "wb") as handle:
        handle.write(b"x = 1\n")
    checks = [(["check", str(folder), "--policy", "pragmatic", "--format", f], None)
              for f in ("sarif", "junit")]  # fmt: skip
    audits = [(["audit", str(folder), "--format", f], None)
              for f in ("json", "markdown", "text", "mof-yaml")]  # fmt: skip
    report = tmp_path / "report.html"
    boms = {f: tmp_path / f"bom.{f}.json" for f in ("cyclonedx", "spdx3")}
    results = run_all(
        [
            *checks,
            *audits,
            (["report", str(folder), "-o", str(report)], None),
            *((["bom", str(folder), "--format", f, "-o", str(o)], None) for f, o in boms.items()),
        ],
        cwd=tmp_path,
    )
    for result in results[:2]:
        result.clean({0, 1})
    for fmt, result in zip(("json", "markdown", "text", "mof-yaml"), results[2:6], strict=True):
        shown = {"json": "caf\\\\xe9.py", "text": "caf\\xe9.py"}.get(fmt)
        result.clean({0}, *([shown] if shown else []))
    for result in results[6:]:
        result.clean({0})
    assert report.stat().st_size > 0
    for out in boms.values():
        assert "caf\\\\xe9.py" in out.read_text(encoding="utf-8")
        json.loads(out.read_text(encoding="utf-8"))


def test_card_cut_by_the_size_cap_and_a_line_of_negated_claims(tmp_path: Path) -> None:
    long_front = "---\nlicense: mit\ntags:\n" + "- tag\n" * 500_000 + "---\n# Model\n"
    folder = hc.release(tmp_path / "cut", {"README.md": long_front})
    through_all(folder, tmp_path, "README.md", "front matter cut")
    line = "This is not open source. " * 90_000  # 2 MB, one line
    folder = hc.release(tmp_path / "neg", {"README.md": CARD_TOP + line + "\n"})
    through_all(folder, tmp_path)


def test_hostile_weight_headers(tmp_path: Path) -> None:
    outside = hc.safetensors({"w": ("F32", [2, 2], [0, 1 << 40])}, bytes(16))
    overlap = hc.safetensors({"a": ("F32", [4], [0, 16]), "b": ("F32", [4], [8, 24])}, bytes(24))
    dtype = hc.safetensors({"w": ("F99", [4], [0, 16])}, bytes(16))
    shape = hc.safetensors({"w": ("F32", [1 << 62, 1 << 62, 1 << 62], [0, 16])}, bytes(16))
    folder = hc.release(
        tmp_path / "r",
        {
            "outside.safetensors": outside,
            "overlap.safetensors": overlap,
            "dtype.safetensors": dtype,
            "shape.safetensors": shape,
            "v9.gguf": hc.gguf(9, 0, 0, bytes(64)),
            "truncated.gguf": hc.gguf(3, 1000, 0, bytes(64)),
        },
    )
    names = ["outside", "overlap", "dtype", "shape", "v9.gguf", "truncated.gguf", "WEIGHTS-INVALID"]
    through_all(folder, tmp_path, *names)


def test_huge_safetensors_header_in_bounded_memory(tmp_path: Path) -> None:
    header = json.dumps({"__metadata__": {"note": "x" * (99 << 20)}}).encode()
    folder = hc.release(tmp_path / "r", {"big.safetensors": struct_len(header) + header})
    run("audit", str(folder), "--format", "json", cwd=tmp_path).clean({0})


def struct_len(header: bytes) -> bytes:
    return len(header).to_bytes(8, "little")


def test_zip_whose_central_directory_lies(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}q\x00." * 100)
    raw = bytearray(path.read_bytes())
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (1 << 30).to_bytes(4, "little")  # uncompressed size
    folder = hc.release(tmp_path / "r", {"pytorch_model.bin": bytes(raw)})
    through_all(folder, tmp_path, "pytorch_model.bin")
    debug = run("--debug", "audit", str(folder), cwd=tmp_path)
    assert "internal error" not in debug.out


def test_many_licence_files(tmp_path: Path) -> None:
    folder = hc.release(tmp_path / "r")
    for i in range(3000):  # quadratic lookups took minutes at this size
        sub = folder / f"pkg{i:04d}"
        sub.mkdir()
        (sub / "LICENSE").write_text(hc.MIT, encoding="utf-8")
        (sub / "module.py").write_text("x = 1\n", encoding="utf-8")
    audited, built = run_all(
        [
            (["audit", str(folder), "--format", "json"], None),
            (["bom", str(folder), "-o", str(tmp_path / "bom.json")], None),
        ],
        cwd=tmp_path,
    )
    audited.clean({0})
    built.clean({0})


def test_hub_cache_with_dangling_links(tmp_path: Path) -> None:
    cache = tmp_path / "hub"
    snapshot = cache / "models--example--gone" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (cache / "models--example--gone" / "blobs").mkdir()
    for name in ("LICENSE", "README.md", "model.safetensors"):
        (snapshot / name).symlink_to(Path("..") / ".." / "blobs" / f"{name}-missing")
    env_cache = {"HF_HUB_CACHE": str(cache)}
    os.environ.update(env_cache)
    try:
        result = run("audit", "example/gone", cwd=tmp_path)
    finally:
        os.environ.pop("HF_HUB_CACHE")
    result.clean({3}, "example/gone", "missing")
    assert "not in the local Hugging Face cache" not in result.out


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_licence(tmp_path: Path) -> None:
    folder = hc.release(tmp_path / "r")
    (folder / "LICENSE").chmod(0)
    try:
        through_all(folder, tmp_path, "LICENSE", "permission denied")
    finally:
        (folder / "LICENSE").chmod(0o644)
