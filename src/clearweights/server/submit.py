"""The write side of the REST API: submissions (Hub repo, archive, audit JSON) and their jobs.

Every route here needs a token (``submit``, or ``admin`` for the job list and re-index) and
counts against the write rate limit of the token and of the client address.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from clearweights.scale.items import Item, Outcome
from clearweights.scale.sources import cached_repo
from clearweights.server.api import PREFIX, registry_of
from clearweights.server.archive import ArchiveRejected, Limits, discard, spool_folder, unpack
from clearweights.server.http import json_bytes
from clearweights.server.jobs import JobPool, Submission
from clearweights.server.problems import Problem, responses
from clearweights.server.security import RateLimiter, check_token
from clearweights.server.tokens import Scope, TokenInfo

REPO_ID = r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$"
REVISION = r"^[\w][\w.-]{0,127}$"
_SAFE = re.compile(r"[^\w.-]+")
# Each write operation names its scope in the OpenAPI description (and the tests read it).
SUBMIT = {"x-required-scope": "submit"}
ADMIN = {"x-required-scope": "admin"}


def _writer(needed: Scope) -> Any:
    def dependency(request: Request) -> TokenInfo:
        token = check_token(request, needed)
        limiter: RateLimiter = request.app.state.write_limiter
        limiter.hit(f"token:{token.id}")
        limiter.hit(f"client:{request.client.host if request.client else '-'}")
        return token

    return Depends(dependency)


Submitter = Annotated[TokenInfo, _writer(Scope.SUBMIT)]
Admin = Annotated[TokenInfo, _writer(Scope.ADMIN)]
router = APIRouter(
    prefix=PREFIX, tags=["submissions"], responses=responses(400, 401, 403, 404, 413, 422, 429)
)


class HubSubmission(BaseModel):
    """A release on the Hub, audited from the server's local Hugging Face cache."""

    repo_id: str = Field(pattern=REPO_ID, examples=["allenai/OLMo-2-1124-7B"])
    revision: str = Field(default="main", pattern=REVISION)


@dataclass(frozen=True)
class Stored:
    """The releases and audits a posted audit document was stored as."""

    releases: tuple[int, ...]
    audits: tuple[int, ...]


def jobs_of(request: Request) -> JobPool:
    """The job pool of the app serving *request*."""
    pool: JobPool = request.app.state.jobs
    return pool


def _accepted(job: Submission, new: bool) -> Response:
    headers = {"Location": f"{PREFIX}/submissions/{job.id}"}
    return Response(json_bytes(job), 202 if new else 200, headers, "application/json")


@router.post(
    "/submissions",
    response_model=Submission,
    status_code=202,
    summary="Audit a Hub release",
    openapi_extra=SUBMIT,
    responses={200: {"model": Submission, "description": "Already queued or running."}},
)
def submit_hub(request: Request, body: HubSubmission, token: Submitter) -> Response:
    """Audit a repo from the server's Hugging Face cache (metadata and licence files)."""
    registry = registry_of(request)
    from clearweights.scale.sources import _hub_cache

    cache = registry.settings.hf_cache or _hub_cache()
    item = cached_repo(body.repo_id, cache, body.revision)
    if item.error is not None:
        raise Problem(404, item.error)
    job, new = jobs_of(request).submit(
        "hub", f"{body.repo_id}@{body.revision}", item, token=token.id
    )
    return _accepted(job, new)


@router.post(
    "/submissions/archive",
    response_model=Submission,
    status_code=202,
    summary="Audit an uploaded archive",
    openapi_extra=SUBMIT,
    responses={200: {"model": Submission, "description": "Already queued or running."}},
)
async def submit_archive(
    request: Request,
    token: Submitter,
    file: Annotated[UploadFile, File(description="zip or tar(.gz) of card, licences, config")],
    name: Annotated[str, Form(min_length=1, max_length=200, pattern=r"^[\w./-]+$")],
) -> Response:
    """Audit a release from an archive of its metadata files (size, count and ratio limits)."""
    settings = registry_of(request).settings
    data = await file.read(settings.max_body_bytes + 1)
    if len(data) > settings.max_body_bytes:
        raise Problem(413, "the archive is over the size limit")
    limits = Limits(
        settings.archive_max_files, settings.archive_max_unpacked, settings.archive_max_ratio
    )
    pool = jobs_of(request)
    root = spool_folder(pool.spool)  # in the server's data folder: it outlives a restart
    folder = root / (_SAFE.sub("-", name.strip("/").replace("/", "--")) or "release")
    folder.mkdir(mode=0o700)
    try:
        unpack(data, folder, limits)
    except ArchiveRejected as exc:
        discard(root, pool.spool)
        raise Problem(422, exc.message, title="Archive refused") from None
    except BaseException:
        discard(root, pool.spool)
        raise
    revision = "sha256:" + hashlib.sha256(data).hexdigest()[:32]
    item = Item("upload", name, revision, location=str(_release_root(folder)))
    job, new = pool.submit("archive", name, item, token=token.id, extra={"upload": str(root)})
    return _accepted(job, new)


def _release_root(folder: FilePath) -> FilePath:
    """The release's folder: an archive made as ``tar czf r.tgz release/`` holds one folder."""
    entries = list(folder.iterdir())
    while len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        folder = entries[0]
        entries = list(folder.iterdir())
    return folder


def _outcomes(document: Any, key: str | None, revision: str | None) -> list[Outcome]:
    """A posted audit document as outcomes ready for the store (422 when it is not one)."""
    from clearweights.scale.worker import _rows, audit_document

    if not isinstance(document, dict) or not isinstance(document.get("audits"), list):
        raise Problem(422, "not an audit document: no 'audits' list")
    audits = document["audits"]
    if not 1 <= len(audits) <= 100:
        raise Problem(422, "an audit document must hold 1 to 100 audits")
    if key is not None and len(audits) != 1:
        raise Problem(422, "'key' names one release; the document holds several")
    versions = (document.get("tool_version"), document.get("catalogue_version"))
    if not all(isinstance(v, str) and 0 < len(v) <= 64 for v in versions):
        raise Problem(422, "the document lacks tool_version or catalogue_version")
    outcomes = []
    for audit in audits:
        if not isinstance(audit, dict) or audit.get("error"):
            raise Problem(422, "every audit must be a successful audit object")
        one = {
            "schema_version": document.get("schema_version"),
            "tool": document.get("tool"),
            "tool_version": versions[0],
            "catalogue_version": versions[1],
            "audits": [audit],
        }
        try:
            rows = _rows(audit)
            name = str(audit.get("name") or audit.get("path") or "")
            text = audit_document(one)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise Problem(422, f"not an audit document: {type(exc).__name__}: {exc}") from None
        release = (key or name)[:1000]
        if not release:
            raise Problem(422, "an audit has neither name nor path; pass ?key=")
        digest = (
            "sha256:" + hashlib.sha256(json.dumps(audit, sort_keys=True).encode()).hexdigest()[:32]
        )
        item = Item("submitted", release, revision or digest)
        outcomes.append(Outcome(item, str(versions[0]), str(versions[1]), 0.0, name=name or release,
                                document=text, **rows))  # fmt: skip
    return outcomes


_AUDIT_BODY = {
    **SUBMIT,
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["tool_version", "catalogue_version", "audits"],
                    "description": "The output of `clearweights audit --format json`.",
                }
            }
        },
    },
}


@router.post(
    "/audits",
    response_model=Stored,
    status_code=201,
    summary="Store an audit made elsewhere",
    openapi_extra=_AUDIT_BODY,
)
async def post_audit(
    request: Request,
    token: Submitter,
    key: Annotated[str | None, Query(min_length=1, max_length=1000)] = None,
    revision: Annotated[str | None, Query(pattern=REVISION)] = None,
) -> Response:
    """Store the JSON of ``clearweights audit`` (from CI, say); the release is not re-audited.

    Each audit becomes a release of source ``submitted``, keyed by *key* (one audit only) or
    its name; *revision* defaults to a digest of the audit.
    """
    registry = registry_of(request)
    body = await request.body()
    if len(body) > registry.settings.max_json_bytes:
        raise Problem(413, f"an audit document may be {registry.settings.max_json_bytes} bytes")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(422, f"the body is not JSON: {exc}") from None
    from clearweights.audit.load import load_audits
    from clearweights.errors import AuditDocumentError

    try:  # the document must rebuild into a report, as stored audits are read back
        load_audits(body, name="the posted document")
    except AuditDocumentError as exc:
        raise Problem(422, exc.diagnostics(), title="Not an audit document") from None
    outcomes = _outcomes(document, key, revision)
    store = registry.store
    run = store.start_run(outcomes[0].tool_version, outcomes[0].catalogue_version)
    store.write(run, outcomes)
    store.finish_run(run, len(outcomes), 0, 0)
    registry.refresh(force=True)
    from clearweights.server.jobs import _audit_of

    found = [_audit_of(registry, o) for o in outcomes]
    stored = Stored(tuple(e or 0 for _, e in found), tuple(a or 0 for a, _ in found))
    return Response(json_bytes(stored), 201, media_type="application/json")


@router.get(
    "/submissions/{job_id}",
    response_model=Submission,
    summary="A submission's state",
    openapi_extra=SUBMIT,
)
def get_submission(
    request: Request, job_id: Annotated[int, Path(ge=1, le=2**53)], token: Submitter
) -> Response:
    """queued, running, done (with the release and audit ids) or failed (with the message)."""
    job = jobs_of(request).get(job_id)
    if job is None:
        raise Problem(404, f"no submission {job_id}")
    return Response(json_bytes(job), media_type="application/json")


@router.get(
    "/submissions",
    response_model=tuple[Submission, ...],
    summary="Recent submissions",
    openapi_extra=ADMIN,
)
def list_submissions(request: Request, token: Admin) -> Response:
    """The latest 100 submissions, newest first."""
    return Response(json_bytes(jobs_of(request).recent()), media_type="application/json")


@router.post(
    "/admin/reindex", status_code=204, summary="Re-read the store now", openapi_extra=ADMIN
)
def reindex(request: Request, token: Admin) -> Response:
    """Bring the registry index (and policy results) up to date with the store at once."""
    registry_of(request).refresh(force=True)
    return Response(status_code=204)
