"""The search page: cases, threats, subjects and accounts matching a few words."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casemgr.auth.current import current
from casemgr.auth.permissions import authorize, visible_case_condition
from casemgr.cases.listing import SORT_ORDERS, CaseFilters, filtered_cases
from casemgr.cases.models import Case
from casemgr.extensions import db
from casemgr.people.models import Subject
from casemgr.people.visibility import visible_subject_condition
from casemgr.search.query import matching_documents
from casemgr.threats.models import Threat

bp = Blueprint("search", __name__)
LIMIT = 50


@bp.route("/search")
def index() -> str:
    user = current()
    authorize(user, "read")
    query = request.args.get("q", "")[:200]
    documents = matching_documents(db.session, query)
    results: dict[str, list] = {"cases": [], "threats": [], "subjects": []}
    if documents is not None:
        hits = documents.subquery()
        # Newest first, as the case list; a hit shows no owner, protectees or subjects, so
        # none are loaded (sorted_cases would load them).
        matching_cases = filtered_cases(db.session, user, CaseFilters(q=query))
        results["cases"] = db.session.scalars(
            matching_cases.order_by(*SORT_ORDERS["updated"]).limit(LIMIT)
        ).all()
        threat_ids = select(hits.c.object_id).where(hits.c.kind == "threat")
        results["threats"] = db.session.execute(
            select(Threat, Case.ref)
            .join(Case, Case.id == Threat.case_id)
            .where(Threat.id.in_(threat_ids), visible_case_condition(user))
            .order_by(Threat.occurred_at.desc())
            .limit(LIMIT)
        ).all()
        subject_ids = select(hits.c.subject_id).where(hits.c.subject_id.is_not(None))
        results["subjects"] = db.session.scalars(
            select(Subject)
            .where(Subject.id.in_(subject_ids), visible_subject_condition(user))
            .options(selectinload(Subject.accounts), selectinload(Subject.aliases))
            .order_by(Subject.name)
            .limit(LIMIT)
        ).all()
    return render_template("search/index.html", query=query, results=results)
