"""Hostile input through the web forms: NUL bytes, overlong text, markup and SQL, numbers
beyond the id columns, out-of-range dates, invalid UTF-8, path traversal and broken uploads.
Each is refused with a 4xx that names the problem and leaves the database and the evidence
store untouched, or is kept exactly as sent and shown escaped. SQLite is made to refuse what
PostgreSQL refuses, so crashes that only PostgreSQL would show are found here too."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from casemgr.auth.models import User
from casemgr.briefings import operations
from casemgr.briefings.models import Briefing
from casemgr.cases.models import Case
from casemgr.evidence.models import EvidenceItem
from casemgr.extensions import db
from casemgr.people.models import Protectee
from casemgr.threats.models import Threat
from casemgr.validation import NUL_MESSAGE
from tests.evidence.photos import bomb_png, jpeg_bytes, part, photo, png_bytes, truncated_jpeg
from tests.security.hostile import (
    HUGE,
    MARKUP,
    NUL,
    RTL_NAME,
    SCRIPT,
    SQL,
    TRAVERSAL,
    assert_refused_web,
    assert_unchanged,
    behave_like_postgresql,
    snapshot,
)
from tests.security.web_forms import FORMS, WebForm, prepare_world, signed_in

ClientAs = Callable[[str], FlaskClient]
OVERLONG = "x" * 60_001  # beyond every text limit (the longest, a threat's text, is 50,000)


@pytest.fixture(autouse=True)
def like_postgresql(app: Flask) -> None:
    behave_like_postgresql(app)


@pytest.fixture
def ref(app: Flask, world: dict[str, str]) -> str:
    prepare_world(app)
    return world["ref"]


def send(app: Flask, client_as: ClientAs, form: WebForm, ref: str, **changed: str):
    client = signed_in(client_as, form.role, app)
    return client.post(form.url(ref), data=form.values | form.extra | changed)


def test_every_catalogued_form_accepts_its_values(
    app: Flask, client_as: ClientAs, ref: str
) -> None:
    """The baseline the refusals below are measured against (in order: each form may rely
    on what the ones before it did)."""
    for name, form in FORMS.items():
        response = send(app, client_as, form, ref)
        assert response.status_code == form.accepted, (name, response.get_data(as_text=True))


def test_a_nul_byte_in_any_field_of_any_form_is_refused_beside_it(
    app: Flask, client_as: ClientAs, ref: str
) -> None:
    before = snapshot(app)
    for name, form in FORMS.items():
        for field in form.values:
            response = send(app, client_as, form, ref, **{field: NUL})
            page = assert_refused_web(response, status=form.refused)
            assert form.page_refusal or NUL_MESSAGE in page, (name, field)
    assert_unchanged(before, app)


def test_overlong_text_in_any_text_field_is_refused(
    app: Flask, client_as: ClientAs, ref: str
) -> None:
    before = snapshot(app)
    for name, form in FORMS.items():
        for field in form.texts:
            page = assert_refused_web(send(app, client_as, form, ref, **{field: OVERLONG}))
            assert "characters" in page, (name, field)
    assert_unchanged(before, app)


ID_FIELDS = [
    ("subject", "affiliation_id"),
    ("merge", "other_id"),
    ("threat", "account_id"),
    ("threat", "target_ids"),
    ("case", "protectee_ids"),
    ("manipulated", "original_id"),
]
NOT_IDS = [str(HUGE), "-1", "0", "²", "1e3", str(2**31), "9" * 5000]


def test_numbers_that_are_no_row_id_are_refused(app: Flask, client_as: ClientAs, ref: str) -> None:
    before = snapshot(app)
    for name, field in ID_FIELDS:
        for number in NOT_IDS:
            response = send(app, client_as, FORMS[name], ref, **{field: number})
            assert 400 <= response.status_code < 500, (name, field, number[:20])
    assert_unchanged(before, app)


def test_a_version_no_case_has_is_a_conflict_and_a_non_number_counts_as_absent(
    app: Flask, client_as: ClientAs, ref: str
) -> None:
    before = snapshot(app)
    for version in (str(HUGE), "0", str(2**31), "9" * 5000):
        response = send(app, client_as, FORMS["case edit"], ref, version=version, title="New")
        assert_refused_web(response, "changed while you were editing")
    assert_unchanged(before, app)
    for version in ("²", "-1", "1e3", "v2"):
        response = send(app, client_as, FORMS["case edit"], ref, version=version)
        assert response.status_code == 302, version


PATHS = [
    f"/threats/{HUGE}",
    "/evidence/-1",
    f"/protectees/{2**31}",
    f"/cases/handoffs/{HUGE}",
    "/cases/..\\..\\etc\\passwd",
    f"/evidence/1/difference/{HUGE}.png",
    "/evidence/1/..%2F..%2F..%2Fetc%2Fpasswd.png",
    "/cases/..%2F..%2Fetc%2Fpasswd",
    "/cases/TA%002026",
    "/static/..%2F..%2Fcasemgr%2Fconfig.py",
]


def test_ids_beyond_the_columns_and_traversal_in_paths_are_404(
    client_as: ClientAs, ref: str
) -> None:
    lead = client_as("lead")
    for path in PATHS:
        response = lead.get(path.format(ref=ref))
        assert response.status_code == 404, path
        assert b"root:" not in response.data and b"SECRET" not in response.data


def test_odd_list_queries_answer_a_page(client_as: ClientAs, ref: str) -> None:
    analyst = client_as("analyst")
    for query in (f"page={HUGE}", "page=-3", f"protectee_id={HUGE}", f"owner={NUL}"):
        page = analyst.get(f"/cases?{query}")
        assert page.status_code == 200 and "Threats against leadership" in page.text, query
    for query in ("q=%22unbalanced", "q=*", f"q={SQL}", "q=NEAR(", "q=" + "x" * 5000):
        assert analyst.get(f"/cases?{query}").status_code == 200, query
        assert analyst.get(f"/search?{query}").status_code == 200, query


def test_hostile_assessment_answers_and_comparisons_are_refused(
    app: Flask, client_as: ClientAs, ref: str
) -> None:
    analyst, before = client_as("analyst"), snapshot(app)
    item = "directly_communicated_threat"
    hostile = [
        {f"rationale.{item}": NUL, f"point.{item}": "1"},
        {f"point.{item}": "²"},
        {f"point.{item}": "9" * 5000},
        {f"threats.{item}": str(HUGE), f"point.{item}": "1", f"rationale.{item}": "Named."},
        {"override_level": "high", "override_justification": NUL},
        {"version": "²", f"point.{item}": "9"},
    ]
    for form in hostile:
        response = analyst.post(f"/cases/{ref}/assessments/new", data=form)
        assert_refused_web(response)
    for query in (f"a=1&b={HUGE}", "a=²&b=1", "a=-1&b=0"):
        assert_refused_web(analyst.get(f"/cases/{ref}/assessments/compare?{query}"))
    assert_unchanged(before, app)


def test_out_of_range_dates_are_refused_beside_the_field(
    app: Flask, client_as: ClientAs, ref: str
) -> None:
    with app.app_context():
        db.session.get(User, 3).timezone = "America/Los_Angeles"  # 9999-12-31 is year 10000 UTC
        db.session.commit()
    before = snapshot(app)
    dated = (("threat", "occurred_at"), ("task", "due_at"), ("account", "last_seen"))
    for value in ("0000-01-01T00:00", "10000-01-01T00:00", "9999-12-31T23:59", "2026-13-45T99:99"):
        for name, field in dated:
            response = send(app, client_as, FORMS[name], ref, **{field: value})
            page = assert_refused_web(response)
            assert "out of range" in page or "Not a valid datetime value" in page, (field, value)
    assert_unchanged(before, app)


def test_invalid_utf8_in_a_form_post_is_refused_or_kept_as_escaped_text(
    app: Flask, client_as: ClientAs
) -> None:
    """Raw bytes leave the form unreadable (refused as empty); percent-escaped bytes are
    kept as their escapes by Werkzeug, so nothing is lost or half-decoded."""
    analyst, before = client_as("analyst"), snapshot(app)
    form = "application/x-www-form-urlencoded"
    raw = analyst.post("/cases/new", data=b"title=\xff\xfe\xed\xa0\x80", content_type=form)
    assert_refused_web(raw, "This field is required.")
    assert_unchanged(before, app)
    escaped = analyst.post("/cases/new", data=b"title=%FF%ED%A0%80x", content_type=form)
    assert escaped.status_code == 302
    with app.app_context():
        titles = list(db.session.scalars(select(Case.title).order_by(Case.id)))
    assert titles[-1] == "%FF%ED%A0%80x"
    assert analyst.get(escaped.headers["Location"]).status_code == 200


class LiveMarkup(HTMLParser):
    """What a browser or WeasyPrint would run: inline scripts (the pages load only their own
    files, by `src`) and event-handler attributes."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.found: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and "src" not in dict(attrs):
            self.found.append(tag)
        self.found += [f"{tag} {name}" for name, _ in attrs if name.startswith("on")]


def test_markup_and_sql_in_text_fields_are_kept_verbatim_and_shown_escaped(
    app: Flask, client_as: ClientAs, ref: str
) -> None:
    analyst = client_as("analyst")
    text = f"{SCRIPT} {MARKUP} {SQL}"
    threat = send(app, client_as, FORMS["threat"], ref, text=text, platform=SCRIPT)
    assert threat.status_code == 302
    case = send(app, client_as, FORMS["case"], ref, title=SCRIPT, summary=text)
    protectee = send(app, client_as, FORMS["protectee"], ref, name=RTL_NAME, title=SCRIPT)
    assert case.status_code == protectee.status_code == 302
    with app.app_context():
        stored = db.session.scalars(select(Threat).order_by(Threat.id.desc())).first()
        assert (stored.text, stored.platform) == (text, SCRIPT)
        assert db.session.scalar(select(Protectee.name).where(Protectee.title == SCRIPT)) == (
            RTL_NAME
        )
        threat_id = stored.id
    for path in (
        f"/threats/{threat_id}",
        f"/cases/{ref}",
        case.headers["Location"],
        protectee.headers["Location"],
        "/protectees",
        f"/search?q={SCRIPT}",
    ):
        page = analyst.get(path).get_data(as_text=True)
        assert LiveMarkup(page).found == [] and "&lt;script&gt;alert(" in page, path
    isolated = re.compile(f"<bdi>(<a [^>]+>)?{re.escape(RTL_NAME)}")  # no spill-over
    for path in (protectee.headers["Location"], "/protectees"):
        assert isolated.search(analyst.get(path).get_data(as_text=True)), path


def upload(client: FlaskClient, ref: str, data: bytes, name: str, **fields: str):
    return client.post(
        f"/cases/{ref}/evidence",
        data={"files": [part(data, name)], **fields},
        content_type="multipart/form-data",
    )


def only_new_item(app: Flask) -> EvidenceItem:
    with app.app_context():
        item = db.session.scalars(select(EvidenceItem).order_by(EvidenceItem.id.desc())).first()
        db.session.expunge(item)
        return item


def test_an_empty_file_and_a_malformed_multipart_body_store_nothing(
    app: Flask, client_as: ClientAs, ref: str
) -> None:
    analyst, before = client_as("analyst"), snapshot(app)
    assert_refused_web(upload(analyst, ref, b"", "empty.jpg"), "The file is empty.")
    for body in (b'--x\r\nContent-Disposition: form-data; name="files"; filename="a"', b"--"):
        broken = analyst.post(
            f"/cases/{ref}/evidence", data=body, content_type="multipart/form-data; boundary=x"
        )
        assert_refused_web(broken, "Choose at least one file.")
    for field, value in (("description", NUL), ("threat_id", str(HUGE)), ("threat_id", "999")):
        response = upload(analyst, ref, b"Notes.\n", "notes.txt", **{field: value})
        assert_refused_web(response)
    assert_unchanged(before, app)


@pytest.mark.parametrize("name", [*TRAVERSAL, "a\x00b.txt", "\u202etxt.exe", "<b>x</b>.txt"])
def test_an_upload_filename_is_data_never_a_path(
    app: Flask, client_as: ClientAs, ref: str, name: str
) -> None:
    analyst, before = client_as("analyst"), snapshot(app)
    data = f"Notes about {name.encode().hex()}.\n".encode()
    assert upload(analyst, ref, data, name).status_code == 302
    item = only_new_item(app)
    assert item.original_filename == name.replace("\x00", "\ufffd")  # kept, as text
    new_files = snapshot(app).files - before.files
    assert new_files == {f"store/{item.sha256[:2]}/{item.sha256[2:4]}/{item.sha256}"}
    download = analyst.get(f"/evidence/{item.id}/file")
    assert download.data == data
    sent_as = download.headers["Content-Disposition"].removeprefix("attachment; filename=")
    assert not ({"/", "\\", "\u202e", "\x00"} & set(sent_as)) and not sent_as.startswith(".")
    page = analyst.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "<b>x</b>" not in page


@pytest.mark.parametrize(
    ("data", "name", "flag"),
    [
        (bomb_png(4000), "innocent.png", "pixels"),
        (png_bytes(photo(seed=3)), "holiday.jpg", "the content is image/png"),
        (truncated_jpeg(), "cut.jpg", "truncated or corrupt"),
    ],
    ids=["decompression bomb", "content not its extension", "truncated jpeg"],
)
def test_hostile_images_are_kept_exactly_flagged_and_never_decoded(
    app: Flask, client_as: ClientAs, ref: str, data: bytes, name: str, flag: str
) -> None:
    app.config["CASEMGR_MAX_IMAGE_PIXELS"] = 10_000_000
    analyst = client_as("analyst")
    assert upload(analyst, ref, data, name).status_code == 302
    item = only_new_item(app)
    assert analyst.get(f"/evidence/{item.id}/file").data == data
    notes = f"{item.analysis_note} {item.mismatch_note}".lower()
    assert flag in notes, notes
    if not item.type_mismatch:
        assert analyst.get(f"/evidence/{item.id}/thumb.png").status_code == 404


def test_a_jpeg_named_png_is_kept_with_the_type_of_its_content(
    app: Flask, client_as: ClientAs, ref: str
) -> None:
    analyst = client_as("analyst")
    assert upload(analyst, ref, jpeg_bytes(photo(seed=4)), "scan.png").status_code == 302
    item = only_new_item(app)
    assert (item.mime, item.type_mismatch) == ("image/jpeg", True)
    assert analyst.get(f"/evidence/{item.id}/file").mimetype == "image/jpeg"


def test_a_briefing_prints_hostile_text_as_literal_text(
    app: Flask, client_as: ClientAs, ref: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    html: list[str] = []
    original = operations.render_pdf

    def capture(page: str, fetcher: Any) -> bytes:
        html.append(page)
        return original(page, fetcher)

    monkeypatch.setattr(operations, "render_pdf", capture)
    for name, field in (("case edit", "title"), ("threat", "text"), ("subject edit", "name")):
        assert send(app, client_as, FORMS[name], ref, **{field: SCRIPT}).status_code == 302
    assert send(app, client_as, FORMS["protectee edit"], ref, name=MARKUP).status_code == 302
    lead = signed_in(client_as, "lead", app)
    sections = ["summary", "protectees", "subjects", "threats"]
    form = FORMS["briefing"].values | {"recipient": SQL, "sections": sections}
    assert lead.post(f"/cases/{ref}/briefings/new", data=form).status_code == 302
    with app.app_context():
        briefing_id = db.session.scalar(select(Briefing.id).order_by(Briefing.id.desc()))
    pdf = lead.get(f"/briefings/{briefing_id}/pdf").data
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    for literal in (SCRIPT, MARKUP, SQL):
        assert re.sub(r"\s+", "", literal) in text, literal
    assert LiveMarkup(html[0]).found == [] and "&lt;script&gt;alert(" in html[0]
