"""Keyset pagination with opaque cursors: stable under inserts, fast at any depth."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from casemgr.api.schemas import ListQuery
from casemgr.audit.chain import json_safe
from casemgr.errors import ValidationFailed

Row = TypeVar("Row")


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([json_safe(value) for value in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    """The key values a cursor holds; a cursor that was not ours is a 422."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        values = None
    if not isinstance(values, list) or len(values) != width:
        raise ValidationFailed({"cursor": ["This cursor is not valid; start from the first page."]})
    return values


def paginate(
    session: Session,
    statement: Select[tuple[Row]],
    keys: Sequence[InstrumentedAttribute[Any]],
    query: ListQuery,
) -> tuple[list[Row], str | None]:
    """One page of `statement` in ascending order of `keys` (the last must be unique),
    and the cursor of the next page or None."""
    if query.cursor:
        after = decode_cursor(query.cursor, len(keys))
        statement = statement.where(tuple_(*keys) > tuple_(*after))
    rows = list(session.scalars(statement.order_by(*keys).limit(query.limit + 1)))
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, key.key) for key in keys])
