"""The BOLO sheet: one A4 page naming the subject, its aliases, its accounts with their
status, the protectees at risk, what to do on sight and the mark; the subject's likeness
embedded when an image is marked as showing them; the disclosure log and the custody of the
photo. Marking a likeness and the pages are in test_bolo_pages.py."""

import hashlib

import pytest
from flask import Flask
from sqlalchemy import select

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
from casemgr.cases.models import case_protectees
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.errors import PermissionDenied, ValidationFailed
from casemgr.evidence.models import CustodyEvent, EvidenceItem
from casemgr.evidence.operations import withdraw
from casemgr.evidence.store import FileStore
from casemgr.extensions import db
from casemgr.people.models import Subject, SubjectAlias
from casemgr.people.protectees import ProtecteeDetails, create_protectee
from casemgr.people.subjects import AccountDetails, add_account
from tests.briefings.bolo_story import (
    HOME_ADDRESS,
    ON_SIGHT,
    SETTINGS,
    Story,
    export,
    image_xobjects,
    mark,
    page_count,
    pdf_text,
    store,
    story,
)

__all__ = ["store", "story"]  # fixtures

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
