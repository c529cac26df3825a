"""Questions answered from the store alone, without reading any release again."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from sqlalchemy import String, distinct, func, literal, select, union_all

from clearweights.audit.model import ReleaseAudit
from clearweights.errors import StoreError, UsageError
from clearweights.scale.stats import Stats
from clearweights.store import Store
from clearweights.store.models import AuditRow, FindingRow, ReleaseRow, VerdictRow

_CHUNK = 500  # documents read at a time: memory stays flat however large the store


def store_stats(store: Store) -> Stats:
    """Stats over every release in the store, each by its latest audit (any revision).

    One read-only statement (a replica serves it): each release's latest audit is worked out
    once, in a common table expression the five counts share, not once per count.
    """
    with store.reading() as connection:
        found = connection.execute(_stats_query()).all()
    counts: dict[str, list[tuple[str, str, int]]] = {}
    for kind, first, second, number, _ in found:
        counts.setdefault(str(kind), []).append((str(first), str(second), int(number)))
    statuses = {first: n for first, _, n in counts.get("status", [])}
    licenses = [(first, n) for first, _, n in counts.get("license", [])]
    verdicts = counts.get("verdict", [])
    open_washing = sum(n for _, _, n in counts.get("washing", []))
    codes = [(first, n) for first, _, n in counts.get("code", [])]
    audited, failed = int(statuses.get("ok", 0)), int(statuses.get("error", 0))
    return Stats(
        releases=audited + failed,
        audited=audited,
        failed=failed,
        licenses=tuple((str(k), int(n)) for k, n in licenses),
        verdicts=tuple((str(f), str(v), int(n)) for f, v, n in verdicts),
        open_washing=int(open_washing),
        open_washing_codes=tuple((str(c), int(n)) for c, n in codes),
    )


def _stats_query() -> Any:
    """(kind, value, value, count, order) rows: statuses, licences, verdicts, open-washing."""
    latest = (
        select(AuditRow.id, AuditRow.status, AuditRow.weights_license)
        .where(AuditRow.id.in_(select(_latest().c.id)))
        .cte("latest")
    )
    ok = latest.c.status == "ok"
    none = literal("", String)
    licence = func.coalesce(latest.c.weights_license, "(none found)")
    audits = func.count(distinct(FindingRow.audit_id))
    washing = (FindingRow.code.like("OW-%"), ok)
    parts = (
        select(literal("status"), latest.c.status, none, func.count(), literal(0))
        .group_by(latest.c.status),
        select(literal("license"), licence, none, func.count(), -func.count())
        .where(ok).group_by(licence),
        select(literal("verdict"), VerdictRow.framework, VerdictRow.verdict, func.count(),
               literal(0))
        .join(latest, VerdictRow.audit_id == latest.c.id).where(ok)
        .group_by(VerdictRow.framework, VerdictRow.verdict),
        select(literal("washing"), none, none, audits, literal(0))
        .join(latest, FindingRow.audit_id == latest.c.id).where(*washing),
        select(literal("code"), FindingRow.code, none, audits, literal(0))
        .join(latest, FindingRow.audit_id == latest.c.id).where(*washing)
        .group_by(FindingRow.code),
    )  # fmt: skip
    union = union_all(*parts).subquery()
    kind, first, second, _, order = union.c
    return select(union).order_by(kind, order, first, second)


def _latest() -> Any:
    """The id of each release's latest audit (a release is its source and key, any revision)."""
    return (
        select(func.max(AuditRow.id).label("id"))
        .join(ReleaseRow, AuditRow.release_id == ReleaseRow.id)
        .group_by(ReleaseRow.source, ReleaseRow.key)
        .subquery()
    )


def _selected(key: str, name: str | None, patterns: Sequence[str]) -> str | None:
    """The first pattern naming the release by key (path or repo id) or name, exactly or glob."""
    for pattern in patterns:
        if any(fnmatchcase(value, form) for value in (key, name or "") for form in _forms(pattern)):
            return pattern
    return None


def _forms(pattern: str) -> tuple[str, ...]:
    """A pattern, and the absolute path it names when it is a path (keys of folders are)."""
    if any(c in pattern for c in "*?[") or "://" in pattern:
        return (pattern,)
    return (pattern, str(Path(pattern).expanduser().absolute()))


def stored_audits(store: Store, releases: Sequence[str] = ()) -> Iterator[ReleaseAudit]:
    """The latest stored audit of each release (or of those *releases* names), by key.

    *releases* holds keys (a folder's path, a repo id), release names or globs of either.
    Each audit is rebuilt from its stored document: nothing of the release is read.

    Raises:
        UsageError: when one of *releases* names no stored release.
        AuditDocumentError: when a stored document cannot be loaded.
    """
    latest = _latest()
    query = (
        select(AuditRow.id, ReleaseRow.key, AuditRow.name)
        .join(ReleaseRow, AuditRow.release_id == ReleaseRow.id)
        .where(AuditRow.id.in_(select(latest.c.id)))
        .order_by(ReleaseRow.key, ReleaseRow.source)
    )
    with store.reading() as connection:
        found = [(int(i), str(k), n) for i, k, n in connection.execute(query)]
    if not found:
        raise StoreError("holds no audits", path=store.shown, hint="run clearweights scan first")
    if releases:
        used: set[str] = set()
        kept = []
        for ident, key, name in found:
            pattern = _selected(key, name, releases)
            if pattern is not None:
                used.add(pattern)
                kept.append((ident, key, name))
        missing = [p for p in releases if p not in used]
        if missing:
            raise UsageError(
                f"no stored release matches {missing[0]!r}",
                path=store.shown,
                hint="give a release's path, repo id or name (globs allowed), as clearweights "
                "stats --format json lists them",
            )
        found = kept
    for start in range(0, len(found), _CHUNK):
        yield from _documents(store, found[start : start + _CHUNK])


def _documents(store: Store, chunk: list[tuple[int, str, str | None]]) -> Iterator[ReleaseAudit]:
    from clearweights.audit.load import load_audits

    ids = [ident for ident, _, _ in chunk]
    query = select(AuditRow.id, AuditRow.document, AuditRow.error).where(AuditRow.id.in_(ids))
    with store.reading() as connection:
        rows = {int(i): (d, e) for i, d, e in connection.execute(query)}
    for ident, key, _ in chunk:
        document, error = rows[ident]
        if document is None:  # an error row written without its document
            yield ReleaseAudit(key, None, error=error or "could not be audited")
            continue
        yield from load_audits(document, name=f"{store.shown} (audit {ident} of {key})").audits
