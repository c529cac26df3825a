"""Whether a store's schema is at this version's head, told without importing Alembic."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^(down_revision|revision)\b[^=\n]*=\s*(None|\"[^\"]*\")\s*$", re.M)


@functools.cache
def script_head(migrations: Path = MIGRATIONS) -> str | None:
    """The head revision of the migrations, read from their files without importing Alembic.

    None when the files do not give exactly one head in the plain form they use (Alembic then
    decides); tests check that it is Alembic's own head.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in sorted((migrations / "versions").glob("*.py")):
        found = {k: v.strip('"') for k, v in _REVISION.findall(script.read_text("utf-8"))}
        if "revision" not in found:
            continue
        if "down_revision" not in found:
            return None  # a merge point or another form: not read here
        revisions.add(found["revision"])
        if found["down_revision"] != "None":
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(engine: Engine, migrations: Path = MIGRATIONS) -> bool:
    """Whether the store's schema is already at this version's head (Alembic not imported:
    a run that changes nothing starts faster); on any doubt, False and Alembic decides."""
    head = script_head(migrations)
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            current = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            return [row[0] for row in current] == [head]
    except SQLAlchemyError:  # no version table yet: a new store
        return False
