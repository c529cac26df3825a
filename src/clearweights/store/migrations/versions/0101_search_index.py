"""A substring index over the registry's release names (the `q` search); entries by key.

SQLite: an FTS5 table with the trigram tokenizer over ``registry_entries.name`` (external
content), kept current by triggers, so every writer of the index keeps it current. PostgreSQL:
a ``pg_trgm`` GIN index on ``lower(name)``, which serves the ``lower(name) LIKE`` the search
already runs. Where neither is available (SQLite without FTS5 or older than 3.34, PostgreSQL
without the extension or the right to create it) nothing is created and search stays a scan
of the names: same answers, slower (``server.catalog`` looks for the table).

Revision ID: 0101
Revises: 0100
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0101"
down_revision: str | None = "0100"
branch_labels = None
depends_on = None

SEARCH_TABLE = "registry_search"
_TRGM_INDEX = "ix_entry_name_trgm"
_KEY_INDEX = "ix_entry_key"
_TRIGGERS = {
    "registry_search_insert": (
        "AFTER INSERT ON registry_entries BEGIN "
        "INSERT INTO registry_search(rowid, name) VALUES (new.id, new.name); END"
    ),
    "registry_search_delete": (
        "AFTER DELETE ON registry_entries BEGIN "
        "INSERT INTO registry_search(registry_search, rowid, name) "
        "VALUES ('delete', old.id, old.name); END"
    ),
    "registry_search_update": (
        "AFTER UPDATE OF id, name ON registry_entries BEGIN "
        "INSERT INTO registry_search(registry_search, rowid, name) "
        "VALUES ('delete', old.id, old.name); "
        "INSERT INTO registry_search(rowid, name) VALUES (new.id, new.name); END"
    ),
}


def _sqlite_trigram(bind: sa.Connection) -> bool:
    """Whether this SQLite has FTS5 and its trigram tokenizer (3.34 and later)."""
    try:
        bind.exec_driver_sql("CREATE VIRTUAL TABLE temp.cw_probe USING fts5(x, tokenize='trigram')")
    except sa.exc.OperationalError:
        return False
    bind.exec_driver_sql("DROP TABLE temp.cw_probe")
    return True


def _postgres_trgm(bind: sa.Connection) -> bool:
    """Create pg_trgm if it is available and allowed (a savepoint keeps a refusal harmless)."""
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).first()
    if available is None:
        return False
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError:
        return False
    return True


def upgrade() -> None:
    """Create the search index and fill it from the entries there are."""
    # Badges and the release page look entries up by key (a repo id) whatever the source:
    # the (source, key) constraint cannot serve that.
    op.create_index(_KEY_INDEX, "registry_entries", ["key", "id"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and _sqlite_trigram(bind):
        bind.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {SEARCH_TABLE} USING fts5(name, content='registry_entries', "
            "content_rowid='id', tokenize='trigram')"
        )
        for name, body in _TRIGGERS.items():
            bind.exec_driver_sql(f"CREATE TRIGGER {name} {body}")
        bind.exec_driver_sql(f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}) VALUES ('rebuild')")
    elif bind.dialect.name == "postgresql" and _postgres_trgm(bind):
        bind.exec_driver_sql(
            f"CREATE INDEX {_TRGM_INDEX} ON registry_entries USING gin (lower(name) gin_trgm_ops)"
        )


def downgrade() -> None:
    """Drop the search index (the extension stays: other databases' objects may use it)."""
    op.drop_index(_KEY_INDEX, "registry_entries")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in _TRIGGERS:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        bind.exec_driver_sql(f"DROP TABLE IF EXISTS {SEARCH_TABLE}")
    elif bind.dialect.name == "postgresql":
        bind.exec_driver_sql(f"DROP INDEX IF EXISTS {_TRGM_INDEX}")
