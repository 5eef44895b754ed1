"""Threats: logged on a case exactly as received, edited without losing earlier versions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from casemgr.api.blueprint import api
from casemgr.api.case_output import current_case_on_conflict
from casemgr.api.common import caller
from casemgr.api.pagination import paginate
from casemgr.api.schemas import (
    Body,
    ListQuery,
    Page,
    RowId,
    SentTime,
    UTCTime,
    unchanged_when_absent,
)
from casemgr.auth.current import request_actor
from casemgr.auth.models import User
from casemgr.cases.access import get_case_or_404
from casemgr.cases.models import Case
from casemgr.extensions import db
from casemgr.people.visibility import authorize_through_case, refuse_hidden_account
from casemgr.threats.models import (
    CHANNELS,
    HANDLING_CODES,
    INFORMATION_GRADES,
    THREAT_TYPES,
    Threat,
    ThreatRevision,
)
from casemgr.threats.operations import (
    MAX_TEXT,
    REVISED_FIELDS,
    ThreatDetails,
    edit_threat,
    get_threat,
    log_threat,
)

Channel = Literal[CHANNELS]
ThreatType = Literal[THREAT_TYPES]
_TEXT = f"verbatim, kept byte for byte as sent (at most {MAX_TEXT:,} characters)"


class Grading(Body):
    """The UK 3x5x2 model: source evaluation, information assessment, handling code."""

    source: Literal[1, 2, 3] | None = None
    information: Literal[INFORMATION_GRADES] | None = None
    handling: Literal[HANDLING_CODES] | None = None


class ThreatCreate(Body):
    occurred_at: SentTime
    reported_at: SentTime | None = None
    reported_by: str = ""
    channel: Channel
    platform: str = ""
    account_id: RowId | None = None
    text: str = Field(description=_TEXT)
    translation: str = ""
    language: str = ""
    threat_type: ThreatType
    target_ids: list[RowId] = Field(default=[], description="protectee ids")
    location: str = ""
    source_url: str = ""
    grading: Grading | None = None
    notes: str = ""
    version: RowId | None = Field(default=None, description="the case version the client saw")


class ThreatPatch(Body):
    """Only the fields sent change; `null` clears reported_at, account_id or grading."""

    occurred_at: SentTime = unchanged_when_absent()
    reported_at: SentTime | None = None
    reported_by: str = unchanged_when_absent()
    channel: Channel = unchanged_when_absent()
    platform: str = unchanged_when_absent()
    account_id: RowId | None = None
    text: str = unchanged_when_absent(description=_TEXT)
    translation: str = unchanged_when_absent()
    language: str = unchanged_when_absent()
    threat_type: ThreatType = unchanged_when_absent()
    target_ids: list[RowId] = unchanged_when_absent(description="protectee ids")
    location: str = unchanged_when_absent()
    source_url: str = unchanged_when_absent()
    grading: Grading | None = None
    notes: str = unchanged_when_absent()
    version: RowId | None = Field(default=None, description="the case version the client saw")


class ThreatFields(BaseModel):
    occurred_at: UTCTime
    reported_at: UTCTime | None
    reported_by: str
    channel: str
    platform: str
    account_id: int | None
    text: str
    translation: str
    language: str
    threat_type: str
    target_ids: list[int]
    location: str
    source_url: str
    grading: Grading | None
    notes: str


class ThreatOut(ThreatFields):
    id: int
    case: str  # ref
    created_by: str | None
    created_at: UTCTime
    updated_at: UTCTime


class EarlierVersion(ThreatFields):
    number: int
    edited_by: str | None
    edited_at: UTCTime


class ThreatWithHistory(ThreatOut):
    history: list[EarlierVersion]  # oldest first


def _grading(content: dict[str, Any]) -> Grading | None:
    source, information, handling = (
        content.get(f"grading_{part}") for part in ("source", "information", "handling")
    )
    if source is None and information is None and handling is None:
        return None
    return Grading(
        source=int(source) if source else None, information=information, handling=handling
    )


def _fields(content: dict[str, Any]) -> dict[str, Any]:
    """A threat's stored fields (live, or of a revision) in the answer's shape."""
    shown = {name: content[name] for name in ThreatFields.model_fields if name in content}
    return shown | {"grading": _grading(content), "target_ids": content.get("target_ids", [])}


def _stored(threat: Threat) -> dict[str, Any]:
    return {name: getattr(threat, name) for name in REVISED_FIELDS} | {
        "target_ids": sorted(target.id for target in threat.targets)
    }


def _names(session: Session) -> dict[int, str]:
    return {user_id: name for user_id, name in session.execute(select(User.id, User.username))}


def _threat_out(case: Case, threat: Threat, names: dict[int, str]) -> ThreatOut:
    return ThreatOut(
        **_fields(_stored(threat)),
        id=threat.id,
        case=case.ref,
        created_by=names.get(threat.created_by_id or 0),
        created_at=threat.created_at,
        updated_at=threat.updated_at,
    )


def _with_history(case: Case, threat: Threat) -> ThreatWithHistory:
    db.session.flush()
    revisions = db.session.scalars(
        select(ThreatRevision)
        .where(ThreatRevision.threat_id == threat.id)
        .order_by(ThreatRevision.number)
    )
    names = _names(db.session)
    history = [
        EarlierVersion(
            **_fields(revision.content),
            number=revision.number,
            edited_by=names.get(revision.edited_by_id or 0),
            edited_at=revision.edited_at,
        )
        for revision in revisions
    ]
    return ThreatWithHistory(**_threat_out(case, threat, names).model_dump(), history=history)


def _details(values: dict[str, Any]) -> ThreatDetails:
    """The service's details; a `grading` key (a Grading or None) replaces all three grades."""
    if "grading" in values:
        grading = values.pop("grading") or Grading()
        values |= {
            "grading_source": str(grading.source) if grading.source else None,
            "grading_information": grading.information,
            "grading_handling": grading.handling,
        }
    return ThreatDetails(**values)


@api.route(
    "/cases/<ref>/threats",
    "GET",
    summary="A case's threats, in the order they occurred",
    tag="threats",
    query=ListQuery,
    response=Page[ThreatOut],
    errors=(404,),
)
def list_threats(ref: str, query: ListQuery) -> Page[ThreatOut]:
    case = get_case_or_404(db.session, ref, caller())
    statement = (
        select(Threat).where(Threat.case_id == case.id).options(selectinload(Threat.targets))
    )
    threats, cursor = paginate(db.session, statement, [Threat.occurred_at, Threat.id], query)
    names = _names(db.session)
    return Page[ThreatOut](
        items=[_threat_out(case, threat, names) for threat in threats], next=cursor
    )


@api.route(
    "/cases/<ref>/threats",
    "POST",
    summary="Log a threat on a case, its text exactly as received",
    tag="threats",
    body=ThreatCreate,
    response=ThreatWithHistory,
    status=201,
    errors=(403, 404, 409),
)
def add_threat(ref: str, body: ThreatCreate) -> ThreatWithHistory:
    user = caller()
    case = get_case_or_404(db.session, ref, user, "threat.log")
    refuse_hidden_account(db.session, user, body.account_id)
    values = {name: getattr(body, name) for name in ThreatCreate.model_fields if name != "version"}
    with current_case_on_conflict(db.session):
        threat = log_threat(db.session, request_actor(), case, _details(values), body.version)
    return _with_history(case, threat)


def _threat_and_case(threat_id: int, permission: str) -> tuple[Threat, Case]:
    """The threat, governed by its case: hidden case, hidden threat."""
    threat = get_threat(db.session, threat_id)
    case = db.session.get(Case, threat.case_id)
    assert case is not None
    authorize_through_case(caller(), permission, case, "threat")
    return threat, case


@api.route(
    "/threats/<int:threat_id>",
    "GET",
    summary="One threat, with its earlier versions under `history`",
    tag="threats",
    response=ThreatWithHistory,
    errors=(404,),
)
def get_one_threat(threat_id: int) -> ThreatWithHistory:
    threat, case = _threat_and_case(threat_id, "read")
    return _with_history(case, threat)


@api.route(
    "/threats/<int:threat_id>",
    "PATCH",
    summary="Edit a threat; what it said before is kept in `history`",
    tag="threats",
    body=ThreatPatch,
    response=ThreatWithHistory,
    errors=(403, 404, 409),
)
def change_threat(threat_id: int, body: ThreatPatch) -> ThreatWithHistory:
    threat, case = _threat_and_case(threat_id, "threat.log")
    given = body.model_fields_set - {"version"}
    if "account_id" in given:
        refuse_hidden_account(db.session, caller(), body.account_id)
    stored = _stored(threat)
    values = stored | {name: getattr(body, name) for name in given}
    with current_case_on_conflict(db.session):
        edit_threat(db.session, request_actor(), case, threat, _details(values), body.version)
    return _with_history(case, threat)
