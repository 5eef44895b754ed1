"""Marking an image as a subject's likeness, and the BOLO pages: who may make a sheet or
mark a likeness, and the disclosure logs that list it."""

import hashlib

import pytest
from flask import Flask
from sqlalchemy import select

from casemgr.audit.log import Actor
from casemgr.audit.models import AuditEvent
from casemgr.briefings.bolo import (
    DEFAULT_RECIPIENT,
)
from casemgr.briefings.models import Briefing
from casemgr.errors import Conflict, ValidationFailed
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.operations import withdraw
from casemgr.extensions import db
from tests.briefings.bolo_story import (
    ON_SIGHT,
    ClientAs,
    Story,
    mark,
    pdf_text,
    store,
    story,
)
from tests.cases.web import open_case

__all__ = ["store", "story"]  # fixtures

# Marking a likeness -----------------------------------------------------------------------


def test_marking_a_likeness_writes_custody_and_audit_and_can_be_cleared(
    app: Flask, story: Story
) -> None:
    mark(app, story, story.subject_id)
    mark(app, story, None)
    with app.app_context():
        item = db.session.get(EvidenceItem, story.image_id)
        assert item.likeness_subject_id is None
        notes = [e.note for e in item.custody if e.action == "marked_likeness"]
        assert len(notes) == 2 and "Karim Voss" in notes[0] and "cleared" in notes[1]
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == str(item.id))
        ).all()
        assert actions.count("evidence.likeness") == 2


def test_mark_likeness_refuses_an_item_that_is_not_an_image(app: Flask, story: Story) -> None:
    with pytest.raises(ValidationFailed) as refused:
        mark(app, story, story.subject_id, item_id=story.notes_id)
    assert "image" in refused.value.errors["subject_id"][0]


def test_mark_likeness_refuses_a_subject_not_on_the_case(app: Flask, story: Story) -> None:
    with pytest.raises(ValidationFailed) as refused:
        mark(app, story, story.bystander_id)
    assert "linked to this item's case" in refused.value.errors["subject_id"][0]


def test_mark_likeness_refuses_a_withdrawn_item(app: Flask, story: Story) -> None:
    with app.app_context():
        item = db.session.get(EvidenceItem, story.image_id)
        withdraw(db.session, Actor(None, "tests"), item, "Duplicate.")
        db.session.commit()
    with pytest.raises(Conflict):
        mark(app, story, story.subject_id)


# The pages --------------------------------------------------------------------------------


def test_a_lead_gets_the_pdf_as_an_attachment(
    app: Flask, client_as: ClientAs, story: Story
) -> None:
    lead = client_as("lead")
    form = lead.get(f"/subjects/{story.subject_id}/bolo")
    assert form.status_code == 200
    assert "Do not approach. Call the security operations centre" in form.get_data(as_text=True)
    response = lead.post(
        f"/subjects/{story.subject_id}/bolo",
        data={"marking": "TLP:RED", "on_sight": ON_SIGHT, "recipient": "Reception, Eastbrook"},
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = pdf_text(response.data)
    assert "TLP:RED" in text and "Reception, Eastbrook" in text and ON_SIGHT in text
    with app.app_context():
        assert db.session.scalars(select(Briefing.recipient)).all() == ["Reception, Eastbrook"]


def test_the_sheet_is_in_the_disclosure_log_of_each_case_it_drew_on(
    client_as: ClientAs, story: Story
) -> None:
    lead = client_as("lead")
    other = open_case(lead, title="Unrelated threats")
    response = lead.post(
        f"/subjects/{story.subject_id}/bolo",
        data={"marking": "TLP:AMBER", "on_sight": ON_SIGHT, "recipient": "Reception, Eastbrook"},
    )
    assert response.status_code == 200
    log = lead.get(f"/cases/{story.ref}/briefings").get_data(as_text=True)
    row = log[log.index('id="briefing-') :].split("</tr>")[0]
    assert "BOLO sheet #" in row and "of <a href" in row and "Karim Voss" in row
    assert "Reception, Eastbrook" in row and hashlib.sha256(response.data).hexdigest() in row
    unrelated = lead.get(f"/cases/{other}/briefings").get_data(as_text=True)
    assert 'id="briefing-' not in unrelated and "Nothing has been disclosed" in unrelated


def test_the_subject_page_offers_the_bolo_sheet_to_leads_only(
    client_as: ClientAs, story: Story
) -> None:
    url = f"/subjects/{story.subject_id}"
    assert 'id="bolo-sheet"' in client_as("lead").get(url).get_data(as_text=True)
    assert 'id="bolo-sheet"' not in client_as("analyst").get(url).get_data(as_text=True)


@pytest.mark.parametrize("role", ["viewer", "analyst"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_without_briefing_export_the_bolo_page_is_forbidden(
    app: Flask, client_as: ClientAs, story: Story, role: str, method: str
) -> None:
    client = client_as(role)
    data = {"marking": "TLP:AMBER", "on_sight": ON_SIGHT, "recipient": DEFAULT_RECIPIENT}
    response = getattr(client, method)(f"/subjects/{story.subject_id}/bolo", data=data)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalars(select(Briefing)).all() == []


def test_an_unknown_mark_shows_the_form_again(client_as: ClientAs, story: Story) -> None:
    response = client_as("lead").post(
        f"/subjects/{story.subject_id}/bolo",
        data={"marking": "TOP SECRET", "on_sight": ON_SIGHT, "recipient": DEFAULT_RECIPIENT},
    )
    assert response.status_code == 422
    assert "Choose one of" in response.get_data(as_text=True)


def test_an_analyst_marks_and_clears_a_likeness_on_the_item_page(
    app: Flask, client_as: ClientAs, story: Story
) -> None:
    analyst = client_as("analyst")
    page = analyst.get(f"/evidence/{story.image_id}").get_data(as_text=True)
    assert 'id="likeness-form"' in page and "Karim Voss" in page
    response = analyst.post(
        f"/evidence/{story.image_id}/likeness", data={"subject_id": str(story.subject_id)}
    )
    assert response.status_code == 302
    assert 'id="likeness"' in analyst.get(f"/evidence/{story.image_id}").get_data(as_text=True)
    analyst.post(f"/evidence/{story.image_id}/likeness", data={"subject_id": ""})
    with app.app_context():
        assert db.session.get(EvidenceItem, story.image_id).likeness_subject_id is None


def test_the_item_page_refuses_a_subject_not_on_the_case(client_as: ClientAs, story: Story) -> None:
    response = client_as("analyst").post(
        f"/evidence/{story.image_id}/likeness", data={"subject_id": str(story.bystander_id)}
    )
    assert response.status_code == 422
    assert "linked to this item" in response.get_data(as_text=True)


def test_a_viewer_may_not_mark_a_likeness(client_as: ClientAs, story: Story) -> None:
    response = client_as("viewer").post(
        f"/evidence/{story.image_id}/likeness", data={"subject_id": str(story.subject_id)}
    )
    assert response.status_code == 403
