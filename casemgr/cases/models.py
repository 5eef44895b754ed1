"""Cases and what hangs off them: members, status history, handoffs, tasks, referrals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Computed, ForeignKey, Index, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.db import UTCDateTime, link_table, one_of, utcnow
from casemgr.extensions import db
from casemgr.people.models import Protectee, Subject

CASE_STATUSES = ("new", "triage", "assessment", "active", "referred", "dormant", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
CONCERN_LEVELS = ("low", "moderate", "high", "imminent")
HANDOFF_STATUSES = ("pending", "accepted", "declined", "cancelled")
TASK_STATUSES = ("open", "done", "cancelled")


def _rank(column: str, values: tuple[str, ...], first: int) -> str:
    """SQL for the place of a column's value in `values`, from `first` up (0 when unset)."""
    places = " ".join(f"WHEN '{value}' THEN {first + place}" for place, value in enumerate(values))
    return f"CASE {column} {places} ELSE 0 END"


PRIORITY_RANK = _rank("priority", PRIORITIES, 0)  # low 0 ... urgent 3
CONCERN_RANK = _rank("concern_level", CONCERN_LEVELS, 1)  # not assessed 0, low 1 ... imminent 4

case_protectees = link_table(
    "case_protectees", ("case_id", "cases.id"), ("protectee_id", "protectees.id")
)

case_subjects = link_table("case_subjects", ("case_id", "cases.id"), ("subject_id", "subjects.id"))


class CaseSequence(db.Model):
    """The last case number used in a year, bumped atomically to allocate references."""

    __tablename__ = "case_sequences"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        one_of("status", CASE_STATUSES),
        one_of("priority", PRIORITIES),
        one_of("concern_level", CONCERN_LEVELS),
        Index("ix_cases_status_updated_at", "status", "updated_at"),
        # The case list's default order, any page deep; the visibility columns let a page
        # for an analyst be found (and an OFFSET skipped) from the index alone.
        Index("ix_cases_updated_at_id", "updated_at", "id", "restricted", "owner_id"),
        # The dashboard's open cases counted by concern (index-only) and its unassessed
        # cases oldest first; the case list's concern filter.
        Index(
            "ix_cases_concern_level_created_at",
            "concern_level",
            "created_at",
            "status",
            "restricted",
            "owner_id",
        ),
        # The few restricted cases, for what a user may not see.
        Index("ix_cases_restricted_owner_id", "restricted", "owner_id"),
        # The case list by priority and by concern, any page deep, and within a status.
        *(
            index
            for rank in ("priority_rank", "concern_rank")
            for index in (
                Index(f"ix_cases_{rank}", rank, "updated_at", "id", "restricted", "owner_id"),
                Index(f"ix_cases_status_{rank}", "status", rank, "updated_at", "id"),
            )
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(16), unique=True)  # TA-YYYY-NNNN
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(16), default="normal", index=True)
    status: Mapped[str] = mapped_column(String(16), default="new")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    restricted: Mapped[bool] = mapped_column(default=False)
    # Cached from the latest assessment so lists can filter and sort on it.
    concern_level: Mapped[str | None] = mapped_column(String(16))
    next_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # Kept by the database, so the list's priority and concern orders (highest first) walk
    # an index instead of sorting every case that passes the filters.
    priority_rank: Mapped[int] = mapped_column(SmallInteger, Computed(PRIORITY_RANK))
    concern_rank: Mapped[int] = mapped_column(SmallInteger, Computed(CONCERN_RANK))

    __mapper_args__ = {"version_id_col": version}

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    members: Mapped[list[CaseMember]] = relationship(
        back_populates="case", cascade="all, delete-orphan"
    )
    protectees: Mapped[list[Protectee]] = relationship(secondary=case_protectees)
    subjects: Mapped[list[Subject]] = relationship(secondary=case_subjects)

    def has_member(self, user_id: int) -> bool:
        return any(member.user_id == user_id for member in self.members)


class CaseMember(db.Model):
    """A user allowed into a restricted case (owners and leads are let in regardless)."""

    __tablename__ = "case_members"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class CaseStatusChange(db.Model):
    """One move through the workflow: who, when, from, to and why."""

    __tablename__ = "case_status_changes"
    __table_args__ = (
        one_of("to_status", CASE_STATUSES),
        Index("ix_case_status_changes_case_id_at", "case_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Lets the unit of work write a new case before its first move, in one flush.
    case: Mapped[Case] = relationship()


class Handoff(db.Model):
    """A change of owner with a written brief; the owner changes only on acceptance."""

    __tablename__ = "handoffs"
    __table_args__ = (
        one_of("status", HANDOFF_STATUSES),
        # At most one pending handoff per case, enforced by the database.
        Index(
            "uq_handoffs_one_pending_per_case",
            "case_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_handoffs_to_user_id_status", "to_user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    situation: Mapped[str] = mapped_column(Text)
    concern: Mapped[str] = mapped_column(Text)
    next_steps: Mapped[str] = mapped_column(Text)
    open_tasks: Mapped[str] = mapped_column(Text, default="")  # filled in when handed off
    review_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship()
    from_user: Mapped[User | None] = relationship(foreign_keys=[from_user_id])
    to_user: Mapped[User] = relationship(foreign_keys=[to_user_id])


class Task(db.Model):
    """A protective action on a case."""

    __tablename__ = "tasks"
    __table_args__ = (
        one_of("status", TASK_STATUSES),
        Index("ix_tasks_owner_id_status_due_at", "owner_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Referral(db.Model):
    """The case passed to a law-enforcement agency."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    agency: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(200), default="")
    officer: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(String(200), default="")
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
