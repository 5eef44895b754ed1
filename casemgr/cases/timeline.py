"""One timeline per case, merging everything that happened to it in time order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.assessments.models import Assessment
from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseStatusChange, Handoff, Referral, Task
from casemgr.evidence.models import EvidenceItem
from casemgr.threats.models import Threat

_EXCERPT = 160


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    summary: str
    actor: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT else flat[: _EXCERPT - 1] + "…"


def _status_entries(session: Session, case: Case, names: dict[int, str]) -> list[TimelineEntry]:
    changes = session.scalars(select(CaseStatusChange).where(CaseStatusChange.case_id == case.id))
    return [
        TimelineEntry(
            change.at,
            "status",
            f"{change.from_status or 'opened'} → {change.to_status}: {change.reason}",
            names.get(change.actor_id or 0),
            {"from": change.from_status, "to": change.to_status, "reason": change.reason},
        )
        for change in changes
    ]


def _threat_entries(session: Session, case: Case, names: dict[int, str]) -> list[TimelineEntry]:
    threats = session.scalars(select(Threat).where(Threat.case_id == case.id))
    return [
        TimelineEntry(
            threat.occurred_at,
            "threat",
            f"{threat.threat_type} threat by {threat.channel.replace('_', ' ')}: "
            f"{_excerpt(threat.text)}",
            names.get(threat.created_by_id or 0),
            {"threat_id": threat.id},
        )
        for threat in threats
    ]


def _handoff_entries(session: Session, case: Case, names: dict[int, str]) -> list[TimelineEntry]:
    entries = []
    for handoff in session.scalars(select(Handoff).where(Handoff.case_id == case.id)):
        receiver = names.get(handoff.to_user_id, "?")
        details = {"handoff_id": handoff.id, "status": handoff.status}
        entries.append(
            TimelineEntry(
                handoff.created_at,
                "handoff",
                f"Handoff offered to {receiver}",
                names.get(handoff.from_user_id or 0),
                details,
            )
        )
        if handoff.responded_at is not None:
            why = f": {handoff.decline_reason}" if handoff.decline_reason else ""
            entries.append(
                TimelineEntry(
                    handoff.responded_at,
                    "handoff",
                    f"Handoff to {receiver} {handoff.status}{why}",
                    receiver,
                    details,
                )
            )
    return entries


def _task_entries(session: Session, case: Case, names: dict[int, str]) -> list[TimelineEntry]:
    entries = []
    for task in session.scalars(select(Task).where(Task.case_id == case.id)):
        details = {"task_id": task.id}
        entries.append(
            TimelineEntry(
                task.created_at,
                "task",
                f"Task: {task.title}",
                names.get(task.created_by_id or 0),
                details,
            )
        )
        if task.completed_at is not None:
            entries.append(
                TimelineEntry(task.completed_at, "task", f"Task done: {task.title}", None, details)
            )
    return entries


def _referral_entries(session: Session, case: Case, names: dict[int, str]) -> list[TimelineEntry]:
    entries = []
    for referral in session.scalars(select(Referral).where(Referral.case_id == case.id)):
        unit = f", {referral.unit}" if referral.unit else ""
        reference = f" (their reference {referral.reference})" if referral.reference else ""
        entries.append(
            TimelineEntry(
                referral.referred_at,
                "referral",
                f"Referred to {referral.agency}{unit}{reference}",
                names.get(referral.created_by_id or 0),
                {"referral_id": referral.id},
            )
        )
    return entries


def _evidence_entries(session: Session, case: Case, names: dict[int, str]) -> list[TimelineEntry]:
    entries = []
    for item in session.scalars(select(EvidenceItem).where(EvidenceItem.case_id == case.id)):
        name = item.original_filename or f"item {item.id}"
        entries.append(
            TimelineEntry(
                item.created_at,
                "evidence",
                f"Evidence added: {name}",
                names.get(item.created_by_id or 0),
                {"evidence_id": item.id},
            )
        )
        if item.withdrawn_at is not None:
            entries.append(
                TimelineEntry(
                    item.withdrawn_at,
                    "evidence",
                    f"Evidence withdrawn: {name} ({item.withdrawn_reason})",
                    None,
                    {"evidence_id": item.id},
                )
            )
    return entries


def _assessment_entries(session: Session, case: Case, names: dict[int, str]) -> list[TimelineEntry]:
    assessments = session.scalars(select(Assessment).where(Assessment.case_id == case.id))
    return [
        TimelineEntry(
            assessment.created_at,
            "assessment",
            f"Assessed: {assessment.level} (score {assessment.score:.1f}, "
            f"rubric {assessment.rubric_id} v{assessment.rubric_version})",
            names.get(assessment.assessor_id or 0),
            {"assessment_id": assessment.id},
        )
        for assessment in assessments
    ]


SOURCES = (
    _status_entries,
    _threat_entries,
    _handoff_entries,
    _task_entries,
    _referral_entries,
    _evidence_entries,
    _assessment_entries,
)


def case_timeline(session: Session, case: Case) -> list[TimelineEntry]:
    """Everything that happened to `case`, oldest first."""
    names = dict(session.execute(select(User.id, User.username)).all())
    entries = [entry for source in SOURCES for entry in source(session, case, names)]
    return sorted(entries, key=lambda entry: entry.at)
