"""Threats: one threatening communication or behaviour, with its 3x5x2 grading."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.db import UTCDateTime, link_table, one_of, utcnow
from casemgr.extensions import db
from casemgr.people.models import Account, Protectee

CHANNELS = (
    "public_post",
    "direct_message",
    "email",
    "phone",
    "letter",
    "in_person",
    "other",
)
THREAT_TYPES = ("direct", "conditional", "veiled", "concerning")
# The UK 3x5x2 model: source evaluation, information assessment, handling code.
SOURCE_GRADES = ("1", "2", "3")
INFORMATION_GRADES = ("A", "B", "C", "D", "E")
HANDLING_CODES = ("P", "C")

threat_targets = link_table(
    "threat_targets", ("threat_id", "threats.id"), ("protectee_id", "protectees.id")
)


class Threat(db.Model):
    __tablename__ = "threats"
    __table_args__ = (
        one_of("channel", CHANNELS),
        one_of("threat_type", THREAT_TYPES),
        one_of("grading_source", SOURCE_GRADES),
        one_of("grading_information", INFORMATION_GRADES),
        one_of("grading_handling", HANDLING_CODES),
        CheckConstraint(
            "reported_at IS NULL OR reported_at >= occurred_at", name="reported_after_occurred"
        ),
        Index("ix_threats_case_id_occurred_at", "case_id", "occurred_at"),
        # Threats logged on a case since a time: the dashboard's new threats and its
        # "newer threat than the last assessment".
        Index("ix_threats_case_id_created_at", "case_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reported_by: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(20))
    platform: Mapped[str] = mapped_column(String(100), default="")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    # Verbatim: stored exactly as received, never trimmed or normalised.
    text: Mapped[str] = mapped_column(Text)
    translation: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(35), default="")
    threat_type: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(Text, default="")
    source_url: Mapped[str] = mapped_column(Text, default="")  # text only, never fetched
    grading_source: Mapped[str | None] = mapped_column(String(1))
    grading_information: Mapped[str | None] = mapped_column(String(1))
    grading_handling: Mapped[str | None] = mapped_column(String(1))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    account: Mapped[Account | None] = relationship()
    targets: Mapped[list[Protectee]] = relationship(secondary=threat_targets)
    revisions: Mapped[list[ThreatRevision]] = relationship(
        back_populates="threat", order_by="ThreatRevision.number"
    )


class ThreatRevision(db.Model):
    """An earlier version of a threat, kept whole when the threat is edited."""

    __tablename__ = "threat_revisions"
    __table_args__ = (UniqueConstraint("threat_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    threat_id: Mapped[int] = mapped_column(ForeignKey("threats.id"), index=True)
    number: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    threat: Mapped[Threat] = relationship(back_populates="revisions")
