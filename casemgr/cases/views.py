"""Case pages: the list, opening and editing a case, its page, workflow and assignment."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from casemgr.auth.current import current, request_actor
from casemgr.auth.models import User
from casemgr.auth.permissions import authorize
from casemgr.cases.access import get_case_or_404
from casemgr.cases.choices import case_owners, protectee_choices, subject_choices
from casemgr.cases.forms import AssignForm, CaseForm, TransitionForm
from casemgr.cases.listing import CaseFilters, capped_count, filtered_cases, sorted_cases
from casemgr.cases.models import Case
from casemgr.cases.operations import (
    CaseDetails,
    StaleVersion,
    assign_case,
    create_case,
    transition_case,
    update_case,
)
from casemgr.cases.page import case_page_context, filter_form
from casemgr.cases.page_cache import case_page
from casemgr.cases.workflow import STATUS_LABELS, next_statuses
from casemgr.errors import CaseMgrError, ValidationFailed
from casemgr.extensions import db
from casemgr.validation import posted_version, row_id
from casemgr.web import show_errors

bp = Blueprint("cases", __name__, url_prefix="/cases")
PER_PAGE = 50
# The cases a full-text filter counts (and pages through): a common word matches most.
SEARCH_COUNT_CAP = 1_000


def version_of(form: Any) -> int | None:
    return posted_version(form.version.data)


@bp.route("")
def index() -> str:
    user = current()
    authorize(user, "read")
    form = filter_form(request.args)
    filters = CaseFilters(
        status=form.status.data or None,
        owner=form.owner.data or None,
        protectee_id=int(form.protectee_id.data) if form.protectee_id.data else None,
        subject_id=int(form.subject_id.data) if form.subject_id.data else None,
        concern=form.concern.data or None,
        overdue=bool(form.overdue.data),
        pending_handoff=bool(form.pending_handoff.data),
        q=form.q.data or None,
    )
    statement = sorted_cases(filtered_cases(db.session, user, filters), form.sort.data or "")
    # Page numbers beyond a row id would make an OFFSET no database takes: the first page.
    number = row_id(request.args.get("page", "1")) or 1
    counted = not filters.q  # a full-text filter's count stops past SEARCH_COUNT_CAP
    page = db.paginate(statement, page=number, per_page=PER_PAGE, error_out=False, count=counted)
    more = False
    if not counted:
        total = capped_count(db.session, statement, SEARCH_COUNT_CAP + 1)
        page.total, more = min(total, SEARCH_COUNT_CAP), total > SEARCH_COUNT_CAP
    return render_template(
        "cases/index.html", form=form, page=page, more=more, labels=STATUS_LABELS
    )


def _case_form(case: Case | None = None, formdata: Any = "default") -> CaseForm:
    kwargs: dict[str, Any] = {} if formdata == "default" else {"formdata": formdata}
    form = CaseForm(obj=case, **kwargs)
    form.protectee_ids.choices = protectee_choices(db.session, case)
    form.subject_ids.choices = subject_choices(db.session, current())
    if case is not None and not form.is_submitted():
        form.protectee_ids.data = [p.id for p in case.protectees]
        form.subject_ids.data = [s.id for s in case.subjects]
        form.members.data = ", ".join(m.user.username for m in case.members if m.user)
        form.version.data = str(case.version)
    return form


def _details(form: CaseForm) -> CaseDetails:
    return CaseDetails(
        title=form.title.data or "",
        summary=form.summary.data or "",
        priority=form.priority.data or "normal",
        restricted=bool(form.restricted.data),
        next_review_at=form.next_review_at.data,
        protectee_ids=list(form.protectee_ids.data or []),
        subject_ids=list(form.subject_ids.data or []),
        members=[name for name in (form.members.data or "").split(",") if name.strip()],
    )


@bp.route("/new", methods=["GET", "POST"])
def create() -> Response | tuple[str, int]:
    user = current()
    authorize(user, "case.create")
    form = _case_form()
    if form.validate_on_submit():
        try:
            case = create_case(db.session, request_actor(), user, _details(form))
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(f"Case {case.ref} is open.", "success")
            return redirect(url_for("cases.detail", ref=case.ref))
    status = 422 if form.is_submitted() else 200
    return render_template("cases/form.html", form=form, case=None), status


@bp.route("/<ref>")
def detail(ref: str) -> str | bytes:
    return case_page(db.session, ref, current(), _render_case_page)


def _render_case_page(case: Case) -> str:
    return render_template("cases/detail.html", **case_page_context(case))


@bp.route("/<ref>/edit", methods=["GET", "POST"])
def edit(ref: str) -> Response | tuple[str, int]:
    case = get_case_or_404(db.session, ref, current(), "case.edit")
    form = _case_form(case)
    if form.validate_on_submit():
        try:
            update_case(db.session, request_actor(), case, _details(form), version_of(form))
        except StaleVersion as error:
            return _conflict_page(form, error.case)
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(f"{case.ref} is saved.", "success")
            return redirect(url_for("cases.detail", ref=case.ref))
    status = 422 if form.is_submitted() else 200
    return render_template("cases/form.html", form=form, case=case), status


def _conflict_page(form: CaseForm, case: Case) -> tuple[str, int]:
    """Show what changed meanwhile, keep the user's input, and arm the form with the
    current version so saving again is a conscious overwrite."""
    db.session.rollback()
    current_form = _case_form(case, formdata=None)
    differences = [
        (field.label.text, field.data, current_form[field.name].data)
        for field in form
        if field.name not in ("version", "submit", "csrf_token")
        and field.data != current_form[field.name].data
    ]
    form.version.data = str(case.version)
    page = render_template("cases/conflict.html", form=form, case=case, differences=differences)
    return page, 409


def refused_page(case: Case, error: CaseMgrError, **forms: Any) -> tuple[str, int]:
    db.session.rollback()
    for form in forms.values():
        if isinstance(error, ValidationFailed):
            show_errors(form, error)
        else:
            form.form_errors.append(error.detail)
    return render_template("cases/detail.html", **case_page_context(case, **forms)), error.status


@bp.route("/<ref>/transition", methods=["POST"])
def transition(ref: str) -> Response | tuple[str, int]:
    user = current()
    case = get_case_or_404(db.session, ref, user, "case.transition")
    form = TransitionForm()
    form.to.choices = [(status, STATUS_LABELS[status]) for status in next_statuses(case.status)]
    try:
        form.refuse_nul()
        transition_case(
            db.session,
            request_actor(),
            user.role,
            case,
            form.to.data or "",
            form.reason.data or "",
            version_of(form),
        )
    except CaseMgrError as error:
        return refused_page(case, error, transition_form=form)
    flash(f"{case.ref} is now {STATUS_LABELS[case.status].lower()}.", "success")
    return redirect(url_for("cases.detail", ref=case.ref))


@bp.route("/<ref>/assign", methods=["POST"])
def assign(ref: str) -> Response | tuple[str, int]:
    case = get_case_or_404(db.session, ref, current(), "case.assign")
    form = AssignForm()
    form.owner.choices = case_owners(db.session)
    try:
        form.refuse_nul()
        owner = db.session.scalar(select(User).where(User.username == (form.owner.data or "")))
        if owner is None:
            raise ValidationFailed({"owner": ["Choose a user."]})
        assign_case(db.session, request_actor(), case, owner)
    except CaseMgrError as error:
        return refused_page(case, error, assign_form=form)
    flash(f"{case.ref} is assigned to {owner.username}.", "success")
    return redirect(url_for("cases.detail", ref=case.ref))
