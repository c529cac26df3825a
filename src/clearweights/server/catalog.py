"""Read-side queries of the registry: releases, their audits and history, licences, counts.

Every function takes an SQLAlchemy connection and returns frozen dataclasses; the API and
the web UI share them. Releases are read through the registry index (``server.index``), one
entry per release with the facts of its latest audit.

Example:
    >>> from clearweights.server.catalog import ReleaseQuery, Sort
    >>> ReleaseQuery(license_family="llama", sort=Sort.AUDITED_DESC).limit
    50
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, and_, bindparam, or_, select

from clearweights.errors import UsageError
from clearweights.server import filters, search
from clearweights.server.records import (
    MAX_LIMIT,
    Change,
    HistoryEntry,
    Page,
    PolicyResult,
    PolicyStatus,
    ReleaseDetail,
    ReleaseQuery,
    ReleaseSummary,
    Sort,
    Verdict,
)
from clearweights.server.tallies import counts, licences
from clearweights.store.models import (
    AuditRow,
    EntryRow,
    PolicyResultRow,
    ReleaseRow,
    VerdictRow,
)

__all__ = [
    "audit_document",
    "counts",
    "decode_cursor",
    "encode_cursor",
    "find_release",
    "get_summary",
    "history",
    "licences",
    "list_releases",
    "policy_results",
    "release_detail",
    "verdicts_of",
]

_SORT_COLUMNS = {
    Sort.NAME: (EntryRow.name, False),
    Sort.NAME_DESC: (EntryRow.name, True),
    Sort.AUDITED: (EntryRow.audited_at, False),
    Sort.AUDITED_DESC: (EntryRow.audited_at, True),
}


def encode_cursor(sort: Sort, value: str, entry: int) -> str:
    """An opaque cursor: the sort, the last row's sort value and its id."""
    raw = json.dumps([sort.value, value, entry], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> tuple[str, int]:
    """The position a cursor names; a cursor from another sort or a broken one is refused."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, value, entry = json.loads(raw)
        if kind != sort.value or not isinstance(value, str) or not isinstance(entry, int):
            raise ValueError("cursor does not match the sort")
    except (ValueError, TypeError) as exc:
        raise UsageError(f"invalid cursor: {exc}", hint="start again without a cursor") from None
    return value, entry


def _summary(row: Any, verdicts: tuple[Verdict, ...]) -> ReleaseSummary:
    return ReleaseSummary(
        id=row.id,
        source=row.source,
        key=row.key,
        name=row.name,
        revision=row.revision,
        status=row.status,
        weights_license=row.weights_license,
        license_name=row.license_name,
        license_category=row.license_category,
        license_family=row.license_family,
        weights_open=bool(row.weights_open),
        mof_class=row.mof_class,
        open_washing=bool(row.open_washing),
        base_model=row.base_model,
        audited_at=row.audited_at,
        tool_version=row.tool_version,
        catalogue_version=row.catalogue_version,
        audit_id=row.audit_id,
        verdicts=verdicts,
    )


def verdicts_of(connection: Connection, audits: list[int]) -> dict[int, tuple[Verdict, ...]]:
    """The verdicts of each audit, by framework."""
    found: dict[int, list[Verdict]] = {a: [] for a in audits}
    if audits:
        rows = connection.execute(
            select(VerdictRow.audit_id, VerdictRow.framework, VerdictRow.verdict, VerdictRow.label)
            .where(VerdictRow.audit_id.in_(audits))
            .order_by(VerdictRow.audit_id, VerdictRow.framework)
        )
        for audit, framework, verdict, label in rows:
            found[audit].append(Verdict(framework, verdict, label))
    return {a: tuple(v) for a, v in found.items()}


def list_releases(connection: Connection, query: ReleaseQuery) -> Page:
    """One page of the releases matching *query*, in its order (keyset pagination)."""
    if not 1 <= query.limit <= MAX_LIMIT:
        raise UsageError(f"limit must be between 1 and {MAX_LIMIT}, got {query.limit}")
    column, descending = _SORT_COLUMNS[query.sort]
    chosen = filters.filtered(connection, query)
    statement = chosen.statement
    after = None
    if query.cursor:
        value, entry = decode_cursor(query.cursor, query.sort)
        after = (
            or_(column < value, and_(column == value, EntryRow.id < entry))
            if descending
            else or_(column > value, and_(column == value, EntryRow.id > entry))
        )
        statement = statement.where(after)
    order = (column.desc(), EntryRow.id.desc()) if descending else (column, EntryRow.id)
    if query.q:
        found = search.first_rows(
            connection, chosen, statement, order, after, query.q.strip(), query.limit + 1
        )
        rows = list(found)
    else:
        rows = list(connection.execute(statement.order_by(*order).limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    verdicts = verdicts_of(connection, [r.audit_id for r in rows if r.audit_id is not None])
    items = tuple(_summary(r, verdicts.get(r.audit_id or -1, ())) for r in rows)
    cursor = None
    if more and rows:
        last = rows[-1]
        cursor = encode_cursor(query.sort, str(getattr(last, column.key)), last.id)
    return Page(items, cursor)


def get_summary(connection: Connection, entry: int) -> ReleaseSummary | None:
    """One release's summary by its registry id, or None."""
    row = connection.execute(select(EntryRow.__table__).where(EntryRow.id == entry)).first()
    if row is None:
        return None
    verdicts = verdicts_of(connection, [row.audit_id] if row.audit_id is not None else [])
    return _summary(row, verdicts.get(row.audit_id or -1, ()))


def find_release(connection: Connection, ref: str) -> ReleaseSummary | None:
    """A release by registry id (digits), key (a repo id or path) or name; the newest such."""
    if ref.isdigit() and len(ref) < 19:
        return get_summary(connection, int(ref))
    entry = connection.execute(
        select(EntryRow.id).where(EntryRow.key == ref).order_by(EntryRow.id.desc()).limit(1)
    ).scalar()
    if entry is None:  # a directory's key is its absolute path: accept its name too
        entry = connection.execute(
            select(EntryRow.id).where(EntryRow.name == ref).order_by(EntryRow.id.desc()).limit(1)
        ).scalar()
    return None if entry is None else get_summary(connection, int(entry))


def _reasons(before: HistoryEntry | None, row: Any) -> tuple[str, ...]:
    if before is None:
        return ("first audit",)
    reasons = []
    if row.revision != before.revision:
        reasons.append("new revision")
    if row.tool_version != before.tool_version:
        reasons.append(f"new clearweights {before.tool_version} -> {row.tool_version}")
    if row.catalogue_version != before.catalogue_version:
        reasons.append(
            f"new licence catalogue {before.catalogue_version} -> {row.catalogue_version}"
        )
    return tuple(reasons) or ("audited again",)


def _changes(before: HistoryEntry | None, after: HistoryEntry) -> tuple[Change, ...]:
    if before is None:
        return ()
    changes = []
    if before.weights_license != after.weights_license:
        changes.append(Change("weights_license", before.weights_license, after.weights_license))
    if before.status != after.status:
        changes.append(Change("status", before.status, after.status))
    old = {v.framework: v for v in before.verdicts}
    new = {v.framework: v for v in after.verdicts}
    for framework in sorted(old.keys() | new.keys()):
        a, b = old.get(framework), new.get(framework)
        was = a.verdict if a else None
        now = b.verdict if b else None
        if was != now:
            changes.append(Change(framework, was, now))
        if (a.label if a else None) != (b.label if b else None):
            changes.append(
                Change(f"{framework} label", a.label if a else None, b.label if b else None)
            )
    return tuple(changes)


_HISTORY = (
    select(
        AuditRow.id,
        ReleaseRow.revision,
        AuditRow.audited_at,
        AuditRow.tool_version,
        AuditRow.catalogue_version,
        AuditRow.status,
        AuditRow.error,
        AuditRow.weights_license,
    )
    .join(ReleaseRow, AuditRow.release_id == ReleaseRow.id)
    .where(ReleaseRow.source == bindparam("source"), ReleaseRow.key == bindparam("key"))
    .order_by(AuditRow.id)
)


def _history(
    rows: Sequence[Any], verdicts: dict[int, tuple[Verdict, ...]]
) -> tuple[HistoryEntry, ...]:
    entries: list[HistoryEntry] = []
    for row in rows:
        before = entries[-1] if entries else None
        entry = HistoryEntry(
            audit_id=row.id,
            revision=row.revision,
            audited_at=row.audited_at,
            tool_version=row.tool_version,
            catalogue_version=row.catalogue_version,
            status=row.status,
            error=row.error,
            weights_license=row.weights_license,
            verdicts=verdicts[row.id],
            reasons=_reasons(before, row),
            changes=(),
        )
        entries.append(replace(entry, changes=_changes(before, entry)))
    return tuple(entries)


def history(connection: Connection, source: str, key: str) -> tuple[HistoryEntry, ...]:
    """Every audit of a release (all revisions and versions), oldest first, with what changed."""
    rows = connection.execute(_HISTORY, {"source": source, "key": key}).all()
    return _history(rows, verdicts_of(connection, [r.id for r in rows]))


def policy_results(connection: Connection, entry: int) -> tuple[PolicyResult, ...]:
    """A release's results against the server's policies, by policy name."""
    rows = connection.execute(
        select(PolicyResultRow.__table__)
        .where(PolicyResultRow.entry_id == entry)
        .order_by(PolicyResultRow.policy)
    )
    return tuple(
        PolicyResult(r.policy, PolicyStatus(r.status), tuple(json.loads(r.detail)), r.waived_until)
        for r in rows
    )


_DETAIL = (
    select(EntryRow.__table__, AuditRow.document)
    .outerjoin(AuditRow, AuditRow.id == EntryRow.audit_id)
    .where(EntryRow.id == bindparam("entry"))
)


def _entry_id(connection: Connection, ref: str) -> int | None:
    """The registry id a reference names: an id (digits), a key or a name; the newest such."""
    if ref.isdigit() and len(ref) < 19:
        return int(ref)
    found = find_release(connection, ref)
    return None if found is None else found.id


def release_detail(connection: Connection, ref: str) -> ReleaseDetail | None:
    """One release by id or key: summary, latest audit document, history, policy results.

    Four queries: the entry with its document, the history, the verdicts of every audit in
    it (the latest among them), the policy results.
    """
    entry = _entry_id(connection, ref)
    row = None if entry is None else connection.execute(_DETAIL, {"entry": entry}).first()
    if row is None:
        return None
    rows = connection.execute(_HISTORY, {"source": row.source, "key": row.key}).all()
    audits = [r.id for r in rows]
    if row.audit_id is not None and row.audit_id not in audits:
        audits.append(row.audit_id)
    verdicts = verdicts_of(connection, audits)
    return ReleaseDetail(
        _summary(row, verdicts.get(row.audit_id or -1, ())),
        row.document,
        _history(rows, verdicts),
        policy_results(connection, row.id),
    )


def audit_document(connection: Connection, audit: int) -> tuple[str, str | None] | None:
    """One stored audit's JSON document and when it was made, by audit id."""
    row = connection.execute(
        select(AuditRow.audited_at, AuditRow.document).where(AuditRow.id == audit)
    ).first()
    return None if row is None else (str(row.audited_at), row.document)
