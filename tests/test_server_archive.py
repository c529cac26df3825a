"""Uploaded archives: real releases unpack and audit; hostile archives are refused whole."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clearweights.server import Settings, create_app
from clearweights.server.archive import ArchiveRejected, Limits, unpack
from clearweights.server.tokens import Scope, create_token
from tests.server_support import EXAMPLES, copy_store, examples_store

API = "/api/v1"


def tar_of(folder: Path, mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        archive.add(folder, arcname=folder.name)
    return buffer.getvalue()


def zip_of(entries: dict[str, bytes], *, mode: int | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode is not None:
                info.external_attr = mode << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def tar_with(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


def test_a_real_release_unpacks_file_for_file(tmp_path: Path) -> None:
    source = EXAMPLES / "llama-3.1-finetune"
    count = unpack(tar_of(source), tmp_path)
    files = sorted(
        p.relative_to(tmp_path / source.name) for p in tmp_path.rglob("*") if p.is_file()
    )
    assert files == sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    assert count == len(files)
    for path in files:
        assert (tmp_path / source.name / path).read_bytes() == (source / path).read_bytes()


HOSTILE: dict[str, Any] = {
    "climbs out": lambda: zip_of({"../evil.txt": b"x"}),
    "climbs out deeper": lambda: zip_of({"a/../../evil.txt": b"x"}),
    "absolute": lambda: zip_of({"/etc/evil": b"x"}),
    "drive": lambda: zip_of({"C:/evil": b"x"}),
    "backslash": lambda: zip_of({"..\\evil": b"x"}),
    "zip symlink": lambda: zip_of({"LICENSE": b"/etc/passwd"}, mode=stat.S_IFLNK | 0o777),
    "tar symlink": lambda: tar_with((member("LICENSE", tarfile.SYMTYPE, "/etc/passwd"), None)),
    "tar hard link": lambda: tar_with((member("LICENSE", tarfile.LNKTYPE, "/etc/passwd"), None)),
    "tar device": lambda: tar_with((member("dev", tarfile.CHRTYPE), None)),
    "tar fifo": lambda: tar_with((member("fifo", tarfile.FIFOTYPE), None)),
    "tar climbs": lambda: tar_with((member("../../evil"), b"x")),
    "duplicate": lambda: tar_with((member("README.md"), b"a"), (member("readme.md"), b"b")),
    "zip bomb": lambda: zip_of({"README.md": b"\0" * (40 * 1024 * 1024)}),
    "gzip bomb": lambda: tar_with((member("README.md"), b"\0" * (40 * 1024 * 1024))),
    "not an archive": lambda: b"this is plain text, not an archive",
    "empty": lambda: zip_of({}),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archives_are_refused(tmp_path: Path, case: str) -> None:
    target = tmp_path / "release"
    target.mkdir()
    limits = Limits(max_files=100, max_unpacked=8 * 1024 * 1024, max_ratio=200)
    with pytest.raises(ArchiveRejected):
        unpack(HOSTILE[case](), target, limits)
    assert not (tmp_path / "evil.txt").exists() and not Path("/etc/evil").exists()
    assert not any(p.is_symlink() for p in target.rglob("*"))


def test_a_hundred_thousand_tiny_files_are_refused_before_any_is_written(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for n in range(100_000):
            archive.writestr(f"f/{n}", b"")
    started = time.perf_counter()
    with pytest.raises(ArchiveRejected, match="100000 members"):
        unpack(buffer.getvalue(), tmp_path, Limits(max_files=2000))
    assert not any(tmp_path.iterdir())
    tarred = tar_with(*((member(f"f/{n}"), b"") for n in range(3000)))
    with pytest.raises(ArchiveRejected, match="more than 2000 members"):
        unpack(tarred, tmp_path, Limits(max_files=2000))
    assert time.perf_counter() - started < 120  # a guard against hanging, not a benchmark


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    db = copy_store(examples_store(), tmp_path / "store.db")
    with TestClient(create_app(Settings(store=str(db), refresh_seconds=0, workers=1))) as test:
        yield test


def uploads(client: TestClient) -> set[str]:
    """The upload folders waiting in the server's spool (in its data folder, beside the store)."""
    spool = client.app.state.jobs.spool  # type: ignore[attr-defined]
    assert spool.parent == Path(client.app.state.registry.settings.store).parent  # type: ignore[attr-defined]
    return set(os.listdir(spool)) if spool.is_dir() else set()


def test_an_uploaded_release_is_audited_in_the_background(client: TestClient) -> None:
    engine = client.app.state.registry.engine  # type: ignore[attr-defined]
    auth = {"Authorization": f"Bearer {create_token(engine, 'ci', Scope.SUBMIT)[1]}"}
    before = uploads(client)
    data = tar_of(EXAMPLES / "open-washing")
    form = {"name": "acme/super-open"}
    first = client.post(f"{API}/submissions/archive", files={"file": ("r.tgz", data)},
                        data=form, headers=auth)  # fmt: skip
    assert first.status_code == 202, first.text
    assert first.headers["location"] == f"{API}/submissions/{first.json()['id']}"
    # The same release submitted again while queued or running is the same job.
    again = client.post(f"{API}/submissions/archive", files={"file": ("r.tgz", data)},
                        data=form, headers=auth)  # fmt: skip
    assert first.json()["state"] in ("queued", "running")
    assert again.json()["id"] == first.json()["id"]
    assert again.status_code in (200, 202)
    job = first.json()
    deadline = time.monotonic() + 180
    while job["state"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.3)
        job = client.get(f"{API}/submissions/{job['id']}", headers=auth).json()
    assert job["state"] == "done", job
    release = client.get(f"{API}/releases/{job['release_id']}").json()
    assert release["release"]["name"] == "acme/super-open"
    assert release["release"]["source"] == "upload"
    assert release["release"]["weights_open"] is False
    assert {f["code"] for f in release["audit"]["findings"]} >= {"OW-LIC"}
    assert uploads(client) == before  # the unpacked files are gone
    bad = {"file": ("x.zip", HOSTILE["climbs out"]())}
    hostile = client.post(f"{API}/submissions/archive", files=bad, data=form, headers=auth)
    assert hostile.status_code == 422
    assert hostile.headers["content-type"] == "application/problem+json"
    assert uploads(client) == before


def hub_cache(root: Path, repo: str, commit: str, example: str) -> Path:
    """A Hugging Face cache holding *example* as *repo* at *commit* (blobs, snapshot, refs)."""
    folder = root / ("models--" + repo.replace("/", "--"))
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text(commit, encoding="utf-8")
    for n, path in enumerate(sorted(p for p in (EXAMPLES / example).rglob("*") if p.is_file())):
        blob = folder / "blobs" / f"{n:040x}"
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(path.read_bytes())
        link = folder / "snapshots" / commit / path.relative_to(EXAMPLES / example)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    return root


def test_a_hub_repo_is_audited_from_the_servers_cache(tmp_path: Path) -> None:
    cache = hub_cache(tmp_path / "hub", "acme/gemma-tuned", "c0ffee" * 6 + "1234", "gemma-release")
    db = copy_store(examples_store(), tmp_path / "store.db")
    settings = Settings(store=str(db), refresh_seconds=0, workers=1, hf_cache=str(cache))
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.registry.engine  # type: ignore[attr-defined]
        auth = {"Authorization": f"Bearer {create_token(engine, 'ci', Scope.SUBMIT)[1]}"}
        missing = client.post(f"{API}/submissions", json={"repo_id": "acme/absent"}, headers=auth)
        assert missing.status_code == 404 and "cache" in missing.json()["detail"]
        for bad in ({"repo_id": "../etc"}, {"repo_id": "a/b", "revision": "../../x"}):
            assert client.post(f"{API}/submissions", json=bad, headers=auth).status_code == 422
        job = client.post(f"{API}/submissions", json={"repo_id": "acme/gemma-tuned"}, headers=auth)
        assert job.status_code == 202, job.text
        state = job.json()
        deadline = time.monotonic() + 180
        while state["state"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.3)
            state = client.get(f"{API}/submissions/{state['id']}", headers=auth).json()
        assert state["state"] == "done", state
        release = client.get(f"{API}/releases/{state['release_id']}").json()["release"]
        assert (release["source"], release["key"]) == ("hf-cache", "acme/gemma-tuned")
        assert release["revision"] == "c0ffee" * 6 + "1234"
        assert release["license_family"] == "gemma" and release["weights_open"] is False
