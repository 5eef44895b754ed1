"""Evidence in the browser: an upload lands in the store under its hash, the gallery and the
item page show it, downloads give back the exact bytes, every action joins the chain of
custody, and who may not see or change an item cannot."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from casemgr.evidence.models import CustodyEvent
from casemgr.extensions import db
from tests.cases.web import open_case, page_text
from tests.evidence.photos import (
    add_protectee,
    data_dir,
    gps_exif,
    jpeg_bytes,
    part,
    photo,
    store_files,
    stored_items,
    temp_files,
    upload,
    with_crosshair,
)

PHOTO = jpeg_bytes(photo(seed=1), exif=gps_exif())
ClientAs = Callable[[str], FlaskClient]


def upload_one(client: FlaskClient, ref: str, data: bytes = PHOTO, name: str = "car-park.jpg"):
    response = upload(client, ref, part(data, name))
    assert response.status_code == 302, page_text(response)
    return response


def only_item_id(app: Flask) -> int:
    (item,) = stored_items(app)
    return item.id


def custody_actions(app: Flask, item_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(CustodyEvent.action)
                .where(CustodyEvent.evidence_id == item_id)
                .order_by(CustodyEvent.id)
            )
        )


def metadata_free(png: bytes) -> bool:
    with Image.open(io.BytesIO(png)) as image:
        no_exif = not image.getexif() and "exif" not in image.info
    return no_exif and b"Canon" not in png and b"eXIf" not in png


def test_an_upload_is_stored_under_its_sha256(app: Flask, analyst: FlaskClient, ref: str) -> None:
    response = upload_one(analyst, ref)
    assert "1 item stored." in page_text(analyst.get(response.headers["Location"]))
    digest = hashlib.sha256(PHOTO).hexdigest()
    stored = data_dir(app) / "store" / digest[:2] / digest[2:4] / digest
    assert stored.read_bytes() == PHOTO
    (item,) = stored_items(app)
    assert (item.sha256, item.size, item.mime) == (digest, len(PHOTO), "image/jpeg")
    assert store_files(app) == [stored]
    assert temp_files(app) == []


def test_the_gallery_shows_each_item_with_its_thumbnail(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    upload_one(analyst, ref)
    item_id = only_item_id(app)
    gallery = page_text(analyst.get(f"/cases/{ref}/evidence"))
    assert f'src="/evidence/{item_id}/thumb.png"' in gallery
    assert "car-park.jpg" in gallery and "GPS" in gallery
    thumb = analyst.get(f"/evidence/{item_id}/thumb.png")
    assert thumb.status_code == 200 and thumb.mimetype == "image/png"
    with Image.open(io.BytesIO(thumb.data)) as image:
        assert max(image.size) <= 320


def test_the_item_page_shows_the_hash_the_exif_and_a_gps_warning(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    upload_one(analyst, ref)
    page = page_text(analyst.get(f"/evidence/{only_item_id(app)}"))
    assert hashlib.sha256(PHOTO).hexdigest() in page
    assert "Canon" in page and "EOS 5D Mark IV" in page
    assert 'title="The file carries GPS coordinates">GPS</span>' in page
    assert "51.50000, -0.12500" in page
    assert "640 × 480 JPEG" in page


def test_thumbnail_and_preview_carry_no_exif_or_gps(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    upload_one(analyst, ref)
    item_id = only_item_id(app)
    for kind in ("thumb", "preview"):
        response = analyst.get(f"/evidence/{item_id}/{kind}.png")
        assert response.status_code == 200
        assert metadata_free(response.data), kind


def test_a_download_gives_back_the_exact_bytes_as_an_attachment(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    upload_one(analyst, ref, name="Photo of the car park.JPG")
    response = analyst.get(f"/evidence/{only_item_id(app)}/file")
    assert response.status_code == 200
    assert response.data == PHOTO
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=Photo_of_the_car_park.JPG"
    )


def test_the_same_bytes_uploaded_twice_are_stored_once_and_linked_twice(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    upload_one(analyst, ref, name="first.jpg")
    other_case = open_case(analyst, title="Second matter")
    upload_one(analyst, other_case, name="again.jpg")
    first, second = stored_items(app)
    assert first.sha256 == second.sha256 and first.case_id != second.case_id
    assert len(store_files(app)) == 1
    for item in (first, second):
        assert analyst.get(f"/evidence/{item.id}/file").data == PHOTO


def test_every_action_on_an_item_joins_its_chain_of_custody(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    acquisition = {
        "acquired_at": "2026-03-02T21:40",
        "acquired_by": "J. Okafor",
        "method": "screenshot",
        "source_url": "https://chirper.example/watcher/status/1",
    }
    response = upload(analyst, ref, part(PHOTO, "post.jpg"), **acquisition)
    assert response.status_code == 302
    item_id = only_item_id(app)
    assert custody_actions(app, item_id) == ["acquired", "uploaded"]
    analyst.get(f"/evidence/{item_id}")
    analyst.get(f"/evidence/{item_id}/file")
    steps = [
        ("manipulated", {"note": "Crosshairs drawn on the face."}),
        ("transfer", {"recipient": "Metropolitan Police, DC Hale", "note": "USB stick"}),
        ("withdraw", {"reason": "Duplicate of the police copy."}),
    ]
    for action, form in steps:
        assert analyst.post(f"/evidence/{item_id}/{action}", data=form).status_code == 302
    assert custody_actions(app, item_id) == [
        "acquired",
        "uploaded",
        "viewed",
        "downloaded",
        "marked_manipulated",
        "transferred",
        "withdrawn",
    ]
    page = page_text(analyst.get(f"/evidence/{item_id}"))
    assert "Collected by J. Okafor on 2026-03-02" in page
    assert "Transferred to Metropolitan Police, DC Hale. USB stick" in page
    assert "Marked as manipulated: Crosshairs drawn on the face." in page


def test_a_withdrawn_item_keeps_its_file_and_record_and_still_downloads(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    upload_one(analyst, ref)
    item_id = only_item_id(app)
    response = analyst.post(f"/evidence/{item_id}/withdraw", data={"reason": "Wrong case."})
    assert response.status_code == 302
    page = page_text(analyst.get(response.headers["Location"]))
    assert "Withdrawn. The file and its record are kept." in page
    assert "Wrong case." in page
    assert analyst.get(f"/evidence/{item_id}/file").data == PHOTO
    assert "withdrawn" in page_text(analyst.get(f"/cases/{ref}/evidence"))
    assert len(store_files(app)) == 1


def test_withdrawing_twice_is_refused_with_a_conflict(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    upload_one(analyst, ref)
    item_id = only_item_id(app)
    analyst.post(f"/evidence/{item_id}/withdraw", data={"reason": "Wrong case."})
    again = analyst.post(f"/evidence/{item_id}/withdraw", data={"reason": "Again."})
    assert again.status_code == 409
    assert "This item was already withdrawn." in page_text(again)
    assert custody_actions(app, item_id).count("withdrawn") == 1


def test_withdrawing_without_a_reason_shows_the_message_beside_the_field(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    upload_one(analyst, ref)
    item_id = only_item_id(app)
    response = analyst.post(f"/evidence/{item_id}/withdraw", data={"reason": ""})
    assert response.status_code == 422
    withdraw_form = page_text(response).split('id="withdraw-form"')[1].split("</form>")[0]
    assert "This field is required." in withdraw_form
    assert "withdrawn" not in custody_actions(app, item_id)


def evidence_posts(item_id: int, ref: str, protectee_id: int) -> dict[str, tuple[str, dict]]:
    photo_part = part(jpeg_bytes(photo(seed=5)), "more.jpg")
    return {
        "upload": (f"/cases/{ref}/evidence", {"files": [photo_part]}),
        "manipulated": (f"/evidence/{item_id}/manipulated", {"note": "Edited."}),
        "withdraw": (f"/evidence/{item_id}/withdraw", {"reason": "No."}),
        "transfer": (f"/evidence/{item_id}/transfer", {"recipient": "Police"}),
        "reference": (f"/protectees/{protectee_id}/reference-photos", {"files": [photo_part]}),
    }


@pytest.mark.parametrize("action", ["upload", "manipulated", "withdraw", "transfer", "reference"])
def test_a_viewer_may_not_change_evidence(
    app: Flask, analyst: FlaskClient, client_as: ClientAs, ref: str, action: str
) -> None:
    upload_one(analyst, ref)
    protectee_id = add_protectee(app)
    item_id = only_item_id(app)
    url, data = evidence_posts(item_id, ref, protectee_id)[action]
    response = client_as("viewer").post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 403
    assert len(stored_items(app)) == 1 and len(store_files(app)) == 1
    assert temp_files(app) == []
    assert custody_actions(app, item_id) == ["uploaded"]


def test_an_analyst_outside_a_restricted_case_cannot_reach_its_evidence(
    app: Flask, client_as: ClientAs
) -> None:
    lead = client_as("lead")
    secret = open_case(lead, title="Board member stalking", restricted="y")
    upload_one(lead, secret, jpeg_bytes(photo(seed=2)), "original.jpg")
    upload_one(lead, secret, jpeg_bytes(with_crosshair(photo(seed=2))), "doctored.jpg")
    original, doctored = stored_items(app)
    assert "Same image as item" in page_text(lead.get(f"/evidence/{doctored.id}"))
    outsider = client_as("analyst")
    urls = [
        f"/evidence/{doctored.id}",
        f"/evidence/{doctored.id}/file",
        f"/evidence/{doctored.id}/thumb.png",
        f"/evidence/{doctored.id}/preview.png",
        f"/evidence/{doctored.id}/difference/{original.id}.png",
        f"/cases/{secret}/evidence",
    ]
    for url in urls:
        response = outsider.get(url)
        assert response.status_code == 404, url
        assert not re.search(r"original\.jpg|doctored\.jpg", page_text(response))
    assert custody_actions(app, doctored.id) == ["uploaded", "viewed"]


def test_a_match_with_evidence_on_a_restricted_case_is_hidden_from_those_outside_it(
    app: Flask, client_as: ClientAs, analyst: FlaskClient, ref: str
) -> None:
    lead = client_as("lead")
    secret = open_case(lead, title="Board member stalking", restricted="y")
    upload_one(lead, secret, jpeg_bytes(photo(seed=2)), "original.jpg")
    upload_one(analyst, ref, jpeg_bytes(with_crosshair(photo(seed=2))), "doctored.jpg")
    original, doctored = stored_items(app)
    page = page_text(analyst.get(f"/evidence/{doctored.id}"))
    assert "Same image as" not in page and secret not in page
    assert "match</span>" not in page_text(analyst.get(f"/cases/{ref}/evidence"))
    assert f'Same image as item <a href="/evidence/{original.id}">' in page_text(
        lead.get(f"/evidence/{doctored.id}")
    )
