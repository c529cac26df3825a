"""Resumption look-ups: which releases already have a successful audit by given versions."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, text

from clearweights.scale.items import Outcome
from clearweights.store.models import AuditRow, ReleaseRow

Identity = tuple[str, str, str]
DONE_SQL = (
    "SELECT releases.key, releases.revision FROM releases JOIN audits"
    " ON audits.release_id = releases.id WHERE releases.source = ? AND releases.key IN ({marks})"
    " AND audits.tool_version = ? AND audits.catalogue_version = ? AND audits.status = 'ok'"
)
# Plain SQL (no statement to compile): every successful audit of a source by two versions.
_ALL_DONE = (
    "SELECT releases.key, releases.revision FROM releases JOIN audits"
    " ON audits.release_id = releases.id WHERE releases.source = :source"
    " AND audits.tool_version = :tool AND audits.catalogue_version = :catalogue"
    " AND audits.status = 'ok'"
)
PRELOAD_MAX = 200_000  # successful audits of one source read whole at most (about 50 MB)


def done_query(source: str, tool: str, catalogue: str) -> Any:
    """The key and revision of every successful audit of *source* by these versions."""
    return (
        select(ReleaseRow.key, ReleaseRow.revision)
        .join(AuditRow, AuditRow.release_id == ReleaseRow.id)
        .where(
            ReleaseRow.source == source,
            AuditRow.tool_version == tool,
            AuditRow.catalogue_version == catalogue,
            AuditRow.status == "ok",
        )
    )


def done_rows(
    connection: Any, source: str, keys: list[str], tool: str, catalogue: str
) -> Iterable[tuple[str, str]]:
    """The key and revision of each successful audit by these versions of *keys*."""
    if connection.dialect.name == "sqlite":  # the same query, prepared, straight to the driver
        marks = ", ".join("?" for _ in keys)
        sql = DONE_SQL.format(marks=marks)
        rows: Iterable[tuple[str, str]] = connection.exec_driver_sql(
            sql, (source, *keys, tool, catalogue)
        ).fetchall()
        return rows
    query = done_query(source, tool, catalogue).where(ReleaseRow.key.in_(keys))
    rows = connection.execute(query).all()
    return rows


class Known:
    """The successful audits of one run's versions, per source, once reading them whole is
    cheaper than asking key by key. Only the thread that started the run uses it.

    What is read stays as read: the run's own successes are not added (a first scan of
    millions of rows would hold every release it wrote), its failures are taken out. Once the
    run has written a success the set does not hold, the releases not in the set are asked of
    the store (see ``Store.done``); until then the set answers alone.
    """

    def __init__(self, tool: str, catalogue: str):
        self.thread = threading.get_ident()
        self.versions = (tool, catalogue)
        self.asked: dict[str, int] = {}
        self.sizes: dict[str, int] = {}
        self.entries: dict[str, set[Identity]] = {}
        self.written: set[str] = set()  # sources with successes in the store, not in entries

    def serves(self, tool: str, catalogue: str) -> bool:
        """Whether it answers for these versions on this thread."""
        return self.versions == (tool, catalogue) and self.thread == threading.get_ident()

    def ready(self, connection: Any, source: str, asking: int) -> bool:
        """Whether *source*'s audits are in memory, reading them when it is time."""
        if source in self.entries:
            return True
        self.asked[source] = self.asked.get(source, 0) + asking
        params = {"source": source, "tool": self.versions[0], "catalogue": self.versions[1]}
        if source not in self.sizes:  # counted up to just past the limit: bounded work
            count = f"SELECT count(*) FROM ({_ALL_DONE} LIMIT {PRELOAD_MAX + 1}) AS done"
            self.sizes[source] = int(connection.execute(text(count), params).scalar_one())
        size = self.sizes[source]
        if size > PRELOAD_MAX or self.asked[source] * 8 < size:
            return False
        rows = connection.execute(text(_ALL_DONE), params).all()
        self.entries[source] = {(source, k, r) for k, r in rows}
        return True

    def update(self, outcomes: Iterable[Outcome]) -> None:
        """Follow a batch just written: its failures are no longer done; its successes are
        in the store, and noted when the set does not hold them."""
        for outcome in outcomes:
            source = outcome.item.source
            entries = self.entries.get(source)
            if entries is None:
                continue
            if outcome.failed:
                entries.discard(outcome.item.identity)
            elif outcome.item.identity not in entries:
                self.written.add(source)
