"""Schemas shared by every endpoint: problems and pages of a list."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from casemgr.routing import ROW_ID_MAX

Item = TypeVar("Item")

# A row id (or a case version) sent by a client: the range the database column holds.
RowId = Annotated[int, Field(ge=1, le=ROW_ID_MAX)]


class Problem(BaseModel):
    """An RFC 9457 problem; `errors` maps fields to messages on validation failures."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]] | None = None


class ListQuery(BaseModel):
    """Paging for every list: `?limit=` (1-200, default 50) and the opaque `?cursor=`.
    Unknown parameters are refused, so a misspelt filter does not silently list everything."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=500)


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next: str | None


class Body(BaseModel):
    """A request body: unknown fields are refused, so a misspelt one is not silently lost."""

    model_config = ConfigDict(extra="forbid")


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def unchanged_when_absent(**constraints: Any) -> Any:
    """A PATCH field that may not be null: absent leaves the stored value as it is."""
    return Field(default=None, json_schema_extra=_without_default, **constraints)


def _in_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# RFC 3339's date-time (seconds may be left out, as pydantic allowed): an offset is hours and
# minutes, which Python's parser alone would take with seconds too.
_DATE_AND_TIME = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(:\d\d(\.\d+)?)?([Zz]|[+-]\d\d:\d\d)")


def _written_as_date_and_time(value: object) -> object:
    """RFC 3339 text as a datetime, read here because pydantic reads a string of digits
    ("20") as seconds since 1970: a client sending that has made a mistake. Anything but
    text is left to pydantic (which refuses it)."""
    if not isinstance(value, str):
        return value
    with contextlib.suppress(ValueError):
        if _DATE_AND_TIME.fullmatch(value):
            return datetime.fromisoformat(value.upper())  # RFC 3339 allows "t" and "z"
    raise ValueError("Give a date and time with its zone, such as 2026-11-29T08:30:00Z.")


# A time a client sends: RFC 3339 text with a zone.
SentTime = Annotated[AwareDatetime, BeforeValidator(_written_as_date_and_time)]


# An answer's time: always given in UTC (`Z`), whatever zone it was sent in.
UTCTime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
