"""Questions answered from the store alone, without reading any release again."""

from __future__ import annotations

from sqlalchemy import distinct, func, select

from clearweights.scale.stats import Stats
from clearweights.store import Store
from clearweights.store.models import AuditRow, FindingRow, ReleaseRow, VerdictRow


def store_stats(store: Store) -> Stats:
    """Stats over every release in the store, each by its latest audit (any revision)."""
    latest = (
        select(func.max(AuditRow.id).label("id"))
        .join(ReleaseRow, AuditRow.release_id == ReleaseRow.id)
        .group_by(ReleaseRow.source, ReleaseRow.key)
        .subquery()
    )
    is_latest = AuditRow.id.in_(select(latest.c.id))
    ok = (AuditRow.status == "ok", is_latest)
    with store.engine.connect() as connection:
        statuses: dict[str, int] = {
            str(s): int(n)
            for s, n in connection.execute(
                select(AuditRow.status, func.count()).where(is_latest).group_by(AuditRow.status)
            )
        }
        licence = func.coalesce(AuditRow.weights_license, "(none found)")
        licenses = connection.execute(
            select(licence, func.count()).where(*ok).group_by(licence)
            .order_by(func.count().desc(), licence)
        ).all()  # fmt: skip
        verdicts = connection.execute(
            select(VerdictRow.framework, VerdictRow.verdict, func.count())
            .join(AuditRow, VerdictRow.audit_id == AuditRow.id)
            .where(*ok)
            .group_by(VerdictRow.framework, VerdictRow.verdict)
            .order_by(VerdictRow.framework, VerdictRow.verdict)
        ).all()
        washing = (FindingRow.code.like("OW-%"), *ok)
        open_washing = connection.execute(
            select(func.count(distinct(FindingRow.audit_id)))
            .join(AuditRow, FindingRow.audit_id == AuditRow.id)
            .where(*washing)
        ).scalar_one()
        codes = connection.execute(
            select(FindingRow.code, func.count(distinct(FindingRow.audit_id)))
            .join(AuditRow, FindingRow.audit_id == AuditRow.id)
            .where(*washing)
            .group_by(FindingRow.code)
            .order_by(FindingRow.code)
        ).all()
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
