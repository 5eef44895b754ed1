"""The one function that gathers what a briefing shows, as plain data, already redacted.
The print templates only render it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.assessments.operations import latest_assessment, rubric_of
from casemgr.cases.models import Case, Referral, Task
from casemgr.evidence.models import EvidenceItem
from casemgr.people.models import Account
from casemgr.threats.forms import GRADING_MEANINGS
from casemgr.threats.models import Threat

SECTIONS = {
    "summary": "Bottom line up front",
    "protectees": "Protectees",
    "subjects": "Subjects and accounts",
    "threats": "Threat chronology",
    "evidence": "Evidence",
    "assessment": "Current assessment",
    "actions": "Actions taken and recommended",
    "referrals": "Referrals and contacts",
    "preservation": "Requested actions: account preservation",
    "custody": "Appendix: chain of custody",
}


@dataclass(frozen=True)
class BriefingOptions:
    recipient: str
    marking: str
    author: str
    sections: tuple[str, ...] = tuple(SECTIONS)
    include_private: bool = False
    evidence_ids: tuple[int, ...] | None = None  # None: every item not withdrawn


@dataclass
class Snapshot:
    case: dict[str, Any]
    meta: dict[str, Any]
    sections: tuple[str, ...]
    protectees: list[dict[str, Any]] = field(default_factory=list)
    subjects: list[dict[str, Any]] = field(default_factory=list)
    threats: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    assessment: dict[str, Any] | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    image_ids: frozenset[int] = frozenset()  # the only images the renderer may fetch

    @property
    def evidence_item_ids(self) -> list[int]:
        return [item["id"] for item in self.evidence]


def _account(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "platform": account.platform,
        "handle": account.handle,
        "url": account.url,
        "platform_account_id": account.platform_account_id,
        "status": account.status,
        "first_seen": account.first_seen,
        "last_seen": account.last_seen,
        "suspended_at": account.suspended_at,
        "subject": account.subject.name,
    }


def _protectees(case: Case, include_private: bool) -> list[dict[str, Any]]:
    rows = []
    for protectee in case.protectees:
        row = {
            "name": protectee.name,
            "title": protectee.title,
            "department": protectee.department,
            "all_staff": protectee.all_staff,
            "private": None,
        }
        if include_private:
            row["private"] = {
                "home_address": protectee.private_home_address,
                "phone": protectee.private_phone,
                "family": protectee.private_family,
                "usual_locations": protectee.usual_locations,
            }
        rows.append(row)
    return rows


def _subjects(case: Case) -> list[dict[str, Any]]:
    return [
        {
            "name": subject.name,
            "kind": subject.kind,
            "description": subject.description,
            "aliases": [alias.alias for alias in subject.aliases],
            "affiliation": subject.affiliation.name if subject.affiliation else None,
            "accounts": [_account(account) for account in subject.accounts],
        }
        for subject in case.subjects
    ]


def _threats(session: Session, case: Case) -> list[dict[str, Any]]:
    threats = session.scalars(
        select(Threat).where(Threat.case_id == case.id).order_by(Threat.occurred_at)
    )
    rows = []
    for threat in threats:
        codes = (threat.grading_source, threat.grading_information, threat.grading_handling)
        rows.append(
            {
                "occurred_at": threat.occurred_at,
                "channel": threat.channel.replace("_", " "),
                "platform": threat.platform,
                "account": threat.account.handle if threat.account else "",
                "text": threat.text,
                "translation": threat.translation,
                "language": threat.language,
                "threat_type": threat.threat_type,
                "targets": [t.name for t in threat.targets],
                "grading": "".join(code or "-" for code in codes) if any(codes) else "",
                "grading_meaning": "; ".join(
                    GRADING_MEANINGS[kind][code]
                    for kind, code in zip(("source", "information", "handling"), codes, strict=True)
                    if code
                ),
            }
        )
    return rows


def _evidence(session: Session, case: Case, ids: tuple[int, ...] | None) -> list[EvidenceItem]:
    statement = select(EvidenceItem).where(EvidenceItem.case_id == case.id)
    if ids is None:
        statement = statement.where(EvidenceItem.withdrawn_at.is_(None))
    else:
        statement = statement.where(EvidenceItem.id.in_(ids))
    return list(session.scalars(statement.order_by(EvidenceItem.created_at)))


def _evidence_row(item: EvidenceItem, original: EvidenceItem | None) -> dict[str, Any]:
    return {
        "id": item.id,
        "description": item.description,
        "filename": item.original_filename,
        "sha256": item.sha256,
        "size": item.size,
        "mime": item.mime,
        "flags": item.flags,
        "acquired_at": item.acquired_at,
        "acquired_by": item.acquired_by,
        "method": item.method,
        "source_url": item.source_url,
        "manipulation_note": item.manipulation_note,
        "image": item.is_image and item.analysis == "ok",
        "original": None
        if original is None
        else {
            "id": original.id,
            "sha256": original.sha256,
            "image": original.is_image and original.analysis == "ok",
            "label": (
                f"reference photo of {original.protectee.name}"
                if original.protectee
                else f"item #{original.id}"
            ),
        },
        "custody": [
            {
                "at": event.at,
                "action": event.action.replace("_", " "),
                "actor": event.actor.username if event.actor else "system",
                "note": event.note,
                "sha256": event.sha256,
            }
            for event in item.custody
        ],
    }


def _assessment(session: Session, case: Case) -> dict[str, Any] | None:
    assessment = latest_assessment(session, case)
    if assessment is None:
        return None
    rubric = rubric_of(assessment)
    answers = {answer.item_id: answer for answer in assessment.answers}
    sections = []
    for section in rubric.sections:
        items = []
        for item in section.items:
            answer = answers.get(item.id)
            point = answer.point if answer else 0
            items.append(
                {
                    "label": item.label,
                    "point": point,
                    "max": item.max_point,
                    "point_label": item.label_of(point),
                    "rationale": answer.rationale if answer else "",
                }
            )
        sections.append({"title": section.title, "items": items})
    return {
        "rubric": f"{rubric.id} version {rubric.version}",
        "rubric_sha256": rubric.sha256,
        "score": assessment.score,
        "computed_level": assessment.computed_level,
        "level": assessment.level,
        "justification": assessment.override_justification,
        "assessor": assessment.assessor.username if assessment.assessor else "",
        "at": assessment.created_at,
        "sections": sections,
    }


def _preservation(session: Session, case: Case, subjects: list[dict[str, Any]]) -> list[dict]:
    """Every account involved, old and new: the subjects' and those threats came from."""
    accounts = {row["id"]: row for subject in subjects for row in subject["accounts"]}
    used = session.scalars(
        select(Account)
        .join(Threat, Threat.account_id == Account.id)
        .where(Threat.case_id == case.id)
    )
    for account in used:
        accounts.setdefault(account.id, _account(account))
    return sorted(
        accounts.values(),
        key=lambda a: (
            a["platform"],
            a["first_seen"] is None,
            a["first_seen"] or datetime.min,
            a["handle"],
        ),
    )


def build_snapshot(
    session: Session,
    case: Case,
    options: BriefingOptions,
    generated_at: datetime,
    extra_meta: dict[str, Any] | None = None,
) -> Snapshot:
    """Everything the briefing on `case` shows, at its current version, redacted as asked."""
    items = _evidence(session, case, options.evidence_ids)
    originals = {
        item.id: session.get(EvidenceItem, item.original_id) if item.original_id else None
        for item in items
    }
    evidence = [_evidence_row(item, originals[item.id]) for item in items]
    subjects = _subjects(case)
    image_ids = {row["id"] for row in evidence if row["image"]} | {
        row["original"]["id"] for row in evidence if row["original"] and row["original"]["image"]
    }
    return Snapshot(
        case={
            "ref": case.ref,
            "title": case.title,
            "summary": case.summary,
            "status": case.status,
            "priority": case.priority,
            "concern_level": case.concern_level,
            "version": case.version,
            "owner": case.owner.label if case.owner else "",
            "opened": case.created_at,
            "next_review_at": case.next_review_at,
        },
        meta={
            "recipient": options.recipient,
            "marking": options.marking,
            "author": options.author,
            "generated_at": generated_at,
            "include_private": options.include_private,
            **(extra_meta or {}),
        },
        sections=tuple(name for name in SECTIONS if name in options.sections),
        protectees=_protectees(case, options.include_private),
        subjects=subjects,
        threats=_threats(session, case),
        evidence=evidence,
        assessment=_assessment(session, case),
        tasks=[
            {"title": t.title, "status": t.status, "due_at": t.due_at}
            for t in session.scalars(
                select(Task).where(Task.case_id == case.id).order_by(Task.created_at)
            )
        ],
        referrals=[
            {
                "agency": r.agency,
                "unit": r.unit,
                "officer": r.officer,
                "contact": r.contact,
                "reference": r.reference,
                "at": r.referred_at,
            }
            for r in session.scalars(
                select(Referral).where(Referral.case_id == case.id).order_by(Referral.referred_at)
            )
        ],
        accounts=_preservation(session, case, subjects),
        image_ids=frozenset(image_ids),
    )
