"""Form pieces every module uses: times in the user's zone, and id pickers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_login import current_user
from wtforms import DateTimeLocalField, SelectMultipleField
from wtforms.widgets import Select


def user_zone() -> ZoneInfo:
    """The logged-in user's time zone (UTC when unset or unknown)."""
    name = getattr(current_user, "timezone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(value: datetime | None) -> datetime | None:
    return value.astimezone(user_zone()) if value is not None else None


class ZonedDateTimeField(DateTimeLocalField):
    """A date and time typed in the user's zone; `data` is an aware UTC datetime."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = self.data.replace(tzinfo=user_zone()).astimezone(UTC)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        shown = local_time(self.data)
        return shown.strftime("%Y-%m-%dT%H:%M") if shown else ""


class IdMultipleField(SelectMultipleField):
    """A multiple choice of database ids; choices are set by the view."""

    widget = Select(multiple=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("choices", [])
        super().__init__(*args, **kwargs)
