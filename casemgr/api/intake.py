"""Intake: threats imported in bulk from a monitoring feed's CSV or JSON Lines export, and
an e-mail taken in as one threat with its evidence."""

from __future__ import annotations

from typing import Literal

from flask import request
from pydantic import BaseModel, ConfigDict, Field

from casemgr.api.blueprint import api
from casemgr.api.common import caller
from casemgr.api.registry import UnsupportedMediaType
from casemgr.auth.current import request_actor
from casemgr.cases.access import get_case_or_404
from casemgr.evidence.staging import current_store, ingest_settings
from casemgr.extensions import db
from casemgr.threats.email_intake import take_in_email
from casemgr.threats.feed_files import COLUMNS, FeedFormat, decode_feed, read_rows
from casemgr.threats.feeds import import_threats

FEED_TYPES: dict[str, FeedFormat] = {
    "text/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
}
_FEED = (
    "UTF-8 (a BOM is allowed). CSV with a header row, or JSON Lines (one object a line), "
    f"with the columns: {', '.join(COLUMNS)}; occurred_at and text are required."
)


class ImportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")  # as every query: a misspelt option is an error

    skip_bad: bool = Field(default=False, description="import the good rows and list the bad ones")


class RowProblem(BaseModel):
    line: int
    field: str
    message: str


class ImportOut(BaseModel):
    created: int
    skipped_duplicates: int
    errors: list[RowProblem] = Field(description="bad rows skipped with skip_bad")


@api.route(
    "/cases/<ref>/threats:import",
    "POST",
    summary="Import threats from a feed's CSV or JSON Lines; all or nothing unless skip_bad",
    tag="threats",
    query=ImportQuery,
    response=ImportOut,
    errors=(403, 404),
    raw_body={
        kind: {"type": "string", "description": _FEED}
        for kind in ("text/csv", "application/x-ndjson")
    },
)
def import_feed(ref: str, query: ImportQuery) -> ImportOut:
    case = get_case_or_404(db.session, ref, caller(), "threat.log")
    kind: Literal["csv", "jsonl"] | None = FEED_TYPES.get(request.mimetype)
    if kind is None:
        raise UnsupportedMediaType(
            "Send the feed as text/csv or application/x-ndjson (JSON Lines), in UTF-8."
        )
    rows = read_rows(decode_feed(request.get_data(cache=False)), kind)
    report = import_threats(db.session, request_actor(), case, rows, query.skip_bad)
    return ImportOut(
        created=report.created,
        skipped_duplicates=report.skipped_duplicates,
        errors=[RowProblem(**error.__dict__) for error in report.errors],
    )


class RefusedAttachmentOut(BaseModel):
    filename: str
    reason: str


class EmailOut(BaseModel):
    threat_id: int
    message_evidence_id: int = Field(description="the raw .eml, stored with its hash")
    attachment_evidence_ids: list[int]
    refused_attachments: list[RefusedAttachmentOut]


@api.route(
    "/cases/<ref>/threats:email",
    "POST",
    summary="Take an e-mail in as a threat, with the message and its attachments as evidence",
    tag="threats",
    response=EmailOut,
    status=201,
    errors=(403, 404),
    raw_body={
        "message/rfc822": {"type": "string", "description": "The raw message (.eml), as received."}
    },
)
def take_in_email_message(ref: str) -> EmailOut:
    case = get_case_or_404(db.session, ref, caller(), "threat.log")
    if request.mimetype != "message/rfc822":
        raise UnsupportedMediaType("Send the raw message (.eml) as message/rfc822.")
    intake = take_in_email(
        db.session,
        request_actor(),
        case,
        request.get_data(cache=False),
        current_store(),
        ingest_settings(),
    )
    return EmailOut(
        threat_id=intake.threat.id,
        message_evidence_id=intake.message_item.id,
        attachment_evidence_ids=[item.id for item in intake.attachment_items],
        refused_attachments=[RefusedAttachmentOut(**bad.__dict__) for bad in intake.refused],
    )
