"""Ingesting in two steps: `examine` (type, store, analyse, derivatives: files only, which the
data generator runs in other processes) and `record_item` (the database). Apart, they make the
item, custody and matches that `ingest` makes in one go."""

from __future__ import annotations

import io

from flask import Flask
from sqlalchemy import select

from casemgr.audit.log import Actor
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.evidence.ingest import (
    IngestSettings,
    checked_intake,
    examine,
    ingest,
    record_item,
)
from casemgr.evidence.models import CustodyEvent, EvidenceMatch
from casemgr.evidence.store import FileStore, stage_stream
from casemgr.extensions import db
from tests.evidence.photos import data_dir, jpeg_bytes, photo, png_bytes

SETTINGS = IngestSettings(max_pixels=50_000_000, match_threshold=10)


def test_a_photo_examined_without_the_database_is_recorded_as_ingest_records_it(
    app: Flask, users: dict[str, User]
) -> None:
    store = FileStore(data_dir(app), durable=False)
    analyst = users["analyst"]
    actor = Actor(analyst.id, analyst.username)
    with app.app_context():
        case = create_case(db.session, actor, analyst, CaseDetails("Photos of the office"))
        original = ingest(
            db.session,
            actor,
            store,
            stage_stream(io.BytesIO(png_bytes(photo(5))), store.temp).staged(),
            original_filename="original.png",
            declared_mime="image/png",
            settings=SETTINGS,
            case=case,
        )
        db.session.commit()
        case_id, original_id = case.id, original.id

    # Outside the app context: a query here would fail, so examining needs no database.
    copy = stage_stream(io.BytesIO(jpeg_bytes(photo(5), quality=70)), store.temp).staged()
    examined = examine(
        store, copy, original_filename="copy.jpg", declared_mime="image/png", settings=SETTINGS
    )
    assert examined.mime == "image/jpeg" and "image/png" in examined.mismatch_note
    assert examined.findings is not None and examined.findings.analysis == "ok"
    assert store.path(examined.sha256).is_file()
    assert {path.name for path in store.derived(examined.sha256).iterdir()} >= {"thumb.png"}

    with app.app_context():
        case = db.session.get(Case, case_id)
        values = checked_intake(None, case, None)
        item = record_item(db.session, actor, examined, values, SETTINGS.match_threshold, case=case)
        db.session.commit()
        assert (item.analysis, item.type_mismatch, item.width) == ("ok", True, 640)
        assert item.phash == examined.findings.phash and item.phash_b0 is not None
        matches = db.session.scalars(
            select(EvidenceMatch).where(EvidenceMatch.evidence_id == item.id)
        )
        assert [match.matched_id for match in matches] == [original_id]
        custody = db.session.scalars(
            select(CustodyEvent.action).where(CustodyEvent.evidence_id == item.id)
        )
        assert list(custody) == ["uploaded"]
        event = db.session.scalar(
            select(AuditEvent)
            .where(AuditEvent.action == "evidence.create")
            .order_by(AuditEvent.id.desc())
        )
        assert event.object_id == str(item.id) and event.case_ref == case.ref
