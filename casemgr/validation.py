"""Collects a service's validation failures, so a form or the API shows them all at once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from casemgr.errors import ValidationFailed


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
            self.fail(field, "NUL characters are not allowed.")
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

    def done(self) -> None:
        """Raise ValidationFailed when anything failed."""
        if self.errors:
            raise ValidationFailed(self.errors)
