"""The BOLO tests' story: a subject with aliases and accounts, on cases naming protectees,
with a photo that may be marked as their likeness; and helpers to export and read the sheet."""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from casemgr.audit.log import Actor
from casemgr.auth.models import User
from casemgr.briefings.bolo import (
    export_bolo,
)
from casemgr.briefings.operations import ExportSettings
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.operations import mark_likeness
from casemgr.evidence.store import FileStore
from casemgr.extensions import db
from casemgr.people.models import Subject
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
