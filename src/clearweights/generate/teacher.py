"""A client for any OpenAI-compatible chat completions API (the teacher).

Bounded concurrency, retries with exponential backoff on 429, 5xx, timeouts and broken
answers, a per-request timeout, and a probe that says plainly when the server does not speak
the expected format. Every error names the request (leaf, unit, block) it is about.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from clearweights.errors import TeacherError
from clearweights.generate.model import Sampling

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 30.0  # seconds: a server asking for longer is treated as failing
MAX_ANSWER_BYTES = 4 * 1024 * 1024  # one completion; a larger answer is not a completion
_SHOWN = 80  # characters of a bad answer quoted in messages

Message = Mapping[str, str]


@dataclass(frozen=True)
class Completion:
    """One answer of the teacher."""

    text: str
    model: str  # the model id the server says answered
    fingerprint: str | None = None  # ``system_fingerprint``, when the server gives one
    finish_reason: str | None = None
    seconds: float = 0.0  # wall time of the successful attempt


class _Retryable(Exception):
    """An attempt failed in a way that may pass (rate limit, server error, truncation)."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def _shown(text: str, limit: int = _SHOWN) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


def _describe(response: httpx.Response, body: bytes) -> str:
    """Why an answer is not the JSON we expect, for people."""
    kind = response.headers.get("content-type", "no content type").split(";")[0].strip()
    text = body.decode("utf-8", errors="replace")
    if "html" in kind or text.lstrip().lower().startswith(("<!doctype", "<html")):
        return f"an HTML page ({kind}) instead of JSON: {_shown(text)!r}"
    if not text.strip():
        return "an empty body"
    return f"invalid or truncated JSON ({kind}): {_shown(text)!r}"


def _json(response: httpx.Response, body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # deep nesting is malformed too
        raise _Retryable(_describe(response, body)) from None


def _choice_text(data: Any) -> tuple[str, str | None]:
    """The content and finish reason of the first choice, or why the shape is wrong."""
    if not isinstance(data, dict):
        raise _Retryable(f"a JSON {type(data).__name__} instead of a completion object")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        keys = ", ".join(sorted(str(k) for k in data)[:6]) or "none"
        raise _Retryable(f"a JSON object without 'choices' (keys: {keys})")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise _Retryable("a choice without a 'message' object")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise _Retryable("a message whose 'content' is not text")
    reason = choices[0].get("finish_reason")
    return content or "", reason if isinstance(reason, str) else None


class TeacherClient:
    """Talks to the teacher; use as ``async with TeacherClient(...) as teacher``.

    Args:
        url: API base URL, e.g. ``http://127.0.0.1:8000/v1``.
        model: the model name sent in every request.
        api_key: sent as a bearer token when given (read from the environment by the CLI).
        concurrency: requests in flight at most.
        timeout: seconds one attempt may take, connection included.
        retries: attempts after the first on a retryable failure.
        backoff: first wait between attempts in seconds, doubled each time.
        stream: ask for server-sent events instead of one JSON answer.
        transport: an httpx transport (tests and benchmarks may pass one).
    """

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        concurrency: int = 8,
        timeout: float = 120.0,
        retries: int = 4,
        backoff: float = 0.5,
        stream: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.model = model
        self.stream = stream
        self.retries = retries
        self.backoff = backoff
        self.requests = 0  # attempts sent, for progress and benchmarks
        self._gate = asyncio.Semaphore(max(1, concurrency))
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            headers=headers,
            transport=transport,
            limits=httpx.Limits(max_connections=max(1, concurrency)),
        )

    async def __aenter__(self) -> TeacherClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def probe(self) -> str:
        """Check the server speaks the chat completions API; return the answering model id.

        Raises:
            TeacherError: the server is unreachable or answers in another format.
        """
        name = f"probe of {self.url}"
        try:
            async with self._http.stream("GET", f"{self.url}/models") as listing:
                content = await _read_bounded(listing) if listing.status_code == 200 else b""
        except _Retryable as exc:  # a listing too large to be one
            raise TeacherError(f"{name}: GET /models sent {exc.reason}") from None
        except httpx.HTTPError as exc:
            raise self._unreachable(name, exc) from None
        if listing.status_code == 200:
            try:
                data = json.loads(content)
            except (ValueError, RecursionError):  # deep nesting is malformed too
                raise TeacherError(
                    f"{name}: GET /models returned {_describe(listing, content)}",
                    hint="--teacher-url must be the API base of an OpenAI-compatible server "
                    "(usually ending in /v1)",
                ) from None
            if not isinstance(data, dict) or not isinstance(data.get("data"), list):
                raise TeacherError(
                    f"{name}: GET /models did not return a model list (no 'data' array)",
                    hint="--teacher-url must be the API base of an OpenAI-compatible server",
                )
        # /models is optional on some servers: the chat call is the real test.
        messages = [{"role": "user", "content": "Reply with the word ready."}]
        completion = await self.chat(messages, Sampling(max_tokens=4), seed=0, request=name)
        return completion.model

    def _unreachable(self, request: str, exc: Exception) -> TeacherError:
        return TeacherError(
            f"{request}: cannot reach the teacher at {self.url}: {type(exc).__name__} {exc}",
            hint="start the teacher server, or check --teacher-url",
        )

    async def chat(
        self, messages: Sequence[Message], sampling: Sampling, *, seed: int, request: str
    ) -> Completion:
        """Ask for one completion; retry what may pass, raise :class:`TeacherError` otherwise.

        *request* names the request in messages, e.g. ``knowledge/astronomy unit 3 gen_qa``.
        """
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "seed": seed,
            "stream": self.stream,
            **sampling.as_dict(),
        }
        last = ""
        for attempt in range(self.retries + 1):
            try:
                async with self._gate:
                    self.requests += 1
                    return await self._attempt(body, request)
            except _Retryable as exc:
                last, wait = exc.reason, exc.wait
            except httpx.TimeoutException:
                last, wait = f"no answer within {self._http.timeout.read} s", None
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise self._unreachable(request, exc) from None
                last, wait = f"{type(exc).__name__} {exc}", None
            if attempt < self.retries:
                await asyncio.sleep(wait if wait is not None else self.backoff * 2**attempt)
        raise TeacherError(
            f"{request}: the teacher returned {last} ({self.retries + 1} attempts)",
            path=self.url,
            hint="what was generated so far is kept in the checkpoints; rerun to continue",
        )

    async def _attempt(self, body: dict[str, Any], request: str) -> Completion:
        started = time.perf_counter()
        url = f"{self.url}/chat/completions"
        async with self._http.stream("POST", url, json=body) as response:
            if response.status_code != 200:
                await self._refuse(response, request)
            if self.stream:
                text, model, fingerprint, reason = await _read_events(response)
            else:
                payload = await _read_bounded(response)
                data = _json(response, payload)
                text, reason = _choice_text(data)
                model = str(data.get("model") or self.model)
                fingerprint = data.get("system_fingerprint")
        return Completion(
            text,
            model or self.model,
            fingerprint if isinstance(fingerprint, str) else None,
            reason,
            time.perf_counter() - started,
        )

    async def _refuse(self, response: httpx.Response, request: str) -> None:
        """Raise for a non-200 answer: retry what may pass, stop on the rest."""
        payload = await _read_bounded(response)
        status = response.status_code
        detail = _error_detail(payload) or _describe(response, payload)
        if status in RETRY_STATUS:
            raise _Retryable(f"HTTP {status}: {detail}", _retry_after(response))
        hint = {
            401: "set the API key variable named by --api-key-env",
            403: "the API key may not use this model",
            404: "check --teacher-url (the API base, usually ending in /v1) and --teacher-model",
        }.get(status, "check --teacher-url and --teacher-model")
        raise TeacherError(f"{request}: the teacher refused: HTTP {status}: {detail}", hint=hint)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        seconds = float(value)
    except (ValueError, RecursionError):  # deep nesting is malformed too
        return None
    return seconds if 0 <= seconds <= MAX_RETRY_AFTER else None


def _error_detail(payload: bytes) -> str:
    """The ``error.message`` of an OpenAI-style error body, when there is one."""
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):  # deep nesting is malformed too
        return ""
    # OpenAI's shape is {"error": {"message": ...}}; FastAPI servers answer {"detail": ...}.
    error = (data.get("error") or data.get("detail")) if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    return _shown(str(message), 300) if message else ""  # the server's own words: keep more


async def _read_bounded(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise _Retryable(f"an answer over {MAX_ANSWER_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_events(response: httpx.Response) -> tuple[str, str, Any, str | None]:
    """Assemble a streamed completion from its server-sent events."""
    parts: list[str] = []
    model, fingerprint, reason, size = "", None, None, 0
    async for line in response.aiter_lines():
        size += len(line)
        if size > MAX_ANSWER_BYTES:
            raise _Retryable(f"a stream over {MAX_ANSWER_BYTES} bytes")
        if not line.startswith("data:"):
            if line.strip() and not line.startswith((":", "event:", "id:", "retry:")):
                raise _Retryable(f"a stream line that is not an event: {_shown(line)!r}")
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return "".join(parts), model, fingerprint, reason
        try:
            event = json.loads(data)
        except (ValueError, RecursionError):  # deep nesting is malformed too
            raise _Retryable(f"an event with invalid JSON: {_shown(data)!r}") from None
        choices = event.get("choices") if isinstance(event, dict) else None
        if not isinstance(choices, list):
            raise _Retryable("a stream event without 'choices'")
        model = str(event.get("model") or model)
        fingerprint = event.get("system_fingerprint") or fingerprint
        for choice in choices:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            piece = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(piece, str):
                parts.append(piece)
            if isinstance(choice, dict) and isinstance(choice.get("finish_reason"), str):
                reason = choice["finish_reason"]
    if reason is not None:  # some servers (transformers serve) end after the finish reason
        return "".join(parts), model, fingerprint, reason
    raise _Retryable("a stream that ended before 'data: [DONE]' (truncated)")
