"""Evidence and reference photos: uploads kept byte for byte under their SHA-256, their
analysis and near matches, downloads, and the chain of custody."""

from __future__ import annotations

from typing import Any, Literal

from flask import Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from casemgr.api.blueprint import api
from casemgr.api.case_output import current_case_on_conflict
from casemgr.api.common import caller
from casemgr.api.pagination import paginate
from casemgr.api.schemas import Body, ListQuery, Page, RowId, SentTime, UTCTime
from casemgr.auth.current import request_actor
from casemgr.auth.models import User
from casemgr.auth.permissions import authorize
from casemgr.cases.access import get_case_or_404
from casemgr.cases.models import Case
from casemgr.cases.operations import check_version
from casemgr.errors import CaseMgrError, ValidationFailed
from casemgr.evidence.custody import record_custody
from casemgr.evidence.ingest import Acquisition, ingest
from casemgr.evidence.models import CustodyEvent, EvidenceItem, EvidenceMatch
from casemgr.evidence.operations import get_item, mark_manipulated, withdraw
from casemgr.evidence.staging import current_store, ingest_settings, send_original, staged_upload
from casemgr.extensions import db
from casemgr.people.models import Protectee
from casemgr.people.protectees import get_protectee
from casemgr.threats.models import Threat


class EvidenceUpload(Body):
    """The fields sent beside the `file` part."""

    description: str = ""
    threat_id: RowId | None = Field(default=None, description="a threat on the same case")
    acquired_at: SentTime | None = Field(default=None, description="with a time zone")
    acquired_by: str = ""
    method: str = Field(default="", description="e.g. screenshot, download, handed over")
    source_url: str = Field(default="", description="kept as text, never fetched")
    version: RowId | None = Field(default=None, description="the case version the client saw")


class ReferencePhotoUpload(Body):
    caption: str = ""


class ManipulatedBody(Body):
    note: str = Field(description="what was changed, e.g. crosshairs drawn on the face")
    original_id: RowId | None = Field(default=None, description="the stored original, if known")
    version: RowId | None = Field(default=None, description="the case version the client saw")


class WithdrawBody(Body):
    reason: str
    version: RowId | None = Field(default=None, description="the case version the client saw")


class MatchOut(BaseModel):
    kind: Literal["reference", "evidence"]
    evidence_id: int
    protectee_id: int | None = Field(description="whose reference photo, for kind reference")
    case: str | None = Field(description="the matched item's case ref, for kind evidence")
    distance: int = Field(description="pHash Hamming distance (0-64); small means derived")
    dhash_distance: int | None


class EvidenceOut(BaseModel):
    id: int
    kind: Literal["evidence", "reference"]
    case: str | None  # ref
    threat_id: int | None
    protectee_id: int | None
    sha256: str
    size: int
    mime: str = Field(description="decided from the content, never from the name")
    declared_mime: str
    original_filename: str
    flags: list[str]
    description: str
    acquired_at: UTCTime | None
    acquired_by: str
    method: str
    source_url: str
    analysis: str
    analysis_note: str
    mismatch_note: str
    width: int | None
    height: int | None
    image_format: str | None
    phash: str | None
    dhash: str | None
    exif: dict[str, Any] | None
    gps: dict[str, float] | None
    manipulated: bool
    manipulation_note: str
    original_id: int | None
    withdrawn_at: UTCTime | None
    withdrawn_reason: str
    created_by: str | None
    created_at: UTCTime
    matches: list[MatchOut] = Field(description="what this item was found near when taken in")


class ReferencePhotoOut(BaseModel):
    evidence_id: int
    protectee_id: int
    sha256: str
    size: int
    mime: str
    phash: str | None
    dhash: str | None
    width: int | None
    height: int | None
    caption: str
    flags: list[str]
    analysis: str
    analysis_note: str
    created_at: UTCTime


class CustodyOut(BaseModel):
    action: str
    actor: str | None  # username
    at: UTCTime
    sha256: str
    note: str


_STORED = [
    name
    for name in EvidenceOut.model_fields
    if name not in {"case", "flags", "created_by", "matches"}
]


def _matches(item: EvidenceItem, user: User) -> list[MatchOut]:
    """What the item was found near, leaving out items on cases `user` may not see."""
    rows = db.session.scalars(
        select(EvidenceMatch)
        .where(EvidenceMatch.evidence_id == item.id)
        .order_by(EvidenceMatch.phash_distance, EvidenceMatch.matched_id)
    )
    found = []
    for match in rows:
        try:
            other = get_item(db.session, match.matched_id, user)
        except CaseMgrError:
            continue
        found.append(
            MatchOut(
                kind="reference" if other.kind == "reference" else "evidence",
                evidence_id=other.id,
                protectee_id=other.protectee_id,
                case=_case_ref(other),
                distance=match.phash_distance,
                dhash_distance=match.dhash_distance,
            )
        )
    return found


def _case_ref(item: EvidenceItem) -> str | None:
    case = db.session.get(Case, item.case_id) if item.case_id else None
    return case.ref if case else None


def _evidence_out(item: EvidenceItem) -> EvidenceOut:
    db.session.flush()
    creator = db.session.get(User, item.created_by_id) if item.created_by_id else None
    return EvidenceOut(
        **{name: getattr(item, name) for name in _STORED},
        case=_case_ref(item),
        flags=item.flags,
        created_by=creator.username if creator else None,
        matches=_matches(item, caller()),
    )


def _item_and_case(evidence_id: int, need: str) -> tuple[EvidenceItem, Case | None]:
    """The item if the caller may see it and holds `need` (404 or 403 otherwise)."""
    item = get_item(db.session, evidence_id, caller(), need)
    return item, db.session.get(Case, item.case_id) if item.case_id else None


def _threat(case: Case, threat_id: int | None) -> Threat | None:
    if threat_id is None:
        return None
    threat = db.session.get(Threat, threat_id)
    if threat is None or threat.case_id != case.id:
        raise ValidationFailed({"threat_id": ["That threat is not on this case."]})
    return threat


def _take_in(upload: FileStorage, **target: Any) -> EvidenceItem:
    """Ingest the uploaded file; UploadRefused (422) stores nothing."""
    return ingest(
        db.session,
        request_actor(),
        current_store(),
        staged_upload(upload),
        original_filename=upload.filename or "",
        declared_mime=upload.mimetype or "",
        settings=ingest_settings(),
        **target,
    )


@api.route(
    "/cases/<ref>/evidence",
    "POST",
    summary="Upload a file as evidence on a case; its type is decided from its content",
    tag="evidence",
    form=EvidenceUpload,
    response=EvidenceOut,
    status=201,
    errors=(403, 404, 409),
)
def add_evidence(ref: str, form: EvidenceUpload, upload: FileStorage) -> EvidenceOut:
    case = get_case_or_404(db.session, ref, caller(), "evidence.add")
    acquisition = Acquisition(
        description=form.description,
        acquired_at=form.acquired_at,
        acquired_by=form.acquired_by,
        method=form.method,
        source_url=form.source_url,
    )
    with current_case_on_conflict(db.session):
        check_version(case, form.version)
        item = _take_in(
            upload, case=case, threat=_threat(case, form.threat_id), acquisition=acquisition
        )
    return _evidence_out(item)


@api.route(
    "/evidence/<int:evidence_id>",
    "GET",
    summary="One evidence item or reference photo, with its near matches (a custody view)",
    tag="evidence",
    response=EvidenceOut,
    errors=(404,),
)
def get_evidence(evidence_id: int) -> EvidenceOut:
    item, _ = _item_and_case(evidence_id, "read")
    # Every view of an item is a link of its chain of custody, as on the item's web page.
    record_custody(db.session, request_actor(), item, "viewed", "Record read through the API.")
    return _evidence_out(item)


@api.route(
    "/evidence/<int:evidence_id>/file",
    "GET",
    summary="The original bytes, as an attachment; recorded as a download in custody",
    tag="evidence",
    errors=(404,),
)
def download_evidence(evidence_id: int) -> Response:
    item, _ = _item_and_case(evidence_id, "read")
    return send_original(item, request_actor(), "Original downloaded through the API.")


@api.route(
    "/evidence/<int:evidence_id>/custody",
    "GET",
    summary="An item's chain of custody, oldest first",
    tag="evidence",
    query=ListQuery,
    response=Page[CustodyOut],
    errors=(404,),
)
def list_custody(evidence_id: int, query: ListQuery) -> Page[CustodyOut]:
    item, _ = _item_and_case(evidence_id, "read")
    statement = (
        select(CustodyEvent)
        .where(CustodyEvent.evidence_id == item.id)
        .options(selectinload(CustodyEvent.actor))
    )
    events, cursor = paginate(db.session, statement, [CustodyEvent.id], query)
    return Page[CustodyOut](
        items=[
            CustodyOut(
                action=event.action,
                actor=event.actor.username if event.actor else None,
                at=event.at,
                sha256=event.sha256,
                note=event.note,
            )
            for event in events
        ],
        next=cursor,
    )


def _visible_original(original_id: int | None) -> int | None:
    """An original the caller may see; any other id is refused like a missing one."""
    if original_id is not None:
        try:
            get_item(db.session, original_id, caller())
        except CaseMgrError:
            raise ValidationFailed(
                {"original_id": ["Choose another stored item as the original."]}
            ) from None
    return original_id


@api.route(
    "/evidence/<int:evidence_id>/manipulated",
    "POST",
    summary="Mark an item as doctored, saying how, and optionally its original",
    tag="evidence",
    body=ManipulatedBody,
    response=EvidenceOut,
    errors=(403, 404, 409),
)
def mark_evidence_manipulated(evidence_id: int, body: ManipulatedBody) -> EvidenceOut:
    item, case = _item_and_case(evidence_id, "evidence.add")
    original_id = _visible_original(body.original_id)
    with current_case_on_conflict(db.session):
        if case is not None:
            check_version(case, body.version)
        mark_manipulated(db.session, request_actor(), item, body.note, original_id)
    return _evidence_out(item)


@api.route(
    "/evidence/<int:evidence_id>/withdraw",
    "POST",
    summary="Withdraw an item from use; the file, its record and its custody stay",
    tag="evidence",
    body=WithdrawBody,
    response=EvidenceOut,
    errors=(403, 404, 409),
)
def withdraw_evidence(evidence_id: int, body: WithdrawBody) -> EvidenceOut:
    item, case = _item_and_case(evidence_id, "evidence.add")
    with current_case_on_conflict(db.session):
        if case is not None:
            check_version(case, body.version)
        withdraw(db.session, request_actor(), item, body.reason)
    return _evidence_out(item)


def _reference_photo_out(item: EvidenceItem, protectee: Protectee) -> ReferencePhotoOut:
    db.session.flush()
    return ReferencePhotoOut(
        evidence_id=item.id,
        protectee_id=protectee.id,
        caption=item.description,
        flags=item.flags,
        **{
            name: getattr(item, name)
            for name in ReferencePhotoOut.model_fields
            if name not in {"evidence_id", "protectee_id", "caption", "flags"}
        },
    )


@api.route(
    "/protectees/<int:protectee_id>/reference-photos",
    "POST",
    summary="Add a reference photo of a protectee; later images are matched against it",
    tag="people",
    form=ReferencePhotoUpload,
    response=ReferencePhotoOut,
    status=201,
    errors=(403, 404),
)
def add_reference_photo(
    protectee_id: int, form: ReferencePhotoUpload, upload: FileStorage
) -> ReferencePhotoOut:
    authorize(caller(), "protectee.manage")
    protectee = get_protectee(db.session, protectee_id)
    item = _take_in(upload, protectee=protectee, acquisition=Acquisition(form.caption))
    return _reference_photo_out(item, protectee)
