"""Evidence through the API: uploads kept byte for byte, near matches to reference photos,
refusals that leave no trace, custody, and who may see and change what."""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openapi_spec_validator import validate
from PIL import Image, ImageDraw, ImageFilter, ImageOps
from sqlalchemy import func, select

from casemgr.evidence.models import EvidenceItem
from casemgr.extensions import db
from tests.api.conftest import Caller, assert_ok, assert_problem

SIZE = (480, 360)


def photo(seed: int) -> Image.Image:
    """Something like a photograph: a colour gradient, random blobs, a little blur."""
    rng = random.Random(seed)
    ramp = Image.linear_gradient("L").resize(SIZE)
    across = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize(SIZE)
    image = Image.merge("RGB", (ramp, across, ImageOps.invert(ramp)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(SIZE[0]), rng.randrange(SIZE[1])
        rx, ry = rng.randrange(8, 70), rng.randrange(8, 70)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - rx, y - ry, x + rx, y + ry), fill=colour)
    return image.filter(ImageFilter.GaussianBlur(3))


def with_crosshairs(image: Image.Image) -> Image.Image:
    """The doctored copy a threatener posts: red crosshairs over the middle."""
    doctored = image.copy()
    draw = ImageDraw.Draw(doctored)
    width, height = doctored.size
    cx, cy = width // 2, height // 2
    draw.line((cx, 0, cx, height), fill=(255, 0, 0), width=3)
    draw.line((0, cy, width, cy), fill=(255, 0, 0), width=3)
    draw.ellipse((cx - 50, cy - 50, cx + 50, cy + 50), outline=(255, 0, 0), width=3)
    return doctored


def encoded(image: Image.Image, image_format: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **({"quality": 85} if image_format == "JPEG" else {}))
    return buffer.getvalue()


REFERENCE = encoded(photo(7))
DOCTORED = encoded(with_crosshairs(photo(7)))
UNRELATED = encoded(photo(99))
SCREENSHOT = encoded(photo(3), "PNG")


def file_part(content: bytes, name: str = "photo.jpg", mime: str | None = None) -> tuple:
    return (io.BytesIO(content), name, mime) if mime else (io.BytesIO(content), name)


@pytest.fixture
def upload(api: Caller) -> Callable[..., Any]:
    """POST a file (and fields) to a case's evidence; the raw answer."""

    def send(ref: str, content: bytes, name: str = "photo.jpg", who: str = "analyst", **fields):
        mime = fields.pop("mime", None)
        data = fields | {"file": file_part(content, name, mime)}
        return api.post(who, f"/cases/{ref}/evidence", data=data)

    return send


def stored_files(app: Flask) -> list[Path]:
    store = Path(app.config["CASEMGR_DATA_DIR"]) / "store"
    return [path for path in store.rglob("*") if path.is_file()]


def item_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(EvidenceItem.id)))


def actions(api: Caller, evidence_id: int, who: str = "analyst") -> list[str]:
    custody = assert_ok(api.get(who, f"/evidence/{evidence_id}/custody"))
    return [event["action"] for event in custody["items"]]


def test_an_upload_is_kept_byte_for_byte_and_served_back_as_an_attachment(
    api, new_case, upload
) -> None:
    ref = new_case()["ref"]
    item = assert_ok(
        upload(ref, SCREENSHOT, "../../etc/capture", mime="application/octet-stream"), 201
    )
    assert item["sha256"] == hashlib.sha256(SCREENSHOT).hexdigest()
    assert item["size"] == len(SCREENSHOT)
    assert item["mime"] == "image/png"  # from the content: no extension, a generic type
    assert item["original_filename"] == "../../etc/capture"
    assert item["case"] == ref and item["flags"] == [] and item["matches"] == []
    assert item["phash"] and item["dhash"] and (item["width"], item["height"]) == SIZE

    response = api.get("analyst", f"/evidence/{item['id']}/file")
    assert response.status_code == 200
    assert response.get_data() == SCREENSHOT
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "/" not in disposition and "etc_capture.png" in disposition


def test_a_doctored_copy_of_a_reference_photo_is_matched_to_its_protectee(
    api, new_case, upload
) -> None:
    protectee = assert_ok(api.post("analyst", "/protectees", {"name": "Dana Whitfield"}), 201)
    data = {"file": file_part(REFERENCE, "dana.jpg"), "caption": "Press portrait"}
    reference = api.post("analyst", f"/protectees/{protectee['id']}/reference-photos", data=data)
    reference = assert_ok(reference, 201)
    assert reference["sha256"] == hashlib.sha256(REFERENCE).hexdigest()
    assert reference["phash"] and reference["caption"] == "Press portrait"

    ref = new_case()["ref"]
    doctored = assert_ok(upload(ref, DOCTORED, "target.jpg"), 201)
    [match] = doctored["matches"]
    assert match["kind"] == "reference"
    assert match["evidence_id"] == reference["evidence_id"]
    assert match["protectee_id"] == protectee["id"]
    assert match["distance"] <= 6

    assert assert_ok(upload(ref, UNRELATED, "crowd.jpg"), 201)["matches"] == []
    shown = assert_ok(api.get("viewer", f"/evidence/{doctored['id']}"))
    assert shown["matches"] == doctored["matches"]


def test_the_same_bytes_twice_are_two_items_stored_once(app, new_case, upload) -> None:
    ref = new_case()["ref"]
    first = assert_ok(upload(ref, DOCTORED, "first.jpg"), 201)
    second = assert_ok(upload(ref, DOCTORED, "again.jpg"), 201)
    assert first["id"] != second["id"]
    assert first["sha256"] == second["sha256"]
    assert [path.name for path in stored_files(app)] == [first["sha256"]]


@pytest.mark.parametrize(
    ("content", "name", "mime"),
    [
        (b"", "empty.jpg", "image/jpeg"),
        (b"MZ\x90\x00\x03" + bytes(200), "x.jpg", "image/jpeg"),
        (b"<html><script>alert(1)</script></html>", "x.png", "image/png"),
    ],
    ids=["empty", "executable-named-jpg", "html-declared-png"],
)
def test_refused_files_are_422_and_leave_no_row_and_no_file(
    app, new_case, upload, content, name, mime
) -> None:
    ref = new_case()["ref"]
    assert_problem(upload(ref, content, name, mime=mime), 422)
    assert item_count(app) == 0
    assert stored_files(app) == []
    temp = Path(app.config["CASEMGR_DATA_DIR"]) / "tmp"
    assert not temp.exists() or list(temp.iterdir()) == []


def test_a_refused_reference_photo_is_422(api, app) -> None:
    protectee = assert_ok(api.post("analyst", "/protectees", {"name": "Dana Whitfield"}), 201)
    data = {"file": file_part(b"Just some notes.\n", "notes.txt")}
    response = api.post("analyst", f"/protectees/{protectee['id']}/reference-photos", data=data)
    assert_problem(response, 422)
    assert item_count(app) == 0


def test_acquisition_details_are_kept_and_a_naive_time_is_refused(
    api, new_case, new_threat, upload
) -> None:
    ref = new_case()["ref"]
    naive = assert_problem(upload(ref, DOCTORED, acquired_at="2026-03-02T08:15:00"), 422)
    assert "acquired_at" in naive["errors"]
    other_threat = new_threat(new_case()["ref"])
    wrong = assert_problem(upload(ref, DOCTORED, threat_id=str(other_threat["id"])), 422)
    assert "threat_id" in wrong["errors"]
    assert "colour" in assert_problem(upload(ref, DOCTORED, colour="red"), 422)["errors"]

    threat = new_threat(ref)
    item = upload(
        ref,
        DOCTORED,
        threat_id=str(threat["id"]),
        acquired_at="2026-03-02T10:15:00+02:00",
        acquired_by="J. Okafor",
        method="screenshot",
        source_url="https://chirp.example/p/123",
        description="Posted with the caption 'soon'.",
    )
    item = assert_ok(item, 201)
    assert item["threat_id"] == threat["id"]
    assert item["acquired_at"] == "2026-03-02T08:15:00Z"
    assert item["source_url"] == "https://chirp.example/p/123"
    assert actions(api, item["id"]) == ["acquired", "uploaded"]


def test_an_upload_must_be_multipart_with_a_file_part(api, new_case) -> None:
    ref = new_case()["ref"]
    assert_problem(api.post("analyst", f"/cases/{ref}/evidence", {"description": "x"}), 415)
    form = api.post("analyst", f"/cases/{ref}/evidence", data={"description": "x"})
    assert_problem(form, 415)  # urlencoded
    no_file = api.post(
        "analyst",
        f"/cases/{ref}/evidence",
        data={"description": "x"},
        content_type="multipart/form-data",
    )
    assert_problem(no_file, 400)
    headers = api.headers["analyst"] | {"Content-Type": "multipart/form-data"}
    broken = api.client.post(f"/api/v1/cases/{ref}/evidence", data=b"--x\r\n", headers=headers)
    assert_problem(broken, 400)


def test_an_upload_over_the_size_limit_is_413(app, new_case, upload) -> None:
    ref = new_case()["ref"]
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    assert_problem(upload(ref, DOCTORED + bytes(20_000)), 413)
    assert item_count(app) == 0 and stored_files(app) == []


def test_custody_lists_the_upload_then_the_download(api, new_case, upload) -> None:
    ref = new_case()["ref"]
    item = assert_ok(upload(ref, DOCTORED), 201)
    api.get("analyst", f"/evidence/{item['id']}/file")
    custody = assert_ok(api.get("viewer", f"/evidence/{item['id']}/custody"))
    assert [event["action"] for event in custody["items"]] == ["uploaded", "downloaded"]
    assert {event["actor"] for event in custody["items"]} == {"analyst"}
    assert {event["sha256"] for event in custody["items"]} == {item["sha256"]}
    assert all(event["at"].endswith("Z") for event in custody["items"])
    assert custody["next"] is None


def test_marking_manipulated_and_withdrawing_add_flags_and_custody(api, new_case, upload) -> None:
    ref = new_case()["ref"]
    original = assert_ok(upload(ref, REFERENCE, "original.jpg"), 201)
    doctored = assert_ok(upload(ref, DOCTORED, "doctored.jpg"), 201)
    assert doctored["matches"][0]["kind"] == "evidence"
    assert doctored["matches"][0]["evidence_id"] == original["id"]

    path = f"/evidence/{doctored['id']}"
    note = {"note": "Crosshairs drawn over the face.", "original_id": original["id"]}
    marked = assert_ok(api.post("analyst", f"{path}/manipulated", note))
    assert "manipulated" in marked["flags"] and marked["original_id"] == original["id"]
    assert marked["manipulation_note"] == note["note"]
    assert_problem(api.post("analyst", f"{path}/manipulated", {"note": " "}), 422)

    withdrawn = assert_ok(api.post("analyst", f"{path}/withdraw", {"reason": "Duplicate."}))
    assert {"manipulated", "withdrawn"} <= set(withdrawn["flags"])
    assert withdrawn["withdrawn_reason"] == "Duplicate." and withdrawn["withdrawn_at"]
    assert_problem(api.post("analyst", f"{path}/withdraw", {"reason": "Again."}), 409)
    assert actions(api, doctored["id"]) == ["uploaded", "marked_manipulated", "withdrawn"]
    assert api.get("analyst", f"{path}/file").get_data() == DOCTORED  # the file stays


def test_a_stale_case_version_is_409(api, new_case, upload) -> None:
    case = new_case()
    api.patch("analyst", f"/cases/{case['ref']}", {"version": case["version"], "title": "New"})
    stale = assert_problem(upload(case["ref"], DOCTORED, version=str(case["version"])), 409)
    assert stale["current"]["title"] == "New"


def test_viewers_may_read_evidence_but_not_add_or_change_it(api, new_case, upload) -> None:
    ref = new_case()["ref"]
    item = assert_ok(upload(ref, DOCTORED), 201)
    assert_problem(upload(ref, UNRELATED, who="viewer"), 403)
    protectee = assert_ok(api.post("analyst", "/protectees", {"name": "Dana Whitfield"}), 201)
    data = {"file": file_part(REFERENCE)}
    photo_path = f"/protectees/{protectee['id']}/reference-photos"
    assert_problem(api.post("viewer", photo_path, data=data), 403)
    path = f"/evidence/{item['id']}"
    assert_problem(api.post("viewer", f"{path}/manipulated", {"note": "n"}), 403)
    assert_problem(api.post("viewer", f"{path}/withdraw", {"reason": "r"}), 403)
    assert assert_ok(api.get("viewer", path))["flags"] == []
    assert actions(api, item["id"], "viewer") == ["uploaded", "viewed"]


def test_evidence_of_a_restricted_case_is_not_found_for_a_non_member(
    api, app, new_case, upload, outsider
) -> None:
    ref = new_case(restricted=True)["ref"]
    item = assert_ok(upload(ref, REFERENCE, "original.jpg"), 201)
    missing = assert_problem(api.get(outsider, "/evidence/999999"), 404)
    for suffix in ("", "/file", "/custody"):
        hidden = assert_problem(api.get(outsider, f"/evidence/{item['id']}{suffix}"), 404)
        assert hidden["detail"] == missing["detail"]  # the same answer as for no such item
    path = f"/evidence/{item['id']}"
    assert_problem(api.post(outsider, f"{path}/withdraw", {"reason": "r"}), 404)
    assert_problem(upload(ref, DOCTORED, who=outsider), 404)
    assert actions(api, item["id"]) == ["uploaded"]  # the refused reads left no trace

    # The outsider's own copy lists no match on the case they may not see; a member's view does.
    own = new_case(outsider)["ref"]
    copy = assert_ok(upload(own, DOCTORED, who=outsider), 201)
    assert copy["matches"] == []
    seen_by_member = assert_ok(api.get("analyst", f"/evidence/{copy['id']}"))["matches"]
    assert [match["evidence_id"] for match in seen_by_member] == [item["id"]]
    hidden_original = {"note": "Crosshairs.", "original_id": item["id"]}
    marked = api.post(outsider, f"/evidence/{copy['id']}/manipulated", hidden_original)
    assert "original_id" in assert_problem(marked, 422)["errors"]


def test_openapi_documents_the_multipart_uploads(client) -> None:
    document = assert_ok(client.get("/api/v1/openapi.json"))
    validate(document)
    schemas = document["components"]["schemas"]
    for path, fields in [
        ("/cases/{ref}/evidence", {"description", "threat_id", "acquired_at", "source_url"}),
        ("/protectees/{protectee_id}/reference-photos", {"caption"}),
    ]:
        operation = document["paths"][path]["post"]
        content = operation["requestBody"]["content"]
        assert list(content) == ["multipart/form-data"]
        name = content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
        schema = schemas[name]
        assert schema["properties"]["file"] == schema["properties"]["file"] | {
            "type": "string",
            "format": "binary",
        }
        assert "file" in schema["required"] and fields <= set(schema["properties"])
        assert {"201", "400", "401", "403", "404", "413", "415", "422"} <= set(
            operation["responses"]
        )
