"""``scan --hub``: huggingface_hub against a local server answering in the Hub API's shape."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from clearweights.cli.main import main
from clearweights.scale import scan, sources_for
from clearweights.scale.hub import HubQuery, parse_query
from tests.build import safetensors
from tests.scale_corpus import EXAMPLES, audits, essence

MAIN, OLD = "1" * 40, "2" * 40
LLAMA_TEXTS = ("README.md", "LICENSE", "NOTICE", "USE_POLICY.md")


def _files(example: str, names: tuple[str, ...]) -> dict[str, bytes]:
    return {n: (EXAMPLES / example / n).read_bytes() for n in names}


# repo id -> commit -> files; weights are LFS files and must never be requested.
REPOS: dict[str, dict[str, dict[str, bytes]]] = {
    "meta/llama-ft": {
        MAIN: _files("llama-3.1-finetune", LLAMA_TEXTS),
        OLD: _files("open-washing", ("README.md", "LICENSE")),
    },
    "acme/open-washing": {
        MAIN: _files("open-washing", ("README.md", "LICENSE", "config.json", "model.safetensors")),
    },
}


class _Hub(BaseHTTPRequestHandler):
    """The few Hub API routes huggingface_hub's list_models, model_info and downloads use."""

    requests: ClassVar[list[str]] = []
    served: ClassVar[list[tuple[str, str | None, int]]] = []  # file, Range asked, bytes sent
    info_delay = 0.0  # seconds each model_info answer waits (to see calls overlap)
    active: ClassVar[list[int]] = [0, 0]  # model_info calls now, the most at once
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, value: Any, status: int = 200) -> None:
        headers = {"Content-Type": "application/json"}
        self._send(status, json.dumps(value).encode(), headers)

    def _info(self, repo: str, commit: str, blobs: bool) -> dict[str, Any]:
        siblings = []
        for name, data in sorted(REPOS[repo][commit].items()):
            entry: dict[str, Any] = {"rfilename": name}
            if blobs:
                entry.update(size=len(data), blobId=hashlib.sha1(data).hexdigest())
                if name.endswith(".safetensors"):
                    sha = hashlib.sha256(data).hexdigest()
                    entry["lfs"] = {"sha256": sha, "size": len(data), "pointerSize": 134}
            siblings.append(entry)
        return {"id": repo, "modelId": repo, "sha": commit, "private": False,
                "lastModified": "2026-11-01T10:00:00.000Z", "tags": ["transformers"],
                "siblings": siblings}  # fmt: skip

    @staticmethod
    def _ranged(data: bytes, asked: str | None, headers: dict[str, str]) -> tuple[int, bytes]:
        """A single ``bytes=A-B`` range as the Hub's storage answers it (206), else the whole."""
        found = re.fullmatch(r"bytes=(\d+)-(\d+)", asked or "")
        if not found:
            return 200, data
        start, end = int(found[1]), min(int(found[2]), len(data) - 1)
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        return 206, data[start : end + 1]

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path, query = unquote(url.path), parse_qs(url.query)
        type(self).requests.append(path)
        parts = path.strip("/").split("/")
        if path == "/api/models":
            found = [r for r in sorted(REPOS) if r.startswith(query.get("author", [""])[0] + "/")]
            found = [r for r in found if query.get("search", [""])[0] in r]
            self._json([self._info(r, MAIN, blobs=False) for r in found])
        elif parts[:2] == ["api", "models"] and "/".join(parts[2:4]) in REPOS:
            repo = "/".join(parts[2:4])
            revision = parts[5] if len(parts) > 5 and parts[4] == "revision" else "main"
            commit = MAIN if revision == "main" else revision
            if commit not in REPOS[repo]:
                self._json({"error": f"Invalid rev id: {revision}"}, 404)
                return
            with self.lock:
                self.active[0] += 1
                self.active[1] = max(self.active)
            time.sleep(self.info_delay)
            with self.lock:
                self.active[0] -= 1
            self._json(self._info(repo, commit, blobs="blobs" in query))
        elif len(parts) > 4 and parts[2] == "resolve" and "/".join(parts[:2]) in REPOS:
            repo, commit, name = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
            data = REPOS[repo].get(commit, {}).get(name)
            if data is None:
                self._json({"error": "Entry not found"}, 404)
                return
            etag = f'"{hashlib.sha1(data).hexdigest()}"'
            headers = {"X-Repo-Commit": commit, "ETag": etag}
            asked = self.headers.get("Range")
            status, body = self._ranged(data, asked, headers)
            if self.command == "GET":
                type(self).served.append((name, asked, len(body)))
            self._send(status, body, headers)
        else:
            self._json({"error": "Repository not found"}, 404)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A local Hub on 127.0.0.1 (HF_ENDPOINT points at it); yields the paths it was asked."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    _Hub.requests, _Hub.served, _Hub.active, _Hub.info_delay = [], [], [0, 0], 0.0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield _Hub.requests
    finally:
        server.shutdown()
        server.server_close()


def _one(source: Any) -> dict[str, Any]:
    out = io.StringIO()
    assert scan([source] if not isinstance(source, list) else source, sink=out).failed == 0
    [audit] = audits(out.getvalue())
    return audit


def test_a_hub_row_a_cache_snapshot_and_a_directory_give_the_same_audit(
    hub: list[str], tmp_path: Path
) -> None:
    folder = tmp_path / "llama-ft"
    folder.mkdir()
    for name, data in REPOS["meta/llama-ft"][MAIN].items():
        (folder / name).write_bytes(data)
    cache = tmp_path / "cache"
    snapshot = cache / "models--meta--llama-ft" / "snapshots" / MAIN
    shutil.copytree(folder, snapshot)
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text(MAIN, encoding="utf-8")
    from_hub = _one(HubQuery(parse_query("author=meta")))
    from_cache = _one(sources_for(["meta/llama-ft"], cache=str(cache)))
    from_folder = _one(sources_for([str(folder)]))
    assert essence(from_hub) == essence(from_cache) == essence(from_folder)
    assert from_hub["source"] == "hf-metadata"
    weights = next(c for c in from_hub["components"] if c["name"] == "Model parameters (Final)")
    assert weights["license"]["expression"].startswith("LicenseRef-")  # the Llama licence


def test_scan_hub_reads_cards_lists_and_licences_never_weights(
    hub: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    code = main(["scan", "--hub", "author=acme,search=open", "--store", str(store),
                 "--format", "jsonl", "-q"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    [audit] = audits(out)
    assert audit["name"] == "acme/open-washing"
    assert any(f["code"].startswith("OW-") for f in audit["findings"])
    downloads = sorted(p.rsplit("/", 1)[-1] for p in hub if "/resolve/" in p)
    assert downloads == ["LICENSE", "LICENSE", "README.md", "README.md"]  # HEAD, then GET
    assert not any(p.endswith((".safetensors", "config.json")) for p in hub if "/resolve/" in p)
    weights = next(c for c in audit["components"] if c["name"] == "Model parameters (Final)")
    assert weights["paths"] == []  # listed on the Hub, never downloaded: not read
    assert main(["scan", "--hub", "author=acme", "--store", str(store), "-q"]) == 0
    assert "/resolve/" not in " ".join(hub[len(hub) - 2 :])  # unchanged: only listed


def test_scan_hub_honours_the_revision(hub: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--hub", "author=meta", "--revision", OLD, "-q"])
    out, err = capsys.readouterr()
    assert code == 0, err
    [audit] = audits(out)
    assert any(f["code"].startswith("OW-") for f in audit["findings"])  # the old card
    assert f"/api/models/meta/llama-ft/revision/{OLD}" in hub
    code = main(["scan", "--hub", "author=meta", "--revision", "v9", "-q"])
    out, err = capsys.readouterr()
    assert code == 3
    assert "meta/llama-ft: could not be read from the Hub" in audits(out)[0]["error"]


def test_an_unreachable_hub_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    code = main(["scan", "--hub", "author=meta", "-q"])
    err = capsys.readouterr().err
    assert code == 3
    assert f"could not list models on the Hub at http://127.0.0.1:{port}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("query", ["", "author", "owner=x", "limit=many"])
def test_a_bad_hub_query_is_a_usage_error(query: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--hub", query]) == 2
    assert "--hub" in capsys.readouterr().err


def _weights_repo(tmp_path: Path) -> tuple[dict[str, bytes], int]:
    """A repo with a generated tiny safetensors file and one whose header overruns its file."""
    good = tmp_path / "good.safetensors"
    safetensors(good, {"model.embed_tokens.weight": [512, 64], "lm_head.weight": [512, 64]})
    header = json.dumps({"w": {"dtype": "F16", "shape": [8, 8], "data_offsets": [0, 128]}})
    broken = struct.pack("<Q", len(header)) + header.encode() + bytes(64)  # 64 of 128 bytes
    files = _files("open-washing", ("README.md", "LICENSE", "config.json"))
    files["model-00001-of-00002.safetensors"] = good.read_bytes()
    files["model-00002-of-00002.safetensors"] = broken
    return files, struct.unpack("<Q", good.read_bytes()[:8])[0]


def test_weights_headers_are_read_by_range_requests_never_the_weights(
    hub: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    files, length = _weights_repo(tmp_path)
    monkeypatch.setitem(REPOS, "acme/sharded", {MAIN: files})
    code = main(["scan", "--hub", "author=acme,search=sharded", "--weights-headers", "-q"])
    out, err = capsys.readouterr()
    assert code == 0, err
    [audit] = audits(out)
    weights = {w["path"]: w for w in audit["weights"]}
    good = weights["model-00001-of-00002.safetensors"]
    assert (good["parameters"], good["tensors"], good["dtypes"]) == (2 * 512 * 64, 2, ["F16"])
    assert good["error"] is None
    broken = weights["model-00002-of-00002.safetensors"]
    assert broken["invalid"] and "run past the end" in broken["error"]
    assert "WEIGHTS-INVALID" in {f["code"] for f in audit["findings"]}
    asked = [(n, r, size) for n, r, size in _Hub.served if n.endswith(".safetensors")]
    assert all(r is not None for _, r, _ in asked)  # never a plain GET of a weight file
    first = [(r, size) for n, r, size in asked if n.startswith("model-00001")]
    assert first == [("bytes=0-7", 8), (f"bytes=8-{7 + length}", length)]  # the header only
    assert sum(size for _, _, size in asked) < len(files["model-00001-of-00002.safetensors"]) // 4


def test_weights_headers_need_a_hub_query(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", ".", "--weights-headers"]) == 2
    assert "--weights-headers needs --hub" in capsys.readouterr().err


def test_model_info_calls_run_on_a_bounded_pool_in_listing_order(
    hub: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    card = _files("open-washing", ("README.md", "LICENSE"))
    names = [f"many/model-{i}" for i in range(9)]
    for name in names:
        monkeypatch.setitem(REPOS, name, {MAIN: card})
    _Hub.info_delay = 0.2  # long enough for the calls to overlap
    out = io.StringIO()
    assert scan([HubQuery(parse_query("author=many"), threads=3)], sink=out).failed == 0
    assert [a["name"] for a in audits(out.getvalue())] == sorted(names)  # the listing's order
    assert 2 <= _Hub.active[1] <= 3  # in parallel, never more than the pool's threads
