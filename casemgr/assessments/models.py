"""Assessments: one scored run of a rubric on a case; never edited, only superseded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.cases.models import CONCERN_LEVELS
from casemgr.db import UTCDateTime, link_table, one_of, utcnow
from casemgr.evidence.models import EvidenceItem
from casemgr.extensions import db
from casemgr.threats.models import Threat

answer_threats = link_table(
    "assessment_answer_threats", ("answer_id", "assessment_answers.id"), ("threat_id", "threats.id")
)

answer_evidence = link_table(
    "assessment_answer_evidence",
    ("answer_id", "assessment_answers.id"),
    ("evidence_id", "evidence_items.id"),
)


class RubricVersion(db.Model):
    """The exact text of a rubric file an assessment was scored with, kept so that an old
    assessment is explained by the rubric as it was, whatever the file says today."""

    __tablename__ = "rubric_versions"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    rubric_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[str] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(Text)
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


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
    rubric_sha256: Mapped[str] = mapped_column(ForeignKey("rubric_versions.sha256"))
    score: Mapped[float] = mapped_column(Float)
    computed_level: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))  # final: computed, or the analyst's override
    override_justification: Mapped[str] = mapped_column(Text, default="")
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    answers: Mapped[list[AssessmentAnswer]] = relationship(
        back_populates="assessment", order_by="AssessmentAnswer.id"
    )
    assessor: Mapped[User | None] = relationship()
    # The rubric's text as it was scored; read through this so a list can eager-load it.
    stored_rubric: Mapped[RubricVersion] = relationship()


class AssessmentAnswer(db.Model):
    __tablename__ = "assessment_answers"
    __table_args__ = (UniqueConstraint("assessment_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(100))
    point: Mapped[int]
    rationale: Mapped[str] = mapped_column(Text, default="")

    assessment: Mapped[Assessment] = relationship(back_populates="answers")
    threats: Mapped[list[Threat]] = relationship(secondary=answer_threats)
    evidence: Mapped[list[EvidenceItem]] = relationship(secondary=answer_evidence)
