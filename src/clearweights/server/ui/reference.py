"""Reference pages: the licence catalogue in plain words, and the organisation's policies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from clearweights import licenses
from clearweights.errors import UnknownLicenceError
from clearweights.formats._plain import yes_no
from clearweights.policy import BUILT_IN
from clearweights.server import catalog
from clearweights.server.api import registry_of
from clearweights.server.policies import ServerPolicy
from clearweights.server.records import PolicyStatus, ReleaseQuery, ReleaseSummary
from clearweights.server.ui import queries
from clearweights.server.ui.browse import html, not_found
from clearweights.server.ui.licence_view import categories, licence_rows, term_lines
from clearweights.server.ui.render import render_page

router = APIRouter()
LIST_LIMIT = 200  # rows of the licence list; a search narrows the rest
MAX_POLICY_TEXT = 64 * 1024


@router.get("/licenses", response_class=HTMLResponse, include_in_schema=False)
def licence_list(request: Request) -> HTMLResponse:
    """Every catalogue record, those in use first, searchable by id, name or Hub id."""
    query = request.query_params.get("q", "")[:200]
    category = request.query_params.get("category", "")[:64]
    with registry_of(request).read() as connection:
        usage = {u.license_id: u.releases for u in catalog.licences(connection)}
    records = licenses.catalogue()
    rows = licence_rows(records, usage, query, category)
    body = render_page(
        "licences.html",
        current="/licenses",
        page_title="Licences",
        rows=rows,
        shown=rows[:LIST_LIMIT],
        total=len(records),
        query=query,
        category=category,
        categories=categories(),
    )
    return html(body)


@router.get("/licenses/{licence_id:path}", response_class=HTMLResponse, include_in_schema=False)
def licence_page(request: Request, licence_id: str) -> HTMLResponse:
    """One catalogue record in plain words, with the releases that use it."""
    try:
        record = licenses.get(licence_id[:200])
    except UnknownLicenceError:
        return not_found(f"licence {licence_id[:200]}")
    with registry_of(request).read() as connection:
        users = catalog.list_releases(connection, ReleaseQuery(license=record.id, limit=200)).items
    policies = []
    for pid in record.policies:
        try:
            policies.append(licenses.get(pid))
        except UnknownLicenceError:
            continue
    body = render_page(
        "licence.html",
        current="/licenses",
        page_title=record.name,
        licence=record,
        summary=licenses.summarize(record),
        terms=term_lines(record),
        policies=policies,
        users=users,
        yes_no=yes_no,
    )
    return html(body)


@dataclass(frozen=True)
class Waiver:
    """A policy exception as the page shows it."""

    release: str
    rules: str
    reason: str
    expires: str
    expired: bool


@dataclass(frozen=True)
class PolicyView:
    """One of the server's policies: its rules, waivers, file and the releases per status."""

    name: str
    configured: str  # as the server was told: a built-in name or a file
    description: str
    rules: tuple[tuple[str, str], ...]
    waivers: tuple[Waiver, ...]
    text: str
    results: dict[str, tuple[ReleaseSummary, ...]]
    waived_until: dict[int, str | None]

    @property
    def source(self) -> str:
        """Where the policy comes from (a file by name only: server paths stay private)."""
        if self.configured in BUILT_IN and not Path(self.configured).exists():
            return f"Built into clearweights ({self.configured})."
        return f"From the file {Path(self.configured).name}."

    @property
    def checked(self) -> bool:
        """Whether any release has a result for this policy."""
        return any(self.results.values())


def _policy_text(configured: str) -> str:
    if configured in BUILT_IN and not Path(configured).exists():
        folder = resources.files("clearweights").joinpath("data/policies")
        return folder.joinpath(f"{configured}.yml").read_text("utf-8")
    with Path(configured).open(encoding="utf-8", errors="replace") as handle:
        return handle.read(MAX_POLICY_TEXT)


def _policy_view(request: Request, served: ServerPolicy, configured: str) -> PolicyView:
    policy = served.policy
    try:
        text = _policy_text(configured)
    except OSError as exc:
        text = f"(the file cannot be read now: {exc})"
    today = date.today()
    waivers = tuple(
        Waiver(e.release, ", ".join(e.rules), e.reason, e.expires.isoformat(), e.expires < today)
        for e in policy.exceptions
    )
    rules = tuple(dict.fromkeys((leaf.id, leaf.description) for leaf in policy.leaves))
    results: dict[str, tuple[ReleaseSummary, ...]] = {}
    with registry_of(request).read() as connection:
        for status in PolicyStatus:
            query = ReleaseQuery(policy=served.name, policy_status=status, limit=200)
            results[status.value] = catalog.list_releases(connection, query).items
        waived = [r.id for r in results["waived"]]
        until = {
            entry: next((u for name, _, u in found if name == served.name), None)
            for entry, found in queries.policy_statuses(connection, waived).items()
        }
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        doc = None
    description = str(doc.get("description") or "") if isinstance(doc, dict) else ""
    return PolicyView(served.name, configured, description, rules, waivers, text, results, until)


def served_policies(request: Request) -> tuple[ServerPolicy, ...]:
    """The policies the server checks (loaded once, at start)."""
    served: tuple[ServerPolicy, ...] = getattr(request.app.state, "policies", ())
    return served


@router.get("/policies", response_class=HTMLResponse, include_in_schema=False)
def policies(request: Request) -> HTMLResponse:
    """The organisation's policies and, per policy, approved, violating and waived releases."""
    configured = registry_of(request).settings.policies
    views = [
        _policy_view(request, p, c)
        for p, c in zip(served_policies(request), configured, strict=True)
    ]
    body = render_page("policies.html", current="/policies", page_title="Policies", policies=views)
    return html(body)
