"""Logging threats exactly as received, and editing them without losing what they were."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.audit.chain import json_safe
from casemgr.audit.log import Actor, apply_changes, record_event
from casemgr.cases.models import Case
from casemgr.cases.operations import check_version, touch_case
from casemgr.db import flush_for_id, utcnow
from casemgr.errors import NotFound
from casemgr.people.models import Account, Protectee
from casemgr.threats.models import (
    CHANNELS,
    HANDLING_CODES,
    INFORMATION_GRADES,
    SOURCE_GRADES,
    THREAT_TYPES,
    Threat,
    ThreatRevision,
)
from casemgr.validation import Checks

MAX_TEXT = 50_000
# Clocks differ; a threat "from the future" beyond this is a typing mistake.
_FUTURE_TOLERANCE = timedelta(hours=1)

REVISED_FIELDS = (
    "occurred_at",
    "reported_at",
    "reported_by",
    "channel",
    "platform",
    "account_id",
    "text",
    "translation",
    "language",
    "threat_type",
    "location",
    "source_url",
    "grading_source",
    "grading_information",
    "grading_handling",
    "notes",
)


@dataclass
class ThreatDetails:
    occurred_at: datetime | None
    channel: str
    text: str
    threat_type: str
    reported_at: datetime | None = None
    reported_by: str = ""
    platform: str = ""
    account_id: int | None = None
    translation: str = ""
    language: str = ""
    target_ids: list[int] = field(default_factory=list)
    location: str = ""
    source_url: str = ""
    grading_source: str | None = None
    grading_information: str | None = None
    grading_handling: str | None = None
    notes: str = ""


def _check_times(checks: Checks, details: ThreatDetails) -> None:
    occurred = checks.aware("occurred_at", details.occurred_at, required=True)
    reported = checks.aware("reported_at", details.reported_at)
    if not (occurred and occurred.tzinfo):
        return
    if occurred > utcnow() + _FUTURE_TOLERANCE:
        checks.fail("occurred_at", "This time is in the future.")
    if reported and reported.tzinfo and reported < occurred:
        checks.fail("reported_at", "A threat cannot be reported before it occurred.")


def _check_text(checks: Checks, text: str) -> None:
    if len(text or "") > MAX_TEXT:
        checks.fail(
            "text",
            f"Threat text is limited to {MAX_TEXT:,} characters ({len(text):,} given); "
            "attach longer documents as evidence.",
        )
    else:
        checks.text("text", text, max_length=MAX_TEXT, required=True)


def check_threat(
    session: Session, details: ThreatDetails
) -> tuple[dict[str, Any], list[Protectee]]:
    """The threat's column values and targets, checked; ValidationFailed names each bad field."""
    checks = Checks()
    _check_times(checks, details)
    _check_text(checks, details.text)
    values = {
        "occurred_at": details.occurred_at,
        "reported_at": details.reported_at,
        "reported_by": checks.text("reported_by", details.reported_by, max_length=200),
        "channel": checks.choice("channel", details.channel, CHANNELS),
        "platform": checks.text("platform", details.platform, max_length=100).strip(),
        "account_id": details.account_id,
        "text": details.text,
        "translation": checks.text("translation", details.translation, max_length=MAX_TEXT),
        "language": checks.text("language", details.language, max_length=35).strip(),
        "threat_type": checks.choice("threat_type", details.threat_type, THREAT_TYPES),
        "location": checks.text("location", details.location, max_length=2000),
        "source_url": checks.text("source_url", details.source_url, max_length=2000).strip(),
        "grading_source": checks.choice(
            "grading_source", details.grading_source, SOURCE_GRADES, required=False
        ),
        "grading_information": checks.choice(
            "grading_information", details.grading_information, INFORMATION_GRADES, required=False
        ),
        "grading_handling": checks.choice(
            "grading_handling", details.grading_handling, HANDLING_CODES, required=False
        ),
        "notes": checks.text("notes", details.notes, max_length=20000),
    }
    account = session.get(Account, details.account_id) if details.account_id else None
    if details.account_id and account is None:
        checks.fail("account_id", "No such account.")
    if account is not None and not values["platform"]:
        values["platform"] = account.platform
    targets = (
        list(session.scalars(select(Protectee).where(Protectee.id.in_(details.target_ids))))
        if details.target_ids
        else []  # no query: an import checks thousands of rows without targets
    )
    if len(targets) != len(set(details.target_ids)):
        checks.fail("target_ids", "Unknown protectee.")
    checks.done()
    return values, targets


def log_threat(
    session: Session,
    actor: Actor,
    case: Case,
    details: ThreatDetails,
    expected_version: int | None = None,
) -> Threat:
    """Record a threat on `case`; its text is kept byte for byte as given."""
    check_version(case, expected_version)
    values, targets = check_threat(session, details)
    now = utcnow()
    threat = Threat(
        case_id=case.id,
        created_by_id=actor.user_id,
        targets=targets,
        created_at=now,
        updated_at=now,
    )
    changes = apply_changes(threat, values)
    session.add(threat)
    touch_case(case)
    flush_for_id(session, threat)
    record_event(session, actor, "threat.create", "threat", threat.id, changes, case.ref)
    return threat


def threat_content(threat: Threat) -> dict[str, Any]:
    """The threat's fields as plain data, as kept in a revision."""
    content = {name: json_safe(getattr(threat, name)) for name in REVISED_FIELDS}
    return content | {"target_ids": sorted(target.id for target in threat.targets)}


def edit_threat(
    session: Session,
    actor: Actor,
    case: Case,
    threat: Threat,
    details: ThreatDetails,
    expected_version: int | None = None,
) -> Threat:
    """Change a threat; what it said before is kept whole as a numbered revision."""
    check_version(case, expected_version)
    values, targets = check_threat(session, details)
    previous = threat_content(threat)
    changes = apply_changes(threat, values)
    target_ids = sorted(target.id for target in targets)
    if target_ids != previous["target_ids"]:
        changes["target_ids"] = {"old": previous["target_ids"], "new": target_ids}
        threat.targets = targets
    if not changes:
        return threat
    # Through the relationship, so a second edit in the same transaction counts this one.
    threat.revisions.append(
        ThreatRevision(
            number=len(threat.revisions) + 1,
            content=previous,
            edited_by_id=actor.user_id,
            edited_at=utcnow(),
        )
    )
    threat.updated_at = utcnow()
    touch_case(case)
    record_event(session, actor, "threat.update", "threat", threat.id, changes, case.ref)
    return threat


def get_threat(session: Session, threat_id: int) -> Threat:
    threat = session.get(Threat, threat_id)
    if threat is None:
        raise NotFound("No such threat.")
    return threat
