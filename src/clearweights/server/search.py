"""The release name search (`q`): a case-insensitive substring match, served by an index.

The answer is always the substring match the store's ``LIKE`` gives (SQLite: ASCII case
ignored; PostgreSQL: ``lower()`` on both sides), with ``%``, ``_`` and the escape character
taken literally. The index only narrows the rows ``LIKE`` looks at:

- SQLite with the ``registry_search`` FTS5 trigram table (migration ``0101``): a term of three
  characters or more first takes the entries whose name holds it as the trigram index sees it
  (case folded, a superset of ``LIKE``'s matches), then ``LIKE`` keeps the exact ones.
- Shorter terms, and SQLite without FTS5's trigram tokenizer, read the names (``LIKE`` over
  the name index). A one- or two-character term matches many names, so a page is found after
  a short read in name order; a rare one reads the whole name index (about 30 ms for 100,000
  names).
- PostgreSQL: the ``pg_trgm`` GIN index on ``lower(name)`` serves the same ``LIKE`` directly
  (and the planner reads the names instead where that is cheaper, as for short terms).

Example:
    >>> match_phrase('7" a')
    '"7"" a"'
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import Connection, Engine, column, select, table, text

from clearweights.store.models import EntryRow

SEARCH_TABLE = "registry_search"
MIN_INDEXED = 3  # the trigram index cannot narrow shorter terms

_search = table(SEARCH_TABLE, column("rowid"), column(SEARCH_TABLE))
_known: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def indexed(connection: Connection) -> bool:
    """Whether this SQLite store has the trigram table (looked up once per engine)."""
    if connection.dialect.name != "sqlite":
        return False
    engine = connection.engine
    found = _known.get(engine)
    if found is None:
        found = (
            connection.execute(
                text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
                {"name": SEARCH_TABLE},
            ).first()
            is not None
        )
        _known[engine] = found
    return found


def match_phrase(term: str) -> str:
    """*term* as one FTS5 phrase: quoted, its own quotes doubled (no operator survives)."""
    return '"' + term.replace('"', '""') + '"'


def name_clauses(term: str, dialect: str, has_index: bool) -> list[Any]:
    """The WHERE clauses of a name search for *term* (already stripped)."""
    # SQLite's own LIKE ignores ASCII case and is much faster than lower() on every row.
    like = EntryRow.name.contains if dialect == "sqlite" else EntryRow.name.icontains
    clauses: list[Any] = [like(term, autoescape=True)]
    if has_index and len(term) >= MIN_INDEXED:
        matching = select(_search.c.rowid).where(
            _search.c[SEARCH_TABLE].op("MATCH")(match_phrase(term))
        )
        clauses.insert(0, EntryRow.id.in_(matching))
    return clauses
