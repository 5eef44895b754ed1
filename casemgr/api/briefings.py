"""Briefings and bundles: exported for a recipient under a handling mark, stored under their
SHA-256, recorded in the disclosure log, and downloadable byte for byte as generated."""

from __future__ import annotations

from typing import Literal

from flask import Response, url_for
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casemgr.api.blueprint import api
from casemgr.api.common import caller
from casemgr.api.pagination import paginate
from casemgr.api.schemas import Body, ListQuery, Page, RowId, UTCTime
from casemgr.briefings.models import Briefing
from casemgr.briefings.snapshot import SECTIONS
from casemgr.briefings.views import briefing_options, downloadable, export, send_disclosed
from casemgr.cases.access import get_case_or_404
from casemgr.cases.models import Case
from casemgr.extensions import db

Section = Literal[tuple(SECTIONS)]


class BriefingRequest(Body):
    recipient: str = Field(description="agency, unit and officer, as the cover names them")
    tlp: str = Field(
        description="the handling mark, one of the instance's scheme: TLP:RED, "
        "TLP:AMBER+STRICT, TLP:AMBER, TLP:GREEN, TLP:CLEAR (or OFFICIAL, OFFICIAL-SENSITIVE "
        "where CASEMGR_MARKING_SCHEME=government)"
    )
    sections: list[Section] | None = Field(default=None, description="absent: every section")
    include_private: bool = Field(default=False, description="protectees' private details")
    evidence_ids: list[RowId] | None = Field(
        default=None, description="items of the case; absent: every item not withdrawn"
    )


class BriefingOut(BaseModel):
    id: int
    kind: Literal["briefing", "bundle"]
    case: str  # ref
    case_version: int | None
    recipient: str
    marking: str
    sections: list[str]
    include_private: bool
    evidence_ids: list[int]
    sha256: str = Field(description="of the stored file, byte for byte as downloaded")
    size: int
    created_by: str | None
    created_at: UTCTime


def _briefing_out(briefing: Briefing, case: Case) -> BriefingOut:
    return BriefingOut(
        id=briefing.id,
        kind=briefing.kind,
        case=case.ref,
        case_version=briefing.case_version,
        recipient=briefing.recipient,
        marking=briefing.marking,
        sections=briefing.sections or [],
        include_private=briefing.include_private,
        evidence_ids=sorted(item.id for item in briefing.evidence),
        sha256=briefing.sha256,
        size=briefing.size,
        created_by=briefing.created_by.username if briefing.created_by else None,
        created_at=briefing.created_at,
    )


def _export(ref: str, body: BriefingRequest, kind: str) -> tuple[Briefing, Case]:
    user = caller()
    case = get_case_or_404(db.session, ref, user, "briefing.export")
    options = briefing_options(
        user, body.recipient, body.tlp, body.sections, body.include_private, body.evidence_ids
    )
    return export(case, options, kind), case


@api.route(
    "/cases/<ref>/briefings",
    "POST",
    summary="Render and store a briefing PDF for a recipient; recorded in the disclosure log",
    tag="briefings",
    body=BriefingRequest,
    response=BriefingOut,
    status=201,
    errors=(403, 404),
)
def create_briefing(ref: str, body: BriefingRequest) -> BriefingOut:
    briefing, case = _export(ref, body, "briefing")
    return _briefing_out(briefing, case)


@api.route(
    "/cases/<ref>/bundles",
    "POST",
    summary="Build, sign and store a sealed bundle (ZIP); the answer is the ZIP itself",
    tag="briefings",
    body=BriefingRequest,
    status=201,
    errors=(403, 404),
)
def create_bundle(ref: str, body: BriefingRequest) -> Response:
    briefing, case = _export(ref, body, "bundle")
    response = send_disclosed(briefing, case, "Generated and sent through the API.")
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_download_bundle", briefing_id=briefing.id)
    return response


@api.route(
    "/cases/<ref>/briefings",
    "GET",
    summary="The case's disclosure log: every briefing and bundle, oldest first",
    tag="briefings",
    query=ListQuery,
    response=Page[BriefingOut],
    errors=(404,),
)
def list_briefings(ref: str, query: ListQuery) -> Page[BriefingOut]:
    case = get_case_or_404(db.session, ref, caller())
    statement = (
        select(Briefing)
        .where(Briefing.case_id == case.id, Briefing.kind.in_(("briefing", "bundle")))
        .options(selectinload(Briefing.evidence), selectinload(Briefing.created_by))
    )
    briefings, cursor = paginate(db.session, statement, [Briefing.created_at, Briefing.id], query)
    return Page[BriefingOut](
        items=[_briefing_out(briefing, case) for briefing in briefings], next=cursor
    )


@api.route(
    "/briefings/<int:briefing_id>/pdf",
    "GET",
    summary="A briefing's PDF, byte for byte as generated, as an attachment",
    tag="briefings",
    errors=(403, 404),
)
def download_pdf(briefing_id: int) -> Response:
    briefing, case = downloadable(briefing_id, "briefing", caller())
    return send_disclosed(briefing, case, "Downloaded through the API.")


@api.route(
    "/briefings/<int:briefing_id>/bundle",
    "GET",
    summary="A bundle's ZIP, byte for byte as generated, as an attachment",
    tag="briefings",
    errors=(403, 404),
)
def download_bundle(briefing_id: int) -> Response:
    briefing, case = downloadable(briefing_id, "bundle", caller())
    return send_disclosed(briefing, case, "Downloaded through the API.")
