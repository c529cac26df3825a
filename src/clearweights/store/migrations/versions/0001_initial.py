"""The first schema: runs, releases, audits and their licences, verdicts and findings.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("finished_at", sa.String(32), nullable=True),
        sa.Column("tool_version", sa.String(64), nullable=False),
        sa.Column("catalogue_version", sa.String(64), nullable=False),
        sa.Column("audited", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
    )
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("revision", sa.String(128), nullable=False),
        sa.UniqueConstraint("source", "key", "revision", name="uq_release_identity"),
    )
    op.create_index("ix_release_source_key", "releases", ["source", "key"])
    op.create_table(
        "audits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "release_id",
            sa.Integer(),
            sa.ForeignKey("releases.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("tool_version", sa.String(64), nullable=False),
        sa.Column("catalogue_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("weights_license", sa.Text(), nullable=True),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("audited_at", sa.String(32), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.UniqueConstraint("release_id", "tool_version", "catalogue_version", name="uq_audit"),
    )
    op.create_index("ix_audits_run_id", "audits", ["run_id"])
    lookup = ["release_id", "tool_version", "catalogue_version", "status"]
    op.create_index("ix_audit_lookup", "audits", lookup)
    _child("audit_licenses", [
        sa.Column("component", sa.String(64), nullable=False),
        sa.Column("license_id", sa.String(128), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
    ])  # fmt: skip
    op.create_index("ix_audit_licenses_license_id", "audit_licenses", ["license_id"])
    _child("audit_verdicts", [
        sa.Column("framework", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(32), nullable=False),
        sa.Column("label", sa.String(64), nullable=True),
    ])  # fmt: skip
    _child("audit_findings", [
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
    ])  # fmt: skip
    op.create_index("ix_audit_findings_code", "audit_findings", ["code"])


def _child(name: str, columns: list[sa.Column[Any]]) -> None:
    """A table of rows belonging to one audit."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "audit_id",
            sa.Integer(),
            sa.ForeignKey("audits.id", ondelete="CASCADE"),
            nullable=False,
        ),
        *columns,
    )
    op.create_index(f"ix_{name}_audit_id", name, ["audit_id"])


def downgrade() -> None:
    """Drop the tables."""
    for name in ("audit_findings", "audit_verdicts", "audit_licenses", "audits", "releases"):
        op.drop_table(name)
    op.drop_table("runs")
