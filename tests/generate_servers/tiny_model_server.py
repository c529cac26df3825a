"""A minimal OpenAI-compatible server over transformers' ``generate`` (a real process).

``python tiny_model_server.py MODEL_DIR`` builds the tiny model there (``tiny_model.py``, in
this process, so torch and transformers load once), loads it, binds a free port on 127.0.0.1 and
prints ``PORT <n>``. It answers ``GET /v1/models`` and ``POST /v1/chat/completions`` (whole or
streamed as server-sent events, one event per generated token) with the model's own output,
and refuses an unknown model with 404 and a malformed request with 400, as servers do.
It starts in a few seconds where ``transformers serve`` takes a minute on two busy cores.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL_DIR = sys.argv[1] if len(sys.argv) > 1 else ""
_lock = threading.Lock()  # one generation at a time: the model is not thread-safe


def _generate(request: dict[str, Any]) -> tuple[list[str], str]:
    prompt: Any = TOKENIZER.apply_chat_template(
        request["messages"], add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    limit = int(request.get("max_tokens") or 16)
    temperature = float(request.get("temperature", 1.0))
    with _lock:
        torch.manual_seed(int(request.get("seed") or 0))
        out = MODEL.generate(
            **prompt,
            max_new_tokens=limit,
            do_sample=temperature > 0,
            temperature=temperature if temperature > 0 else None,
            top_p=float(request.get("top_p", 1.0)),
            pad_token_id=TOKENIZER.eos_token_id,
        )
    new = out[0][prompt["input_ids"].shape[1] :].tolist()
    words = [str(TOKENIZER.decode([t], skip_special_tokens=True)) for t in new]
    pieces = [(" " if i else "") + w for i, w in enumerate(w for w in words if w)]
    finish = "length" if len(new) >= limit else "stop"
    return pieces, finish


class Handler(BaseHTTPRequestHandler):
    """The two endpoints."""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _json(self, status: int, data: dict[str, Any]) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": {"message": message, "type": "invalid_request_error"}})

    def do_GET(self) -> None:
        """The model list."""
        if self.path != "/v1/models":
            self._error(404, f"no route {self.path}")
            return
        self._json(200, {"object": "list", "data": [{"id": MODEL_DIR, "object": "model"}]})

    def do_POST(self) -> None:
        """Chat completions."""
        if self.path != "/v1/chat/completions":
            self._error(404, f"no route {self.path}")
            return
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            messages = request["messages"]
            assert isinstance(messages, list) and messages
        except (ValueError, KeyError, AssertionError):
            self._error(400, "the body must be JSON with a non-empty 'messages' list")
            return
        if request.get("model") != MODEL_DIR:
            self._error(404, f"The model '{request.get('model')}' does not exist")
            return
        pieces, finish = _generate(request)
        base = {"id": "chatcmpl-tiny", "created": int(time.time()), "model": MODEL_DIR}
        if not request.get("stream"):
            choice = {"index": 0, "finish_reason": finish}
            choice["message"] = {"role": "assistant", "content": "".join(pieces)}
            self._json(200, {**base, "object": "chat.completion", "choices": [choice]})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        chunk = {**base, "object": "chat.completion.chunk"}
        for piece in pieces:
            event = {**chunk, "choices": [{"index": 0, "delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
        end = {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
        self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())


if __name__ == "__main__":
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[2]))  # the repository root
    from tests.generate_servers.tiny_model import build_tiny_model

    build_tiny_model(Path(MODEL_DIR))
    TOKENIZER = AutoTokenizer.from_pretrained(MODEL_DIR)
    MODEL = AutoModelForCausalLM.from_pretrained(MODEL_DIR)
    MODEL.eval()
    ThreadingHTTPServer.request_queue_size = 128  # the default 5 resets concurrent connects
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()
