"""The people pages: the protectee registry, and subjects of concern with their accounts.

Thin views: each builds the details from its form, calls the service in
`casemgr.people.protectees` or `casemgr.people.subjects`, and shows what it refused.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from casemgr.auth.current import current, request_actor
from casemgr.auth.permissions import authorize, can
from casemgr.cases.models import case_protectees
from casemgr.errors import Conflict, NotFound, ValidationFailed
from casemgr.evidence.forms import ReferencePhotoForm
from casemgr.evidence.operations import reference_photos
from casemgr.extensions import db
from casemgr.people.forms import (
    NO_SUBJECT,
    PICK_SUBJECT,
    AccountForm,
    MergeForm,
    ProtecteeForm,
    SubjectForm,
    subject_choices,
)
from casemgr.people.models import Account, Protectee, Subject
from casemgr.people.pages import linked_cases, subject_context
from casemgr.people.protectees import (
    all_staff,
    create_protectee,
    get_protectee,
    protectees,
    set_archived,
    update_protectee,
)
from casemgr.people.subjects import (
    add_account,
    create_subject,
    merge_subjects,
    subjects,
    update_account,
    update_subject,
)
from casemgr.people.visibility import shown_affiliations, visible_account, visible_subject
from casemgr.web import show_errors

bp = Blueprint("people", __name__)

Page = tuple[str, int]


@bp.context_processor
def page_helpers() -> dict[str, Any]:
    return {
        "may": lambda permission: can(current(), permission),
        # The case pages are built in another module; until they exist a ref is plain text.
        "case_pages": "cases.detail" in current_app.view_functions,
    }


def _page(template: str, status: int = 200, **context: Any) -> Page:
    return render_template(f"people/{template}", **context), status


def _form_status(form: Any) -> int:
    return 422 if form.is_submitted() else 200


# Protectees ------------------------------------------------------------------------------


def _protectee_form(stored: Protectee | None = None) -> ProtecteeForm:
    form = ProtecteeForm(obj=stored)
    if not can(current(), "protectee.private"):
        form.drop_private_fields()
    return form


@bp.route("/protectees")
def protectee_list() -> str:
    user = current()
    authorize(user, "read")
    if can(user, "protectee.manage"):
        all_staff(db.session, request_actor())
    show_archived = request.args.get("archived") == "1"
    found = protectees(db.session, include_archived=show_archived)
    return render_template("people/protectees.html", protectees=found, show_archived=show_archived)


@bp.route("/protectees/new", methods=["GET", "POST"])
def protectee_new() -> Response | Page:
    authorize(current(), "protectee.manage")
    form = _protectee_form()
    if not form.validate_on_submit():
        return _page("protectee_form.html", _form_status(form), form=form, protectee=None)
    try:
        protectee = create_protectee(db.session, request_actor(), form.details())
    except ValidationFailed as error:
        show_errors(form, error)
        return _page("protectee_form.html", 422, form=form, protectee=None)
    flash(f"Protectee {protectee.name} is added.", "success")
    return redirect(url_for(".protectee_detail", protectee_id=protectee.id))


@bp.route("/protectees/<int:protectee_id>")
def protectee_detail(protectee_id: int) -> str:
    user = current()
    authorize(user, "read")
    protectee = get_protectee(db.session, protectee_id)
    cases = linked_cases(db.session, case_protectees.c.protectee_id, protectee.id, user)
    return render_template(
        "people/protectee.html",
        protectee=protectee,
        cases=cases,
        reference_photos=reference_photos(db.session, protectee),
        reference_form=ReferencePhotoForm(formdata=None),
    )


@bp.route("/protectees/<int:protectee_id>/edit", methods=["GET", "POST"])
def protectee_edit(protectee_id: int) -> Response | Page:
    authorize(current(), "protectee.manage")
    protectee = get_protectee(db.session, protectee_id)
    form = _protectee_form(protectee)
    if not form.validate_on_submit():
        return _page("protectee_form.html", _form_status(form), form=form, protectee=protectee)
    try:
        update_protectee(db.session, request_actor(), protectee, form.details(protectee))
    except ValidationFailed as error:
        show_errors(form, error)
        return _page("protectee_form.html", 422, form=form, protectee=protectee)
    flash(f"Protectee {protectee.name} is saved.", "success")
    return redirect(url_for(".protectee_detail", protectee_id=protectee.id))


@bp.route("/protectees/<int:protectee_id>/archive", methods=["POST"])
def protectee_archive(protectee_id: int) -> Response:
    return _archive(protectee_id, archived=True)


@bp.route("/protectees/<int:protectee_id>/restore", methods=["POST"])
def protectee_restore(protectee_id: int) -> Response:
    return _archive(protectee_id, archived=False)


def _archive(protectee_id: int, archived: bool) -> Response:
    authorize(current(), "protectee.manage")
    protectee = get_protectee(db.session, protectee_id)
    set_archived(db.session, request_actor(), protectee, archived)
    flash(f"{protectee.name} is {'archived' if archived else 'restored'}.", "success")
    return redirect(url_for(".protectee_detail", protectee_id=protectee.id))


# Subjects --------------------------------------------------------------------------------


def _offer_affiliations(form: SubjectForm, subject: Subject | None) -> None:
    others = [
        other for other in subjects(db.session, current()) if subject is None or other != subject
    ]
    form.affiliation_id.choices = subject_choices(others, NO_SUBJECT)


def _subject_form_page(form: SubjectForm, subject: Subject | None, status: int) -> Page:
    return _page("subject_form.html", status, form=form, subject=subject)


@bp.route("/subjects")
def subject_list() -> str:
    user = current()
    authorize(user, "read")
    found = subjects(db.session, user)
    affiliations = shown_affiliations(db.session, user, found)
    return render_template("people/subjects.html", subjects=found, affiliations=affiliations)


@bp.route("/subjects/new", methods=["GET", "POST"])
def subject_new() -> Response | Page:
    authorize(current(), "subject.manage")
    form = SubjectForm()
    _offer_affiliations(form, None)
    if not form.validate_on_submit():
        return _subject_form_page(form, None, _form_status(form))
    try:
        subject = create_subject(db.session, request_actor(), form.details())
    except ValidationFailed as error:
        show_errors(form, error)
        return _subject_form_page(form, None, 422)
    flash(f"Subject {subject.name} is added.", "success")
    return redirect(url_for(".subject_detail", subject_id=subject.id))


@bp.route("/subjects/<int:subject_id>")
def subject_detail(subject_id: int) -> Page:
    authorize(current(), "read")
    return _subject_page(
        visible_subject(db.session, current(), subject_id), MergeForm(formdata=None)
    )


@bp.route("/subjects/<int:subject_id>/edit", methods=["GET", "POST"])
def subject_edit(subject_id: int) -> Response | Page:
    authorize(current(), "subject.manage")
    subject = visible_subject(db.session, current(), subject_id)
    form = SubjectForm() if request.method == "POST" else SubjectForm.for_subject(subject)
    _offer_affiliations(form, subject)
    if not form.validate_on_submit():
        return _subject_form_page(form, subject, _form_status(form))
    try:
        update_subject(db.session, request_actor(), subject, form.details())
    except ValidationFailed as error:
        show_errors(form, error)
        return _subject_form_page(form, subject, 422)
    flash(f"Subject {subject.name} is saved.", "success")
    return redirect(url_for(".subject_detail", subject_id=subject.id))


@bp.route("/subjects/<int:subject_id>/merge", methods=["POST"])
def subject_merge(subject_id: int) -> Response | Page:
    authorize(current(), "subject.manage")
    survivor = visible_subject(db.session, current(), subject_id)
    form = MergeForm()
    if not form.validate():
        return _subject_page(survivor, form, 422)
    other = visible_subject(db.session, current(), form.other_id.data)
    try:
        merge_subjects(db.session, request_actor(), survivor, other)
    except Conflict as error:
        form.other_id.errors = [*form.other_id.errors, error.detail]
        return _subject_page(survivor, form, error.status)
    flash(f"{other.name} is merged into {survivor.name}.", "success")
    return redirect(url_for(".subject_detail", subject_id=survivor.id))


def _subject_page(subject: Subject, merge_form: MergeForm, status: int = 200) -> Page:
    user = current()
    assert user is not None  # the login gate let the request in
    others = [other for other in subjects(db.session, current()) if other != subject]
    merge_form.other_id.choices = subject_choices(others, PICK_SUBJECT)
    context = subject_context(db.session, subject, user)
    return _page("subject.html", status, subject=subject, merge_form=merge_form, **context)


# Accounts --------------------------------------------------------------------------------


def _account_page(
    form: AccountForm, subject: Subject, account: Account | None, status: int
) -> Page:
    return _page("account_form.html", status, form=form, subject=subject, account=account)


@bp.route("/subjects/<int:subject_id>/accounts/new", methods=["GET", "POST"])
def account_new(subject_id: int) -> Response | Page:
    authorize(current(), "subject.manage")
    subject = visible_subject(db.session, current(), subject_id)
    form = AccountForm()
    if not form.validate_on_submit():
        return _account_page(form, subject, None, _form_status(form))
    try:
        account = add_account(db.session, request_actor(), subject, form.details())
    except ValidationFailed as error:
        show_errors(form, error)
        return _account_page(form, subject, None, 422)
    flash(f"Account {account.handle} on {account.platform} is added.", "success")
    return redirect(url_for(".subject_detail", subject_id=subject.id, _anchor="accounts"))


@bp.route("/subjects/<int:subject_id>/accounts/<int:account_id>/edit", methods=["GET", "POST"])
def account_edit(subject_id: int, account_id: int) -> Response | Page:
    authorize(current(), "subject.manage")
    account = visible_account(db.session, current(), account_id)
    if account.subject_id != subject_id:
        raise NotFound("No such account on this subject.")
    form = AccountForm(obj=account)
    if not form.validate_on_submit():
        return _account_page(form, account.subject, account, _form_status(form))
    try:
        update_account(db.session, request_actor(), account, form.details())
    except ValidationFailed as error:
        show_errors(form, error)
        return _account_page(form, account.subject, account, 422)
    flash(f"Account {account.handle} on {account.platform} is saved.", "success")
    return redirect(url_for(".subject_detail", subject_id=subject_id, _anchor="accounts"))
