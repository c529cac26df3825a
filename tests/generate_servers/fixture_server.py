"""A deterministic OpenAI-compatible teacher answering from a rules file (a real process).

Run as ``python fixture_server.py RULES.json``; it binds a free port on 127.0.0.1 and prints
``PORT <n>``. The rules file is read on every request, so a test may change the server's
behaviour while it runs. Each rule (the first whose ``match`` regex finds the last user
message wins)::

    {"match": "regex", "reply": "text with \\g<name> groups", "status": 200,
     "raw": "exact body", "content_type": "text/html", "delay": 0.5, "times": 2,
     "truncate_stream": false}

``times`` limits a rule to its first N matches (then later rules apply): a flaky server is a
503 rule with ``times`` followed by a normal rule. ``GET /stats`` counts requests per rule.
Top-level keys: ``rules``, ``models`` (names listed by ``/v1/models``), ``models_raw`` (an
exact body for ``/v1/models``, e.g. HTML).
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_counts: dict[str, int] = {}


def _rules(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _pick(config: dict[str, Any], prompt: str) -> tuple[dict[str, Any], re.Match[str] | None]:
    for index, rule in enumerate(config.get("rules", [])):
        match = re.search(rule.get("match", ""), prompt, re.DOTALL)
        if match is None:
            continue
        key = str(index)
        with _lock:
            used = _counts.get(key, 0)
            if "times" in rule and used >= int(rule["times"]):
                continue
            _counts[key] = used + 1
            _counts["total"] = _counts.get("total", 0) + 1
        return rule, match
    with _lock:
        _counts["total"] = _counts.get("total", 0) + 1
    return {"reply": "no rule matched"}, None


def _completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fixture",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "system_fingerprint": "fixture-1",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
    }


def _events(model: str, text: str, truncate: bool) -> bytes:
    words = re.split(r"(\s+)", text)
    lines = []
    for piece in words:
        chunk = {"model": model, "choices": [{"index": 0, "delta": {"content": piece}}]}
        lines.append(f"data: {json.dumps(chunk)}\n\n")
    if not truncate:
        end = {"model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        lines.append(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n")
    return "".join(lines).encode()


class Handler(BaseHTTPRequestHandler):
    """Answers /v1/models, /v1/chat/completions and /stats."""

    rules_path: Path

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        """Models and stats."""
        config = _rules(self.rules_path)
        if self.path == "/stats":
            with _lock:
                self._send(200, json.dumps(_counts).encode())
            return
        if self.path.rstrip("/").endswith("/models"):
            if "models_raw" in config:
                self._send(200, config["models_raw"].encode(), "text/html")
                return
            names = config.get("models", ["fixture-teacher"])
            data = [{"id": n, "object": "model", "owned_by": "fixture"} for n in names]
            self._send(200, json.dumps({"object": "list", "data": data}).encode())
            return
        self._send(404, b'{"error": {"message": "not found"}}')

    def do_POST(self) -> None:
        """Chat completions."""
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length))
        config = _rules(self.rules_path)
        messages = request.get("messages", [])
        prompt = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        rule, match = _pick(config, prompt)
        time.sleep(float(rule.get("delay", 0)))
        status = int(rule.get("status", 200))
        if "raw" in rule:
            self._send(status, rule["raw"].encode(), rule.get("content_type", "application/json"))
            return
        if status != 200:
            error = {"error": {"message": rule.get("reply", "fixture error"), "code": status}}
            self._send(status, json.dumps(error).encode())
            return
        text = match.expand(rule["reply"]) if match is not None else rule["reply"]
        model = str(request.get("model", ""))
        if request.get("stream"):
            body = _events(model, text, bool(rule.get("truncate_stream")))
            self._send(200, body, "text/event-stream")
            return
        self._send(200, json.dumps(_completion(model, text)).encode())


def main() -> None:
    """Serve until killed."""
    Handler.rules_path = Path(sys.argv[1])
    ThreadingHTTPServer.request_queue_size = 128  # the default 5 resets concurrent connects
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
