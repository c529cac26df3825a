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
# Where the REST API takes each kind of submission, and how the body is sent.
ENDPOINTS = {
    "repo": f"{PREFIX}/submissions/repo",
    "archive": f"{PREFIX}/submissions/archive",
    "audit": f"{PREFIX}/submissions/audit",
}


def _page(
    request: Request, *, status: int = 200, message: str = "", error: str = "", kind: str = "repo"
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
        if kind == "repo":
            body = {
                "repo_id": _field(form, "repo_id"),
                "revision": _field(form, "revision") or None,
            }
            return await client.post(url, json=body, headers=headers)
        upload = form.get("archive" if kind == "archive" else "audit")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValueError(f"choose the {'archive' if kind == 'archive' else 'audit JSON'} file")
        data = await upload.read()
        if kind == "audit":
            headers["Content-Type"] = "application/json"
            return await client.post(url, content=data, headers=headers)
        files = {"archive": (upload.filename, data, upload.content_type or "application/zip")}
        return await client.post(url, files=files, headers=headers)


def _outcome(response: httpx.Response) -> tuple[str, str]:
    """A message for the person: what the API said, success or problem."""
    try:
        doc = response.json()
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    if response.is_success:
        state = doc.get("state") or doc.get("status") or "accepted"
        ref = doc.get("id") or doc.get("job") or ""
        return f"Submitted: {state}{f' (job {ref})' if ref else ''}.", ""
    detail = doc.get("detail") or doc.get("title") or response.reason_phrase
    return "", f"The registry refused the submission ({response.status_code}): {detail}"


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
    message, error = _outcome(response)
    status = 200 if response.is_success else response.status_code
    return _page(request, status=status, message=message, error=error, kind=kind)
