"""Protectees, and the subjects of concern with their aliases and accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.db import UTCDateTime, one_of, utcnow
from casemgr.extensions import db

SUBJECT_KINDS = ("individual", "group", "unknown")
ACCOUNT_STATUSES = ("active", "suspended", "deleted")


class Protectee(db.Model):
    """A named employee under protection, or the "all staff" group for the workforce."""

    __tablename__ = "protectees"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    usual_locations: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    all_staff: Mapped[bool] = mapped_column(default=False)
    # Private details: hidden from viewers and redacted from exports unless asked for.
    private_home_address: Mapped[str] = mapped_column(Text, default="")
    private_phone: Mapped[str] = mapped_column(String(64), default="")
    private_family: Mapped[str] = mapped_column(Text, default="")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Subject(db.Model):
    """A person or group of concern; a merged subject points at the one that survived."""

    __tablename__ = "subjects"
    __table_args__ = (one_of("kind", SUBJECT_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="unknown")
    description: Mapped[str] = mapped_column(Text, default="")
    affiliation_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), index=True)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    aliases: Mapped[list[SubjectAlias]] = relationship(
        back_populates="subject", cascade="all, delete-orphan", order_by="SubjectAlias.alias"
    )
    accounts: Mapped[list[Account]] = relationship(
        back_populates="subject", order_by="Account.first_seen"
    )
    affiliation: Mapped[Subject | None] = relationship(
        remote_side=[id], foreign_keys=[affiliation_id]
    )


class SubjectAlias(db.Model):
    __tablename__ = "subject_aliases"
    __table_args__ = (UniqueConstraint("subject_id", "alias"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    alias: Mapped[str] = mapped_column(String(200), index=True)

    subject: Mapped[Subject] = relationship(back_populates="aliases")


class Account(db.Model):
    """A subject's handle on a platform; suspended accounts are kept, never removed."""

    __tablename__ = "accounts"
    __table_args__ = (
        one_of("status", ACCOUNT_STATUSES),
        Index("ix_accounts_platform_handle", "platform", "handle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    platform: Mapped[str] = mapped_column(String(100))
    handle: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text, default="")  # text only, never fetched
    platform_account_id: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    subject: Mapped[Subject] = relationship(back_populates="accounts")
