"""The export form: recipient, handling mark, sections, private details and evidence items,
then a briefing PDF or a signed bundle. The service checks the values; the form only carries
them, so its messages and the API's are the same ones."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from casemgr.briefings.snapshot import SECTIONS
from casemgr.forms import Form


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BriefingForm(Form):
    recipient = StringField(
        "Recipient",
        validators=[Length(max=300)],
        description="Agency, unit and officer, as the cover should name them.",
    )
    # The field is called `tlp` like the API's, so the service's messages land beside it;
    # the view sets the choices from the configured marking scheme.
    tlp = RadioField("Handling mark", choices=[], validate_choice=False)
    sections = CheckboxesField(
        "Sections",
        choices=[SelectChoice(name, title) for name, title in SECTIONS.items()],
        default=list(SECTIONS),
        validate_choice=False,
    )
    include_private = BooleanField(
        "Include protectees' private details",
        description="Home address, phone, family and usual locations. Leave unticked unless "
        "the recipient needs them.",
    )
    evidence_ids = CheckboxesField("Evidence to include", coerce=int, validate_choice=False)
    generate_pdf = SubmitField("Generate PDF")
    generate_bundle = SubmitField("Generate signed bundle")
