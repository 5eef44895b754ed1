"""Logging and editing threats in the browser: verbatim text, checks, history."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from casemgr.audit.log import SYSTEM
from casemgr.extensions import db
from casemgr.people.models import Account
from casemgr.people.subjects import SubjectDetails, create_subject
from casemgr.threats.models import Threat, ThreatRevision
from tests.cases.web import open_case, page_text

ARABIC = "سنقتل جميع الموظفين والإدارة\u200f 🔥\n  second line  "


def threat_form(**fields) -> dict[str, str]:
    return {
        "occurred_at": "2026-02-01T10:00",
        "channel": "public_post",
        "threat_type": "direct",
        "text": "We know where you work.",
    } | fields


def threats(app: Flask) -> list[Threat]:
    with app.app_context():
        rows = db.session.scalars(select(Threat).order_by(Threat.id)).all()
        db.session.expunge_all()
        return rows


def test_an_arabic_threat_is_kept_byte_for_byte_and_shown(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    response = client.post(
        f"/cases/{ref}/threats/new",
        data=threat_form(
            text=ARABIC,
            translation="We will kill all employees and management",
            language="ar",
            grading_source="2",
            grading_information="B",
            grading_handling="P",
        ),
    )
    assert response.status_code == 302
    [threat] = threats(app)
    assert threat.text == ARABIC
    assert (threat.grading_source, threat.grading_information, threat.grading_handling) == (
        "2",
        "B",
        "P",
    )
    detail = page_text(client.get(f"/threats/{threat.id}"))
    assert "سنقتل جميع الموظفين والإدارة" in detail
    assert "Known indirectly to the source but corroborated" in detail


def test_reported_before_it_occurred_is_refused_beside_the_field(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    response = client.post(
        f"/cases/{ref}/threats/new", data=threat_form(reported_at="2026-01-31T09:00")
    )
    assert response.status_code == 422
    assert "cannot be reported before it occurred" in page_text(response)
    assert threats(app) == []


def test_a_100_kb_threat_text_is_refused_with_a_clear_message(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    response = client.post(f"/cases/{ref}/threats/new", data=threat_form(text="x" * 100_000))
    assert response.status_code == 422
    assert "limited to 50,000 characters" in page_text(response)
    assert threats(app) == []


def test_an_edit_keeps_the_earlier_version_in_the_history(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    client.post(f"/cases/{ref}/threats/new", data=threat_form(text="First wording."))
    [threat] = threats(app)
    response = client.post(f"/threats/{threat.id}/edit", data=threat_form(text="Second wording."))
    assert response.status_code == 302
    with app.app_context():
        revision = db.session.scalar(select(ThreatRevision))
        assert revision.content["text"] == "First wording."
    page = page_text(client.get(f"/threats/{threat.id}"))
    assert "Second wording." in page and "First wording." in page and "Version 1" in page


def test_a_new_account_can_be_added_while_logging(app: Flask, client_as) -> None:
    with app.app_context():
        subject = create_subject(db.session, SYSTEM, SubjectDetails("Crimson Dawn", "group"))
        db.session.commit()
        subject_id = subject.id
    client = client_as("analyst")
    ref = open_case(client)
    response = client.post(
        f"/cases/{ref}/threats/new",
        data=threat_form(
            account_id="new",
            new_account_subject=str(subject_id),
            new_account_platform="Chirper",
            new_account_handle="@crimsondawn_back",
            new_account_status="active",
        ),
    )
    assert response.status_code == 302
    [threat] = threats(app)
    with app.app_context():
        account = db.session.get(Account, threat.account_id)
        assert (account.handle, account.subject_id, threat.platform) == (
            "@crimsondawn_back",
            subject_id,
            "Chirper",
        )


def test_a_bad_inline_account_saves_neither_account_nor_threat(app: Flask, client_as) -> None:
    with app.app_context():
        subject = create_subject(db.session, SYSTEM, SubjectDetails("Crimson Dawn", "group"))
        db.session.commit()
        subject_id = subject.id
    client = client_as("analyst")
    ref = open_case(client)
    response = client.post(
        f"/cases/{ref}/threats/new",
        data=threat_form(
            account_id="new",
            new_account_subject=str(subject_id),
            new_account_platform="",
            new_account_handle="",
        ),
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Account)) == 0
    assert threats(app) == []


def test_markup_in_a_threat_is_shown_as_text(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    client.post(f"/cases/{ref}/threats/new", data=threat_form(text="<script>alert(1)</script>"))
    [threat] = threats(app)
    for url in (f"/threats/{threat.id}", f"/cases/{ref}"):
        page = page_text(client.get(url))
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_viewer_reads_threats_but_cannot_log_them(client_as) -> None:
    ref = open_case(client_as("analyst"))
    viewer = client_as("viewer")
    assert viewer.get(f"/cases/{ref}/threats/new").status_code == 403
    assert "Log a threat" not in page_text(viewer.get(f"/cases/{ref}"))
