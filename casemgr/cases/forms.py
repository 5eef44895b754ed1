"""Forms of the case pages: the case itself, workflow, handoffs, tasks, referrals, filters."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from casemgr.cases.models import CONCERN_LEVELS, PRIORITIES
from casemgr.cases.workflow import STATUS_LABELS
from casemgr.forms import Form, IdMultipleField, ZonedDateTimeField


def choices(values: list[str] | tuple[str, ...], blank: str | None = None) -> list[SelectChoice]:
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(value, value.replace("_", " ").capitalize()) for value in values]


class CaseForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    summary = TextAreaField(
        "Summary", validators=[Length(max=20000)], description="The situation in a few sentences."
    )
    priority = SelectField("Priority", choices=choices(PRIORITIES), default="normal")
    next_review_at = ZonedDateTimeField("Next review", validators=[Optional()])
    protectee_ids = IdMultipleField("Protectees")
    subject_ids = IdMultipleField("Subjects")
    restricted = BooleanField("Restricted: only members, the owner and leads can see this case")
    members = StringField(
        "Members", validators=[Length(max=2000)], description="Usernames, separated by commas."
    )
    version = HiddenField()
    submit = SubmitField("Save case")


class TransitionForm(Form):
    to = SelectField("Move to", choices=[])
    reason = TextAreaField("Reason", validators=[Length(max=5000)])
    version = HiddenField()
    submit = SubmitField("Change status")


class AssignForm(Form):
    # Its own id: the task form on the same page has an owner field too.
    owner = SelectField("Owner", choices=[], id="assign-owner")
    version = HiddenField()
    submit = SubmitField("Assign")


class HandoffForm(Form):
    to_user = SelectField("Hand to", choices=[])
    situation = TextAreaField(
        "Situation", validators=[Length(max=10000)], description="Where the case stands."
    )
    concern = TextAreaField(
        "Current concern",
        validators=[Length(max=10000)],
        description="How worried we are, and why.",
    )
    next_steps = TextAreaField(
        "Next steps",
        validators=[Length(max=10000)],
        description="What the receiver should do first.",
    )
    version = HiddenField()
    submit = SubmitField("Offer handoff")


class DeclineForm(Form):
    reason = TextAreaField("Why you decline", validators=[Length(max=5000)])
    submit = SubmitField("Decline")


class TaskForm(Form):
    title = StringField("Protective action", validators=[DataRequired(), Length(max=300)])
    owner = SelectField("Owner", choices=[])
    due_at = ZonedDateTimeField("Due", validators=[Optional()])
    submit = SubmitField("Add task")


class ReferralForm(Form):
    agency = StringField("Agency", validators=[DataRequired(), Length(max=200)])
    unit = StringField("Unit", validators=[Length(max=200)])
    officer = StringField("Officer", validators=[Length(max=200)])
    contact = TextAreaField("Contact", validators=[Length(max=2000)])
    reference = StringField("Their reference", validators=[Length(max=200)])
    referred_at = ZonedDateTimeField(
        "Referred at", validators=[Optional()], description="Leave empty for now."
    )
    notes = TextAreaField("Notes", validators=[Length(max=20000)])
    version = HiddenField()
    submit = SubmitField("Record referral")


class CaseFilterForm(Form):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField("Search", validators=[Length(max=200)])
    status = SelectField("Status", choices=choices(list(STATUS_LABELS), "Any status"))
    owner = SelectField("Owner", choices=[])
    protectee_id = SelectField("Protectee", choices=[], coerce=str)
    subject_id = SelectField("Subject", choices=[], coerce=str)
    concern = SelectField(
        "Concern",
        choices=[
            SelectChoice("", "Any concern"),
            SelectChoice("none", "Not assessed"),
            *choices(CONCERN_LEVELS),
        ],
    )
    overdue = BooleanField("Review overdue")
    pending_handoff = BooleanField("Handoff pending")
    sort = SelectField(
        "Sort by",
        choices=[
            SelectChoice("updated", "Last update"),
            SelectChoice("created", "Opened"),
            SelectChoice("priority", "Priority"),
            SelectChoice("concern", "Concern"),
            SelectChoice("review", "Next review"),
            SelectChoice("ref", "Reference"),
        ],
    )
