"""The read side of the REST API (``/api/v1``): releases, audits, licences, counts, search."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from clearweights.server import catalog
from clearweights.server.http import cached, json_response
from clearweights.server.problems import Problem, responses
from clearweights.server.records import (
    MAX_LIMIT,
    Counts,
    HistoryEntry,
    LicenceUsage,
    Page,
    PolicyResult,
    PolicyStatus,
    ReleaseQuery,
    ReleaseSummary,
    Sort,
)
from clearweights.server.registry import Registry
from clearweights.server.security import check_token
from clearweights.server.tokens import Scope

PREFIX = "/api/v1"
_VERDICT = re.compile(r"^[A-Za-z0-9._-]{1,64}:[A-Za-z0-9._-]{1,32}$")


def registry_of(request: Request) -> Registry:
    """The registry of the app serving *request*."""
    registry: Registry = request.app.state.registry
    return registry


async def read_access(request: Request) -> None:
    """Reads are public unless the server requires a token for them."""
    if registry_of(request).settings.require_read_token:
        check_token(request, Scope.READ)  # a short indexed lookup, fine on the event loop


READ_RESPONSES = responses(304, 400, 401, 403, 404, 413, 422)
router = APIRouter(
    prefix=PREFIX,
    tags=["registry"],
    dependencies=[Depends(read_access)],
    responses=READ_RESPONSES,
)


@dataclass(frozen=True)
class ReleaseView:
    """One release: its summary, latest audit, audit history, policy results and links."""

    release: ReleaseSummary
    audit: dict[str, Any] | None
    history: tuple[HistoryEntry, ...]
    policies: tuple[PolicyResult, ...]
    downloads: dict[str, str]


@dataclass(frozen=True)
class SearchResult:
    """Releases and licences matching a search."""

    releases: tuple[ReleaseSummary, ...]
    licenses: tuple[LicenceUsage, ...]


Text = Annotated[str | None, Query(max_length=200)]


def release_query(
    q: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
    license: Annotated[str | None, Query(max_length=200, description="A licence id.")] = None,
    license_family: Text = None,
    license_category: Text = None,
    verdict: Annotated[
        list[str] | None,
        Query(max_length=20, description="FRAMEWORK:VERDICT, e.g. redhat:pass (repeatable)."),
    ] = None,
    mof_class: Annotated[int | None, Query(ge=0, le=3)] = None,
    finding: Annotated[
        list[str] | None, Query(max_length=20, description="A finding code, e.g. OW-LIC.")
    ] = None,
    base_model: Text = None,
    key: Annotated[str | None, Query(max_length=1000, description="A path or repo id.")] = None,
    status: Annotated[str | None, Query(pattern="^(ok|error)$")] = None,
    policy: Annotated[str | None, Query(max_length=128)] = None,
    policy_status: PolicyStatus | None = None,
    sort: Sort = Sort.NAME,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> ReleaseQuery:
    """The release list's query parameters as a :class:`ReleaseQuery`."""
    pairs = []
    for item in verdict or ():
        if not _VERDICT.match(item):
            raise Problem(422, f"verdict must read FRAMEWORK:VERDICT, got {item!r}")
        framework, _, value = item.partition(":")
        pairs.append((framework, value))
    return ReleaseQuery(
        q=q or None,
        license=license,
        license_family=license_family,
        license_category=license_category,
        verdicts=tuple(pairs),
        mof_class=mof_class,
        findings=tuple(c[:32] for c in finding or ()),
        base_model=base_model,
        key=key,
        status=status,
        policy=policy,
        policy_status=policy_status,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )


def _newest(items: tuple[ReleaseSummary, ...]) -> str | None:
    return max((i.audited_at for i in items), default=None)


@router.get("/releases", response_model=Page, summary="List releases")
def list_releases(
    request: Request, query: Annotated[ReleaseQuery, Depends(release_query)]
) -> Response:
    """Releases matching every filter given, one page at a time (follow ``next_cursor``)."""
    with registry_of(request).read() as connection:
        page = catalog.list_releases(connection, query)
    return json_response(request, page, modified=_newest(page.items))


def release_links(entry: int) -> dict[str, str]:
    """Where a release's downloads are."""
    return {
        f: f"{PREFIX}/releases/{entry}/download/{f}"
        for f in ("audit", "cyclonedx", "spdx3", "sarif")
    }


ReleaseId = Annotated[int, Path(ge=1, le=2**53)]


@router.get("/releases/{release_id}", response_model=ReleaseView, summary="One release")
def get_release(request: Request, release_id: ReleaseId) -> Response:
    """A release with its latest audit, every earlier audit (what changed and why) and policies."""
    with registry_of(request).read() as connection:
        detail = catalog.release_detail(connection, str(release_id))
    if detail is None:
        raise Problem(404, f"no release with id {release_id}")
    view = ReleaseView(
        detail.summary, detail.audit, detail.history, detail.policies, release_links(release_id)
    )
    return json_response(request, view, modified=detail.summary.audited_at)


@router.get(
    "/releases/{release_id}/history",
    response_model=tuple[HistoryEntry, ...],
    summary="A release's audit history",
)
def get_history(request: Request, release_id: ReleaseId) -> Response:
    """Every audit of the release, oldest first, with the reasons and changes of each."""
    with registry_of(request).read() as connection:
        summary = catalog.get_summary(connection, release_id)
        if summary is None:
            raise Problem(404, f"no release with id {release_id}")
        entries = catalog.history(connection, summary.source, summary.key)
    return json_response(request, entries, modified=summary.audited_at)


@router.get("/audits/{audit_id}", response_model=dict[str, Any], summary="One stored audit")
def get_audit(request: Request, audit_id: ReleaseId) -> Response:
    """The audit JSON document exactly as stored (the output of ``clearweights audit``)."""
    with registry_of(request).read() as connection:
        found = catalog.audit_document(connection, audit_id)
    if found is None or found[1] is None:
        raise Problem(404, f"no audit with id {audit_id}")
    stamp, document = found[0], found[1]
    return cached(request, document.encode(), "application/json", modified=stamp)


@router.get("/licenses", response_model=tuple[LicenceUsage, ...], summary="Licences in use")
def list_licenses(request: Request) -> Response:
    """Every licence found in the releases' latest audits, with how many releases use it."""
    with registry_of(request).read() as connection:
        usage = catalog.licences(connection)
    return json_response(request, usage)


@router.get("/licenses/{license_id}", response_model=dict[str, Any], summary="One licence")
def get_license(request: Request, license_id: Annotated[str, Path(max_length=200)]) -> Response:
    """The catalogue record of a licence (terms in plain words) and how many releases use it."""
    from clearweights import licenses
    from clearweights.errors import UnknownLicenceError
    from clearweights.formats.json import licence_json

    try:
        record = licenses.get(license_id)
    except UnknownLicenceError:
        raise Problem(404, f"no licence {license_id!r} in the catalogue") from None
    with registry_of(request).read() as connection:
        used = {u.license_id: u.releases for u in catalog.licences(connection)}
    body = {**licence_json(record), "releases": used.get(record.id, 0)}
    return json_response(request, body)


@router.get("/counts", response_model=Counts, summary="Counts for the home page")
def get_counts(request: Request) -> Response:
    """Verdicts per framework, licence families, open-washing, MOF classes, and over time."""
    with registry_of(request).read() as connection:
        numbers = catalog.counts(connection)
    return json_response(request, numbers)


@router.get("/search", response_model=SearchResult, summary="Search releases and licences")
def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> Response:
    """Releases whose name or key holds *q*, and licences whose id holds it."""
    with registry_of(request).read() as connection:
        page = catalog.list_releases(connection, ReleaseQuery(q=q, limit=limit))
        needle = q.strip().lower()
        found = tuple(u for u in catalog.licences(connection) if needle in u.license_id.lower())
    return json_response(request, SearchResult(page.items, found[:limit]))


@dataclass(frozen=True)
class PolicyView:
    """One of the server's policies: its rules and how many releases stand where."""

    name: str
    rules: tuple[tuple[str, str], ...]  # rule id, what it asks for
    counts: dict[str, int]  # approved, violates, waived, error


def _policy_view(request: Request, policy: Any) -> PolicyView:
    from clearweights.server.policies import summary

    rules = tuple(dict.fromkeys((leaf.id, leaf.description) for leaf in policy.policy.leaves))
    return PolicyView(policy.name, rules, summary(registry_of(request).engine, policy.name))


@router.get("/policies", response_model=tuple[PolicyView, ...], summary="The server's policies")
def list_policies(request: Request) -> Response:
    """Each policy the server checks releases against, with its counts.

    The releases themselves: ``/releases?policy=NAME&policy_status=approved`` (or
    ``violates``, ``waived``, ``error``).
    """
    registry_of(request).refresh()
    views = tuple(_policy_view(request, p) for p in request.app.state.policies)
    return json_response(request, views)


@router.get("/policies/{name}", response_model=PolicyView, summary="One policy")
def get_policy(request: Request, name: Annotated[str, Path(max_length=128)]) -> Response:
    """A policy's rules and how many releases are approved, violate it or are waived."""
    registry_of(request).refresh()
    for policy in request.app.state.policies:
        if policy.name == name:
            return json_response(request, _policy_view(request, policy))
    raise Problem(404, f"the server checks no policy named {name!r}")
