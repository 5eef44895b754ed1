"""Logging, reading and editing threats in the browser."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from casemgr.auth.current import current, request_actor
from casemgr.auth.permissions import can
from casemgr.cases.access import get_case_or_404
from casemgr.cases.choices import protectee_choices, subject_choices
from casemgr.cases.models import Case
from casemgr.cases.operations import StaleVersion
from casemgr.cases.views import version_of
from casemgr.errors import CaseMgrError, ValidationFailed
from casemgr.extensions import db
from casemgr.people.models import Account, Subject
from casemgr.people.subjects import AccountDetails, add_account
from casemgr.people.visibility import visible_subject_condition
from casemgr.threats.forms import GRADING_MEANINGS, NEW_ACCOUNT, ThreatForm
from casemgr.threats.models import Threat
from casemgr.threats.operations import ThreatDetails, edit_threat, get_threat, log_threat
from casemgr.validation import row_id
from casemgr.web import show_errors

bp = Blueprint("threats", __name__)


def _account_choices(case: Case) -> list[SelectChoice]:
    """The accounts of the case's subjects first, then every other account."""
    accounts = db.session.scalars(
        select(Account)
        .join(Subject)
        .where(visible_subject_condition(current()))
        .options(selectinload(Account.subject))
        .order_by(Subject.name, Account.platform, Account.handle)
    ).all()
    linked = {subject.id for subject in case.subjects}
    ordered = sorted(accounts, key=lambda account: account.subject_id not in linked)
    return [
        SelectChoice("", "No account / unknown"),
        SelectChoice(NEW_ACCOUNT, "Add a new account…"),
    ] + [
        SelectChoice(str(a.id), f"{a.platform} {a.handle} ({a.status}) — {a.subject.name}")
        for a in ordered
    ]


def _threat_form(case: Case, threat: Threat | None = None) -> ThreatForm:
    form = ThreatForm(obj=threat)
    form.account_id.choices = _account_choices(case)
    form.new_account_subject.choices = subject_choices(db.session, current())
    form.target_ids.choices = protectee_choices(db.session)
    if threat is not None and not form.is_submitted():
        form.account_id.data = str(threat.account_id or "")
        form.target_ids.data = [target.id for target in threat.targets]
        for name in ("grading_source", "grading_information", "grading_handling"):
            form[name].data = getattr(threat, name) or ""
    if not form.is_submitted():
        form.version.data = str(case.version)
    return form


def _account_id(form: ThreatForm) -> int | None:
    """The chosen account, or the new one added inline (in the same transaction)."""
    if form.account_id.data != NEW_ACCOUNT:
        account_id = row_id(form.account_id.data)
        if form.account_id.data and account_id is None:
            raise ValidationFailed({"account_id": ["Choose an account from the list."]})
        return account_id
    chosen = row_id(form.new_account_subject.data)
    subject = db.session.get(Subject, chosen) if chosen else None
    if subject is None:
        raise ValidationFailed({"new_account_subject": ["Choose whose account it is."]})
    details = AccountDetails(
        platform=form.new_account_platform.data or "",
        handle=form.new_account_handle.data or "",
        url=form.new_account_url.data or "",
        status=form.new_account_status.data or "active",
    )
    try:
        return add_account(db.session, request_actor(), subject, details).id
    except ValidationFailed as error:
        renamed = {f"new_account_{name}": msgs for name, msgs in error.errors.items()}
        raise ValidationFailed(renamed) from None


def _details(form: ThreatForm) -> ThreatDetails:
    return ThreatDetails(
        occurred_at=form.occurred_at.data,
        reported_at=form.reported_at.data,
        reported_by=form.reported_by.data or "",
        channel=form.channel.data or "",
        platform=form.platform.data or "",
        account_id=_account_id(form),
        text=form.text.data or "",
        translation=form.translation.data or "",
        language=form.language.data or "",
        threat_type=form.threat_type.data or "",
        target_ids=list(form.target_ids.data or []),
        location=form.location.data or "",
        source_url=form.source_url.data or "",
        grading_source=form.grading_source.data or None,
        grading_information=form.grading_information.data or None,
        grading_handling=form.grading_handling.data or None,
        notes=form.notes.data or "",
    )


def _form_page(form: ThreatForm, case: Case, threat: Threat | None, status: int) -> tuple[str, int]:
    page = render_template(
        "threats/form.html", form=form, case=case, threat=threat, meanings=GRADING_MEANINGS
    )
    return page, status


def _save(form: ThreatForm, case: Case, threat: Threat | None) -> Threat | None:
    """Run the service; on refusal put the messages on the form and return None."""
    try:
        details = _details(form)
        if threat is None:
            return log_threat(db.session, request_actor(), case, details, version_of(form))
        return edit_threat(db.session, request_actor(), case, threat, details, version_of(form))
    except StaleVersion as error:
        db.session.rollback()
        form.version.data = str(error.case.version)
        form.form_errors.append(f"{error.detail} Your text is kept below.")
    except CaseMgrError as error:
        db.session.rollback()
        if isinstance(error, ValidationFailed):
            show_errors(form, error)
        else:
            form.form_errors.append(error.detail)
    return None


@bp.route("/cases/<ref>/threats/new", methods=["GET", "POST"])
def create(ref: str) -> Response | tuple[str, int]:
    case = get_case_or_404(db.session, ref, current(), "threat.log")
    form = _threat_form(case)
    if form.validate_on_submit():
        threat = _save(form, case, None)
        if threat is not None:
            flash("Threat logged.", "success")
            return redirect(url_for("cases.detail", ref=case.ref) + "#threats")
    return _form_page(form, case, None, 422 if form.is_submitted() else 200)


@bp.route("/threats/<int:threat_id>")
def detail(threat_id: int) -> str:
    threat = get_threat(db.session, threat_id)
    case = get_case_or_404(db.session, db.session.get(Case, threat.case_id).ref, current())
    return render_template(
        "threats/detail.html",
        threat=threat,
        case=case,
        meanings=GRADING_MEANINGS,
        may_edit=can(current(), "threat.log", case),
    )


@bp.route("/threats/<int:threat_id>/edit", methods=["GET", "POST"])
def edit(threat_id: int) -> Response | tuple[str, int]:
    threat = get_threat(db.session, threat_id)
    case = get_case_or_404(
        db.session, db.session.get(Case, threat.case_id).ref, current(), "threat.log"
    )
    form = _threat_form(case, threat)
    if form.validate_on_submit() and _save(form, case, threat) is not None:
        flash("Threat saved; the earlier version is kept in its history.", "success")
        return redirect(url_for("threats.detail", threat_id=threat.id))
    return _form_page(form, case, threat, 422 if form.is_submitted() else 200)
