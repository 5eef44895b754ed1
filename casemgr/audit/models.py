"""The append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.db import UTCDateTime
from casemgr.extensions import db


class AuditEvent(db.Model):
    """One recorded change. `hash` covers every field and the previous event's hash.

    The database refuses UPDATE and DELETE on this table (triggers in the migration),
    and `prev_hash` is unique so the chain cannot fork.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))  # kept as text: the log outlives renames
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    case_ref: Mapped[str | None] = mapped_column(String(16), index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    address: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
