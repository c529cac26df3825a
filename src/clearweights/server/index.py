"""The registry index: one row per release with the facts of its latest audit.

Scans write audits into the store's tables; the server reads them through this index so that
listing, filtering and sorting many releases never groups the audit tables per request. The
index follows the audits by id (a watermark in ``server_state``); an entry whose audit was
replaced (``scan --force`` deletes it, and its id becomes NULL) is looked up again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from clearweights.components import MofComponent
from clearweights.licenses import is_open_id
from clearweights.store.models import AuditRow, EntryRow, ReleaseRow, StateRow

WEIGHTS_CID = MofComponent.MODEL_PARAMETERS_FINAL.spec.cid
_MARK = "index.audit_mark"
_CHUNK = 1000


@dataclass(frozen=True)
class Facts:
    """What the index keeps of one audit document (besides the audit row's own columns)."""

    license_name: str | None = None
    license_category: str | None = None
    license_family: str | None = None
    weights_open: bool = False
    mof_class: int | None = None
    open_washing: bool = False
    base_model: str | None = None


def facts(document: str | None) -> Facts:
    """The index's facts from an audit JSON document (empty facts for a failed audit, or for
    a document not shaped as an audit: the index never fails on what a store holds)."""
    if not document:
        return Facts()
    try:
        return _facts(json.loads(document))
    except (ValueError, AttributeError, TypeError, IndexError, KeyError):
        return Facts()


def _facts(document: Any) -> Facts:
    audits = document.get("audits") or []
    audit: dict[str, Any] = audits[0] if audits else {}
    if audit.get("error"):
        return Facts()
    components = audit.get("components") or ()
    weights: dict[str, Any] = next((c for c in components if c.get("cid") == WEIGHTS_CID), {})
    licences = (weights.get("license") or {}).get("licenses") or []
    first = licences[0] if licences else {}
    mof = (audit.get("profiles") or {}).get("mof") or {}
    bases = (audit.get("card") or {}).get("base_model") or []
    return Facts(
        license_name=first.get("name"),
        license_category=first.get("category"),
        license_family=first.get("family"),
        # The catalogue decides what is open, not the (possibly posted) document.
        weights_open=bool(licences) and all(is_open_id(str(lic.get("id"))) for lic in licences),
        mof_class=mof.get("class") if isinstance(mof.get("class"), int) else None,
        open_washing=any(
            str(f.get("code", "")).startswith("OW-") for f in audit.get("findings") or ()
        ),
        base_model=str(bases[0]) if bases else None,
    )


def _entry_values(row: Any) -> dict[str, Any]:
    found = facts(row.document)
    return {
        "source": row.source,
        "key": row.key,
        "audit_id": row.id,
        "revision": row.revision,
        "status": row.status,
        "name": row.key if row.source == "upload" else (row.name or row.key),
        "weights_license": row.weights_license,
        "license_name": found.license_name,
        "license_category": found.license_category,
        "license_family": found.license_family,
        "weights_open": int(found.weights_open),
        "mof_class": found.mof_class,
        "open_washing": int(found.open_washing),
        "base_model": found.base_model,
        "audited_at": row.audited_at,
        "tool_version": row.tool_version,
        "catalogue_version": row.catalogue_version,
    }


def _audits() -> Any:
    return select(
        AuditRow.id,
        ReleaseRow.source,
        ReleaseRow.key,
        ReleaseRow.revision,
        AuditRow.status,
        AuditRow.name,
        AuditRow.weights_license,
        AuditRow.document,
        AuditRow.audited_at,
        AuditRow.tool_version,
        AuditRow.catalogue_version,
    ).join(ReleaseRow, AuditRow.release_id == ReleaseRow.id)


def _upsert(connection: Connection, rows: Iterable[Any]) -> int:
    """Point each release's entry at the given audits (the latest of each key wins)."""
    latest: dict[tuple[str, str], Any] = {}
    for row in rows:
        known = latest.get((row.source, row.key))
        if known is None or row.id > known.id:
            latest[(row.source, row.key)] = row
    if not latest:
        return 0
    keys = list(latest)
    existing = {
        (s, k): (i, a)
        for i, s, k, a in connection.execute(
            select(EntryRow.id, EntryRow.source, EntryRow.key, EntryRow.audit_id).where(
                EntryRow.key.in_([k for _, k in keys])
            )
        )
    }
    new = []
    for identity, row in latest.items():
        values = _entry_values(row)
        if identity not in existing:
            new.append(values)
            continue
        entry, audit = existing[identity]
        if audit is None or audit <= row.id:
            connection.execute(update(EntryRow).where(EntryRow.id == entry).values(**values))
    if new:
        connection.execute(insert(EntryRow), new)
    return len(latest)


def _orphans(connection: Connection) -> int:
    """Entries whose audit was deleted: point them at the release's latest audit, or drop them."""
    orphans = connection.execute(
        select(EntryRow.id, EntryRow.source, EntryRow.key).where(EntryRow.audit_id.is_(None))
    ).all()
    for entry, source, key in orphans:
        newest = connection.execute(
            _audits()
            .where(ReleaseRow.source == source, ReleaseRow.key == key)
            .order_by(AuditRow.id.desc())
            .limit(1)
        ).first()
        if newest is None:
            connection.execute(delete(EntryRow).where(EntryRow.id == entry))
        else:
            connection.execute(
                update(EntryRow).where(EntryRow.id == entry).values(**_entry_values(newest))
            )
    return len(orphans)


def _mark(connection: Connection) -> int:
    value = connection.execute(select(StateRow.value).where(StateRow.name == _MARK)).scalar()
    return int(value) if value is not None else 0


def _set_mark(connection: Connection, mark: int) -> None:
    done = connection.execute(
        update(StateRow).where(StateRow.name == _MARK).values(value=str(mark))
    )
    if not done.rowcount:
        connection.execute(insert(StateRow).values(name=_MARK, value=str(mark)))


def pending(engine: Engine) -> bool:
    """Whether audits were written (or replaced) since the index last read them."""
    with engine.connect() as connection:
        top = connection.execute(select(func.max(AuditRow.id))).scalar() or 0
        orphan = connection.execute(
            select(EntryRow.id).where(EntryRow.audit_id.is_(None)).limit(1)
        ).first()
        return top > _mark(connection) or orphan is not None


def refresh(engine: Engine) -> int:
    """Bring the index up to date with the audits; returns how many entries changed.

    Safe to call from several server processes: a writer that loses a race leaves the work
    to the next call.
    """
    if not pending(engine):
        return 0
    changed = 0
    try:
        with engine.begin() as connection:
            mark = _mark(connection)
            changed += _orphans(connection)
            while True:
                rows = connection.execute(
                    _audits().where(AuditRow.id > mark).order_by(AuditRow.id).limit(_CHUNK)
                ).all()
                if not rows:
                    break
                changed += _upsert(connection, rows)
                mark = rows[-1].id
            _set_mark(connection, mark)
    except (IntegrityError, OperationalError):
        return 0  # another process is refreshing the same audits
    return changed
