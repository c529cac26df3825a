"""Indexes for the store's readers: releases by key, verdicts by framework.

``check --store --release KEY`` looks releases up by key whatever their source, and ``stats``
counts verdicts per framework; 0001 indexed neither.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the indexes (existing rows stay as they are)."""
    op.create_index("ix_release_key", "releases", ["key"])
    op.create_index("ix_verdict_framework", "audit_verdicts", ["framework", "verdict"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_verdict_framework", table_name="audit_verdicts")
    op.drop_index("ix_release_key", table_name="releases")
