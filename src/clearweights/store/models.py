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
        UniqueConstraint("source", "key", "revision", name="uq_release_identity"),
        Index("ix_release_source_key", "source", "key"),
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
    __table_args__ = (Index("ix_verdict_framework", "framework", "verdict"),)  # 0002
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
