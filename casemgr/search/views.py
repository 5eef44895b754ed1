"""The search page: cases, threats, subjects and accounts matching a few words."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from casemgr.auth.current import current
from casemgr.auth.permissions import authorize
from casemgr.extensions import db
from casemgr.search.results import search

bp = Blueprint("search", __name__)


@bp.route("/search")
def index() -> str:
    user = current()
    authorize(user, "read")
    query = request.args.get("q", "")[:200]
    results = search(db.session, user, query, current_app.config["CASEMGR_SEARCH_LIMIT"])
    return render_template("search/index.html", query=query, results=results)
