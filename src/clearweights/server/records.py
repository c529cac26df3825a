"""The records the registry's queries return (frozen dataclasses shared by the API and UI)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_LIMIT = 200


class Sort(StrEnum):
    """Orders of the release list."""

    NAME = "name"
    NAME_DESC = "-name"
    AUDITED = "audited"
    AUDITED_DESC = "-audited"


class PolicyStatus(StrEnum):
    """A release against one of the server's policies."""

    APPROVED = "approved"
    VIOLATES = "violates"
    WAIVED = "waived"
    ERROR = "error"


@dataclass(frozen=True)
class Verdict:
    """One framework's verdict on a release (``label``: the MOF class, where there is one)."""

    framework: str
    verdict: str
    label: str | None = None


@dataclass(frozen=True)
class ReleaseSummary:
    """A release as the list shows it: the facts of its latest audit."""

    id: int
    source: str
    key: str
    name: str
    revision: str
    status: str  # ok, or error when the release could not be audited
    weights_license: str | None
    license_name: str | None
    license_category: str | None
    license_family: str | None
    weights_open: bool
    mof_class: int | None
    open_washing: bool
    base_model: str | None
    audited_at: str
    tool_version: str
    catalogue_version: str
    audit_id: int | None
    verdicts: tuple[Verdict, ...] = ()


@dataclass(frozen=True)
class ReleaseQuery:
    """Filters, order and page of the release list (all filters must hold)."""

    q: str | None = None  # part of the name, any (ASCII) case
    license: str | None = None  # a licence id used by any component
    license_family: str | None = None
    license_category: str | None = None
    verdicts: tuple[tuple[str, str], ...] = ()  # (framework, verdict) pairs
    mof_class: int | None = None
    findings: tuple[str, ...] = ()  # finding codes; every one must be present
    base_model: str | None = None
    key: str | None = None  # exactly this path or repo id
    status: str | None = None
    policy: str | None = None
    policy_status: PolicyStatus | None = None
    sort: Sort = Sort.NAME
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of releases; ``next_cursor`` continues the list (None on the last page)."""

    items: tuple[ReleaseSummary, ...]
    next_cursor: str | None = None


@dataclass(frozen=True)
class Change:
    """What differs between an audit and the one before it."""

    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class HistoryEntry:
    """One audit of a release, with why it was audited again and what changed."""

    audit_id: int
    revision: str
    audited_at: str
    tool_version: str
    catalogue_version: str
    status: str
    error: str | None
    weights_license: str | None
    verdicts: tuple[Verdict, ...]
    reasons: tuple[str, ...]  # first audit, new revision, new clearweights, new catalogue
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class PolicyResult:
    """A release's latest audit against one policy."""

    policy: str
    status: PolicyStatus
    detail: tuple[dict[str, Any], ...]  # violations: rule, message, found, expected, waived
    waived_until: str | None


@dataclass(frozen=True)
class ReleaseDetail:
    """One release: its summary, its latest audit JSON document, history and policy results."""

    summary: ReleaseSummary
    document: str | None  # exactly as stored: one line of `audit --format json`
    history: tuple[HistoryEntry, ...]
    policies: tuple[PolicyResult, ...] = ()

    @property
    def audit(self) -> dict[str, Any] | None:
        """The release's audit object (``audits[0]`` of the document)."""
        if not self.document:
            return None
        audits = json.loads(self.document).get("audits") or [None]
        return audits[0] if isinstance(audits[0], dict) else None


@dataclass(frozen=True)
class LicenceUsage:
    """A licence and how many releases use it (in any component of their latest audit)."""

    license_id: str
    category: str
    releases: int


@dataclass(frozen=True)
class Counts:
    """The numbers of the home page, over each release's latest audit."""

    releases: int
    audited: int
    failed: int
    verdicts: tuple[tuple[str, str, int], ...]  # framework, verdict, releases
    families: tuple[tuple[str, int], ...]  # weights licence family ("(unknown)" for none)
    categories: tuple[tuple[str, int], ...]
    open_washing: int
    open_washing_codes: tuple[tuple[str, int], ...]
    mof_classes: tuple[tuple[int | None, int], ...]
    # Per month of audit (every audit, not only the latest): audits, and verdicts per framework.
    timeline: tuple[tuple[str, int], ...] = ()
    timeline_verdicts: tuple[tuple[str, str, str, int], ...] = ()
