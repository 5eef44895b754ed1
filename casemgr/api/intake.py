"""Feed intake: threats imported in bulk from a monitoring feed's CSV or JSON Lines export."""

from __future__ import annotations

from typing import Literal

from flask import request
from pydantic import BaseModel, Field

from casemgr.api.blueprint import api
from casemgr.api.common import caller
from casemgr.api.registry import UnsupportedMediaType
from casemgr.auth.current import request_actor
from casemgr.cases.access import get_case_or_404
from casemgr.extensions import db
from casemgr.threats.feeds import COLUMNS, FeedFormat, decode_feed, import_threats, read_rows

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
