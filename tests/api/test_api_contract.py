"""The API as a whole against API.md: every path documented, every operation guarded."""

from __future__ import annotations

import io
import re

import pytest
from openapi_spec_validator import validate
from PIL import Image

from casemgr.api.blueprint import api as registry
from tests.api.conftest import OCCURRED, assert_ok, assert_problem

CONTRACT_PATHS = {
    ("GET", "/protectees"),
    ("POST", "/protectees"),
    ("GET", "/protectees/{protectee_id}"),
    ("PATCH", "/protectees/{protectee_id}"),
    ("GET", "/subjects"),
    ("POST", "/subjects"),
    ("GET", "/subjects/{subject_id}"),
    ("PATCH", "/subjects/{subject_id}"),
    ("POST", "/subjects/{subject_id}/accounts"),
    ("PATCH", "/accounts/{account_id}"),
    ("POST", "/subjects/{subject_id}/merge"),
    ("GET", "/cases"),
    ("POST", "/cases"),
    ("GET", "/cases/{ref}"),
    ("PATCH", "/cases/{ref}"),
    ("POST", "/cases/{ref}/transitions"),
    ("POST", "/cases/{ref}/handoffs"),
    ("POST", "/handoffs/{handoff_id}/accept"),
    ("POST", "/handoffs/{handoff_id}/decline"),
    ("GET", "/cases/{ref}/threats"),
    ("POST", "/cases/{ref}/threats"),
    ("GET", "/threats/{threat_id}"),
    ("PATCH", "/threats/{threat_id}"),
    ("POST", "/cases/{ref}/tasks"),
    ("POST", "/cases/{ref}/referrals"),
    ("GET", "/cases/{ref}/timeline"),
    ("POST", "/protectees/{protectee_id}/reference-photos"),
    ("POST", "/cases/{ref}/evidence"),
    ("GET", "/evidence/{evidence_id}"),
    ("GET", "/evidence/{evidence_id}/file"),
    ("GET", "/evidence/{evidence_id}/custody"),
    ("POST", "/evidence/{evidence_id}/manipulated"),
    ("POST", "/evidence/{evidence_id}/withdraw"),
    ("GET", "/rubrics"),
    ("GET", "/rubrics/{rubric_id}"),
    ("GET", "/cases/{ref}/assessments"),
    ("POST", "/cases/{ref}/assessments"),
    ("POST", "/cases/{ref}/briefings"),
    ("GET", "/briefings/{briefing_id}/pdf"),
    ("POST", "/cases/{ref}/bundles"),
    ("POST", "/cases/{ref}/threats:import"),
    ("POST", "/cases/{ref}/threats:email"),
}
WRITES = [op for op in registry.operations if op.method != "GET"]
GUARDED = [op for op in registry.operations if not op.public]
BRIEF = {"situation": "s", "concern": "c", "next_steps": "n"}
# A valid body for each write, so only the role can be what refuses a viewer.
BODIES = {
    ("POST", "/protectees"): {"name": "Dana Whitfield"},
    ("PATCH", "/protectees/{protectee_id}"): {"title": "CEO"},
    ("POST", "/subjects"): {"name": "Pale Flame"},
    ("PATCH", "/subjects/{subject_id}"): {"kind": "group"},
    ("POST", "/subjects/{subject_id}/accounts"): {"platform": "Chirp", "handle": "@x"},
    ("PATCH", "/accounts/{account_id}"): {"status": "deleted"},
    ("POST", "/subjects/{subject_id}/merge"): {"other_id": "{other_id}"},
    ("POST", "/cases"): {"title": "Mine"},
    ("PATCH", "/cases/{ref}"): {"version": "{version}", "title": "Mine"},
    ("POST", "/cases/{ref}/transitions"): {"to": "triage", "reason": "Looking."},
    ("POST", "/cases/{ref}/handoffs"): {"to_user": "lead", "brief": BRIEF},
    ("POST", "/handoffs/{handoff_id}/accept"): None,
    ("POST", "/handoffs/{handoff_id}/decline"): {"reason": "Busy."},
    ("POST", "/cases/{ref}/threats"): {
        "occurred_at": OCCURRED,
        "channel": "email",
        "text": "x",
        "threat_type": "direct",
    },
    ("PATCH", "/threats/{threat_id}"): {"notes": "n"},
    ("POST", "/cases/{ref}/tasks"): {"title": "Call"},
    ("PATCH", "/cases/{ref}/tasks/{task_id}"): {"status": "done"},
    ("POST", "/cases/{ref}/referrals"): {"agency": "Police"},
    # Multipart uploads: these fields, and a small PNG in the part `file`.
    ("POST", "/cases/{ref}/evidence"): {"description": "Screenshot"},
    ("POST", "/protectees/{protectee_id}/reference-photos"): {"caption": "Portrait"},
    ("POST", "/evidence/{evidence_id}/manipulated"): {"note": "Crosshairs drawn."},
    ("POST", "/evidence/{evidence_id}/withdraw"): {"reason": "Duplicate."},
    ("POST", "/cases/{ref}/assessments"): {"rubric": "casemgr-default", "answers": {}},
    ("POST", "/cases/{ref}/briefings"): {"recipient": "Police", "tlp": "TLP:AMBER"},
    ("POST", "/cases/{ref}/bundles"): {"recipient": "Police", "tlp": "TLP:AMBER"},
    ("POST", "/cases/{ref}/threats:import"): None,  # a CSV body; the role refuses first
    ("POST", "/cases/{ref}/threats:email"): None,  # a message/rfc822 body; likewise
}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 40, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def test_openapi_is_valid_and_lists_every_endpoint_of_the_contract(client) -> None:
    document = assert_ok(client.get("/api/v1/openapi.json"))
    validate(document)
    documented = {
        (method.upper(), path) for path, ops in document["paths"].items() for method in ops
    }
    assert documented >= CONTRACT_PATHS
    post_case = document["paths"]["/cases"]["post"]
    assert {"201", "401", "403", "422"} <= set(post_case["responses"])
    patch_case = document["paths"]["/cases/{ref}"]["patch"]
    assert {"200", "404", "409"} <= set(patch_case["responses"])
    assert patch_case["parameters"][0] == {
        "name": "ref",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    case_list = {p["name"] for p in document["paths"]["/cases"]["get"]["parameters"]}
    assert {"status", "owner", "protectee_id", "subject_id", "concern", "overdue", "q"} <= case_list
    assert {"limit", "cursor"} <= case_list


def _concrete(path: str, ids: dict[str, object]) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: str(ids[match[1]]), path)


@pytest.mark.parametrize("operation", GUARDED, ids=lambda op: f"{op.method} {op.rule}")
def test_every_operation_needs_a_token(client, operation) -> None:
    path = _concrete(
        operation.rule,
        {"ref": "TA-2026-0001", "rubric_id": "casemgr-default"}
        | dict.fromkeys(
            (
                "protectee_id",
                "subject_id",
                "account_id",
                "handoff_id",
                "threat_id",
                "task_id",
                "evidence_id",
                "briefing_id",
            ),
            1,
        ),
    )
    response = client.open("/api/v1" + path, method=operation.method, json={})
    assert_problem(response, 401)


@pytest.fixture
def one_of_each(api, new_case, new_threat) -> dict[str, object]:
    """One of everything, for the viewer to try to change."""
    case = new_case()
    subject = assert_ok(api.post("analyst", "/subjects", {"name": "Pale Flame"}), 201)
    other = assert_ok(api.post("analyst", "/subjects", {"name": "Flame Brigade"}), 201)
    account = {"platform": "Chirp", "handle": "@x"}
    account = assert_ok(api.post("analyst", f"/subjects/{subject['id']}/accounts", account), 201)
    handoff = {"to_user": "lead", "brief": BRIEF}
    handoff = assert_ok(api.post("analyst", f"/cases/{case['ref']}/handoffs", handoff), 201)
    task = assert_ok(api.post("analyst", f"/cases/{case['ref']}/tasks", {"title": "Call"}), 201)
    upload = {"file": (io.BytesIO(_png()), "shot.png")}
    evidence = api.post("analyst", f"/cases/{case['ref']}/evidence", data=upload)
    return {
        "ref": case["ref"],
        "version": assert_ok(api.get("viewer", f"/cases/{case['ref']}"))["version"],
        "protectee_id": assert_ok(api.post("analyst", "/protectees", {"name": "Dana"}), 201)["id"],
        "subject_id": subject["id"],
        "other_id": other["id"],
        "account_id": account["id"],
        "handoff_id": handoff["id"],
        "threat_id": new_threat(case["ref"])["id"],
        "task_id": task["id"],
        "evidence_id": assert_ok(evidence, 201)["id"],
    }


def _filled(body: object, ids: dict[str, object]) -> object:
    if isinstance(body, dict):
        return {key: _filled(value, ids) for key, value in body.items()}
    if isinstance(body, str) and re.fullmatch(r"\{\w+\}", body):
        return ids[body[1:-1]]
    return body


def test_every_write_is_listed_with_a_sample_body() -> None:
    assert {(op.method, op.rule) for op in WRITES} == set(BODIES)


@pytest.mark.parametrize("operation", WRITES, ids=lambda op: f"{op.method} {op.rule}")
def test_viewers_may_not_write_anything(api, one_of_each, operation) -> None:
    body = _filled(BODIES[(operation.method, operation.rule)], one_of_each)
    path = _concrete(operation.rule, one_of_each)
    if operation.form is not None:
        upload = body | {"file": (io.BytesIO(_png()), "photo.png")}
        response = api.request(operation.method, "viewer", path, data=upload)
    else:
        response = api.request(operation.method, "viewer", path, body)
    assert_problem(response, 403)
