"""Responses with validators: JSON of dataclasses, ETag and Last-Modified, 304 when unchanged."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from fastapi import Request, Response

# HTML-significant characters are escaped inside JSON strings: a name holding markup stays
# inert even where a client pastes the JSON into a page. (str.replace: translate is slower.)
_INERT = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))


_SCALARS = (str, int, float, type(None))  # bool is an int


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def plain(value: Any) -> Any:
    """Dataclasses (and tuples of them) as JSON-ready values.

    Mappings in the records hold JSON values already (an audit document's object): they are
    left for the C encoder rather than walked in Python.
    """
    if isinstance(value, _SCALARS):
        return value
    if hasattr(type(value), "__dataclass_fields__"):
        return {name: plain(getattr(value, name)) for name in _fields(type(value))}
    if isinstance(value, list | tuple) and any(
        isinstance(v, list | tuple) or hasattr(type(v), "__dataclass_fields__") for v in value
    ):
        return [plain(v) for v in value]
    return value


def json_bytes(value: Any) -> bytes:
    """Compact, key-ordered JSON with markup characters escaped."""
    text = json.dumps(plain(value), ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _INERT:
        text = text.replace(char, escaped)
    return text.encode()


def http_date(stamp: str | None) -> str | None:
    """An ISO time stored by the store as an HTTP date."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _not_modified(request: Request, etag: str, modified: str | None) -> bool:
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since and modified:
        try:
            return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def cached(
    request: Request,
    body: bytes,
    media_type: str,
    *,
    modified: str | None = None,
    cache: str = "no-cache",
    headers: dict[str, str] | None = None,
) -> Response:
    """*body* with an ETag (its digest) and Last-Modified; 304 when the client's copy is current.

    *modified* is an ISO time (the newest audit the body is made of). Reads that need a token
    are never cached by shared caches.
    """
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    last = http_date(modified)
    registry = request.app.state.registry
    if registry.settings.require_read_token:
        cache = "private, no-cache"
    out = {"ETag": etag, "Cache-Control": cache, **(headers or {})}
    if last:
        out["Last-Modified"] = last
    if _not_modified(request, etag, last):
        return Response(status_code=304, headers=out)
    return Response(body, media_type=media_type, headers=out)


def json_response(request: Request, value: Any, **options: Any) -> Response:
    """A JSON body with validators (see :func:`cached`)."""
    return cached(request, json_bytes(value), "application/json", **options)
