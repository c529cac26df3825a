"""The submit form: a Hub repo id, an archive of metadata files, or an audit JSON from CI.

The form posts here; once its CSRF token passes, the page hands the submission to the REST
API's write endpoint in-process, with the API token typed in the form as the bearer token
(the token is never put in a URL, a cookie or a log). The API does every check of its own:
scopes, sizes, archive limits, rate limits.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from clearweights.server.api import PREFIX
from clearweights.server.ui import csrf
from clearweights.server.ui.browse import html
from clearweights.server.ui.render import render_page

router = APIRouter()
KINDS = ("repo", "archive", "audit")
# Where the REST API takes each kind of submission (server.submit).
ENDPOINTS = {
    "repo": f"{PREFIX}/submissions",
    "archive": f"{PREFIX}/submissions/archive",
    "audit": f"{PREFIX}/audits",
}


def _page(
    request: Request,
    *,
    status: int = 200,
    message: str = "",
    error: str = "",
    kind: str = "repo",
    releases: tuple[int, ...] = (),
) -> HTMLResponse:
    token = csrf.issue(request)
    body = render_page(
        "submit.html",
        current="/submit",
        page_title="Submit a release",
        csrf_field=csrf.FIELD,
        csrf_token=token,
        message=message,
        error=error,
        kind=kind,
        releases=releases,
    )
    response = html(body, status)
    csrf.set_cookie(response, token, secure=request.url.scheme == "https")
    return response


@router.get("/submit", response_class=HTMLResponse, include_in_schema=False)
def submit_form(request: Request) -> HTMLResponse:
    """The form."""
    return _page(request)


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def _forward(request: Request, kind: str, form: Any, token: str) -> httpx.Response:
    """Send the submission to the REST API inside this process (no network involved)."""
    transport = httpx.ASGITransport(app=request.app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
        url = ENDPOINTS[kind]
        revision = _field(form, "revision")
        if kind == "repo":
            body = {"repo_id": _field(form, "repo_id"), "revision": revision or "main"}
            return await client.post(url, json=body, headers=headers)
        upload = form.get("archive" if kind == "archive" else "audit")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValueError(f"choose the {'archive' if kind == 'archive' else 'audit JSON'} file")
        data = await upload.read()
        name = _field(form, "name")
        if kind == "audit":
            headers["Content-Type"] = "application/json"
            params = {k: v for k, v in (("key", name), ("revision", revision)) if v}
            return await client.post(url, content=data, headers=headers, params=params)
        if not name:
            raise ValueError("give the release a name (letters, digits, . _ - and /)")
        media = upload.content_type or "application/octet-stream"
        files = {"file": (upload.filename, data, media)}
        return await client.post(url, files=files, data={"name": name}, headers=headers)


def _outcome(response: httpx.Response) -> tuple[str, str, tuple[int, ...]]:
    """What the API said, for the person: a message or a problem, and the releases stored."""
    try:
        doc = response.json()
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    if not response.is_success:
        detail = doc.get("detail") or doc.get("title") or response.reason_phrase
        return "", f"The registry refused the submission ({response.status_code}): {detail}", ()
    if "releases" in doc:  # an audit document, stored at once
        ids = tuple(int(i) for i in doc.get("releases") or () if isinstance(i, int) and i > 0)
        return f"Stored {len(ids)} audit(s).", "", ids
    state = str(doc.get("state") or "queued")
    note = f" {doc['message']}" if doc.get("message") else ""
    job = f"job {doc.get('id')}: " if doc.get("id") else ""
    release = doc.get("release_id")
    message = f"Submitted ({job}{state}).{note} The release appears in the list once audited."
    return message, "", (release,) if isinstance(release, int) else ()


@router.post("/submit", response_class=HTMLResponse, include_in_schema=False)
async def submit(request: Request) -> HTMLResponse:
    """Check the CSRF token, then hand the submission to the REST API."""
    form = await request.form()
    kind = _field(form, "kind")
    kind = kind if kind in KINDS else "repo"
    refused = csrf.problem(request, _field(form, csrf.FIELD))
    if refused:
        return _page(request, status=403, error=refused, kind=kind)
    token = _field(form, "token")
    if not token:
        return _page(
            request, status=401, error="an API token with the submit scope is needed", kind=kind
        )
    try:
        response = await _forward(request, kind, form, token)
    except ValueError as exc:
        return _page(request, status=400, error=str(exc), kind=kind)
    message, error, releases = _outcome(response)
    status = 200 if response.is_success else response.status_code
    return _page(request, status=status, message=message, error=error, kind=kind, releases=releases)
