"""The start page: what needs a person's attention."""

from __future__ import annotations

from flask import Blueprint, render_template

from casemgr.auth.current import current
from casemgr.auth.permissions import authorize
from casemgr.cases.models import CONCERN_LEVELS
from casemgr.dashboard.chart import weekly_chart
from casemgr.dashboard.queries import dashboard
from casemgr.extensions import db

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def index() -> str:
    user = current()
    authorize(user, "read")
    board = dashboard(db.session, user)
    chart = weekly_chart(board.weekly, board.now)
    return render_template("dashboard/index.html", board=board, chart=chart, levels=CONCERN_LEVELS)
