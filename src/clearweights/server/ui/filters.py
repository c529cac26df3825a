"""The release list's filters as they travel in the page's URL, so a view can be shared.

The same names as the REST API's query parameters (``q``, ``license``, ``license_family``,
``verdict=FRAMEWORK:VERDICT``...), read leniently: a value that cannot be used is dropped
and named in a message on the page, never a server error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from clearweights.server.records import PolicyStatus, ReleaseQuery, Sort

VERDICT = re.compile(r"^[A-Za-z0-9._-]{1,64}:[A-Za-z0-9._-]{1,32}$")
TEXT_LIMIT = 200
PAGE_SIZE = 25
SINGLE = ("q", "license", "license_family", "license_category", "base_model", "status", "policy")


@dataclass(frozen=True)
class Filters:
    """The query and the problems met reading it."""

    query: ReleaseQuery
    problems: tuple[str, ...] = ()

    def params(self, **changes: str | None) -> list[tuple[str, str]]:
        """The filters as URL parameters (sort and cursor included), with *changes* applied."""
        q = self.query
        pairs: list[tuple[str, str]] = [
            (name, value) for name in SINGLE if (value := getattr(q, name)) is not None
        ]
        pairs += [("verdict", f"{f}:{v}") for f, v in q.verdicts]
        pairs += [("finding", code) for code in q.findings]
        if q.mof_class is not None:
            pairs.append(("mof_class", str(q.mof_class)))
        if q.policy_status is not None:
            pairs.append(("policy_status", q.policy_status.value))
        if q.sort is not Sort.NAME:
            pairs.append(("sort", q.sort.value))
        if q.cursor:
            pairs.append(("cursor", q.cursor))
        for name, value in changes.items():
            pairs = [(k, v) for k, v in pairs if k != name]
            if value is not None:
                pairs.append((name, value))
        return pairs

    def url(self, **changes: str | None) -> str:
        """The releases page for these filters, with *changes* applied."""
        params = self.params(**changes)
        return "/releases" + (f"?{urlencode(params)}" if params else "")

    def verdict_of(self, framework: str) -> str:
        """The verdict filtered on for *framework*, or an empty string."""
        return next((v for f, v in self.query.verdicts if f == framework), "")

    @property
    def active(self) -> bool:
        """Whether any filter (beyond sort and page) is set."""
        return bool(self.params(sort=None, cursor=None))


def _text(value: str | None, problems: list[str] | None = None) -> str | None:
    value = (value or "").strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        # Databases treat NUL and other control characters unevenly: such a value is dropped.
        if problems is not None:
            problems.append("a filter value held control characters and was ignored")
        return None
    return value[:TEXT_LIMIT] if value else None


def read_filters(single: Mapping[str, str], multi: Mapping[str, Sequence[str]]) -> Filters:
    """Filters from a request's query parameters (*multi* holds the repeatable ones)."""
    problems: list[str] = []
    texts = {name: _text(single.get(name), problems) for name in SINGLE}
    if texts["status"] not in (None, "ok", "error"):
        problems.append(f"status must be ok or error, got {texts['status']!r}")
        texts["status"] = None
    verdicts = []
    for item in multi.get("verdict", ()):
        if not item:
            continue
        if VERDICT.match(item):
            framework, _, value = item.partition(":")
            verdicts.append((framework, value))
        else:
            problems.append(f"a verdict filter reads FRAMEWORK:VERDICT, got {item[:80]!r}")
    codes = (_text(c, problems) for c in multi.get("finding", ()))
    findings = tuple(dict.fromkeys(c[:32] for c in codes if c))
    mof_class = None
    if raw := (single.get("mof_class") or "").strip():
        if raw in ("0", "1", "2", "3"):
            mof_class = int(raw)
        else:
            problems.append(f"the MOF class must be 0 to 3, got {raw[:20]!r}")
    policy_status = None
    if raw := (single.get("policy_status") or "").strip():
        try:
            policy_status = PolicyStatus(raw)
        except ValueError:
            problems.append(f"unknown policy status {raw[:40]!r}")
    sort = Sort.NAME
    if raw := (single.get("sort") or "").strip():
        try:
            sort = Sort(raw)
        except ValueError:
            problems.append(f"unknown sort {raw[:40]!r}")
    cursor = _text(single.get("cursor"))
    query = ReleaseQuery(
        q=texts["q"],
        license=texts["license"],
        license_family=texts["license_family"],
        license_category=texts["license_category"],
        verdicts=tuple(dict.fromkeys(verdicts))[:8],
        mof_class=mof_class,
        findings=findings[:8],
        base_model=texts["base_model"],
        status=texts["status"],
        policy=texts["policy"],
        policy_status=policy_status,
        sort=sort,
        limit=PAGE_SIZE,
        cursor=cursor if cursor and len(cursor) < 2000 else None,
    )
    return Filters(query, tuple(problems))


def without_cursor(filters: Filters) -> Filters:
    """The same filters on their first page."""
    return replace(filters, query=replace(filters.query, cursor=None))
