"""Forms for taking evidence in and for what analysts record about an item."""

from __future__ import annotations

from wtforms import (
    MultipleFileField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from casemgr.forms import Form, ZonedDateTimeField

METHODS = [
    "",
    "screenshot",
    "download",
    "received by e-mail",
    "received by post",
    "handed over",
    "photographed",
    "exported from platform",
    "other",
]


class UploadForm(Form):
    files = MultipleFileField("Files", description="One or several; each is kept exactly as sent.")
    description = TextAreaField("Description", validators=[Length(max=5000)])
    threat_id = SelectField("About threat", choices=[], default="", validate_choice=False)
    acquired_at = ZonedDateTimeField("Collected at", validators=[Optional()])
    acquired_by = StringField("Collected by", validators=[Length(max=200)])
    method = SelectField(
        "How", choices=[SelectChoice(m, m.capitalize() or "—") for m in METHODS], default=""
    )
    source_url = StringField(
        "Source URL (kept as text, never opened)", validators=[Length(max=2000)]
    )
    submit = SubmitField("Upload")


class ReferencePhotoForm(Form):
    files = MultipleFileField("Reference photos")
    description = StringField("Caption", validators=[Length(max=5000)])
    submit = SubmitField("Add reference photos")


class ManipulatedForm(Form):
    note = TextAreaField(
        "What was changed",
        validators=[DataRequired(), Length(max=5000)],
        description="For example: crosshairs drawn on the face.",
    )
    original_id = SelectField("Original", choices=[], default="", validate_choice=False)
    submit = SubmitField("Mark as manipulated")


class WithdrawForm(Form):
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=5000)])
    submit = SubmitField("Withdraw item")


class TransferForm(Form):
    recipient = StringField(
        "Handed to",
        validators=[DataRequired(), Length(max=300)],
        description="Agency, unit, officer.",
    )
    # Its own id: the manipulation form on the same page has a note too.
    note = TextAreaField("Note", validators=[Length(max=5000)], id="transfer-note")
    submit = SubmitField("Record transfer")


class LikenessForm(Form):
    subject_id = SelectField(
        "This image shows",
        choices=[],
        default="",
        validate_choice=False,
        description="The photo a BOLO sheet prints for that subject.",
    )
    submit = SubmitField("Save likeness")
