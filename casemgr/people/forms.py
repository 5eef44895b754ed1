"""Forms for protectees, subjects and accounts.

The services hold the rules (required fields, lengths, allowed kinds and statuses); these
forms only carry the typed values to them, so the web and the API refuse the same things.
"""

from __future__ import annotations

from dataclasses import fields

from wtforms import SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional

from casemgr.forms import Form, ZonedDateTimeField
from casemgr.people.models import ACCOUNT_STATUSES, SUBJECT_KINDS, Protectee, Subject
from casemgr.people.protectees import PRIVATE_FIELDS, ProtecteeDetails
from casemgr.people.subjects import AccountDetails, SubjectDetails
from casemgr.validation import row_id

PROTECTEE_FIELDS = tuple(field.name for field in fields(ProtecteeDetails))
KIND_CHOICES = [SelectChoice(kind, kind.capitalize()) for kind in SUBJECT_KINDS]
STATUS_CHOICES = [SelectChoice(status, status.capitalize()) for status in ACCOUNT_STATUSES]
NO_SUBJECT = SelectChoice("", "— none —")
PICK_SUBJECT = SelectChoice("", "— choose a subject —")


def optional_id(value: object) -> int | None:
    """A select's value as a database id; the empty choice is None. Anything else that is
    not a row id is a ValueError, which the field shows as an invalid choice."""
    if value in (None, ""):
        return None
    number = row_id(value)
    if number is None:
        raise ValueError(f"Not a row id: {str(value)[:20]!r}")
    return number


def subject_choices(candidates: list[Subject], empty: SelectChoice | None) -> list[SelectChoice]:
    choices = [SelectChoice(str(subject.id), subject.name) for subject in candidates]
    return [empty, *choices] if empty else choices


def lines(text: str | None) -> list[str]:
    """One entry per non-blank line, trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ProtecteeForm(Form):
    name = StringField("Name")
    title = StringField("Title", description="Job title, such as Chief Executive Officer.")
    department = StringField("Department")
    usual_locations = TextAreaField(
        "Usual locations", description="Offices, regular venues, travel patterns."
    )
    notes = TextAreaField("Notes")
    private_home_address = TextAreaField("Home address")
    private_phone = StringField("Phone")
    private_family = TextAreaField(
        "Family", description="Partner, children and others who may be affected."
    )
    submit = SubmitField("Save")

    def drop_private_fields(self) -> None:
        """For roles that may not see private details: the fields are not even rendered."""
        for name in PRIVATE_FIELDS:
            delattr(self, name)

    @property
    def has_private_fields(self) -> bool:
        return all(name in self for name in PRIVATE_FIELDS)

    def details(self, stored: Protectee | None = None) -> ProtecteeDetails:
        """The typed values; fields this form does not carry keep `stored`'s values."""
        values = {
            name: (self[name].data or "") if name in self else getattr(stored, name, "")
            for name in PROTECTEE_FIELDS
        }
        return ProtecteeDetails(**values)


class SubjectForm(Form):
    name = StringField("Name")
    kind = SelectField("Kind", choices=KIND_CHOICES, default="unknown", validate_choice=False)
    aliases = TextAreaField(
        "Aliases", description="One per line: other names, spellings and nicknames."
    )
    affiliation_id = SelectField(
        "Affiliation",
        coerce=optional_id,
        validate_choice=False,
        description="The group this subject belongs to or acts for, if any.",
    )
    description = TextAreaField("Description")
    submit = SubmitField("Save")

    @classmethod
    def for_subject(cls, subject: Subject) -> SubjectForm:
        return cls(
            data={
                "name": subject.name,
                "kind": subject.kind,
                "aliases": "\n".join(alias.alias for alias in subject.aliases),
                "affiliation_id": subject.affiliation_id,
                "description": subject.description,
            }
        )

    def details(self) -> SubjectDetails:
        return SubjectDetails(
            name=self.name.data or "",
            kind=self.kind.data or "",
            description=self.description.data or "",
            aliases=lines(self.aliases.data),
            affiliation_id=self.affiliation_id.data,
        )


class AccountForm(Form):
    platform = StringField("Platform", description="Such as X, Telegram, Instagram.")
    handle = StringField("Handle")
    url = StringField("URL", description="Kept as text: casemgr never opens or fetches it.")
    platform_account_id = StringField("Platform's account id")
    status = SelectField("Status", choices=STATUS_CHOICES, default="active", validate_choice=False)
    first_seen = ZonedDateTimeField("First seen", validators=[Optional()])
    last_seen = ZonedDateTimeField("Last seen", validators=[Optional()])
    suspended_at = ZonedDateTimeField("Suspended at", validators=[Optional()])
    notes = TextAreaField("Notes")
    submit = SubmitField("Save account")

    def details(self) -> AccountDetails:
        return AccountDetails(
            platform=self.platform.data or "",
            handle=self.handle.data or "",
            url=self.url.data or "",
            platform_account_id=self.platform_account_id.data or "",
            status=self.status.data or "",
            first_seen=self.first_seen.data,
            last_seen=self.last_seen.data,
            suspended_at=self.suspended_at.data,
            notes=self.notes.data or "",
        )


class MergeForm(Form):
    other_id = SelectField(
        "Subject to merge into this one",
        coerce=optional_id,
        validate_choice=False,
        validators=[InputRequired(message="Choose the subject to merge.")],
        description="Its accounts, aliases and case links move here; it cannot be undone.",
    )
    submit = SubmitField("Merge into this subject")
