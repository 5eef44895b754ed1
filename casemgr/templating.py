"""Jinja filters shared by every page."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from markupsafe import Markup, escape

from casemgr.forms import local_time

_NO_TIME = Markup('<span class="text-body-secondary">—</span>')


def time_tag(value: datetime | None, with_zone: bool = True) -> Markup:
    """A <time> in the user's zone, with UTC on hover."""
    if value is None:
        return _NO_TIME
    shown = local_time(value)
    assert shown is not None
    zone = f" {escape(shown.tzname())}" if with_zone else ""
    # Built directly (a busy page holds thousands): only the zone's name is free text, and
    # it is escaped; the rest is the datetime's own formatting.
    return Markup(  # noqa: S704
        f'<time datetime="{value.isoformat()}" title="{value:%Y-%m-%d %H:%M} UTC">'
        f"{shown:%Y-%m-%d %H:%M}{zone}</time>"
    )


def install_filters(app: Flask) -> None:
    app.add_template_filter(time_tag, "when")
