"""The gallery's upload shows progress per file with upload.js, which posts one file per
request and asks for JSON; without JavaScript the form posts every file at once as before."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.cases.web import page_text
from tests.evidence.photos import jpeg_bytes, part, photo, stored_items, upload

JSON = {"Accept": "application/json"}
STATIC = Path(__file__).resolve().parents[2] / "casemgr" / "static"


def post_one(client: FlaskClient, ref: str, file_part, **fields: str):
    return client.post(
        f"/cases/{ref}/evidence",
        data={"files": [file_part], **fields},
        content_type="multipart/form-data",
        headers=JSON,
    )


def test_the_gallery_loads_upload_js_for_those_who_may_upload(analyst, client_as, ref) -> None:
    html = page_text(analyst.get(f"/cases/{ref}/evidence"))
    assert '<script src="/static/upload.js" defer></script>' in html
    assert '<form method="post" enctype="multipart/form-data" id="upload-form"' in html
    # The CSP allows scripts from 'self' only: no inline script on the page.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "upload.js" not in page_text(client_as("viewer").get(f"/cases/{ref}/evidence"))


def test_upload_js_is_served_and_posts_one_file_per_request() -> None:
    script = (STATIC / "upload.js").read_text()
    assert 'getElementById("upload-form")' in script
    assert 'setRequestHeader("Accept", "application/json")' in script
    assert "data.append(input.name, file, file.name)" in script
    assert "<progress" not in script and 'createElement("progress")' in script


def test_without_javascript_several_files_are_stored_in_one_post(app: Flask, analyst, ref) -> None:
    first, second = jpeg_bytes(photo(seed=1)), jpeg_bytes(photo(seed=2))
    response = upload(analyst, ref, part(first, "one.jpg"), part(second, "two.jpg"))
    assert response.status_code == 302
    assert [item.original_filename for item in stored_items(app)] == ["one.jpg", "two.jpg"]
    assert "2 items stored." in page_text(analyst.get(response.headers["Location"]))


def test_one_file_asking_for_json_gets_its_item(app: Flask, analyst, ref) -> None:
    response = post_one(analyst, ref, part(jpeg_bytes(photo(seed=3)), "car-park.jpg"))
    assert response.status_code == 200
    (item,) = stored_items(app)
    assert response.get_json() == {
        "outcomes": [
            {
                "filename": "car-park.jpg",
                "item_id": item.id,
                "url": f"/evidence/{item.id}",
                "refusal": "",
            }
        ],
        "errors": [],
    }


def test_a_refused_file_answers_with_the_servers_reason(app: Flask, analyst, ref) -> None:
    response = post_one(analyst, ref, part(b"\x00\x01 not a known type", "junk.bin"))
    assert response.status_code == 422
    (outcome,) = response.get_json()["outcomes"]
    assert outcome["item_id"] is None and "not accepted" in outcome["refusal"]
    assert stored_items(app) == []


def test_a_refused_form_answers_with_its_messages(app: Flask, analyst, ref) -> None:
    photo_part = part(jpeg_bytes(photo(seed=4)), "photo.jpg")
    response = post_one(analyst, ref, photo_part, threat_id="999999")
    assert response.status_code == 422
    assert response.get_json() == {
        "outcomes": [],
        "errors": ["About threat: Choose a threat of this case."],
    }
    assert stored_items(app) == []
