"""The start page: what needs a person's attention."""

from __future__ import annotations

from flask import Blueprint, render_template

from casemgr.auth.current import current
from casemgr.auth.permissions import authorize

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def index() -> str:
    authorize(current(), "read")
    return render_template("dashboard/index.html")
