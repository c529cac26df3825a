"""Security headers, request size limits, API tokens and write rate limits.

Tokens travel only in the ``Authorization: Bearer`` header (never in a URL, so never in an
access log); the store keeps their SHA-256 only.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clearweights.server.problems import PROBLEM, Problem
from clearweights.server.tokens import Scope as TokenScope
from clearweights.server.tokens import TokenInfo, authenticate

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class _TooLarge(Exception):
    pass


class GuardMiddleware:
    """Adds the security headers to every response and refuses bodies over the limit (413)."""

    def __init__(self, app: ASGIApp, max_body: int):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_guarded(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        query = scope.get("query_string", b"").lower()
        if b"%00" in query or "\x00" in scope.get("path", ""):
            # NUL ends a string in SQLite's LIKE and is refused by PostgreSQL: never a value.
            await self._refuse(scope, send_guarded, 400, "a NUL character in the URL")
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await self._refuse(scope, send_guarded, 413, self._too_large)
            return
        seen = 0

        async def receive_counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, receive_counted, send_guarded)
        except _TooLarge:
            if not started:
                await self._refuse(scope, send_guarded, 413, self._too_large)

    @property
    def _too_large(self) -> str:
        return f"the request body is over the limit of {self.max_body} bytes"

    async def _refuse(
        self,
        scope: Scope,
        send: Callable[[Message], Coroutine[Any, Any, None]],
        status: int,
        detail: str,
    ) -> None:
        problem = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
                   "detail": detail, "instance": scope.get("path", "")}  # fmt: skip
        body = json.dumps(problem).encode()
        headers = [
            (b"content-type", PROBLEM.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def bearer(request: Request) -> str | None:
    """The token of the ``Authorization: Bearer`` header, if any."""
    header = request.headers.get("authorization", "")
    kind, _, value = header.partition(" ")
    return value.strip() if kind.lower() == "bearer" and value.strip() else None


def check_token(request: Request, needed: TokenScope) -> TokenInfo:
    """The request's token, which must be active and cover *needed* (401 or 403 otherwise)."""
    from clearweights.server.registry import Registry

    registry: Registry = request.app.state.registry
    secret = bearer(request)
    challenge = {"WWW-Authenticate": 'Bearer realm="clearweights"'}
    if secret is None:
        problem = Problem(401, "this request needs an API token (Authorization: Bearer ...)")
        problem.headers = challenge
        raise problem
    token = authenticate(registry.engine, secret)
    if token is None:
        problem = Problem(401, "the API token is unknown or revoked")
        problem.headers = {"WWW-Authenticate": 'Bearer realm="clearweights", error="invalid_token"'}
        raise problem
    if not token.scope.allows(needed):
        raise Problem(403, f"the token's scope is {token.scope.value}; this needs {needed.value}")
    return token


class RateLimiter:
    """At most *rate* writes a minute per key (a token, or a client address), in memory."""

    def __init__(self, rate: int, window: float = 60.0):
        self.rate = rate
        self.window = window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        """Count one write; raises a 429 problem when the key is over its rate."""
        moment = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and moment - seen[0] > self.window:
                seen.popleft()
            if len(seen) >= self.rate:
                wait = int(self.window - (moment - seen[0])) + 1
                problem = Problem(429, f"more than {self.rate} writes a minute; retry in {wait} s")
                problem.headers = {"Retry-After": str(wait)}
                raise problem
            seen.append(moment)
            if len(self._seen) > 10_000:  # forget idle keys so memory stays bounded
                for name in [k for k, v in self._seen.items() if not v]:
                    del self._seen[name]
