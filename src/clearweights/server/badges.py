"""Live badges per release and profile: SVG, and shields.io endpoint JSON.

Drawn from the registry index (no audit document is read), with the words and colours of
``clearweights badge`` (``formats.badge``), so an embedded badge says what the CLI says.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from clearweights.formats.badge import COLOURS, svg
from clearweights.server import catalog
from clearweights.server.api import PREFIX, READ_RESPONSES, read_access, registry_of
from clearweights.server.http import cached, http_date
from clearweights.server.problems import Problem
from clearweights.server.records import ReleaseSummary


class BadgeKind(StrEnum):
    """What a badge shows (the kinds of ``clearweights badge --kind``)."""

    REDHAT = "redhat"
    OSAID = "osaid"
    MOF = "mof"
    EU = "eu"
    LICENCE = "licence"


_PROFILES = {"redhat": "redhat", "osaid": "osaid-1.0", "eu": "eu-ai-act-53-2"}
_LABELS = {"redhat": "open source AI", "osaid": "OSAID 1.0", "eu": "EU AI Act 53(2)"}
_CLASSES = {0: "unclassified", 1: "Class I", 2: "Class II", 3: "Class III"}
CACHE = "public, max-age=300"


def badge_parts(release: ReleaseSummary, kind: BadgeKind) -> tuple[str, str, str]:
    """The label, message and colour of one badge."""
    match kind:
        case BadgeKind.REDHAT | BadgeKind.OSAID | BadgeKind.EU:
            verdict = next(
                (v.verdict for v in release.verdicts if v.framework == _PROFILES[kind]), "unknown"
            )
            prefix = "Red Hat minimum: " if kind is BadgeKind.REDHAT else ""
            colour = {"pass": "good", "fail": "bad"}.get(verdict, "none")
            return _LABELS[kind], f"{prefix}{verdict}", COLOURS[colour]
        case BadgeKind.MOF:
            if release.status != "ok":
                return "MOF", "unknown", COLOURS["none"]
            got = release.mof_class or 0
            return "MOF", _CLASSES.get(got, "unclassified"), COLOURS["good" if got else "bad"]
        case BadgeKind.LICENCE:
            if not release.license_name:
                return "licence", "unknown", COLOURS["none"]
            name = release.license_name.replace(" Community License Agreement", "")
            name = name.replace(" License", "")
            if release.weights_open:
                return "licence", f"{name[:32]}: open", COLOURS["good"]
            return "licence", f"{name[:32]}: restricted", COLOURS["warn"]


class _Cache:
    """Rendered badges, keyed by release, kind, format and the index's generation.

    Read by the event loop (the fast path) and filled by the routes' threads: a lock keeps
    a look-up from meeting an eviction half way.
    """

    def __init__(self, size: int = 4096):
        self.size = size
        self.items: OrderedDict[tuple[str, str, str, int], tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str, int]) -> tuple[bytes, str] | None:
        with self._lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: tuple[str, str, str, int], value: tuple[bytes, str]) -> None:
        with self._lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)


router = APIRouter(
    prefix=PREFIX, tags=["badges"], dependencies=[Depends(read_access)], responses=READ_RESPONSES
)
Ref = Annotated[
    str, Query(min_length=1, max_length=1000, description="A release id, repo id or path.")
]


def _render(request: Request, ref: str, kind: BadgeKind, fmt: str) -> Response:
    """The badge, from the cache when the index has not changed (else drawn and kept).

    Runs in a worker thread (the routes are plain functions): the index refresh and a
    miss's queries never hold up the event loop, and so the cached badges of other
    connections.
    """
    registry = registry_of(request)
    registry.refresh()
    cache: _Cache = request.app.state.badges
    key = (ref, kind.value, fmt, registry.generation)
    found = cache.get(key)
    if found is None:
        with registry.engine.connect() as connection:
            release = catalog.find_release(connection, ref)
        if release is None:
            raise Problem(404, f"no release {ref!r} in the registry")
        label, message, colour = badge_parts(release, kind)
        if fmt == "svg":
            body = svg(label, message, colour).encode()
        else:
            shield = {"schemaVersion": 1, "label": label, "message": message,
                      "color": colour.lstrip("#"), "cacheSeconds": 300}  # fmt: skip
            body = json.dumps(shield, separators=(",", ":")).encode()
        found = (body, release.audited_at)
        cache.put(key, found)
    media = "image/svg+xml" if fmt == "svg" else "application/json"
    return cached(request, found[0], media, modified=found[1], cache=CACHE,
                  headers={"Access-Control-Allow-Origin": "*"})  # fmt: skip


@router.get(
    "/badges/{kind}.svg",
    summary="SVG badge",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}}},
)
def badge_svg(request: Request, kind: BadgeKind, release: Ref) -> Response:
    """A badge for a model card: ``![](https://registry/api/v1/badges/mof.svg?release=org/name)``."""
    return _render(request, release, kind, "svg")


@router.get(
    "/badges/{kind}.json", summary="shields.io endpoint badge", response_model=dict[str, str | int]
)
def badge_json(request: Request, kind: BadgeKind, release: Ref) -> Response:
    """shields.io's endpoint format: ``{"schemaVersion": 1, "label", "message", "color"}``."""
    return _render(request, release, kind, "json")


def install(app: object) -> None:
    """Give the app its badge cache."""
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)
    app.state.badges = _Cache()


class BadgeFastPath:
    """Answers badges already in the cache before FastAPI's routing (the embedded-badge load).

    Anything else (a miss, a bad request, reads that need a token) goes on to the routes,
    which validate, render and fill the cache; the answer is the same either way. So does a
    request that finds the index due for a refresh: the route refreshes it in a worker
    thread (a database round trip, tens of milliseconds on a busy PostgreSQL), where the
    event loop would otherwise stall every badge in flight.
    """

    def __init__(self, app: ASGIApp, state: Any):
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._lookup(scope) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        body, modified, media = found
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = [(b"etag", etag.encode()), (b"cache-control", CACHE.encode()),
                   (b"access-control-allow-origin", b"*")]  # fmt: skip
        last = http_date(modified)
        if last:
            headers.append((b"last-modified", last.encode()))
        match = dict(scope.get("headers") or ()).get(b"if-none-match")
        if match is not None and etag.encode() in {t.strip() for t in match.split(b",")}:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers += [(b"content-type", media), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _lookup(self, scope: Scope) -> tuple[bytes, str, bytes] | None:
        path: str = scope.get("path", "")
        if scope.get("method") != "GET" or not path.startswith(_BADGES):
            return None
        registry = self.state.registry
        if registry.settings.require_read_token:
            return None
        kind, _, fmt = path[len(_BADGES) :].partition(".")
        refs = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("release") or []
        if len(refs) != 1 or fmt not in ("svg", "json"):
            return None
        if registry.due():  # the route refreshes the index, off the event loop
            return None
        found = self.state.badges.get((refs[0], kind, fmt, registry.generation))
        if found is None:
            return None
        return found[0], found[1], b"image/svg+xml" if fmt == "svg" else b"application/json"


_BADGES = f"{PREFIX}/badges/"
