"""Exporting briefings and bundles in the browser: the form and its defaults, who may export,
messages beside the fields, the disclosure log and downloads of exactly what was sent."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from casemgr.auth.models import User
from casemgr.briefings import operations
from casemgr.briefings.marking import GOVERNMENT, TLP
from casemgr.briefings.models import Briefing
from casemgr.briefings.snapshot import SECTIONS
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.evidence.models import CustodyEvent
from casemgr.evidence.operations import withdraw
from casemgr.evidence.store import FileStore
from casemgr.extensions import db
from casemgr.people.protectees import ProtecteeDetails, create_protectee
from casemgr.threats.operations import ThreatDetails, log_threat
from tests.briefings.story import actor_of, at, pdf_pages, put_file, squeezed
from tests.evidence.photos import photo, png_bytes

HOME_ADDRESS = "7 Orchard Row, Millbank"
RECIPIENT = "Metropolitan Police, Protection Command, DC Ana Ruiz"


@dataclass(frozen=True)
class Briefed:
    ref: str
    image_id: int
    notes_id: int
    withdrawn_id: int
    other_case_item_id: int


@pytest.fixture
def briefed(app: Flask, users: dict[str, User]) -> Briefed:
    """A case with a protectee's home address, a threat, an image, a note and a withdrawn
    item; and an item on another case."""
    with app.app_context():
        lead = db.session.get(User, users["lead"].id)
        actor = actor_of(lead)
        store = FileStore(Path(app.config["CASEMGR_DATA_DIR"]))
        ceo = create_protectee(
            db.session,
            actor,
            ProtecteeDetails(name="Dana Whitfield", private_home_address=HOME_ADDRESS),
        )
        case = create_case(
            db.session, actor, lead, CaseDetails(title="Threats", protectee_ids=[ceo.id])
        )
        log_threat(
            db.session,
            actor,
            case,
            ThreatDetails(
                occurred_at=at(3, 4), channel="email", text="We know.", threat_type="veiled"
            ),
        )
        image = put_file(db.session, actor, store, png_bytes(photo(3)), "post.png", case=case)
        notes = put_file(db.session, actor, store, b"Notes.\n", "notes.txt", case=case)
        gone = put_file(db.session, actor, store, b"Duplicate.\n", "dup.txt", case=case)
        withdraw(db.session, actor, gone, "Duplicate.")
        other = create_case(db.session, actor, lead, CaseDetails(title="Another case"))
        elsewhere = put_file(db.session, actor, store, b"Elsewhere.\n", "x.txt", case=other)
        db.session.commit()
        return Briefed(case.ref, image.id, notes.id, gone.id, elsewhere.id)


class Inputs(HTMLParser):
    """The <input> elements of a page, each as a dict of its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            self.found.append(dict(attrs))


def inputs(page: str, name: str) -> dict[str, bool]:
    """value -> checked, for the inputs called `name`."""
    parser = Inputs()
    parser.feed(page)
    return {
        str(attrs.get("value")): "checked" in attrs
        for attrs in parser.found
        if attrs.get("name") == name
    }


def form_data(briefed: Briefed, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "recipient": RECIPIENT,
        "tlp": "TLP:AMBER",
        "sections": list(SECTIONS),
        "evidence_ids": [briefed.image_id, briefed.notes_id],
        "generate_pdf": "Generate PDF",
    }
    return {key: value for key, value in (data | changes).items() if value is not None}


def logged(app: Flask) -> list[Briefing]:
    with app.app_context():
        briefings = db.session.scalars(select(Briefing).order_by(Briefing.id)).all()
        for briefing in briefings:
            assert briefing.created_by is not None
            _ = [item.id for item in briefing.evidence]
        db.session.expunge_all()
        return list(briefings)


def export_as(client: FlaskClient, briefed: Briefed, **changes: object) -> Briefing:
    response = client.post(
        f"/cases/{briefed.ref}/briefings/new", data=form_data(briefed, **changes)
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == f"/cases/{briefed.ref}/briefings"
    return logged(client.application)[-1]


def test_the_case_page_offers_export_to_leads_and_the_log_to_everyone(
    client_as: Callable[[str], FlaskClient], briefed: Briefed
) -> None:
    for role in ("lead", "admin", "analyst", "viewer"):
        page = client_as(role).get(f"/cases/{briefed.ref}").get_data(as_text=True)
        assert ('id="export-briefing"' in page) == (role in ("lead", "admin"))
        assert f'href="/cases/{briefed.ref}/briefings" id="disclosure-log"' in page


def test_the_form_offers_each_mark_with_its_rule_and_sensible_defaults(
    client_as: Callable[[str], FlaskClient], briefed: Briefed
) -> None:
    response = client_as("lead").get(f"/cases/{briefed.ref}/briefings/new")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert inputs(page, "tlp") == dict.fromkeys(TLP, False)  # a mark is a deliberate choice
    for mark, rule in TLP.items():
        meaning = rule.removeprefix(f"{mark}: ").replace("'", "&#39;")
        assert re.search(
            rf"<strong>{re.escape(mark)}</strong> <span[^>]*>{re.escape(meaning)}<", page
        )
    assert inputs(page, "sections") == dict.fromkeys(SECTIONS, True)
    assert inputs(page, "include_private") == {"y": False}
    assert inputs(page, "evidence_ids") == {
        str(briefed.image_id): True,
        str(briefed.notes_id): True,
        str(briefed.withdrawn_id): False,
    }
    assert "Generate PDF" in page and "Generate signed bundle" in page


def test_the_government_scheme_offers_official_and_official_sensitive(
    app: Flask, client_as: Callable[[str], FlaskClient], briefed: Briefed
) -> None:
    app.config["CASEMGR_MARKING_SCHEME"] = "government"
    lead = client_as("lead")
    page = lead.get(f"/cases/{briefed.ref}/briefings/new").get_data(as_text=True)
    assert list(inputs(page, "tlp")) == list(GOVERNMENT) == ["OFFICIAL", "OFFICIAL-SENSITIVE"]
    assert "need-to-know only" in page
    refused = lead.post(f"/cases/{briefed.ref}/briefings/new", data=form_data(briefed))
    assert refused.status_code == 422
    assert "Choose one of: OFFICIAL, OFFICIAL-SENSITIVE." in refused.get_data(as_text=True)
    briefing = export_as(lead, briefed, tlp="OFFICIAL-SENSITIVE")
    assert briefing.marking == "OFFICIAL-SENSITIVE"


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_only_leads_may_export(
    client_as: Callable[[str], FlaskClient], briefed: Briefed, role: str
) -> None:
    client = client_as(role)
    assert client.get(f"/cases/{briefed.ref}/briefings/new").status_code == 403
    response = client.post(f"/cases/{briefed.ref}/briefings/new", data=form_data(briefed))
    assert response.status_code == 403
    assert client.get(f"/cases/{briefed.ref}/briefings").status_code == 200


def test_bad_values_are_shown_beside_their_fields_and_nothing_is_logged(
    app: Flask, client_as: Callable[[str], FlaskClient], briefed: Briefed
) -> None:
    data = form_data(
        briefed,
        recipient="   ",
        tlp="TLP:PURPLE",
        sections=[],
        evidence_ids=[briefed.image_id, briefed.other_case_item_id],
    )
    response = client_as("lead").post(f"/cases/{briefed.ref}/briefings/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field, message in (
        ("recipient", "This is required."),
        ("tlp", "Choose one of: TLP:RED"),
        ("sections", "Choose among: summary"),
        ("evidence_ids", "Only items of this case can be included."),
    ):
        assert re.search(rf'id="{field}-error">{re.escape(message)}', page), field
    assert inputs(page, "evidence_ids")[str(briefed.image_id)]  # the choices are kept
    assert logged(app) == []


def test_a_generated_pdf_is_logged_and_downloads_byte_for_byte(
    app: Flask, client_as: Callable[[str], FlaskClient], briefed: Briefed
) -> None:
    lead = client_as("lead")
    briefing = export_as(lead, briefed)
    assert briefing.recipient == RECIPIENT and briefing.marking == "TLP:AMBER"
    assert briefing.created_by.username == "lead" and not briefing.include_private
    assert sorted(item.id for item in briefing.evidence) == [briefed.image_id, briefed.notes_id]

    log = lead.get(f"/cases/{briefed.ref}/briefings").get_data(as_text=True)
    row = log.split(f'id="briefing-{briefing.id}"')[1].split("</tr>")[0]
    for shown in (RECIPIENT, "TLP:AMBER", "lead", briefing.sha256, f"{briefing.size:,} bytes"):
        assert shown in row
    assert f">{briefing.case_version}<" in row
    assert f">#{briefed.image_id}</a>" in row and f">#{briefed.withdrawn_id}<" not in row

    for role in ("lead", "viewer"):
        download = client_as(role).get(f"/briefings/{briefing.id}/pdf")
        assert download.status_code == 200
        assert download.mimetype == "application/pdf"
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert hashlib.sha256(download.data).hexdigest() == briefing.sha256
    text = squeezed("\n".join(pdf_pages(download.data)))
    assert squeezed(RECIPIENT) in text and squeezed(HOME_ADDRESS) not in text
    with app.app_context():
        briefed_items = db.session.scalars(
            select(CustodyEvent.evidence_id).where(CustodyEvent.action == "briefed")
        ).all()
    assert sorted(briefed_items) == [briefed.image_id, briefed.notes_id]


def test_a_signed_bundle_is_logged_and_downloads_as_a_zip(
    client_as: Callable[[str], FlaskClient], briefed: Briefed
) -> None:
    lead = client_as("lead")
    bundle = export_as(lead, briefed, generate_pdf=None, generate_bundle="Generate signed bundle")
    assert bundle.kind == "bundle"
    log = lead.get(f"/cases/{briefed.ref}/briefings").get_data(as_text=True)
    assert f'href="/briefings/{bundle.id}/bundle"' in log
    download = lead.get(f"/briefings/{bundle.id}/bundle")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert hashlib.sha256(download.data).hexdigest() == bundle.sha256
    assert "briefing.pdf" in zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert lead.get(f"/briefings/{bundle.id}/pdf").status_code == 404


def test_a_briefing_with_private_details_is_only_for_those_who_may_see_them(
    client_as: Callable[[str], FlaskClient], briefed: Briefed
) -> None:
    briefing = export_as(client_as("lead"), briefed, include_private="y", tlp="TLP:RED")
    assert briefing.include_private
    download = client_as("analyst").get(f"/briefings/{briefing.id}/pdf")
    assert download.status_code == 200
    assert squeezed(HOME_ADDRESS) in squeezed("\n".join(pdf_pages(download.data)))
    viewer = client_as("viewer")
    assert viewer.get(f"/briefings/{briefing.id}/pdf").status_code == 403
    log = viewer.get(f"/cases/{briefed.ref}/briefings").get_data(as_text=True)
    assert "private details" in log and f"/briefings/{briefing.id}/pdf" not in log


def test_restricted_cases_hide_their_log_and_downloads(
    app: Flask, client_as: Callable[[str], FlaskClient], users: dict[str, User]
) -> None:
    with app.app_context():
        lead = db.session.get(User, users["lead"].id)
        case = create_case(
            db.session, actor_of(lead), lead, CaseDetails(title="Quiet", restricted=True)
        )
        db.session.commit()
        ref = case.ref
    lead_client = client_as("lead")
    response = lead_client.post(
        f"/cases/{ref}/briefings/new",
        data={"recipient": RECIPIENT, "tlp": "TLP:RED", "sections": ["summary"]},
    )
    assert response.status_code == 302
    briefing = logged(app)[-1]
    assert briefing.evidence == []
    outsider = client_as("analyst")
    assert outsider.get(f"/cases/{ref}/briefings").status_code == 404
    assert outsider.get(f"/briefings/{briefing.id}/pdf").status_code == 404
    assert outsider.get("/briefings/999/pdf").status_code == 404


def test_a_failed_render_logs_nothing(
    app: Flask,
    client_as: Callable[[str], FlaskClient],
    briefed: Briefed,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object) -> bytes:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(operations, "render_pdf", broken)
    response = client_as("lead").post(
        f"/cases/{briefed.ref}/briefings/new", data=form_data(briefed)
    )
    assert response.status_code == 500
    assert logged(app) == []
    with app.app_context():
        briefed_events = select(func.count()).where(CustodyEvent.action == "briefed")
        assert db.session.scalar(briefed_events) == 0
