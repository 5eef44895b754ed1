"""Assessments: one scored run of a rubric on a case; never edited, only superseded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.cases.models import CONCERN_LEVELS
from casemgr.db import UTCDateTime, link_table, one_of, utcnow
from casemgr.extensions import db

answer_threats = link_table(
    "assessment_answer_threats", ("answer_id", "assessment_answers.id"), ("threat_id", "threats.id")
)

answer_evidence = link_table(
    "assessment_answer_evidence",
    ("answer_id", "assessment_answers.id"),
    ("evidence_id", "evidence_items.id"),
)


class Assessment(db.Model):
    __tablename__ = "assessments"
    __table_args__ = (
        one_of("computed_level", CONCERN_LEVELS),
        one_of("level", CONCERN_LEVELS),
        Index("ix_assessments_case_id_created_at", "case_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    rubric_id: Mapped[str] = mapped_column(String(100))
    rubric_version: Mapped[str] = mapped_column(String(50))
    rubric_sha256: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    computed_level: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))  # final: computed, or the analyst's override
    override_justification: Mapped[str] = mapped_column(Text, default="")
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    answers: Mapped[list[AssessmentAnswer]] = relationship(
        back_populates="assessment", order_by="AssessmentAnswer.id"
    )


class AssessmentAnswer(db.Model):
    __tablename__ = "assessment_answers"
    __table_args__ = (UniqueConstraint("assessment_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(100))
    point: Mapped[int]
    rationale: Mapped[str] = mapped_column(Text, default="")

    assessment: Mapped[Assessment] = relationship(back_populates="answers")
