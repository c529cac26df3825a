"""Drop two indexes that another index already serves: less for every scan to write.

``ix_release_source_key`` (releases: source, key) is the head of the unique
``uq_release_identity`` (source, key, revision), and ``ix_verdict_framework`` (audit_verdicts:
framework, verdict) the head of ``ix_verdict_lookup`` (framework, verdict, audit_id): SQLite and
PostgreSQL answer the same look-ups from the longer index. Each stored audit wrote an entry in
both (five: one release, four verdicts), about a tenth of SQLite's work on a card-only audit.

Revision ID: 0103
Revises: 0102
"""

from __future__ import annotations

from alembic import op

revision = "0103"
down_revision: str | None = "0102"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop the two indexes; the rows stay as they are."""
    op.drop_index("ix_verdict_framework", table_name="audit_verdicts")
    op.drop_index("ix_release_source_key", table_name="releases")


def downgrade() -> None:
    """Build them again."""
    op.create_index("ix_release_source_key", "releases", ["source", "key"])
    op.create_index("ix_verdict_framework", "audit_verdicts", ["framework", "verdict"])
