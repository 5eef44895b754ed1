"""Taking an e-mail in: one threat, the raw message and each attachment as evidence, the
investigator's headers kept, and an HTML body only ever shown as text."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.audit.log import SYSTEM
from casemgr.briefings.render import render_html
from casemgr.briefings.snapshot import BriefingOptions, build_snapshot
from casemgr.cases.models import Case
from casemgr.evidence.ingest import IngestSettings, ingest
from casemgr.evidence.models import EvidenceItem, EvidenceMatch
from casemgr.evidence.store import FileStore, stage_stream
from casemgr.extensions import db
from casemgr.threats.email_intake import EmailRefused, html_to_text, take_in_email
from casemgr.threats.models import Threat
from tests.api.conftest import api, assert_ok, assert_problem, new_case, outsider
from tests.cases.conftest import case, make_protectee, session, staff
from tests.cases.web import open_case, page_text
from tests.evidence.photos import jpeg_bytes, photo, png_bytes, with_crosshair

# Fixtures shared with the case and API tests.
__all__ = ["api", "case", "new_case", "outsider", "session", "staff"]

SCRIPT_HTML = (
    "<html><head><style>p {color: red}</style></head><body>"
    "<p>We know where you live &amp; work.</p><script>alert(1)</script>"
    "<p>&lt;script&gt;alert(2)&lt;/script&gt;</p></body></html>"
)


def message(
    html: str | None = None,
    plain: str | None = "We know where you live.",
    attachments: tuple[tuple[bytes, str, str], ...] = (),
    date: str | None = "Mon, 02 Mar 2026 08:15:00 +0100",
) -> bytes:
    """An e-mail as a mail server delivers it, with the headers an investigator traces."""
    mail = EmailMessage()
    mail["Return-Path"] = "<bounce@mailer.example>"
    mail["Received"] = "from mx.mailer.example (203.0.113.9) by mx.example.org; Mon, 2 Mar 2026"
    mail["Authentication-Results"] = "mx.example.org; spf=fail smtp.mailfrom=mailer.example"
    mail["Message-ID"] = "<threat-1@mailer.example>"
    mail["From"] = "Night Watcher <watcher@mailer.example>"
    mail["To"] = "ceo@example.org"
    mail["Subject"] = "You will <b>pay</b>"
    if date:
        mail["Date"] = date
    if plain is not None:
        mail.set_content(plain)
    if html is not None:
        if plain is None:
            mail.set_content(html, subtype="html")
        else:
            mail.add_alternative(html, subtype="html")
    for data, name, mime in attachments:
        maintype, subtype = mime.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(mail)


def store_of(app: Flask) -> FileStore:
    return FileStore(Path(app.config["CASEMGR_DATA_DIR"]))


def settings_of(app: Flask) -> IngestSettings:
    return IngestSettings(
        max_pixels=app.config["CASEMGR_MAX_IMAGE_PIXELS"],
        match_threshold=app.config["CASEMGR_MATCH_THRESHOLD"],
    )


@pytest.fixture
def reference(app: Flask, session: Session) -> EvidenceItem:
    """A protectee's reference photo, taken in through the evidence ingest."""
    protectee = make_protectee(session)
    store = store_of(app)
    writer = stage_stream(io.BytesIO(png_bytes(photo(seed=3))), store.temp)
    item = ingest(
        session,
        SYSTEM,
        store,
        writer.staged(),
        original_filename="portrait.png",
        declared_mime="image/png",
        settings=settings_of(app),
        protectee=protectee,
    )
    writer.close()
    session.commit()
    return item


def doctored_mail() -> bytes:
    doctored = jpeg_bytes(with_crosshair(photo(seed=3)))
    return message(attachments=((doctored, "target.jpg", "image/jpeg"),))


def test_an_email_with_an_image_becomes_one_threat_and_two_matched_evidence_items(
    app: Flask, session: Session, case: Case, reference: EvidenceItem
) -> None:
    raw = doctored_mail()
    intake = take_in_email(session, SYSTEM, case, raw, store_of(app), settings_of(app))
    session.commit()

    assert session.scalars(select(Threat).where(Threat.case_id == case.id)).all() == [intake.threat]
    items = session.scalars(select(EvidenceItem).where(EvidenceItem.case_id == case.id)).all()
    assert len(items) == 2
    assert all(item.threat_id == intake.threat.id for item in items)
    assert intake.message_item.mime == "message/rfc822"
    assert store_of(app).hash_of(intake.message_item.sha256) == intake.message_item.sha256
    assert intake.message_item.method == "received by e-mail"
    [attachment] = intake.attachment_items
    assert attachment.original_filename == "target.jpg"
    matched = session.scalars(
        select(EvidenceMatch.matched_id).where(EvidenceMatch.evidence_id == attachment.id)
    ).all()
    assert reference.id in matched

    threat = intake.threat
    assert threat.channel == "email"
    assert threat.occurred_at.astimezone(UTC) == datetime(2026, 3, 2, 7, 15, tzinfo=UTC)
    assert "watcher@mailer.example" in threat.reported_by
    assert threat.text.startswith("Subject: You will <b>pay</b>\n\nWe know where you live.")
    for header in ("Received: from mx.mailer.example", "Message-ID: <threat-1@mailer.example>"):
        assert header in threat.notes
    assert "Return-Path: <bounce@mailer.example>" in threat.notes
    assert "Authentication-Results: mx.example.org; spf=fail" in threat.notes


def test_an_html_body_is_kept_as_text_without_its_script() -> None:
    text = html_to_text(SCRIPT_HTML)
    assert text == "We know where you live & work.\n<script>alert(2)</script>"


def test_a_refused_attachment_is_noted_and_does_not_stop_the_others(
    app: Flask, session: Session, case: Case
) -> None:
    raw = message(
        attachments=(
            (b"MZ\x90\x00\x03" + bytes(200), "invoice.exe", "application/octet-stream"),
            (png_bytes(photo(seed=5)), "photo.png", "image/png"),
        )
    )
    intake = take_in_email(session, SYSTEM, case, raw, store_of(app), settings_of(app))

    assert [item.original_filename for item in intake.attachment_items] == ["photo.png"]
    assert [bad.filename for bad in intake.refused] == ["invoice.exe"]
    assert "Attachment refused: 'invoice.exe'" in intake.threat.notes


def test_a_date_without_zone_is_utc_and_a_missing_date_is_refused(
    app: Flask, session: Session, case: Case
) -> None:
    raw = message(date="Mon, 02 Mar 2026 08:15:00 -0000")
    intake = take_in_email(session, SYSTEM, case, raw, store_of(app), settings_of(app))
    assert intake.threat.occurred_at.astimezone(UTC) == datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    with pytest.raises(EmailRefused, match="no Date header"):
        take_in_email(session, SYSTEM, case, message(date=None), store_of(app), settings_of(app))


def test_a_script_in_the_html_body_is_inert_text_on_the_threat_page_and_briefing(
    app: Flask, client_as
) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    assert "Take in an e-mail" in page_text(client.get(f"/cases/{ref}"))
    raw = message(html=SCRIPT_HTML, plain=None)
    data = {"file": (io.BytesIO(raw), "threat.eml")}
    page = client.post(f"/cases/{ref}/threats/email", data=data, follow_redirects=True)
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "E-mail taken in as a threat with 1 evidence items." in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "alert(1)" not in html
    assert "You will &lt;b&gt;pay&lt;/b&gt;" in html

    with app.test_request_context():
        case = db.session.scalar(select(Case).where(Case.ref == ref))
        options = BriefingOptions(recipient="Security", marking="OFFICIAL", author="Analyst")
        snapshot = build_snapshot(db.session, case, options, datetime.now(UTC))
        meta = snapshot.meta | {"marking_class": "official", "marking_rule": ""}
        briefing = render_html("briefing.html", {**snapshot.__dict__, "meta": meta})
    assert "&lt;script&gt;alert(2)" in briefing
    assert "<script>alert" not in briefing


def test_the_command_takes_an_email_in(
    runner, app: Flask, session: Session, case: Case, tmp_path: Path
) -> None:
    eml = tmp_path / "threat.eml"
    eml.write_bytes(message(attachments=((png_bytes(photo(seed=6)), "p.png", "image/png"),)))
    result = runner.invoke(args=["threats", "email", case.ref, str(eml)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("threat ")

    eml.write_bytes(message(date=None))
    refused = runner.invoke(args=["threats", "email", case.ref, str(eml)])
    assert refused.exit_code == 1
    assert "no Date header" in refused.output


def test_the_api_takes_an_email_in_and_answers_201(api, new_case, outsider) -> None:
    path = f"/cases/{new_case()['ref']}/threats:email"
    hidden = f"/cases/{new_case(restricted=True)['ref']}/threats:email"
    raw = message(attachments=((png_bytes(photo(seed=8)), "p.png", "image/png"),))
    answer = assert_ok(api.post("analyst", path, data=raw, content_type="message/rfc822"), 201)
    assert answer["threat_id"] and answer["message_evidence_id"]
    assert len(answer["attachment_evidence_ids"]) == 1

    assert_problem(api.post("analyst", path, data=raw, content_type="text/plain"), 415)
    no_date = message(date=None)
    assert_problem(api.post("analyst", path, data=no_date, content_type="message/rfc822"), 422)
    assert_problem(api.post("viewer", path, data=raw, content_type="message/rfc822"), 403)
    assert_problem(api.post(outsider, hidden, data=raw, content_type="message/rfc822"), 404)
