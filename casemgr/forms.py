"""Form pieces every module uses: the base form, times in the user's zone, and id pickers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectMultipleField
from wtforms.widgets import Select

from casemgr.errors import ValidationFailed
from casemgr.validation import NUL_MESSAGE


def user_zone() -> ZoneInfo:
    """The logged-in user's time zone (UTC when unset or unknown)."""
    name = getattr(current_user, "timezone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(value: datetime | None) -> datetime | None:
    return value.astimezone(user_zone()) if value is not None else None


class Form(FlaskForm):
    """The base of every form: text holding a NUL character is refused beside its field,
    whatever the field (no column can store it, and PostgreSQL refuses it in a query)."""

    def nul_errors(self) -> dict[str, list[str]]:
        """The fields whose submitted text holds NUL, with the message for each."""
        return {
            field.name: [NUL_MESSAGE]
            for field in self
            if any(isinstance(raw, str) and "\x00" in raw for raw in field.raw_data or ())
        }

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        refused = self.nul_errors()
        for name, messages in refused.items():
            self[name].errors = [*self[name].errors, *messages]
        return valid and not refused

    def refuse_nul(self) -> None:
        """For views that pass fields to a service without `validate()`: ValidationFailed."""
        refused = self.nul_errors()
        if refused:
            raise ValidationFailed(refused)


class ZonedDateTimeField(DateTimeLocalField):
    """A date and time typed in the user's zone; `data` is an aware UTC datetime."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None:
            try:
                self.data = self.data.replace(tzinfo=user_zone()).astimezone(UTC)
            except OverflowError:  # 9999-12-31 23:59 west of UTC is in year 10000
                self.data = None
                raise ValueError("This time is out of range.") from None

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
