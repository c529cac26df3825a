"""Tallies of the registry: licences in use and the home page's counts (see ``catalog``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from clearweights.server.records import Counts, LicenceUsage
from clearweights.store.models import AuditRow, EntryRow, FindingRow, LicenceRow, VerdictRow


def licences(connection: Connection) -> tuple[LicenceUsage, ...]:
    """Every licence found in the releases' latest audits, most used first."""
    releases = func.count(func.distinct(EntryRow.id))
    rows = connection.execute(
        select(LicenceRow.license_id, LicenceRow.category, releases)
        .join(EntryRow, EntryRow.audit_id == LicenceRow.audit_id)
        .group_by(LicenceRow.license_id, LicenceRow.category)
        .order_by(releases.desc(), LicenceRow.license_id)
    ).all()
    return tuple(LicenceUsage(str(i), str(c), int(n)) for i, c, n in rows)


def _pairs(connection: Connection, column: Any) -> tuple[tuple[Any, int], ...]:
    rows = connection.execute(
        select(column, func.count())
        .where(EntryRow.status == "ok")
        .group_by(column)
        .order_by(func.count().desc(), column)
    ).all()
    return tuple((value, int(n)) for value, n in rows)


def counts(connection: Connection) -> Counts:
    """The home page's numbers: verdicts, licence families and categories, open-washing, MOF."""
    statuses: dict[str, int] = {
        str(s): int(n)
        for s, n in connection.execute(
            select(EntryRow.status, func.count()).group_by(EntryRow.status)
        )
    }
    ok = EntryRow.status == "ok"
    verdicts = connection.execute(
        select(VerdictRow.framework, VerdictRow.verdict, func.count())
        .join(EntryRow, EntryRow.audit_id == VerdictRow.audit_id)
        .where(ok)
        .group_by(VerdictRow.framework, VerdictRow.verdict)
        .order_by(VerdictRow.framework, VerdictRow.verdict)
    ).all()
    washing = (EntryRow.audit_id == FindingRow.audit_id, FindingRow.code.like("OW-%"), ok)
    codes = connection.execute(
        select(FindingRow.code, func.count(func.distinct(EntryRow.id)))
        .where(*washing)
        .group_by(FindingRow.code)
        .order_by(FindingRow.code)
    ).all()
    month = func.substr(AuditRow.audited_at, 1, 7)
    timeline = connection.execute(select(month, func.count()).group_by(month).order_by(month)).all()
    over_time = connection.execute(
        select(month, VerdictRow.framework, VerdictRow.verdict, func.count())
        .join(AuditRow, AuditRow.id == VerdictRow.audit_id)
        .group_by(month, VerdictRow.framework, VerdictRow.verdict)
        .order_by(month, VerdictRow.framework, VerdictRow.verdict)
    ).all()
    audited, failed = int(statuses.get("ok", 0)), int(statuses.get("error", 0))
    families = _pairs(connection, func.coalesce(EntryRow.license_family, "(unknown)"))
    categories = _pairs(connection, func.coalesce(EntryRow.license_category, "(unknown)"))
    return Counts(
        releases=audited + failed,
        audited=audited,
        failed=failed,
        verdicts=tuple((str(f), str(v), int(n)) for f, v, n in verdicts),
        families=tuple((str(k), n) for k, n in families),
        categories=tuple((str(k), n) for k, n in categories),
        open_washing=int(
            connection.execute(
                select(func.count()).where(ok, EntryRow.open_washing == 1)
            ).scalar_one()
        ),
        open_washing_codes=tuple((str(c), int(n)) for c, n in codes),
        mof_classes=_pairs(connection, EntryRow.mof_class),
        timeline=tuple((str(m), int(n)) for m, n in timeline),
        timeline_verdicts=tuple((str(m), str(f), str(v), int(n)) for m, f, v, n in over_time),
    )
