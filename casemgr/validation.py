"""Collects a service's validation failures, so a form or the API shows them all at once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from casemgr.errors import ValidationFailed
from casemgr.routing import ROW_ID_MAX

# No text column can hold NUL, and PostgreSQL refuses it even in a query's parameter.
NUL_MESSAGE = "Remove the NUL character (\\u0000); text cannot hold it."


def row_id(value: object) -> int | None:
    """A row id given as text ("12"); None for anything else: not plain ASCII digits
    ("²", "-1", "1e3") or beyond what the id columns hold (PostgreSQL `integer`)."""
    text = str(value)
    # Ten digits at most: int() of thousands of digits is refused by Python itself.
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= ROW_ID_MAX else None


def posted_version(value: object) -> int | None:
    """The case version a form was loaded with: None when absent or not a number; a number
    no version has (0, 10**30) becomes 0, so the write is refused as stale."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()):
        return None
    return row_id(text) or 0


class Checks:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def text(
        self, field: str, value: str | None, *, max_length: int, required: bool = False
    ) -> str:
        """The value as given (never trimmed), checked for presence, length and NUL bytes."""
        value = value or ""
        if required and not value.strip():
            self.fail(field, "This is required.")
        elif len(value) > max_length:
            self.fail(field, f"At most {max_length:,} characters, please ({len(value):,} given).")
        elif "\x00" in value:
            self.fail(field, NUL_MESSAGE)
        return value

    def choice(
        self, field: str, value: Any, choices: Iterable[Any], *, required: bool = True
    ) -> Any:
        allowed = list(choices)
        if value in (None, "") and not required:
            return None
        if value not in allowed:
            self.fail(field, f"Choose one of: {', '.join(str(choice) for choice in allowed)}.")
        return value

    def aware(
        self, field: str, value: datetime | None, *, required: bool = False
    ) -> datetime | None:
        if value is None:
            if required:
                self.fail(field, "This is required.")
            return None
        if value.tzinfo is None:
            self.fail(field, "Give a time zone with the time.")
            return value
        try:
            value.astimezone(UTC)  # stored in UTC: an offset must not push it past year 1-9999
        except OverflowError:
            self.fail(field, "This time is out of range.")
        return value

    def done(self) -> None:
        """Raise ValidationFailed when anything failed."""
        if self.errors:
            raise ValidationFailed(self.errors)
