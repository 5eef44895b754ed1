"""Case pages for the work around a case: handoffs, tasks and referrals."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from casemgr.auth.current import current, request_actor
from casemgr.auth.models import User
from casemgr.cases.access import get_case_or_404
from casemgr.cases.actions import (
    ReferralDetails,
    create_task,
    get_task,
    refer_case,
    set_task_status,
)
from casemgr.cases.choices import case_owners
from casemgr.cases.forms import DeclineForm, HandoffForm, ReferralForm, TaskForm
from casemgr.cases.handoffs import (
    Brief,
    accept_handoff,
    cancel_handoff,
    create_handoff,
    decline_handoff,
    get_handoff,
)
from casemgr.cases.models import Case, Handoff
from casemgr.cases.views import bp, refused_page, version_of
from casemgr.errors import CaseMgrError, ValidationFailed
from casemgr.extensions import db
from casemgr.web import show_errors


def _user_named(username: str | None) -> User | None:
    if not username:
        return None
    return db.session.scalar(select(User).where(User.username == username))


@bp.route("/<ref>/handoffs", methods=["POST"])
def hand_off(ref: str) -> Response | tuple[str, int]:
    giver = current()
    case = get_case_or_404(db.session, ref, giver, "handoff.own")
    form = HandoffForm()
    form.to_user.choices = case_owners(db.session)
    brief = Brief(form.situation.data or "", form.concern.data or "", form.next_steps.data or "")
    try:
        form.refuse_nul()
        create_handoff(
            db.session,
            request_actor(),
            giver,
            case,
            _user_named(form.to_user.data),
            brief,
            version_of(form),
        )
    except CaseMgrError as error:
        return refused_page(case, error, handoff_form=form)
    flash(f"Handoff offered to {form.to_user.data}; you own {case.ref} until they accept.", "info")
    return redirect(url_for("cases.detail", ref=case.ref))


def _handoff_and_case(handoff_id: int) -> tuple[Handoff, Case]:
    handoff = get_handoff(db.session, handoff_id)
    case = get_case_or_404(db.session, handoff.case.ref, current())
    return handoff, case


@bp.route("/handoffs/<int:handoff_id>")
def handoff(handoff_id: int) -> str:
    handoff, case = _handoff_and_case(handoff_id)
    return render_template(
        "cases/handoff.html", handoff=handoff, case=case, decline_form=DeclineForm(formdata=None)
    )


@bp.route("/handoffs/<int:handoff_id>/accept", methods=["POST"])
def accept(handoff_id: int) -> Response:
    handoff, case = _handoff_and_case(handoff_id)
    accept_handoff(db.session, request_actor(), current(), handoff)
    flash(f"You own {case.ref} now.", "success")
    return redirect(url_for("cases.detail", ref=case.ref))


@bp.route("/handoffs/<int:handoff_id>/decline", methods=["POST"])
def decline(handoff_id: int) -> Response | tuple[str, int]:
    handoff, case = _handoff_and_case(handoff_id)
    form = DeclineForm()
    try:
        decline_handoff(db.session, request_actor(), current(), handoff, form.reason.data or "")
    except ValidationFailed as error:
        db.session.rollback()
        show_errors(form, error)
        page = render_template("cases/handoff.html", handoff=handoff, case=case, decline_form=form)
        return page, error.status
    flash(f"Handoff of {case.ref} declined.", "info")
    return redirect(url_for("dashboard.index"))


@bp.route("/handoffs/<int:handoff_id>/cancel", methods=["POST"])
def cancel(handoff_id: int) -> Response:
    handoff, case = _handoff_and_case(handoff_id)
    cancel_handoff(db.session, request_actor(), current(), handoff)
    flash("Handoff withdrawn.", "info")
    return redirect(url_for("cases.detail", ref=case.ref))


@bp.route("/<ref>/tasks", methods=["POST"])
def add_task(ref: str) -> Response | tuple[str, int]:
    case = get_case_or_404(db.session, ref, current(), "task.manage")
    form = TaskForm()
    form.owner.choices = case_owners(db.session, blank="Nobody yet")
    try:
        if not form.validate():
            raise ValidationFailed({name: list(errors) for name, errors in form.errors.items()})
        create_task(
            db.session,
            request_actor(),
            case,
            form.title.data or "",
            _user_named(form.owner.data),
            form.due_at.data,
        )
    except CaseMgrError as error:
        return refused_page(case, error, task_form=form)
    flash("Task added.", "success")
    return redirect(url_for("cases.detail", ref=case.ref) + "#tasks")


@bp.route("/<ref>/tasks/<int:task_id>/status", methods=["POST"])
def task_status(ref: str, task_id: int) -> Response:
    case = get_case_or_404(db.session, ref, current(), "task.manage")
    task = get_task(db.session, case, task_id)
    set_task_status(db.session, request_actor(), case, task, request.form.get("status", ""))
    return redirect(url_for("cases.detail", ref=case.ref) + "#tasks")


@bp.route("/<ref>/referrals", methods=["GET", "POST"])
def referral(ref: str) -> Response | tuple[str, int]:
    user = current()
    case = get_case_or_404(db.session, ref, user, "case.refer")
    form = ReferralForm(version=str(case.version))
    if form.validate_on_submit():
        details = ReferralDetails(
            agency=form.agency.data or "",
            unit=form.unit.data or "",
            officer=form.officer.data or "",
            contact=form.contact.data or "",
            reference=form.reference.data or "",
            referred_at=form.referred_at.data,
            notes=form.notes.data or "",
        )
        try:
            refer_case(db.session, request_actor(), user.role, case, details, version_of(form))
        except CaseMgrError as error:
            db.session.rollback()
            if isinstance(error, ValidationFailed):
                show_errors(form, error)
            else:
                form.form_errors.append(error.detail)
            return render_template("cases/referral.html", form=form, case=case), error.status
        flash(f"{case.ref} is referred to {details.agency}.", "success")
        return redirect(url_for("cases.detail", ref=case.ref))
    status = 422 if form.is_submitted() else 200
    return render_template("cases/referral.html", form=form, case=case), status
