"""The threat form, with the meanings of the 3x5x2 grades beside their codes."""

from __future__ import annotations

from wtforms import HiddenField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from casemgr.forms import Form, IdMultipleField, ZonedDateTimeField
from casemgr.people.models import ACCOUNT_STATUSES
from casemgr.threats.models import CHANNELS, THREAT_TYPES

# The UK 3x5x2 intelligence grading: what each code means, shown wherever it is chosen.
SOURCE_MEANINGS = {
    "1": "Reliable",
    "2": "Untested",
    "3": "Not reliable",
}
INFORMATION_MEANINGS = {
    "A": "Known directly to the source",
    "B": "Known indirectly to the source but corroborated",
    "C": "Known indirectly to the source",
    "D": "Not known",
    "E": "Suspected to be false or malicious",
}
HANDLING_MEANINGS = {
    "P": "Lawful sharing permitted",
    "C": "Lawful sharing permitted, subject to conditions",
}
GRADING_MEANINGS = {
    "source": SOURCE_MEANINGS,
    "information": INFORMATION_MEANINGS,
    "handling": HANDLING_MEANINGS,
}
# What each code asks of the analyst, shown under its field on the threat form.
SOURCE_EXPLANATIONS = {
    "1": "No doubt about the source's authenticity, trustworthiness and competence, "
    "or a history of complete reliability.",
    "2": "The source's reliability has not been tested or cannot be judged, "
    "such as a new or anonymous account.",
    "3": "Doubt about the source's authenticity, trustworthiness or competence, "
    "or it has given wrong information before.",
}
INFORMATION_EXPLANATIONS = {
    "A": "The source saw, heard or wrote it: the poster's own message.",
    "B": "Hearsay that another source or a record confirms.",
    "C": "Hearsay, not confirmed.",
    "D": "How the source could know it cannot be judged.",
    "E": "There are grounds to think it is untrue or meant to mislead.",
}
HANDLING_EXPLANATIONS = {
    "P": "May be shared for the purpose it was collected for, such as with the police.",
    "C": "May be shared only on conditions: write them in the notes.",
}


def explained(meanings: dict[str, str], explanations: dict[str, str]) -> list[tuple[str, str]]:
    """Each code with its meaning and what it asks, for the help under a grading field."""
    return [(code, f"{meaning}. {explanations[code]}") for code, meaning in meanings.items()]


GRADING_HELP = {
    "grading_source": explained(SOURCE_MEANINGS, SOURCE_EXPLANATIONS),
    "grading_information": explained(INFORMATION_MEANINGS, INFORMATION_EXPLANATIONS),
    "grading_handling": explained(HANDLING_MEANINGS, HANDLING_EXPLANATIONS),
}
THREAT_TYPE_MEANINGS = {
    "direct": "Direct: states an intent to harm",
    "conditional": "Conditional: harm if something happens or does not",
    "veiled": "Veiled: implies harm without stating it",
    "concerning": "Concerning, but no threat",
}
NEW_ACCOUNT = "new"


def graded(meanings: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice("", "Not graded")] + [
        SelectChoice(code, f"{code}: {meaning}") for code, meaning in meanings.items()
    ]


class ThreatForm(Form):
    occurred_at = ZonedDateTimeField("Occurred at", description="When it was posted, sent or said.")
    reported_at = ZonedDateTimeField("Reported at", validators=[Optional()])
    reported_by = StringField("Reported by", validators=[Length(max=200)])
    channel = SelectField(
        "Channel",
        choices=[SelectChoice(c, c.replace("_", " ").capitalize()) for c in CHANNELS],
    )
    # Optional pickers: the service checks the values, so a missing one is no error here.
    account_id = SelectField(
        "Account",
        choices=[],
        default="",
        validate_choice=False,
        description="Whose account it came from.",
    )
    new_account_subject = SelectField(
        "New account belongs to", choices=[], default="", validate_choice=False
    )
    new_account_platform = StringField("Platform", validators=[Length(max=100)])
    new_account_handle = StringField("Handle", validators=[Length(max=200)])
    new_account_url = StringField("Account URL (kept as text)", validators=[Length(max=2000)])
    new_account_status = SelectField(
        "Account status",
        choices=[SelectChoice(s, s.capitalize()) for s in ACCOUNT_STATUSES],
        default="active",
    )
    platform = StringField(
        "Platform",
        validators=[Length(max=100)],
        description="Filled from the account when one is chosen.",
    )
    text = TextAreaField(
        "Verbatim text",
        render_kw={"rows": 6, "dir": "auto"},
        description="Exactly as received: it is stored byte for byte.",
    )
    translation = TextAreaField("Translation", render_kw={"rows": 3})
    language = StringField(
        "Language", validators=[Length(max=35)], description="For example ar, en."
    )
    threat_type = SelectField(
        "Threat type", choices=[SelectChoice(t, THREAT_TYPE_MEANINGS[t]) for t in THREAT_TYPES]
    )
    target_ids = IdMultipleField("Targets")
    location = StringField("Location", validators=[Length(max=2000)])
    source_url = StringField(
        "Source URL (kept as text, never opened)", validators=[Length(max=2000)]
    )
    grading_source = SelectField(
        "Source evaluation",
        choices=graded(SOURCE_MEANINGS),
        default="",
        validate_choice=False,
        description="How reliable the source is.",
    )
    grading_information = SelectField(
        "Information assessment",
        choices=graded(INFORMATION_MEANINGS),
        default="",
        validate_choice=False,
        description="How the source knows what it reports.",
    )
    grading_handling = SelectField(
        "Handling code",
        choices=graded(HANDLING_MEANINGS),
        default="",
        validate_choice=False,
        description="Whether it may be shared, and on what terms.",
    )
    notes = TextAreaField("Notes", render_kw={"rows": 3})
    version = HiddenField()
    submit = SubmitField("Save threat")

    grading_help = GRADING_HELP  # not a field: the template lists it under each grading field
