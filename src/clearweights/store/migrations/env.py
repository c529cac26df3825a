"""Alembic environment: migrations run on the connection the store opened."""

from __future__ import annotations

from alembic import context

from clearweights.store.models import Base


def run() -> None:
    """Run the pending migrations in one transaction."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if hasattr(context, "config"):  # only when Alembic runs this file, not when it is imported
    run()
