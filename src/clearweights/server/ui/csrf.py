"""CSRF protection for the UI's forms: a double-submitted random token, and same-origin checks.

A form page sets a random token in a ``SameSite=Strict`` cookie and in a hidden field; a post
is accepted only when both are present and equal and the browser does not say it came from
another site (``Sec-Fetch-Site``, ``Origin``). Another site can neither read the cookie nor
make the browser send it with a cross-site post.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request, Response

COOKIE = "cw_csrf"
FIELD = "csrf_token"


def issue(request: Request) -> str:
    """The token for a form page: the browser's current one, or a new one."""
    current = request.cookies.get(COOKIE, "")
    if len(current) == 43 and current.replace("-", "").replace("_", "").isalnum():
        return current
    return secrets.token_urlsafe(32)


def set_cookie(response: Response, token: str, secure: bool) -> None:
    """Send the token's cookie with the form page."""
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/", max_age=7200
    )


def problem(request: Request, submitted: str | None) -> str | None:
    """Why a post must be refused, or None when it passes every check."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return "the form was sent from another site"
    origin = request.headers.get("origin")
    if origin and origin != "null":
        parts = urlsplit(origin)
        if parts.netloc != request.headers.get("host", ""):
            return "the form was sent from another origin"
    cookie = request.cookies.get(COOKIE)
    if not cookie or not submitted:
        return "the form's security token is missing: reload the form and send it again"
    if not hmac.compare_digest(cookie.encode(), submitted.encode()):
        return "the form's security token does not match: reload the form and send it again"
    return None
