"""Fixtures for the API tests: a caller that speaks as any role, and small factories that
make data through the API itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from casemgr.auth.models import User
from casemgr.extensions import db
from tests.factories import ROLES, make_token, make_user

PROBLEM = "application/problem+json"
OCCURRED = "2026-03-02T08:15:00Z"


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    """The answer is an RFC 9457 problem with this status; its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def assert_ok(response: TestResponse, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


class Caller:
    """Calls /api/v1 with the token of a role (or of any extra user made with `add_user`)."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app, self.client = app, client
        self.headers: dict[str, dict[str, str]] = {}

    def add_user(self, username: str, role: str) -> None:
        with self.app.app_context():
            user = db.session.query(User).filter_by(username=username).one_or_none()
            user = user or make_user(db.session, role, username=username)
            token = make_token(db.session, user)
            db.session.commit()
        self.headers[username] = {"Authorization": f"Bearer {token}"}

    def request(self, method: str, who: str, path: str, body: Any = None, **kw: Any):
        if body is not None:
            kw["json"] = body
        return self.client.open(
            "/api/v1" + path, method=method, headers=self.headers.get(who, {}), **kw
        )

    def get(self, who: str, path: str, **kw: Any) -> TestResponse:
        return self.request("GET", who, path, **kw)

    def post(self, who: str, path: str, body: Any = None, **kw: Any) -> TestResponse:
        return self.request("POST", who, path, body, **kw)

    def patch(self, who: str, path: str, body: Any = None, **kw: Any) -> TestResponse:
        return self.request("PATCH", who, path, body, **kw)

    def walk(self, who: str, path: str, limit: int) -> list[dict[str, Any]]:
        """Every item of a list, following `next` cursors page by page."""
        items: list[dict[str, Any]] = []
        separator = "&" if "?" in path else "?"
        cursor = None
        while True:
            query = f"{separator}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            page = assert_ok(self.get(who, path + query))
            assert len(page["items"]) <= limit
            items += page["items"]
            cursor = page["next"]
            if cursor is None:
                return items


@pytest.fixture
def api(app: Flask, client: FlaskClient, users: dict[str, User]) -> Caller:
    caller = Caller(app, client)
    for role in ROLES:
        caller.add_user(role, role)
    return caller


@pytest.fixture
def outsider(api: Caller) -> str:
    """A second analyst, member of nothing: restricted cases are hidden from them."""
    api.add_user("outsider", "analyst")
    return "outsider"


@pytest.fixture
def new_case(api: Caller) -> Callable[..., dict[str, Any]]:
    def make(who: str = "analyst", **fields: Any) -> dict[str, Any]:
        body = {"title": "Threats after the suspensions"} | fields
        return assert_ok(api.post(who, "/cases", body), 201)

    return make


@pytest.fixture
def new_threat(api: Caller) -> Callable[..., dict[str, Any]]:
    def make(ref: str, who: str = "analyst", **fields: Any) -> dict[str, Any]:
        body = {
            "occurred_at": OCCURRED,
            "channel": "public_post",
            "text": "We know where you work.",
            "threat_type": "veiled",
        } | fields
        return assert_ok(api.post(who, f"/cases/{ref}/threats", body), 201)

    return make
