"""The disclosure log: every briefing, bundle and BOLO sheet that left the system."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.db import UTCDateTime, link_table, one_of, utcnow
from casemgr.evidence.models import EvidenceItem
from casemgr.extensions import db
from casemgr.people.models import Subject

BRIEFING_KINDS = ("briefing", "bundle", "bolo")

briefing_evidence = link_table(
    "briefing_evidence", ("briefing_id", "briefings.id"), ("evidence_id", "evidence_items.id")
)
# The cases a BOLO sheet drew on (it belongs to a subject, not a case): each one's disclosure
# log lists it.
briefing_cases = link_table(
    "briefing_cases", ("briefing_id", "briefings.id"), ("case_id", "cases.id")
)


class Briefing(db.Model):
    __tablename__ = "briefings"
    __table_args__ = (
        one_of("kind", BRIEFING_KINDS),
        Index("ix_briefings_case_id_created_at", "case_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="briefing")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    case_version: Mapped[int | None]
    recipient: Mapped[str] = mapped_column(String(300))
    # The marking is free text so a team may use government classification words instead.
    marking: Mapped[str] = mapped_column(String(50))
    sections: Mapped[list[str] | None] = mapped_column(JSON)
    include_private: Mapped[bool] = mapped_column(default=False)
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    evidence: Mapped[list[EvidenceItem]] = relationship(secondary=briefing_evidence)
    created_by: Mapped[User | None] = relationship()
    subject: Mapped[Subject | None] = relationship()
