"""What becomes of each file sent to a case: refused files leave nothing behind, hostile or
broken files are kept exactly and flagged (never a crash), and new images are matched with
protectees' reference photos and earlier evidence."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from tests.cases.web import page_text
from tests.evidence.photos import (
    CROSSHAIR_CENTRE,
    add_protectee,
    add_reference_photo,
    bomb_png,
    data_dir,
    files_under,
    jpeg_bytes,
    part,
    photo,
    png_bytes,
    store_files,
    stored_items,
    temp_files,
    truncated_jpeg,
    upload,
    with_crosshair,
)

RED = (255, 0, 0)


def assert_nothing_kept(app: Flask) -> None:
    assert stored_items(app) == []
    assert store_files(app) == []
    assert temp_files(app) == []


REFUSALS = {
    "executable renamed .jpg": (
        part(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(500), "holiday.jpg"),
        "This is an executable program",
    ),
    "html sent as image/png": (
        part(b"<!DOCTYPE html><html><script>fetch('/x')</script></html>", "chart.png", "image/png"),
        "HTML, SVG and XML files are not accepted",
    ),
    "empty file": (part(b"", "empty.jpg"), "The file is empty."),
}


@pytest.mark.parametrize("sent, reason", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refused_file_is_explained_and_leaves_nothing_behind(
    app: Flask, analyst: FlaskClient, ref: str, sent: tuple, reason: str
) -> None:
    response = upload(analyst, ref, sent)
    assert response.status_code == 422
    shown = rf"<strong>{re.escape(sent[1])}</strong>:\s*refused. {re.escape(reason)}"
    assert re.search(shown, page_text(response))
    assert_nothing_kept(app)


def test_a_file_over_the_size_limit_is_refused_with_the_limit_named(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    app.config.update(MAX_CONTENT_LENGTH=1024 * 1024, CASEMGR_MAX_UPLOAD_MB=1)
    response = upload(analyst, ref, part(b"a" * (1536 * 1024), "huge.txt"))
    assert response.status_code == 413
    assert "Uploads are limited to 1 MB." in page_text(response)
    assert_nothing_kept(app)


def multipart(boundary: str, name: str, content: bytes) -> bytes:
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    )
    return head.encode() + content + f"\r\n--{boundary}--\r\n".encode()


def test_a_chunked_upload_stopped_at_the_limit_leaves_no_temp_file(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    app.config.update(MAX_CONTENT_LENGTH=1024 * 1024, CASEMGR_MAX_UPLOAD_MB=1)
    response = analyst.post(
        f"/cases/{ref}/evidence",
        input_stream=io.BytesIO(multipart("b0undary", "log.txt", b"a" * (2 * 1024 * 1024))),
        content_type="multipart/form-data; boundary=b0undary",
        # No length: the server reads until the client ends the chunked body.
        environ_overrides={"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert "Uploads are limited to 1 MB." in page_text(response)
    assert_nothing_kept(app)


def test_an_upload_the_client_abandons_half_way_leaves_no_temp_file(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    body = multipart("b0undary", "log.txt", b"a" * 300_000)
    response = analyst.post(
        f"/cases/{ref}/evidence",
        input_stream=io.BytesIO(body[:200_000]),
        content_type="multipart/form-data; boundary=b0undary",
    )
    assert response.status_code >= 400
    assert_nothing_kept(app)


def test_one_refused_file_does_not_lose_the_others(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    picture, note = jpeg_bytes(photo(seed=4)), b"Seen outside the gate at 07:10.\n"
    response = upload(
        analyst,
        ref,
        part(picture, "gate.jpg"),
        part(b"\x7fELF\x02\x01\x01" + bytes(200), "invoice.jpg"),
        part(note, "sighting.txt"),
    )
    assert response.status_code == 200
    page = page_text(response)
    assert re.search(r"<strong>gate.jpg</strong>:\s*stored as item", page)
    assert re.search(r"<strong>invoice.jpg</strong>:\s*refused. This is an executable", page)
    assert re.search(r"<strong>sighting.txt</strong>:\s*stored as item", page)
    kept = stored_items(app)
    assert [(item.original_filename, item.mime) for item in kept] == [
        ("gate.jpg", "image/jpeg"),
        ("sighting.txt", "text/plain"),
    ]
    assert sorted(path.name for path in store_files(app)) == sorted(
        hashlib.sha256(content).hexdigest() for content in (picture, note)
    )
    assert temp_files(app) == []


def test_a_decompression_bomb_is_stored_exactly_and_flagged_not_decoded(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    app.config["CASEMGR_MAX_IMAGE_PIXELS"] = 1_000_000
    bomb = bomb_png(side=4000)  # 16 million pixels
    assert len(bomb) < 10_000
    assert upload(analyst, ref, part(bomb, "innocent.png")).status_code == 302
    (item,) = stored_items(app)
    assert item.analysis == "over_pixel_limit" and "over_pixel_limit" in item.flags
    assert analyst.get(f"/evidence/{item.id}/file").data == bomb
    page = page_text(analyst.get(f"/evidence/{item.id}"))
    assert "over pixel limit" in page and "16,000,000 pixels" in page
    assert analyst.get(f"/evidence/{item.id}/thumb.png").status_code == 404


def test_a_truncated_jpeg_is_stored_exactly_and_flagged_corrupt(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    broken = truncated_jpeg()
    assert upload(analyst, ref, part(broken, "cut.jpg")).status_code == 302
    (item,) = stored_items(app)
    assert (item.mime, item.analysis) == ("image/jpeg", "corrupt")
    assert analyst.get(f"/evidence/{item.id}/file").data == broken
    detail = analyst.get(f"/evidence/{item.id}")
    assert detail.status_code == 200 and "Image is truncated or corrupt" in page_text(detail)
    assert "corrupt" in page_text(analyst.get(f"/cases/{ref}/evidence"))


def test_a_hostile_file_name_is_kept_as_data_and_never_used_as_a_path(
    app: Flask, analyst: FlaskClient, ref: str, tmp_path: Path
) -> None:
    hostile = "../../etc/passwd\x00\u202egnp.jpg"
    content = png_bytes(photo(seed=6))
    before = set(files_under(tmp_path))
    assert upload(analyst, ref, part(content, hostile)).status_code == 302
    (item,) = stored_items(app)
    assert item.original_filename == "../../etc/passwd\ufffd\u202egnp.jpg"
    assert item.type_mismatch  # a .jpg name on PNG content
    digest = hashlib.sha256(content).hexdigest()
    stored = data_dir(app) / "store" / digest[:2] / digest[2:4] / digest
    assert store_files(app) == [stored]
    thumbnails = files_under(data_dir(app) / "derived" / digest[:2] / digest)
    assert set(files_under(tmp_path)) - before == {stored, *thumbnails}
    download = analyst.get(f"/evidence/{item.id}/file")
    assert download.data == content
    disposition = download.headers["Content-Disposition"]
    assert disposition == "attachment; filename=etc_passwdgnp.jpg.png"
    page = page_text(analyst.get(f"/evidence/{item.id}"))
    assert "the name ends in .jpg but the content is image/png" in page


def test_a_reference_photo_must_be_an_image(app: Flask, analyst: FlaskClient) -> None:
    protectee_id = add_protectee(app)
    pdf = io.BytesIO()
    photo().save(pdf, "PDF")
    response = add_reference_photo(analyst, protectee_id, pdf.getvalue(), "portrait.pdf")
    assert response.status_code == 302
    page = page_text(analyst.get(response.headers["Location"]))
    assert "portrait.pdf refused: A reference photo must be an image." in page
    assert_nothing_kept(app)


def item_page(client: FlaskClient, item_id: int) -> str:
    response = client.get(f"/evidence/{item_id}")
    assert response.status_code == 200
    return page_text(response)


def test_a_doctored_copy_of_a_reference_photo_is_shown_as_derived_from_it(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    protectee_id = add_protectee(app)
    portrait = photo(seed=2)
    response = add_reference_photo(analyst, protectee_id, jpeg_bytes(portrait), "portrait.jpg")
    assert "Reference photo portrait.jpg added." in page_text(
        analyst.get(response.headers["Location"])
    )
    upload(analyst, ref, part(jpeg_bytes(with_crosshair(portrait)), "target.jpg"))
    reference, doctored = stored_items(app)
    page = item_page(analyst, doctored.id)
    found = re.search(
        r"Derived from reference photo of <strong>Dana Whitfield</strong>\s*\(distance (\d+)\)",
        page,
    )
    assert found and int(found[1]) <= app.config["CASEMGR_MATCH_THRESHOLD"]
    difference = analyst.get(f"/evidence/{doctored.id}/difference/{reference.id}.png")
    assert difference.status_code == 200 and difference.mimetype == "image/png"
    with Image.open(io.BytesIO(difference.data)) as image:
        pixels = image.convert("RGB")
    x, y = CROSSHAIR_CENTRE
    for point in [(x + 75, y), (x - 75, y), (x, y + 80), (x, y - 80), (x + 60, y)]:
        assert pixels.getpixel(point) == RED, point
    for point in [(20, 20), (600, 400), (x + 30, y + 30)]:
        assert pixels.getpixel(point) != RED, point


def test_an_unrelated_photo_matches_nothing(app: Flask, analyst: FlaskClient, ref: str) -> None:
    protectee_id = add_protectee(app)
    add_reference_photo(analyst, protectee_id, jpeg_bytes(photo(seed=2)), "portrait.jpg")
    upload(analyst, ref, part(jpeg_bytes(photo(seed=2)), "earlier.jpg"))
    upload(analyst, ref, part(jpeg_bytes(photo(seed=9)), "unrelated.jpg"))
    unrelated = stored_items(app)[-1]
    page = item_page(analyst, unrelated.id)
    assert "No near match among reference photos and earlier evidence." in page
    assert "Derived from" not in page and "Same image as" not in page


def test_a_resized_reencoded_copy_matches_the_earlier_evidence(
    app: Flask, analyst: FlaskClient, ref: str
) -> None:
    original = photo(seed=3)
    upload(analyst, ref, part(jpeg_bytes(original), "original.jpg"))
    smaller = original.resize((320, 240), Image.Resampling.BILINEAR)
    upload(analyst, ref, part(jpeg_bytes(smaller, quality=55), "forwarded.jpg"))
    first, copy = stored_items(app)
    assert first.sha256 != copy.sha256
    page = item_page(analyst, copy.id)
    assert re.search(
        rf'Same image as item <a href="/evidence/{first.id}">#{first.id}</a>'
        r"\s*\(distance \d+\)",
        page,
    )
    assert "looks derived from this one" in item_page(analyst, first.id)
    assert page_text(analyst.get(f"/cases/{ref}/evidence")).count(">1 match</span>") == 2
