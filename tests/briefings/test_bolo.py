"""The BOLO sheet: one A4 page naming the subject, its aliases, its accounts with their
status, the protectees at risk, what to do on sight and the mark; the subject's likeness
embedded when an image is marked as showing them; the disclosure log and the custody of the
photo; and who may make one, or mark a likeness."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.audit.log import Actor
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import User
from casemgr.briefings.bolo import (
    DEFAULT_RECIPIENT,
    ON_SIGHT_MAX,
    build_bolo_snapshot,
    export_bolo,
)
from casemgr.briefings.models import Briefing
from casemgr.briefings.operations import ExportSettings
from casemgr.cases.models import case_protectees
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.errors import Conflict, PermissionDenied, ValidationFailed
from casemgr.evidence.models import CustodyEvent, EvidenceItem
from casemgr.evidence.operations import mark_likeness, withdraw
from casemgr.evidence.store import FileStore
from casemgr.extensions import db
from casemgr.people.models import Subject, SubjectAlias
from casemgr.people.protectees import ProtecteeDetails, create_protectee
from casemgr.people.subjects import AccountDetails, SubjectDetails, add_account, create_subject
from tests.briefings.story import put_file
from tests.evidence.photos import jpeg_bytes, photo

ClientAs = Callable[[str], FlaskClient]
HOME_ADDRESS = "14 Larkspur Lane, Eastbrook"
ON_SIGHT = "Do not approach. Radio the control room on channel 2."
SETTINGS = ExportSettings(marking_scheme="tlp")


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Story:
    subject_id: int
    ref: str
    image_id: int
    notes_id: int
    bystander_id: int


def make_story(session: Session, owner: User, store: FileStore) -> Story:
    """A supporter of the fictional Crimson Dawn who threatens Lumina Social's leaders."""
    actor = Actor(owner.id, owner.username)
    ceo = create_protectee(
        session,
        actor,
        ProtecteeDetails(
            name="Dana Whitfield",
            title="Chief Executive Officer",
            department="Executive office",
            private_home_address=HOME_ADDRESS,
        ),
    )
    founder = create_protectee(
        session, actor, ProtecteeDetails(name="Tomas Reyes", title="Co-founder")
    )
    subject = create_subject(
        session,
        actor,
        SubjectDetails(
            name="Karim Voss",
            kind="individual",
            aliases=["Ember Rising", "K. Voss"],
            description="Tall, shaved head, grey parka. Seen outside the Eastbrook office.",
        ),
    )
    add_account(
        session,
        actor,
        subject,
        AccountDetails(
            "Chirper",
            "@ember_rising",
            status="suspended",
            first_seen=at(1, 5),
            suspended_at=at(2, 1),
        ),
    )
    add_account(
        session, actor, subject, AccountDetails("Chirper", "@ember_rising_2", first_seen=at(2, 3))
    )
    bystander = create_subject(session, actor, SubjectDetails(name="Unrelated Person"))
    case = create_case(
        session,
        actor,
        owner,
        CaseDetails(
            title="Threats against leadership",
            protectee_ids=[ceo.id, founder.id],
            subject_ids=[subject.id],
        ),
    )
    image = put_file(session, actor, store, jpeg_bytes(photo(seed=3)), "voss.jpg", case=case)
    notes = put_file(session, actor, store, b"Seen at the gate.\n", "notes.txt", case=case)
    return Story(subject.id, case.ref, image.id, notes.id, bystander.id)


@pytest.fixture
def store(app: Flask) -> FileStore:
    return FileStore(Path(app.config["CASEMGR_DATA_DIR"]))


@pytest.fixture
def story(app: Flask, users: dict[str, User], store: FileStore) -> Story:
    with app.app_context():
        made = make_story(db.session, db.session.get(User, users["analyst"].id), store)
        db.session.commit()
    return made


def mark(app: Flask, story: Story, subject_id: int | None, item_id: int | None = None) -> None:
    with app.app_context():
        item = db.session.get(EvidenceItem, item_id or story.image_id)
        mark_likeness(db.session, Actor(None, "tests"), item, subject_id)
        db.session.commit()


def export(app: Flask, users: dict[str, User], store: FileStore, story: Story, **extra) -> bytes:
    """Export as the lead through the service, committed; the PDF."""
    with app.app_context():
        lead = db.session.get(User, users["lead"].id)
        subject = db.session.get(Subject, story.subject_id)
        options = {"marking": "TLP:AMBER+STRICT", "on_sight": ON_SIGHT, **extra}
        _, pdf = export_bolo(
            db.session,
            Actor(lead.id, lead.username),
            lead,
            subject,
            options.pop("marking"),
            store,
            SETTINGS,
            options.pop("on_sight"),
            **options,
        )
        db.session.commit()
    return pdf


def pdf_text(pdf: bytes) -> str:
    """The text of every page, whitespace squeezed so wrapped lines read as one."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def image_xobjects(pdf: bytes) -> int:
    """Image XObjects anywhere in the page's resources, form XObjects included."""

    def count(resources: object) -> int:
        found = 0
        xobjects = resources.get_object().get("/XObject") if resources else None
        for xobject in (xobjects or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Image":
                found += 1
            elif xobject.get("/Subtype") == "/Form":
                found += count(xobject.get("/Resources"))
        return found

    return sum(count(page.get("/Resources")) for page in PdfReader(io.BytesIO(pdf)).pages)


# The sheet ------------------------------------------------------------------------------


def test_the_sheet_is_one_page_naming_the_subject_accounts_protectees_and_instruction(
    app: Flask, users: dict[str, User], store: FileStore, story: Story
) -> None:
    pdf = export(app, users, store, story)
    assert page_count(pdf) == 1
    text = pdf_text(pdf)
    for expected in (
        "Karim Voss",
        "Ember Rising",
        "K. Voss",
        "@ember_rising",
        "@ember_rising_2",
        "Dana Whitfield",
        "Tomas Reyes",
        "Chief Executive Officer",
        ON_SIGHT,
        "TLP:AMBER+STRICT",
        "grey parka",
        story.ref,
        DEFAULT_RECIPIENT,
        "page 1 of 1",
    ):
        assert expected in text, expected
    assert "suspended" in text.lower() and "active" in text.lower()
    assert HOME_ADDRESS not in text  # a protectee's private details never go on the sheet


def test_each_account_is_printed_with_its_status(
    app: Flask, users: dict[str, User], store: FileStore, story: Story
) -> None:
    text = pdf_text(export(app, users, store, story)).upper()
    assert "@EMBER_RISING_2 ACTIVE" in text
    assert "@EMBER_RISING SUSPENDED" in text


def test_the_likeness_photo_is_embedded_when_an_image_is_marked(
    app: Flask, users: dict[str, User], store: FileStore, story: Story
) -> None:
    mark(app, story, story.subject_id)
    pdf = export(app, users, store, story)
    assert page_count(pdf) == 1
    assert image_xobjects(pdf) == 1
    assert f"Evidence item #{story.image_id}" in pdf_text(pdf)


def test_without_a_likeness_the_sheet_still_renders_with_no_photo(
    app: Flask, users: dict[str, User], store: FileStore, story: Story
) -> None:
    pdf = export(app, users, store, story)
    assert page_count(pdf) == 1
    assert image_xobjects(pdf) == 0
    assert "No photo on file" in pdf_text(pdf)


def test_a_withdrawn_likeness_is_not_printed(
    app: Flask, users: dict[str, User], store: FileStore, story: Story
) -> None:
    mark(app, story, story.subject_id)
    with app.app_context():
        item = db.session.get(EvidenceItem, story.image_id)
        withdraw(db.session, Actor(None, "tests"), item, "Wrong person.")
        db.session.commit()
    assert image_xobjects(export(app, users, store, story)) == 0


def test_a_crowded_subject_still_fits_one_page_and_says_what_was_left_out(
    app: Flask, users: dict[str, User], store: FileStore, story: Story
) -> None:
    with app.app_context():
        actor = Actor(None, "tests")
        subject = db.session.get(Subject, story.subject_id)
        subject.description = "\n".join(["A long line of description, " * 12] * 40)
        for number in range(30):
            add_account(
                db.session,
                actor,
                subject,
                AccountDetails(f"Platform {number}", "@" + "x" * 190 + str(number)),
            )
        for number in range(25):
            subject.aliases.append(SubjectAlias(alias=f"{'Alias ' * 30}{number}"))
        case_id = db.session.get(EvidenceItem, story.image_id).case_id
        for number in range(20):
            protectee = create_protectee(
                db.session,
                actor,
                ProtecteeDetails(name=f"Protectee {number} " + "N" * 150, title="T" * 190),
            )
            db.session.execute(
                case_protectees.insert().values(case_id=case_id, protectee_id=protectee.id)
            )
        db.session.commit()
    mark(app, story, story.subject_id)
    instruction = "\n".join(["Do not approach; call the security operations centre now."] * 6)
    pdf = export(app, users, store, story, on_sight=instruction[:ON_SIGHT_MAX])
    assert page_count(pdf) == 1
    text = pdf_text(pdf)
    assert "more (see the subject's record)" in text
    assert "more (see the case file)" in text
    assert image_xobjects(pdf) == 1


def test_only_the_cases_the_user_may_see_give_protectees(
    app: Flask, users: dict[str, User], store: FileStore, story: Story
) -> None:
    with app.app_context():
        lead = db.session.get(User, users["lead"].id)
        actor = Actor(lead.id, lead.username)
        secret = create_protectee(db.session, actor, ProtecteeDetails(name="Hidden Board Member"))
        create_case(
            db.session,
            actor,
            lead,
            CaseDetails(
                title="Board threats",
                restricted=True,
                protectee_ids=[secret.id],
                subject_ids=[story.subject_id],
            ),
        )
        db.session.commit()
        subject = db.session.get(Subject, story.subject_id)

        def names(role: str) -> set[str]:
            user = db.session.get(User, users[role].id)
            snapshot = build_bolo_snapshot(db.session, subject, user, store, {})
            return {protectee["name"] for protectee in snapshot.protectees}

        assert "Hidden Board Member" not in names("analyst")
        assert "Hidden Board Member" in names("lead")


# The disclosure log and the custody of the photo -----------------------------------------


def test_the_disclosure_log_has_the_bolo_row_and_the_photo_was_briefed(
    app: Flask, users: dict[str, User], store: FileStore, story: Story
) -> None:
    mark(app, story, story.subject_id)
    pdf = export(app, users, store, story)
    with app.app_context():
        (row,) = db.session.scalars(select(Briefing)).all()
        assert row.kind == "bolo"
        assert row.subject_id == story.subject_id
        assert row.case_id is None
        assert row.recipient == DEFAULT_RECIPIENT
        assert row.marking == "TLP:AMBER+STRICT"
        assert row.sha256 == hashlib.sha256(pdf).hexdigest() and row.size == len(pdf)
        assert row.created_by_id == users["lead"].id
        assert [item.id for item in row.evidence] == [story.image_id]
        assert store.path(row.sha256).read_bytes() == pdf
        custody = db.session.scalars(
            select(CustodyEvent).where(CustodyEvent.evidence_id == story.image_id)
        ).all()
        assert custody[-1].action == "briefed" and f"#{row.id}" in custody[-1].note
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.object_id) == ("bolo.export", str(row.id))
        assert event.changes["subject_id"]["new"] == story.subject_id


def test_an_unknown_mark_or_an_empty_instruction_is_refused_and_nothing_is_logged(
    app: Flask, users: dict[str, User], store: FileStore, story: Story
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        export(app, users, store, story, marking="SECRET", on_sight=" ")
    assert set(refused.value.errors) == {"marking", "on_sight"}
    with app.app_context():
        assert db.session.scalars(select(Briefing)).all() == []


def test_an_analyst_may_not_export_through_the_service(
    app: Flask, users: dict[str, User], store: FileStore, story: Story
) -> None:
    with app.app_context():
        analyst = db.session.get(User, users["analyst"].id)
        subject = db.session.get(Subject, story.subject_id)
        with pytest.raises(PermissionDenied):
            export_bolo(
                db.session,
                Actor(analyst.id, analyst.username),
                analyst,
                subject,
                "TLP:AMBER",
                store,
                SETTINGS,
                ON_SIGHT,
            )


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
