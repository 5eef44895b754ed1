"""Who reaches what: every page behind login, every write refused to roles that may not write.

Routes are discovered from the app's URL map, so a route added later is covered without
touching these tests.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from casemgr.auth.models import User
from tests.auth.helpers import OWN_ACCOUNT_ENDPOINTS, redirect_target, web_pages, write_routes


def test_route_discovery_finds_the_known_pages_and_writes(app: Flask) -> None:
    # Guards the tests below against passing on an empty list.
    assert {"/", "/settings", "/admin/users", "/admin/users/1"} <= set(web_pages(app))
    assert "/login" not in web_pages(app)
    assert not any(url.startswith(("/api/", "/static/")) for url in web_pages(app))
    endpoints = {endpoint for _, _, endpoint in write_routes(app)}
    assert {"admin.create", "admin.edit", "auth.logout", "auth.password"} <= endpoints


def test_anonymous_visitors_are_sent_to_login_from_every_page(
    app: Flask, client: FlaskClient
) -> None:
    wrong = {}
    for url in web_pages(app):
        response = client.get(url)
        path, query = redirect_target(response)
        if (response.status_code, path, query.get("next")) != (302, "/login", [url]):
            wrong[url] = (response.status_code, response.headers.get("Location"))
    assert wrong == {}


def test_anonymous_writes_are_sent_to_login_and_change_nothing(
    app: Flask, client: FlaskClient, users: dict[str, User], fetch_user
) -> None:
    wrong = {}
    for method, url, _ in write_routes(app, skip=frozenset({"auth.login"})):
        response = client.open(url, method=method, data={"role": "admin", "active": "y"})
        if response.status_code != 302 or redirect_target(response)[0] != "/login":
            wrong[f"{method} {url}"] = response.status_code
    assert wrong == {}
    assert fetch_user("admin").role == "admin" and fetch_user("admin").active


def test_api_answers_anonymous_requests_with_401_not_a_login_page(client: FlaskClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def refused_writes(client: FlaskClient, routes: list[tuple[str, str, str]]) -> dict[str, int]:
    """The routes that did not answer 403, with what they answered."""
    wrong = {}
    for method, url, _ in routes:
        response = client.open(url, method=method, data={"role": "admin", "active": "y"})
        if response.status_code != 403:
            wrong[f"{method} {url}"] = response.status_code
    return wrong


def test_viewer_is_refused_every_write_route(app: Flask, client_as, fetch_user, world) -> None:
    routes = write_routes(app, skip=OWN_ACCOUNT_ENDPOINTS, samples=world)
    assert routes  # the discovery found something to refuse
    assert refused_writes(client_as("viewer"), routes) == {}
    assert fetch_user("viewer").role == "viewer"


@pytest.mark.parametrize("role", ["analyst", "lead", "viewer"])
def test_only_admins_reach_user_administration(app: Flask, client_as, role: str) -> None:
    admin_rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]
    admin_writes = [route for route in write_routes(app) if route[2].startswith("admin.")]
    assert admin_rules and admin_writes
    client = client_as(role)
    assert refused_writes(client, admin_writes) == {}
    pages = [url for url in web_pages(app) if url.startswith("/admin/")]
    assert {url: client.get(url).status_code for url in pages} == dict.fromkeys(pages, 403)


def test_viewer_is_refused_the_user_list_and_admin_sees_it(client_as) -> None:
    assert client_as("viewer").get("/admin/users").status_code == 403
    response = client_as("admin").get("/admin/users")
    assert response.status_code == 200
    assert "viewer" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["admin", "lead", "analyst", "viewer"])
def test_every_role_may_use_its_own_settings(client_as, role: str) -> None:
    assert client_as(role).get("/settings").status_code == 200
