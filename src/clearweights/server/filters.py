"""The release list's filters as SQL, shaped so that each database reads few rows.

A filter on the audit tables (licence, verdict, finding) or on the policy results keeps the
entries whose audit is in a set. Written as a correlated ``EXISTS``, a store checks the set
for every entry it passes in the page's order: cheap when the set is large (a page fills
after a few hundred entries), and a read of every entry when the set is small or empty (a
verdict nobody has: 100,000 checks for no result). Written as ``IN (set)``, the store can
start from the set instead: cheap when it is small, and a sort of the whole set when it is
large.

PostgreSQL's planner chooses between the two from its statistics whichever way the filter
is written (``EXISTS`` is kept). SQLite has no statistics on these values, so the choice is
made here: a capped count of the set (at most ``NARROW + 1`` index entries) says whether it
is small. Either form keeps exactly the same entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, exists, func, select

from clearweights.server.records import ReleaseQuery
from clearweights.store.models import (
    EntryRow,
    FindingRow,
    LicenceRow,
    PolicyResultRow,
    VerdictRow,
)

NARROW = 1000  # a set this small is where a query starts


def _small(connection: Connection, ids: Select[Any]) -> bool:
    """Whether *ids* holds at most ``NARROW`` rows (counting no further)."""
    capped = select(func.count()).select_from(ids.limit(NARROW + 1).subquery())
    return int(connection.execute(capped).scalar() or 0) <= NARROW


def _sets(query: ReleaseQuery) -> list[tuple[Any, Any, list[Any]]]:
    """(entry column, set column, the set's conditions) of each filter on another table."""
    sets: list[tuple[Any, Any, list[Any]]] = []
    if query.license:
        sets.append(
            (EntryRow.audit_id, LicenceRow.audit_id, [LicenceRow.license_id == query.license])
        )
    for framework, verdict in query.verdicts:
        sets.append(
            (
                EntryRow.audit_id,
                VerdictRow.audit_id,
                [VerdictRow.framework == framework, VerdictRow.verdict == verdict],
            )
        )
    for code in query.findings:
        sets.append((EntryRow.audit_id, FindingRow.audit_id, [FindingRow.code == code]))
    if query.policy is not None or query.policy_status is not None:
        clauses = []
        if query.policy is not None:
            clauses.append(PolicyResultRow.policy == query.policy)
        if query.policy_status is not None:
            clauses.append(PolicyResultRow.status == query.policy_status.value)
        sets.append((EntryRow.id, PolicyResultRow.entry_id, clauses))
    return sets


@dataclass(frozen=True)
class Filtered:
    """The entries every filter but the name search (``q``) keeps.

    Attributes:
        statement: the entries (every column), filtered.
        narrow: a filter keeps so few entries (SQLite only) that a query should start there.
        own: the conditions on the entry's own columns (served by its (column, name, id)
            indexes in name order).
    """

    statement: Select[Any]
    narrow: bool
    own: tuple[Any, ...]


def filtered(connection: Connection, query: ReleaseQuery) -> Filtered:
    """The release list's filters for this store (see :class:`Filtered`)."""
    decide = connection.dialect.name == "sqlite"
    narrow = False
    where: list[Any] = []
    for column, value in (
        (EntryRow.license_family, query.license_family),
        (EntryRow.license_category, query.license_category),
        (EntryRow.mof_class, query.mof_class),
        (EntryRow.base_model, query.base_model),
        (EntryRow.key, query.key),
        (EntryRow.status, query.status),
    ):
        if value is not None:
            where.append(column == value)
            if decide and not narrow and column is not EntryRow.status:  # indexed columns
                narrow = _small(connection, select(EntryRow.id).where(column == value))
    own = tuple(where)
    for entry_column, set_column, conditions in _sets(query):
        members = select(set_column).where(*conditions)
        if decide and _small(connection, members):
            where.append(entry_column.in_(members))
            narrow = True
        else:
            where.append(exists().where(set_column == entry_column, *conditions))
    return Filtered(select(EntryRow.__table__).where(*where), narrow, own)
