"""Pages to browse the registry: home, the release table, one release, a comparison."""

from __future__ import annotations

from dataclasses import dataclass, replace

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

from clearweights import licenses
from clearweights.errors import UsageError
from clearweights.formats._audit_text import PROFILE_COLUMNS
from clearweights.server import catalog
from clearweights.server.api import registry_of, release_links
from clearweights.server.records import Counts, ReleaseQuery, ReleaseSummary, Sort
from clearweights.server.ui import queries
from clearweights.server.ui.filters import read_filters, without_cursor
from clearweights.server.ui.home import home_charts
from clearweights.server.ui.release_view import ReleaseView, mof_label, release_view
from clearweights.server.ui.render import render_page

router = APIRouter()
DOWNLOADS = {
    "audit": "Audit (JSON)",
    "cyclonedx": "CycloneDX ML-BOM",
    "spdx3": "SPDX 3 AI BOM",
    "sarif": "SARIF",
}
MAX_COMPARE = 4
# The questions every licence summary answers, in order (their wording is the summary's).
QUESTIONS = tuple(a.question for a in licenses.summarize(licenses.get("MIT")).answers)


@dataclass(frozen=True)
class Row:
    """One release in the table: its summary and what the table adds to it."""

    release: ReleaseSummary
    verdicts: dict[str, str]
    mof: str
    findings: tuple[str, ...]
    policies: tuple[tuple[str, str, str | None], ...]


@dataclass(frozen=True)
class Violation:
    """One violation of a policy result, as the release page lists it."""

    rule: str
    message: str
    waived: bool


def violations(detail: object) -> tuple[Violation, ...]:
    """The violations in a policy result's stored detail (``{"violations": [...]}``)."""
    if isinstance(detail, dict):
        detail = detail.get("violations")
    if not isinstance(detail, list):
        return ()
    return tuple(
        Violation(str(d.get("rule") or ""), str(d.get("message") or ""), bool(d.get("waived")))
        for d in detail
        if isinstance(d, dict) and (d.get("message") or d.get("rule"))
    )


def html(body: str, status: int = 200) -> HTMLResponse:
    """A page: kept by no shared cache, revalidated by the browser (the store changes)."""
    headers = {"Cache-Control": "private, no-cache"}
    return HTMLResponse(body, status_code=status, headers=headers)


def not_found(what: str) -> HTMLResponse:
    """The page for something the registry does not hold."""
    body = render_page("not_found.html", current="", page_title="Not found", what=what)
    return html(body, 404)


def _rows(connection: Connection, items: tuple[ReleaseSummary, ...]) -> tuple[Row, ...]:
    audits = [i.audit_id for i in items if i.audit_id is not None]
    codes = queries.finding_codes(connection, audits)
    policies = queries.policy_statuses(connection, [i.id for i in items])
    return tuple(
        Row(
            i,
            {v.framework: v.verdict for v in i.verdicts},
            mof_label(i.mof_class) if i.status == "ok" else "—",
            codes.get(i.audit_id or -1, ()),
            policies.get(i.id, ()),
        )
        for i in items
    )


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> HTMLResponse:
    """Counts and charts over every release's latest audit."""
    with registry_of(request).read() as connection:
        counts: Counts = catalog.counts(connection)
        recent = catalog.list_releases(connection, ReleaseQuery(sort=Sort.AUDITED_DESC, limit=5))
    body = render_page(
        "home.html",
        current="/",
        page_title="Home",
        counts=counts,
        charts=home_charts(counts),
        recent=recent.items,
    )
    return html(body)


def _options(connection: Connection) -> dict[str, object]:
    counts = catalog.counts(connection)
    return {
        "families": [f for f, _ in counts.families if f != "(unknown)"],
        "categories": [c for c, _ in counts.categories if c != "(unknown)"],
        "codes": [c for c, _ in counts.open_washing_codes],
        "licences": [u.license_id for u in catalog.licences(connection)],
    }


@router.get("/releases", response_class=HTMLResponse, include_in_schema=False)
def releases(request: Request) -> HTMLResponse:
    """The searchable, filterable, sortable table; the filters live in the URL."""
    params = request.query_params
    filters = read_filters(
        params, {"verdict": params.getlist("verdict"), "finding": params.getlist("finding")}
    )
    problems = list(filters.problems)
    with registry_of(request).read() as connection:
        try:
            page = catalog.list_releases(connection, filters.query)
        except UsageError as exc:  # a stale or foreign cursor: start again on the first page
            if not filters.query.cursor:
                raise
            problems.append(f"{exc}; showing the first page")
            filters = without_cursor(filters)
            page = catalog.list_releases(connection, filters.query)
        rows = _rows(connection, page.items)
        options = _options(connection)
    policies = [p.name for p in getattr(request.app.state, "policies", ())]
    body = render_page(
        "releases.html",
        current="/releases",
        page_title="Releases",
        filters=filters,
        problems=problems,
        rows=rows,
        next_url=filters.url(cursor=page.next_cursor) if page.next_cursor else None,
        first_url=filters.url(cursor=None) if filters.query.cursor else None,
        frameworks=PROFILE_COLUMNS,
        policies=policies,
        **options,
    )
    return html(body)


def _detail(connection: Connection, ref: str) -> tuple[ReleaseSummary, ReleaseView] | None:
    detail = catalog.release_detail(connection, ref)
    if detail is None:
        return None
    audit = detail.audit or {"name": detail.summary.name, "error": "no stored audit document"}
    return detail.summary, release_view(audit)


@router.get("/releases/{ref:path}", response_class=HTMLResponse, include_in_schema=False)
def release(request: Request, ref: str) -> HTMLResponse:
    """One release: verdicts, components, licence answers, duties, findings, lineage, history."""
    with registry_of(request).read() as connection:
        detail = catalog.release_detail(connection, ref)
        if detail is None:
            return not_found(f"release {ref}")
        summary = detail.summary
        derived_query = ReleaseQuery(base_model=summary.key, limit=50)
        derived = catalog.list_releases(connection, derived_query).items
        if summary.name != summary.key:
            more = catalog.list_releases(
                connection, replace(derived_query, base_model=summary.name)
            )
            derived += tuple(d for d in more.items if d not in derived)
        audit = detail.audit or {"name": summary.name, "error": "no stored audit document"}
        view = release_view(audit)
        details = queries.policy_details(connection, summary.id)
        bases = {}
        for b in view.bases:
            found = catalog.find_release(connection, b.repo_id)
            bases[b.repo_id] = [found] if found else []
    links = release_links(summary.id)
    body = render_page(
        "release.html",
        current="/releases",
        page_title=view.name,
        entry=summary,
        view=view,
        history=tuple(reversed(detail.history)),
        policies=detail.policies,
        derived=derived,
        base_entries=bases,
        downloads=[(DOWNLOADS[k], v) for k, v in links.items() if k in DOWNLOADS],
        violations=lambda policy: violations(details.get(policy)),
    )
    return html(body)


@router.get("/compare", response_class=HTMLResponse, include_in_schema=False)
def compare(request: Request) -> HTMLResponse:
    """Two to four releases side by side (``?r=ID&r=ID``)."""
    refs = list(dict.fromkeys(r for r in request.query_params.getlist("r") if r.strip()))
    problems = []
    if len(refs) > MAX_COMPARE:
        problems.append(f"{len(refs)} releases were chosen; the first {MAX_COMPARE} are compared")
        refs = refs[:MAX_COMPARE]
    chosen: list[tuple[ReleaseSummary, ReleaseView]] = []
    with registry_of(request).read() as connection:
        for ref in refs:
            found = _detail(connection, ref[:1000])
            if found is None:
                problems.append(f"no release {ref[:80]!r} in the registry")
            else:
                chosen.append(found)
        picks = catalog.list_releases(connection, ReleaseQuery(limit=200)).items
    if len(chosen) < 2:
        problems.append("choose two to four releases to compare")
    body = render_page(
        "compare.html",
        current="/compare",
        page_title="Compare releases",
        chosen=chosen if len(chosen) >= 2 else [],
        selected={s.id for s, _ in chosen},
        picks=picks,
        problems=problems,
        frameworks=PROFILE_COLUMNS,
        questions=QUESTIONS,
    )
    return html(body)
