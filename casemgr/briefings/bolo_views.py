"""The BOLO sheet of a subject in the browser: a short form (mark, what to do on sight,
recipient) that answers with the one-page PDF as an attachment."""

from __future__ import annotations

import io

from flask import Blueprint, render_template, send_file
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from casemgr.auth.current import current, request_actor
from casemgr.auth.permissions import authorize
from casemgr.auth.recent import recent_login_required
from casemgr.briefings.bolo import (
    DEFAULT_ON_SIGHT,
    DEFAULT_RECIPIENT,
    ON_SIGHT_LINES,
    ON_SIGHT_MAX,
    export_bolo,
    likeness_photo,
)
from casemgr.briefings.marking import marks
from casemgr.briefings.settings import current_export_settings
from casemgr.cases.models import case_subjects
from casemgr.errors import CaseMgrError, ValidationFailed
from casemgr.evidence.staging import current_store
from casemgr.extensions import db
from casemgr.forms import Form
from casemgr.people.models import Subject
from casemgr.people.pages import linked_cases
from casemgr.people.visibility import visible_subject
from casemgr.web import show_errors

bp = Blueprint("bolo", __name__)
PREFERRED_MARK = "TLP:AMBER+STRICT"  # the recipient's organisation only: desk and detail


class BoloForm(Form):
    marking = SelectField("Handling mark", choices=[], validate_choice=False)
    on_sight = TextAreaField(
        "What to do on sight",
        validators=[DataRequired(), Length(max=ON_SIGHT_MAX)],
        default=DEFAULT_ON_SIGHT,
        description=f"Printed large in the middle of the sheet: at most {ON_SIGHT_LINES} lines.",
    )
    recipient = StringField(
        "For", validators=[DataRequired(), Length(max=300)], default=DEFAULT_RECIPIENT
    )
    submit = SubmitField("Make the BOLO sheet (PDF)")


def _form(scheme: str) -> BoloForm:
    form = BoloForm()
    choices = list(marks(scheme))
    form.marking.choices = [(mark, mark) for mark in choices]
    if not form.is_submitted():
        form.marking.data = PREFERRED_MARK if PREFERRED_MARK in choices else choices[0]
    return form


def _page(subject: Subject, form: BoloForm, status: int = 200) -> tuple[str, int]:
    user = current()
    cases = linked_cases(db.session, case_subjects.c.subject_id, subject.id, user)
    page = render_template(
        "briefings/bolo_form.html",
        subject=subject,
        form=form,
        cases=cases,
        photo=likeness_photo(db.session, subject, cases, current_store()),
        rules=marks(current_export_settings().marking_scheme),
    )
    return page, status


@bp.route("/subjects/<int:subject_id>/bolo", methods=["GET", "POST"])
@recent_login_required
def bolo(subject_id: int) -> Response | tuple[str, int]:
    user = current()
    subject = visible_subject(db.session, user, subject_id)
    authorize(user, "briefing.export")
    settings = current_export_settings()
    form = _form(settings.marking_scheme)
    if not form.validate_on_submit():
        return _page(subject, form, 422 if form.is_submitted() else 200)
    try:
        briefing, pdf = export_bolo(
            db.session,
            request_actor(),
            user,
            subject,
            form.marking.data or "",
            current_store(),
            settings,
            form.on_sight.data or "",
            form.recipient.data or "",
        )
    except CaseMgrError as error:
        db.session.rollback()
        if isinstance(error, ValidationFailed):
            show_errors(form, error)
        else:
            form.form_errors.append(error.detail)
        return _page(subject, form, error.status)
    return send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"bolo-subject-{subject.id}-{briefing.created_at:%Y%m%d-%H%M}.pdf",
    )
