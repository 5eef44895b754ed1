"""What the schema-driven fuzzing found, pinned down one by one."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from sqlalchemy import func, select

from casemgr.evidence.models import EvidenceItem
from casemgr.extensions import db
from casemgr.routing import ROW_ID_MAX
from casemgr.validation import NUL_MESSAGE
from tests.api.conftest import Caller, assert_ok, assert_problem, new_case

__all__ = ["new_case"]


def test_ids_beyond_the_database_range_are_404_for_every_method(api: Caller) -> None:
    for path in (f"/protectees/{ROW_ID_MAX + 1}", "/accounts/354339838186386035082019209216"):
        assert_problem(api.get("admin", path), 404)
        assert_problem(api.patch("admin", path, {"notes": "x"}), 404)  # not 405
    assert_problem(api.get("admin", "/protectees/0"), 404)


def test_web_pages_answer_404_for_ids_beyond_the_range(client_as) -> None:
    analyst: FlaskClient = client_as("analyst")
    assert analyst.get(f"/protectees/{ROW_ID_MAX + 1}").status_code == 404


def test_ids_in_bodies_and_queries_are_checked_against_the_range(api: Caller) -> None:
    body = {"title": "Too far", "subject_ids": [ROW_ID_MAX + 1]}
    problem = assert_problem(api.post("analyst", "/cases", body), 422)
    assert "subject_ids.0" in problem["errors"]
    assert_problem(api.get("analyst", "/cases?protectee_id=-1"), 422)


def test_json_bodies_are_read_strictly(api: Caller, new_case) -> None:
    case = new_case()
    patch = {"version": case["version"], "restricted": 0.0}
    problem = assert_problem(api.patch("analyst", f"/cases/{case['ref']}", patch), 422)
    assert list(problem["errors"]) == ["restricted"]
    assert_problem(api.patch("analyst", f"/cases/{case['ref']}", {"version": "1"}), 422)


def test_unknown_query_parameters_are_refused(api: Caller) -> None:
    problem = assert_problem(api.get("analyst", "/cases?stauts=closed"), 422)
    assert list(problem["errors"]) == ["stauts"]
    assert_ok(api.get("analyst", "/cases?status=closed"))


def test_a_multipart_field_sent_twice_is_refused(api: Caller, new_case) -> None:
    ref = new_case()["ref"]
    data = {"description": ["first", "second"], "file": (io.BytesIO(b"notes\n"), "notes.txt")}
    problem = assert_problem(api.post("analyst", f"/cases/{ref}/evidence", data=data), 422)
    assert problem["errors"] == {"description": ["Send this field once."]}
    with api.app.app_context():
        assert db.session.scalar(select(func.count(EvidenceItem.id))) == 0


def test_a_feed_with_an_unreadable_header_is_a_422_not_a_500(api: Caller, new_case) -> None:
    ref = new_case()["ref"]
    headers = api.headers["analyst"] | {"Content-Type": "text/csv"}
    answer = api.client.post(f"/api/v1/cases/{ref}/threats:import", data='"Ø', headers=headers)
    assert "Unreadable CSV header" in assert_problem(answer, 422)["detail"]


def test_nul_characters_are_refused_in_bodies_queries_and_paths(api: Caller, new_case) -> None:
    problem = assert_problem(api.post("analyst", "/cases", {"title": "Null\x00byte"}), 422)
    assert problem["errors"] == {"title": [NUL_MESSAGE]}
    assert list(assert_problem(api.get("analyst", "/cases?q=a%00b"), 422)["errors"]) == ["q"]
    assert_problem(api.get("analyst", "/cases/TA-2026%000001"), 404)
