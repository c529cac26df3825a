"""The tables of `clearweights serve`: registry entries, policy results, tokens, submissions.

Revision ID: 0100
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0100"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

_ENTRY_INDEXES = {
    "ix_entry_name": ["name", "id"],
    "ix_entry_audited": ["audited_at", "id"],
    "ix_entry_license": ["weights_license", "id"],
    "ix_entry_family": ["license_family", "id"],
    "ix_entry_category": ["license_category", "id"],
    "ix_entry_mof": ["mof_class", "id"],
    "ix_entry_base": ["base_model", "id"],
}


def _fk(column: str, target: str, ondelete: str) -> sa.Column[int]:
    return sa.Column(column, sa.Integer(), sa.ForeignKey(target, ondelete=ondelete), nullable=True)


def upgrade() -> None:
    """Create the server's tables and the index its verdict filters use."""
    op.create_table(
        "registry_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        _fk("audit_id", "audits.id", "SET NULL"),
        sa.Column("revision", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("weights_license", sa.Text(), nullable=True),
        sa.Column("license_name", sa.Text(), nullable=True),
        sa.Column("license_category", sa.String(64), nullable=True),
        sa.Column("license_family", sa.String(64), nullable=True),
        sa.Column("weights_open", sa.Integer(), nullable=False),
        sa.Column("mof_class", sa.Integer(), nullable=True),
        sa.Column("open_washing", sa.Integer(), nullable=False),
        sa.Column("base_model", sa.Text(), nullable=True),
        sa.Column("audited_at", sa.String(32), nullable=False),
        sa.Column("tool_version", sa.String(64), nullable=False),
        sa.Column("catalogue_version", sa.String(64), nullable=False),
        sa.UniqueConstraint("source", "key", name="uq_entry_identity"),
    )
    for name, columns in _ENTRY_INDEXES.items():
        op.create_index(name, "registry_entries", columns)
    op.create_table(
        "policy_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "entry_id",
            sa.Integer(),
            sa.ForeignKey("registry_entries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _fk("audit_id", "audits.id", "SET NULL"),
        sa.Column("policy", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("waived_until", sa.String(32), nullable=True),
        sa.UniqueConstraint("entry_id", "policy", name="uq_policy_result"),
    )
    op.create_index("ix_policy_status", "policy_results", ["policy", "status", "entry_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("revoked_at", sa.String(32), nullable=True),
        sa.Column("last_used_at", sa.String(32), nullable=True),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("active_key", sa.String(512), nullable=True, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        _fk("token_id", "api_tokens.id", "SET NULL"),
        _fk("audit_id", "audits.id", "SET NULL"),
        _fk("entry_id", "registry_entries.id", "SET NULL"),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("started_at", sa.String(32), nullable=True),
        sa.Column("finished_at", sa.String(32), nullable=True),
    )
    op.create_index("ix_submission_state", "submissions", ["state", "id"])
    op.create_table(
        "server_state",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    verdict = ["framework", "verdict", "audit_id"]
    op.create_index("ix_verdict_lookup", "audit_verdicts", verdict)


def downgrade() -> None:
    """Drop the server's tables; the audits are left as they were."""
    op.drop_index("ix_verdict_lookup", "audit_verdicts")
    for name in ("server_state", "submissions", "api_tokens", "policy_results"):
        op.drop_table(name)
    op.drop_table("registry_entries")
