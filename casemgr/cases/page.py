"""What the case page and the case list show, gathered in one place for the views."""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from casemgr.auth.current import current
from casemgr.auth.permissions import can
from casemgr.cases.choices import case_owners, protectee_choices
from casemgr.cases.forms import (
    AssignForm,
    CaseFilterForm,
    HandoffForm,
    TaskForm,
    TransitionForm,
)
from casemgr.cases.handoffs import pending_handoff
from casemgr.cases.models import Case, Referral, Task
from casemgr.cases.timeline import TimelineEntry, case_timeline
from casemgr.cases.workflow import STATUS_LABELS, next_statuses
from casemgr.db import utcnow
from casemgr.errors import NotFound
from casemgr.evidence.models import EvidenceItem
from casemgr.extensions import db
from casemgr.people.visibility import visible_subject
from casemgr.threats.forms import GRADING_MEANINGS
from casemgr.threats.models import Threat
from casemgr.validation import row_id

# The case page's access keys and the actions they reach: each button's title names its key,
# and the page lists the keys of the buttons it shows.
SHORTCUTS = {
    "t": "Log a threat",
    "a": "Assess",
    "s": "Change status",
    "h": "Hand off",
    "e": "Edit case",
    "v": "Evidence gallery",
}


def filter_form(args: MultiDict[str, str]) -> CaseFilterForm:
    form = CaseFilterForm(formdata=args)
    form.owner.choices = case_owners(db.session, blank="Any owner")
    form.protectee_id.choices = [SelectChoice("", "Any protectee"), *protectee_choices(db.session)]
    # Every subject would make a list of tens of thousands: only the one filtered by (from a
    # subject's page); the search box finds subjects by name, alias and handle.
    form.subject_id.choices = [SelectChoice("", "Any subject"), *_chosen_subject(args)]
    for field in (form.status, form.owner, form.protectee_id, form.subject_id, form.concern):
        if field.data not in {str(choice.value) for choice in field.choices}:
            field.data = ""  # an unknown filter value filters nothing rather than erroring
    return form


def _chosen_subject(args: MultiDict[str, str]) -> list[SelectChoice]:
    subject_id = row_id(args.get("subject_id", ""))
    if subject_id is None:
        return []
    try:
        subject = visible_subject(db.session, current(), subject_id)
    except NotFound:
        return []
    return [SelectChoice(str(subject.id), f"{subject.name} ({subject.kind})")]


def _default_forms(case: Case) -> dict[str, Any]:
    version = str(case.version)
    owners = case_owners(db.session)  # one query for the three forms that offer them
    transition = TransitionForm(formdata=None, version=version)
    transition.to.choices = [
        SelectChoice(status, STATUS_LABELS[status]) for status in next_statuses(case.status)
    ]
    handoff = HandoffForm(formdata=None, version=version)
    handoff.to_user.choices = [
        choice for choice in owners if not case.owner or choice.value != case.owner.username
    ]
    task = TaskForm(formdata=None)
    task.owner.choices = [SelectChoice("", "Nobody yet"), *owners]
    assign = AssignForm(formdata=None, version=version)
    assign.owner.choices = list(owners)
    return {
        "transition_form": transition,
        "handoff_form": handoff,
        "task_form": task,
        "assign_form": assign,
    }


def offered_shortcuts(allowed: dict[str, bool], may_hand_off: bool) -> list[tuple[str, str]]:
    """The access keys of the actions `allowed` shows on the case page, with their actions."""
    shown = {
        "t": allowed["threat.log"],
        "a": allowed["assessment.create"],
        "s": allowed["case.transition"],
        "h": may_hand_off,
        "e": allowed["case.edit"],
        "v": True,
    }
    return [(key, action) for key, action in SHORTCUTS.items() if shown[key]]


def timeline_link(ref: str, entry: TimelineEntry) -> str | None:
    """The page of what a timeline entry of case `ref` is about, when it has one."""
    details = entry.details
    if "threat_id" in details:
        return url_for("threats.detail", threat_id=details["threat_id"])
    if "evidence_id" in details:
        return url_for("evidence.detail", item_id=details["evidence_id"])
    if "assessment_id" in details:
        return url_for("assessments.detail", ref=ref, assessment_id=details["assessment_id"])
    if "handoff_id" in details:
        return url_for("cases.handoff", handoff_id=details["handoff_id"])
    return None


def review_overdue(case: Case) -> bool:
    """Whether an open case's next review is past (as the dashboard counts it)."""
    return (
        case.status != "closed"
        and case.next_review_at is not None
        and case.next_review_at < utcnow()
    )


def case_page_context(case: Case, **forms: Any) -> dict[str, Any]:
    """Everything the case page renders; `forms` replace the blank forms (to show errors)."""
    user = current()
    threats = db.session.scalars(
        select(Threat)
        .where(Threat.case_id == case.id)
        .options(selectinload(Threat.account), selectinload(Threat.targets))
        .order_by(Threat.occurred_at.desc())
    ).all()
    tasks = db.session.scalars(
        select(Task).where(Task.case_id == case.id).order_by(Task.status, Task.due_at)
    ).all()
    referrals = db.session.scalars(
        select(Referral).where(Referral.case_id == case.id).order_by(Referral.referred_at)
    ).all()
    evidence = db.session.scalars(
        select(EvidenceItem)
        .where(EvidenceItem.case_id == case.id)
        .order_by(EvidenceItem.created_at.desc())
    ).all()
    allowed = {
        name: can(user, name, case)
        for name in (
            "case.edit",
            "case.transition",
            "case.assign",
            "handoff.own",
            "handoff.any",
            "threat.log",
            "assessment.create",
            "task.manage",
            "case.refer",
            "evidence.add",
        )
    }
    may_hand_off = allowed["handoff.any"] or (allowed["handoff.own"] and case.owner_id == user.id)
    return {
        "case": case,
        "threats": threats,
        "tasks": tasks,
        "referrals": referrals,
        "evidence": evidence,
        "timeline": list(reversed(case_timeline(db.session, case))),
        "pending": pending_handoff(db.session, case),
        "review_overdue": review_overdue(case),
        "timeline_link": timeline_link,
        "shortcuts": SHORTCUTS,
        "offered_shortcuts": offered_shortcuts(allowed, may_hand_off),
        "labels": STATUS_LABELS,
        "meanings": GRADING_MEANINGS,
        "allowed": allowed,
        "may_hand_off": may_hand_off,
        "user": user,
        **(_default_forms(case) | forms),
    }
