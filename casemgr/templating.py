"""Jinja filters shared by every page."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from markupsafe import Markup

from casemgr.forms import local_time


def time_tag(value: datetime | None, with_zone: bool = True) -> Markup:
    """A <time> in the user's zone, with UTC on hover."""
    if value is None:
        return Markup('<span class="text-body-secondary">—</span>')
    shown = local_time(value)
    assert shown is not None
    text = shown.strftime("%Y-%m-%d %H:%M") + (f" {shown.tzname()}" if with_zone else "")
    utc = value.strftime("%Y-%m-%d %H:%M UTC")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(value.isoformat(), utc, text)


def install_filters(app: Flask) -> None:
    app.add_template_filter(time_tag, "when")
