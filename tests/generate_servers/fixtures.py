"""Pytest fixtures starting teacher servers as real processes on 127.0.0.1 (free ports)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.net import free_port, read_port

HERE = Path(__file__).parent


class FixtureTeacher:
    """A running fixture server: its URL, its rules, its request counts."""

    def __init__(self, rules: Path, port: int) -> None:
        self.rules_path = rules
        self.url = f"http://127.0.0.1:{port}/v1"
        self.port = port

    def rules(self, rules: list[dict[str, Any]], **top: Any) -> None:
        """Replace the rules (read by the server on every request)."""
        self.rules_path.write_text(json.dumps({"rules": rules, **top}), encoding="utf-8")

    def stats(self) -> dict[str, int]:
        """Requests answered, in total and per rule index."""
        data: dict[str, int] = httpx.get(f"http://127.0.0.1:{self.port}/stats").json()
        return data


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def fixture_teacher(tmp_path: Path) -> Iterator[FixtureTeacher]:
    """The deterministic fixture server, with no rules yet."""
    rules = tmp_path / "teacher-rules.json"
    rules.write_text('{"rules": []}', encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, str(HERE / "fixture_server.py"), str(rules)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield FixtureTeacher(rules, read_port(process, "the fixture server", 60))
    finally:
        _stop(process)


def serving_available() -> str | None:
    """Why ``transformers serve`` cannot run here, or ``None`` when it can."""
    try:
        from transformers.utils.import_utils import is_serve_available
    except ImportError:
        return "transformers is not installed (the [tune] extra)"
    if shutil.which("transformers", path=str(Path(sys.executable).parent)) is None:
        return "the transformers command is not installed"
    return None if is_serve_available() else "transformers[serving] is not installed"


def _tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.generate_servers.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-teacher") / "model")


@pytest.fixture(scope="module")
def tiny_teacher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A tiny random model built here, served by ``tiny_model_server.py``: (API URL, model)."""
    if (
        importlib.util.find_spec("torch") is None
        or importlib.util.find_spec("transformers") is None
    ):
        pytest.skip("the [tune] extra (torch, transformers) is not installed")
    model = tmp_path_factory.mktemp("tiny-teacher") / "model"  # the server process builds it
    process = subprocess.Popen(
        [sys.executable, str(HERE / "tiny_model_server.py"), str(model)],
        stdout=subprocess.PIPE,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
        text=True,
    )
    try:
        port = read_port(process, "the tiny model server", 300)  # it builds the model first
        yield f"http://127.0.0.1:{port}/v1", str(model)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def served_teacher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """``transformers serve`` over a tiny random model built here: (API URL, model name)."""
    why = serving_available()
    if why:
        pytest.skip(why)
    model = _tiny_model(tmp_path_factory)
    port = free_port()
    command = str(Path(sys.executable).parent / "transformers")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    log = (tmp_path_factory.getbasetemp() / "transformers-serve.log").open("w")
    process = subprocess.Popen(
        [command, "serve", str(model), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"transformers serve exited {process.returncode}; see {log.name}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail(f"transformers serve did not start in 240 s; see {log.name}")
        yield f"http://127.0.0.1:{port}/v1", str(model)
    finally:
        _stop(process)
        log.close()
