"""The store's tables (SQLAlchemy 2); the Alembic migrations create and change them."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """The store's metadata."""


class RunRow(Base):
    """One scan: when, which versions, and what it did."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[str] = mapped_column(String(32))
    finished_at: Mapped[str | None] = mapped_column(String(32))
    tool_version: Mapped[str] = mapped_column(String(64))
    catalogue_version: Mapped[str] = mapped_column(String(64))
    audited: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class ReleaseRow(Base):
    """A release's identity: its source kind, path or repo id, and revision or content digest."""

    __tablename__ = "releases"
    __table_args__ = (
        # Also serves look-ups by source and key (0103 dropped their own index).
        UniqueConstraint("source", "key", "revision", name="uq_release_identity"),
        Index("ix_release_key", "key"),  # 0002: look-ups by key whatever the source
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(Text)
    revision: Mapped[str] = mapped_column(String(128))


class AuditRow(Base):
    """One audit of a release by one clearweights and catalogue version."""

    __tablename__ = "audits"
    __table_args__ = (
        UniqueConstraint("release_id", "tool_version", "catalogue_version", name="uq_audit"),
        # Covers the resumption lookup: the audit rows (with their documents) are never read.
        Index("ix_audit_lookup", "release_id", "tool_version", "catalogue_version", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    tool_version: Mapped[str] = mapped_column(String(64))
    catalogue_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # ok, error
    error: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    weights_license: Mapped[str | None] = mapped_column(Text)  # the weights' licence expression
    document: Mapped[str | None] = mapped_column(Text)  # the audit JSON, as `audit --format json`
    audited_at: Mapped[str] = mapped_column(String(32))
    seconds: Mapped[float] = mapped_column(Float)


class LicenceRow(Base):
    """A licence found for a component of an audited release."""

    __tablename__ = "audit_licenses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    component: Mapped[str] = mapped_column(String(64))
    license_id: Mapped[str] = mapped_column(String(128), index=True)
    category: Mapped[str] = mapped_column(String(64))


class VerdictRow(Base):
    """The verdict of one framework (profile) on an audited release."""

    __tablename__ = "audit_verdicts"
    # Verdicts per framework: ix_verdict_lookup, below (0103 dropped 0002's shorter index).
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    framework: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(32))
    label: Mapped[str | None] = mapped_column(String(64))  # the MOF class, where there is one


class FindingRow(Base):
    """A finding on an audited release (open-washing codes start with ``OW-``)."""

    __tablename__ = "audit_findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)


# The tables of `clearweights serve` (migration 0100): its registry index, tokens and jobs.


class EntryRow(Base):
    """A registry entry: one release (source and key) and the facts of its latest audit.

    Kept by the server from the audit tables (``clearweights.server.catalog.refresh``) so that
    listing, filtering and sorting 100,000 releases never groups the audit tables per request.
    """

    __tablename__ = "registry_entries"
    __table_args__ = (
        UniqueConstraint("source", "key", name="uq_entry_identity"),
        Index("ix_entry_name", "name", "id"),
        Index("ix_entry_audited", "audited_at", "id"),
        Index("ix_entry_license", "weights_license", "id"),
        # 0102: a filter's entries in name order (the list's default order)
        Index("ix_entry_family", "license_family", "name", "id"),
        Index("ix_entry_category", "license_category", "name", "id"),
        Index("ix_entry_mof", "mof_class", "name", "id"),
        Index("ix_entry_base", "base_model", "name", "id"),
        Index("ix_entry_audit", "audit_id"),
        Index("ix_entry_key", "key", "id"),  # 0101, with the name search index (not a model)
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(Text)
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id", ondelete="SET NULL"))
    revision: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    weights_license: Mapped[str | None] = mapped_column(Text)
    license_name: Mapped[str | None] = mapped_column(Text)
    license_category: Mapped[str | None] = mapped_column(String(64))
    license_family: Mapped[str | None] = mapped_column(String(64))
    weights_open: Mapped[int] = mapped_column(Integer)  # 1 when every weights licence is open
    mof_class: Mapped[int | None] = mapped_column(Integer)
    open_washing: Mapped[int] = mapped_column(Integer)
    base_model: Mapped[str | None] = mapped_column(Text)
    audited_at: Mapped[str] = mapped_column(String(32))
    tool_version: Mapped[str] = mapped_column(String(64))
    catalogue_version: Mapped[str] = mapped_column(String(64))


class PolicyResultRow(Base):
    """A registry entry's latest audit checked against one of the server's policies."""

    __tablename__ = "policy_results"
    __table_args__ = (
        UniqueConstraint("entry_id", "policy", name="uq_policy_result"),
        Index("ix_policy_status", "policy", "status", "entry_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("registry_entries.id", ondelete="CASCADE"))
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id", ondelete="SET NULL"))
    policy: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))  # approved, violates, waived, error
    detail: Mapped[str] = mapped_column(Text)  # JSON: the violations and waivers
    waived_until: Mapped[str | None] = mapped_column(String(32))


class TokenRow(Base):
    """An API token: only its SHA-256 is kept; the token itself is shown once."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(16))  # read, submit, admin
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # to tell tokens apart in listings
    created_at: Mapped[str] = mapped_column(String(32))
    revoked_at: Mapped[str | None] = mapped_column(String(32))
    last_used_at: Mapped[str | None] = mapped_column(String(32))


class SubmissionRow(Base):
    """A submitted audit job and its state (queued, running, done, failed)."""

    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submission_state", "state", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # hub, archive, audit
    target: Mapped[str] = mapped_column(Text)  # repo id, archive name, audited release
    # Set while queued or running, so that one release is never audited twice at once.
    active_key: Mapped[str | None] = mapped_column(String(512), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)  # the folder of an unpacked archive
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id", ondelete="SET NULL"))
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("registry_entries.id", ondelete="SET NULL")
    )
    created_at: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[str | None] = mapped_column(String(32))
    finished_at: Mapped[str | None] = mapped_column(String(32))


class StateRow(Base):
    """Small facts the server keeps: how far its registry index has read the audits."""

    __tablename__ = "server_state"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# Filtering the registry by a framework's verdict starts from the verdict, not the audit.
Index("ix_verdict_lookup", VerdictRow.framework, VerdictRow.verdict, VerdictRow.audit_id)
