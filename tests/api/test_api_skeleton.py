"""The API's skeleton: bearer tokens, problem answers, validation, pagination, OpenAPI."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import Blueprint, Flask, request
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select

from casemgr.api.blueprint import api
from casemgr.api.openapi import build_openapi
from casemgr.api.pagination import paginate
from casemgr.api.registry import ApiRegistry
from casemgr.api.schemas import ListQuery
from casemgr.auth.models import User
from casemgr.errors import ValidationFailed
from casemgr.extensions import db
from tests.factories import make_user

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_me_answers_who_the_token_belongs_to(client: FlaskClient, token_for) -> None:
    response = client.get("/api/v1/me", headers=token_for("analyst"))
    assert response.status_code == 200
    assert response.get_json() | {"id": 0} == {
        "id": 0,
        "username": "analyst",
        "display_name": "Analyst",
        "role": "analyst",
    }
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": "Bearer "},
    ],
)
def test_me_without_a_valid_token_is_a_401_problem(client: FlaskClient, headers) -> None:
    response = client.get("/api/v1/me", headers=headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_disabled_users_token_stops_working(app: Flask, client: FlaskClient, token_for) -> None:
    headers = token_for("lead")
    with app.app_context():
        db.session.scalar(select(User).where(User.username == "lead")).active = False
        db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=headers), 401)


def test_a_session_cookie_is_not_enough_for_the_api(client_as) -> None:
    assert_problem(client_as("admin").get("/api/v1/me"), 401)


def test_unknown_path_and_wrong_method_are_problems(client: FlaskClient, token_for) -> None:
    assert_problem(client.get("/api/v1/no-such-thing", headers=token_for("viewer")), 404)
    response = client.delete("/api/v1/me", headers=token_for("viewer"))
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_uncaught_errors_are_a_generic_500_problem(app: Flask, client: FlaskClient, caplog) -> None:
    @app.route("/api/v1/boom")
    def boom() -> str:
        raise RuntimeError("database password is hunter2")

    body = assert_problem(client.get("/api/v1/boom"), 500)
    assert "hunter2" not in body["detail"]
    assert "hunter2" in caplog.text  # the trace is logged for the operator


def test_too_large_bodies_are_a_413_problem(app: Flask, client: FlaskClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024

    @app.route("/api/v1/echo", methods=["POST"])
    def echo() -> str:
        return str(len(request.get_data()))

    assert_problem(client.post("/api/v1/echo", data=b"x" * 4096), 413)


class Sighting(BaseModel):
    where: str = Field(min_length=1, max_length=100)
    seen_at: AwareDatetime


class SightingFilter(ListQuery):
    where: str | None = None


@pytest.fixture
def sightings_api(app: Flask) -> ApiRegistry:
    """A registry on a throwaway blueprint, to exercise the machinery every endpoint uses."""
    registry = ApiRegistry(Blueprint("sightings", __name__, url_prefix="/api/v1"))

    @registry.route(
        "/sightings",
        "POST",
        summary="Log a sighting",
        tag="test",
        body=Sighting,
        response=Sighting,
        status=201,
        public=True,
    )
    def log_sighting(body: Sighting) -> Sighting:
        return body

    @registry.route(
        "/sightings", "GET", summary="List", tag="test", query=SightingFilter, public=True
    )
    def list_sightings(query: SightingFilter) -> dict:
        return {"limit": query.limit}

    app.register_blueprint(registry.blueprint)
    return registry


def test_valid_bodies_reach_the_view_and_times_come_back_in_utc(
    client: FlaskClient, sightings_api
) -> None:
    response = client.post(
        "/api/v1/sightings", json={"where": "Lobby", "seen_at": "2026-03-01T09:30:00+01:00"}
    )
    assert response.status_code == 201
    assert response.get_json() == {"where": "Lobby", "seen_at": "2026-03-01T09:30:00+01:00"}
    seen = datetime.fromisoformat(response.get_json()["seen_at"])
    assert seen.utcoffset() is not None


def test_malformed_json_is_400_and_wrong_type_is_415(client: FlaskClient, sightings_api) -> None:
    assert_problem(
        client.post("/api/v1/sightings", data=b"{not json", content_type="application/json"), 400
    )
    assert_problem(client.post("/api/v1/sightings", data=b"where=x"), 415)


def test_invalid_values_are_422_with_errors_per_field(client: FlaskClient, sightings_api) -> None:
    body = assert_problem(
        client.post("/api/v1/sightings", json={"where": "", "seen_at": "2026-03-01T09:30:00"}),
        422,
    )
    assert set(body["errors"]) == {"where", "seen_at"}
    assert "timezone" in body["errors"]["seen_at"][0]


def test_list_limits_are_checked(client: FlaskClient, sightings_api) -> None:
    assert client.get("/api/v1/sightings").get_json() == {"limit": 50}
    assert client.get("/api/v1/sightings?limit=200").get_json() == {"limit": 200}
    for bad in ("0", "201", "ten"):
        assert_problem(client.get(f"/api/v1/sightings?limit={bad}"), 422)


def test_pagination_walks_every_row_once_with_cursors(app: Flask) -> None:
    with app.app_context():
        for number in range(7):
            make_user(db.session, "viewer", username=f"reader{number}")
        db.session.commit()
        seen, cursor = [], None
        while True:
            rows, cursor = paginate(
                db.session, select(User), [User.id], ListQuery(limit=3, cursor=cursor)
            )
            seen += [user.username for user in rows]
            if cursor is None:
                break
        assert seen == [f"reader{number}" for number in range(7)]
        with pytest.raises(ValidationFailed):
            paginate(db.session, select(User), [User.id], ListQuery(cursor="garbage!"))


def test_openapi_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)
    me = document["paths"]["/me"]["get"]
    assert "200" in me["responses"] and "401" in me["responses"]
    assert document["servers"] == [{"url": "/api/v1"}]


def test_openapi_describes_bodies_queries_and_errors(app: Flask, sightings_api) -> None:
    with app.test_request_context():
        document = build_openapi(sightings_api, "/api/v1", "test")
    validate(document)
    post = document["paths"]["/sightings"]["post"]
    assert {"201", "400", "415", "422"} <= set(post["responses"])
    schema_name = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[
        -1
    ]
    assert set(document["components"]["schemas"][schema_name]["properties"]) == {"where", "seen_at"}
    parameters = {p["name"] for p in document["paths"]["/sightings"]["get"]["parameters"]}
    assert {"limit", "cursor", "where"} <= parameters


def test_every_registered_operation_is_in_the_document(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (method.upper(), path) for path, ops in document["paths"].items() for method in ops
    }
    registered = {(op.method, op.rule) for op in api.operations}
    assert documented == registered
