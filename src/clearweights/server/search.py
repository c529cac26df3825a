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
  (and the planner reads the names instead where that is cheaper, as for short terms). The
  condition must be written ``lower(name) LIKE lower(pattern)``, the index's expression:
  ``name ILIKE pattern`` means the same but no index on ``lower(name)`` can serve it.

Example:
    >>> match_phrase('7" a')
    '"7"" a"'
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, column, func, select, table, text

from clearweights.server.filters import Filtered
from clearweights.store.models import EntryRow

SEARCH_TABLE = "registry_search"  # with its FTS5 shadow tables, registry_search_*
TRGM_INDEX = "ix_entry_name_trgm"
MIN_INDEXED = 3  # the trigram index cannot narrow shorter terms
WINDOW = 1000  # entries, in the page's order, looked at before asking the index

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


def is_search_object(name: str | None) -> bool:
    """Whether a schema object is the search index (made by migration 0101, not a model)."""
    return bool(name) and (name == TRGM_INDEX or str(name).startswith(SEARCH_TABLE))


def match_phrase(term: str) -> str:
    """*term* as one FTS5 phrase: quoted, its own quotes doubled (no operator survives)."""
    return '"' + term.replace('"', '""') + '"'


def pattern(term: str) -> str:
    """*term* as a LIKE pattern matching any name that holds it (``/`` escapes)."""
    literal = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{literal}%"


def _like(term: str, dialect: str) -> Any:
    # SQLite's own LIKE ignores ASCII case and is much faster than lower() on every row.
    if dialect == "sqlite":
        return EntryRow.name.contains(term, autoescape=True)
    # lower() on both sides, as the pg_trgm index is built (ILIKE could not use it).
    return func.lower(EntryRow.name).like(func.lower(pattern(term)), escape="/")


def first_rows(
    connection: Connection,
    chosen: Filtered,
    statement: Select[Any],
    order: tuple[Any, ...],
    after: Any,
    term: str,
    limit: int,
) -> Sequence[Row[Any]]:
    """The first *limit* entries of *statement* (filtered, past the cursor *after*) in *order*
    whose name holds *term*.

    SQLite: first among the next ``WINDOW`` entries in that order (a common term fills a page
    there, and the page is then exactly the first matches); else among the entries the
    trigram index (or, for a short term, a read of the name index) says hold the term.
    The window is taken among the entries the filters on the entry's own columns keep (their
    indexes give them in name order). Where a filter keeps few entries (*narrow*, see
    ``server.filters``) the query starts from them and checks each name instead.
    """
    like = _like(term, connection.dialect.name)
    if chosen.narrow or connection.dialect.name != "sqlite":
        return connection.execute(statement.where(like).order_by(*order).limit(limit)).all()
    window = select(EntryRow.id).where(*chosen.own).order_by(*order).limit(WINDOW)
    if after is not None:
        window = window.where(after)
    rows = connection.execute(
        statement.where(like, EntryRow.id.in_(window)).order_by(*order).limit(limit)
    ).all()
    if len(rows) == limit:
        return rows
    if indexed(connection) and len(term) >= MIN_INDEXED:
        holding = select(_search.c.rowid).where(
            _search.c[SEARCH_TABLE].op("MATCH")(match_phrase(term))
        )
    else:  # the names alone, from their index (no entry row is read)
        holding = select(EntryRow.id).where(like)
    return connection.execute(
        statement.where(like, EntryRow.id.in_(holding)).order_by(*order).limit(limit)
    ).all()
