"""Logging in and out: the form, safe redirects, one refusal for every failure, disabled users."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from casemgr.auth.models import ApiToken, LoginFailure, User
from casemgr.web import safe_next
from tests.auth.helpers import alert_messages, post_login, redirect_target, web_pages
from tests.conftest import log_in
from tests.factories import TEST_PASSWORD

REFUSED = "Unknown username or wrong password."


def test_login_page_is_open_to_anonymous_visitors(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="password"' in response.get_data(as_text=True)


def test_right_password_logs_in_and_lands_on_the_dashboard(
    client: FlaskClient, users: dict[str, User], fetch_user
) -> None:
    response = post_login(client, "analyst", TEST_PASSWORD)
    assert response.status_code == 302
    assert redirect_target(response)[0] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "Analyst" in dashboard.get_data(as_text=True)
    assert fetch_user("analyst").last_login_at is not None


def test_username_is_matched_whatever_its_case(client: FlaskClient, users) -> None:
    response = post_login(client, "  Analyst ", TEST_PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_login_goes_on_to_a_safe_next_page(client: FlaskClient, users) -> None:
    response = post_login(client, "analyst", TEST_PASSWORD, next_path="/settings?tab=tokens")
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings?tab=tokens"


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example/x", "/\\evil", "///evil.example", "/\t/evil.example"],
)
def test_login_ignores_a_next_that_leaves_the_site(client: FlaskClient, users, target: str) -> None:
    response = post_login(client, "analyst", TEST_PASSWORD, next_path=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "///evil.example",
        "/\t//evil.example",
        "https://evil.example/x",
        "javascript:alert(1)",
        "/\\evil",
        "evil.example",
        "",
        None,
    ],
)
def test_safe_next_falls_back_for_anything_but_a_same_site_path(target: str | None) -> None:
    assert safe_next(target, "/") == "/"


def test_safe_next_keeps_a_same_site_path_and_its_query() -> None:
    assert safe_next("/admin/users?page=2", "/") == "/admin/users?page=2"


def test_wrong_password_and_unknown_username_get_the_same_refusal(
    client: FlaskClient, users
) -> None:
    wrong_password = post_login(client, "analyst", "not the password at all")
    unknown_user = post_login(client, "nobody-here", TEST_PASSWORD)
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert alert_messages(wrong_password) == alert_messages(unknown_user) == [REFUSED]
    assert redirect_target(client.get("/"))[0] == "/login"


def test_failed_login_is_kept_on_record(client: FlaskClient, users, count_rows) -> None:
    post_login(client, "analyst", "not the password at all")
    assert count_rows(LoginFailure) == 1


def test_disabled_user_cannot_log_in_and_gets_the_same_refusal(
    client: FlaskClient, users, set_active, fetch_user
) -> None:
    set_active(users["analyst"], False)
    response = post_login(client, "analyst", TEST_PASSWORD)
    assert response.status_code == 401
    assert alert_messages(response) == [REFUSED]
    assert redirect_target(client.get("/"))[0] == "/login"
    assert fetch_user("analyst").last_login_at is None


def test_session_of_a_user_disabled_later_gets_no_more_pages(
    app: Flask, client: FlaskClient, users, set_active
) -> None:
    log_in(client, users["admin"])
    assert client.get("/").status_code == 200
    set_active(users["admin"], False)
    answers = {url: client.get(url) for url in web_pages(app)}
    assert {url: r.status_code for url, r in answers.items() if r.status_code < 300} == {}
    assert redirect_target(answers["/settings"])[0] == "/login"


def test_session_of_a_user_disabled_later_cannot_make_tokens(
    client: FlaskClient, users, set_active, count_rows
) -> None:
    log_in(client, users["analyst"])
    set_active(users["analyst"], False)
    response = client.post("/settings/tokens", data={"name": "after disabling"})
    assert response.status_code != 200
    assert count_rows(ApiToken) == 0


def test_logout_takes_post_only_and_ends_the_session(client: FlaskClient, users) -> None:
    log_in(client, users["viewer"])
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200  # a GET (a link, an image) does not log out
    response = client.post("/logout")
    assert response.status_code == 302
    assert redirect_target(response)[0] == "/login"
    assert redirect_target(client.get("/"))[0] == "/login"
