"""Keyset pagination with opaque cursors: stable under inserts, fast at any depth."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import TypeDecorator

from casemgr.api.schemas import ListQuery
from casemgr.audit.chain import json_safe
from casemgr.errors import ValidationFailed

Row = TypeVar("Row")
_BAD_CURSOR = "This cursor is not valid; start from the first page."


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
        raise ValidationFailed({"cursor": [_BAD_CURSOR]})
    return values


def _python_type(key: InstrumentedAttribute[Any]) -> type:
    column_type = key.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    try:
        return column_type.python_type
    except NotImplementedError:
        return object


def _key_value(key: InstrumentedAttribute[Any], value: Any) -> Any:
    """A cursor's value back in the key's Python type (datetimes travel as ISO text)."""
    expected = _python_type(key)
    if expected is datetime and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    elif isinstance(value, expected) and not isinstance(value, bool):
        return value
    raise ValidationFailed({"cursor": [_BAD_CURSOR]})


def paginate(
    session: Session,
    statement: Select[tuple[Row]],
    keys: Sequence[InstrumentedAttribute[Any]],
    query: ListQuery,
    *,
    descending: bool = False,
) -> tuple[list[Row], str | None]:
    """One page of `statement` in ascending (or, with `descending`, descending) order of
    `keys` (the last must be unique), and the cursor of the next page or None. The keys'
    order replaces any order the statement had."""
    if query.cursor:
        values = decode_cursor(query.cursor, len(keys))
        # Typed literals, so each value is bound the way its column stores it.
        after = tuple_(
            *(
                literal(_key_value(key, v), type_=key.type)
                for key, v in zip(keys, values, strict=True)
            )
        )
        position = tuple_(*keys)
        statement = statement.where(position < after if descending else position > after)
    order = [key.desc() for key in keys] if descending else list(keys)
    statement = statement.order_by(None).order_by(*order).limit(query.limit + 1)
    rows = list(session.scalars(statement))
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, key.key) for key in keys])
