"""Briefings and bundles through the API: exported by leads, downloaded byte for byte by those
who may see the case, and refused with problem answers otherwise."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from PIL import Image

from tests.api.conftest import Caller, assert_ok, assert_problem

BODY = {"recipient": "National Counter Terrorism Police, DS Priya Nair", "tlp": "TLP:AMBER"}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def briefed_case(
    api: Caller, new_case: Callable[..., dict[str, Any]], new_threat: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    """A case with a threat and two items, one of them withdrawn."""
    case = new_case()
    new_threat(case["ref"], text="Wir wissen, wo du arbeitest.", translation="We know.")
    items = []
    for name, data in (("post.png", _png()), ("note.txt", b"A note.\n")):
        upload = {"file": (io.BytesIO(data), name)}
        items.append(
            assert_ok(api.post("analyst", f"/cases/{case['ref']}/evidence", data=upload), 201)
        )
    withdrawn = api.post("analyst", f"/evidence/{items[1]['id']}/withdraw", {"reason": "Dup."})
    assert_ok(withdrawn)
    return {"ref": case["ref"], "image_id": items[0]["id"], "withdrawn_id": items[1]["id"]}


def test_a_lead_exports_a_briefing_and_anyone_on_the_case_downloads_it(
    api: Caller, briefed_case: dict[str, Any]
) -> None:
    ref = briefed_case["ref"]
    made = assert_ok(api.post("lead", f"/cases/{ref}/briefings", BODY), 201)
    assert set(made) >= {"id", "sha256", "size", "created_at"}
    assert made["created_at"].endswith("Z") and made["kind"] == "briefing"
    assert made["evidence_ids"] == [briefed_case["image_id"]]
    assert made["created_by"] == "lead" and made["case"] == ref and made["marking"] == "TLP:AMBER"
    for role in ("lead", "analyst", "viewer"):
        response = api.get(role, f"/briefings/{made['id']}/pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert hashlib.sha256(response.data).hexdigest() == made["sha256"]
        assert len(response.data) == made["size"]
    log = assert_ok(api.get("viewer", f"/cases/{ref}/briefings"))
    assert [entry["id"] for entry in log["items"]] == [made["id"]]
    assert log["items"][0]["case_version"] >= 1 and log["next"] is None


def test_sections_items_and_private_details_are_as_asked(
    api: Caller, briefed_case: dict[str, Any]
) -> None:
    body = BODY | {
        "sections": ["summary", "evidence"],
        "evidence_ids": [briefed_case["withdrawn_id"]],
        "include_private": True,
    }
    made = assert_ok(api.post("lead", f"/cases/{briefed_case['ref']}/briefings", body), 201)
    assert made["sections"] == ["summary", "evidence"] and made["include_private"]
    assert made["evidence_ids"] == [briefed_case["withdrawn_id"]]
    assert api.get("analyst", f"/briefings/{made['id']}/pdf").status_code == 200
    assert_problem(api.get("viewer", f"/briefings/{made['id']}/pdf"), 403)


def test_a_bundle_is_answered_as_the_signed_zip_and_logged(
    api: Caller, briefed_case: dict[str, Any]
) -> None:
    ref = briefed_case["ref"]
    response = api.post("lead", f"/cases/{ref}/bundles", BODY)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert "briefing.pdf" in names and "manifest.json" in names and "manifest.sig" in names
    log = assert_ok(api.get("lead", f"/cases/{ref}/briefings"))["items"]
    assert log[-1]["kind"] == "bundle"
    assert log[-1]["sha256"] == hashlib.sha256(response.data).hexdigest()
    location = response.headers["Location"]
    assert location == f"/api/v1/briefings/{log[-1]['id']}/bundle"
    again = api.get("viewer", location.removeprefix("/api/v1"))
    assert again.status_code == 200 and again.data == response.data
    assert_problem(api.get("lead", f"/briefings/{log[-1]['id']}/pdf"), 404)


@pytest.mark.parametrize("path", ["/briefings", "/bundles"])
@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_roles_without_the_export_right_get_403(
    api: Caller, briefed_case: dict[str, Any], path: str, role: str
) -> None:
    assert_problem(api.post(role, f"/cases/{briefed_case['ref']}{path}", BODY), 403)
    assert assert_ok(api.get("lead", f"/cases/{briefed_case['ref']}/briefings"))["items"] == []


def test_no_token_gets_401(api: Caller, briefed_case: dict[str, Any]) -> None:
    assert_problem(api.post("nobody", f"/cases/{briefed_case['ref']}/briefings", BODY), 401)
    assert_problem(api.get("nobody", "/briefings/1/pdf"), 401)


def test_restricted_cases_and_their_briefings_are_404_to_outsiders(
    api: Caller, new_case: Callable[..., dict[str, Any]], outsider: str
) -> None:
    case = new_case(restricted=True)
    made = assert_ok(api.post("lead", f"/cases/{case['ref']}/briefings", BODY), 201)
    assert_problem(api.post(outsider, f"/cases/{case['ref']}/briefings", BODY), 404)
    assert_problem(api.get(outsider, f"/briefings/{made['id']}/pdf"), 404)
    assert_problem(api.get(outsider, f"/cases/{case['ref']}/briefings"), 404)
    assert_problem(api.get("lead", "/briefings/9999/pdf"), 404)
    assert_problem(api.post("lead", "/cases/TA-1999-0001/briefings", BODY), 404)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"tlp": "TLP:PURPLE"}, {"tlp"}),
        ({"recipient": "  "}, {"recipient"}),
        ({"recipient": "x" * 301}, {"recipient"}),
        ({"sections": []}, {"sections"}),
        ({"sections": ["summary", "gossip"]}, {"sections.1"}),
        ({"evidence_ids": ["one"]}, {"evidence_ids.0"}),
        ({"include_private": "perhaps"}, {"include_private"}),
        ({"colour": "red"}, {"colour"}),
    ],
)
def test_invalid_values_are_422_naming_the_field(
    api: Caller, briefed_case: dict[str, Any], changes: dict[str, Any], fields: set[str]
) -> None:
    response = api.post("lead", f"/cases/{briefed_case['ref']}/briefings", BODY | changes)
    assert set(assert_problem(response, 422)["errors"]) == fields


def test_items_of_other_cases_and_missing_fields_are_refused(
    api: Caller, briefed_case: dict[str, Any], new_case: Callable[..., dict[str, Any]]
) -> None:
    other = new_case(title="Another case")
    upload = {"file": (io.BytesIO(b"Elsewhere.\n"), "x.txt")}
    item = assert_ok(api.post("analyst", f"/cases/{other['ref']}/evidence", data=upload), 201)
    body = BODY | {"evidence_ids": [briefed_case["image_id"], item["id"]]}
    refused = api.post("lead", f"/cases/{briefed_case['ref']}/briefings", body)
    assert assert_problem(refused, 422)["errors"] == {
        "evidence_ids": ["Only items of this case can be included."]
    }
    missing = api.post("lead", f"/cases/{briefed_case['ref']}/bundles", {"tlp": "TLP:RED"})
    assert set(assert_problem(missing, 422)["errors"]) == {"recipient"}


def test_the_government_scheme_takes_official_marks(
    app: Flask, api: Caller, briefed_case: dict[str, Any]
) -> None:
    app.config["CASEMGR_MARKING_SCHEME"] = "government"
    path = f"/cases/{briefed_case['ref']}/briefings"
    assert set(assert_problem(api.post("lead", path, BODY), 422)["errors"]) == {"tlp"}
    made = assert_ok(api.post("lead", path, BODY | {"tlp": "OFFICIAL-SENSITIVE"}), 201)
    assert made["marking"] == "OFFICIAL-SENSITIVE"


def test_the_openapi_document_describes_the_export_body(api: Caller) -> None:
    document = assert_ok(api.get("lead", "/openapi.json"))
    operation = document["paths"]["/cases/{ref}/briefings"]["post"]
    assert {"201", "401", "403", "404", "422"} <= set(operation["responses"])
    schema = document["components"]["schemas"]["BriefingRequest"]
    assert set(schema["required"]) == {"recipient", "tlp"}
    assert {"sections", "include_private", "evidence_ids"} <= set(schema["properties"])
