"""User administration by an admin: create, change role, disable, reset a forgotten password;
never delete; audited."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash
from werkzeug.test import TestResponse

from casemgr.audit.models import AuditEvent
from casemgr.auth.models import User
from casemgr.extensions import db
from tests.auth.helpers import alert_messages, field_errors, post_login, redirect_target
from tests.factories import TEST_PASSWORD, make_user

NEW_PASSWORD = "correct horse battery staple"
LAST_ADMIN = "This is the last active admin; make another admin first."


@pytest.fixture
def admin(client_as) -> FlaskClient:
    return client_as("admin")


def edit_form(role: str, active: bool = True, display_name: str = "") -> dict[str, str]:
    form = {"role": role, "display_name": display_name}
    if active:
        form["active"] = "y"
    return form


def user_row(response: TestResponse, username: str) -> str:
    """The user list's table row for `username`, as HTML."""
    page = response.get_data(as_text=True)
    return page[page.index(f">{username}</a>") :].split("</tr>")[0]


def test_admin_creates_a_user_who_then_appears_in_the_list(
    admin: FlaskClient, fetch_user, audit_events
) -> None:
    response = admin.post(
        "/admin/users",
        data={
            "username": "zoe",
            "display_name": "Zoe Quinn",
            "role": "lead",
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert redirect_target(response)[0] == "/admin/users"
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "User zoe is created as lead." in page
    assert ">zoe</a>" in page and "Zoe Quinn" in page
    zoe = fetch_user("zoe")
    assert (zoe.role, zoe.active, zoe.display_name) == ("lead", True, "Zoe Quinn")
    assert check_password_hash(zoe.password_hash, NEW_PASSWORD)
    [event] = audit_events("user.create")
    assert event["actor"] == "admin" and event["object_id"] == str(zoe.id)
    assert event["changes"]["username"]["new"] == "zoe"
    assert event["changes"]["role"]["new"] == "lead"


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"username": "Not Valid!"}, "username", "Use 2-64 lower-case letters"),
        ({"username": "x"}, "username", "Use 2-64 lower-case letters"),
        ({"username": "analyst"}, "username", "That username is taken."),
        ({"username": "Analyst"}, "username", "That username is taken."),
        ({"password": "too short"}, "password", "12"),
    ],
    ids=["malformed", "too-short-name", "taken", "taken-other-case", "short-password"],
)
def test_bad_new_user_is_refused_beside_the_field_and_nothing_is_created(
    admin: FlaskClient, count_rows, form: dict[str, str], field: str, message: str
) -> None:
    data = {"username": "zoe", "role": "analyst", "password": NEW_PASSWORD, **form}
    users_before, events_before = count_rows(User), count_rows(AuditEvent)
    response = admin.post("/admin/users", data=data)
    assert response.status_code == 422
    errors = field_errors(response, field)
    assert len(errors) == 1 and message in errors[0]
    assert (count_rows(User), count_rows(AuditEvent)) == (users_before, events_before)


def test_admin_changes_a_role_and_the_change_is_audited(
    admin: FlaskClient, users: dict[str, User], fetch_user, audit_events
) -> None:
    analyst = users["analyst"]
    response = admin.post(f"/admin/users/{analyst.id}", data=edit_form("lead", True, "Analyst"))
    assert response.status_code == 302
    assert fetch_user("analyst").role == "lead"
    [event] = audit_events("user.update")
    assert event["actor"] == "admin" and event["object_id"] == str(analyst.id)
    assert event["changes"] == {"role": {"old": "analyst", "new": "lead"}}


def test_disabled_user_is_listed_as_disabled_and_cannot_log_in(
    app: Flask, admin: FlaskClient, users: dict[str, User], fetch_user, audit_events
) -> None:
    viewer = users["viewer"]
    response = admin.post(f"/admin/users/{viewer.id}", data=edit_form("viewer", False, "Viewer"))
    assert response.status_code == 302
    assert fetch_user("viewer").active is False
    assert "disabled" in user_row(admin.get("/admin/users"), "viewer")
    assert audit_events("user.update")[0]["changes"] == {"active": {"old": True, "new": False}}
    assert post_login(app.test_client(), "viewer", TEST_PASSWORD).status_code == 401


def test_user_list_shows_who_is_disabled(admin: FlaskClient, users, set_active) -> None:
    set_active(users["viewer"], False)
    page = admin.get("/admin/users")
    assert "disabled" in user_row(page, "viewer")
    assert "active" in user_row(page, "lead") and "disabled" not in user_row(page, "lead")


@pytest.mark.parametrize(
    "change",
    [edit_form("lead", True, "Admin"), edit_form("admin", False, "Admin")],
    ids=["demote", "disable"],
)
def test_last_active_admin_can_be_neither_demoted_nor_disabled(
    admin: FlaskClient, users: dict[str, User], fetch_user, audit_events, change: dict[str, str]
) -> None:
    response = admin.post(f"/admin/users/{users['admin'].id}", data=change)
    assert response.status_code == 409
    assert alert_messages(response) == [LAST_ADMIN]
    still = fetch_user("admin")
    assert (still.role, still.active) == ("admin", True)
    assert audit_events("user.update") == []


def test_a_disabled_second_admin_does_not_count_as_another_admin(
    app: Flask, admin: FlaskClient, users: dict[str, User], fetch_user
) -> None:
    with app.app_context():
        make_user(db.session, "admin", username="retired", active=False)
        db.session.commit()
    response = admin.post(f"/admin/users/{users['admin'].id}", data=edit_form("lead"))
    assert response.status_code == 409
    assert fetch_user("admin").role == "admin"


def test_an_admin_can_step_down_once_another_admin_is_active(
    app: Flask, admin: FlaskClient, users: dict[str, User], fetch_user
) -> None:
    with app.app_context():
        make_user(db.session, "admin", username="second-admin")
        db.session.commit()
    response = admin.post(
        f"/admin/users/{users['admin'].id}", data=edit_form("lead", True, "Admin")
    )
    assert response.status_code == 302
    assert fetch_user("admin").role == "lead"
    assert admin.get("/admin/users").status_code == 403  # the new role applies at once


def test_unknown_role_is_refused_beside_the_field(
    admin: FlaskClient, users: dict[str, User], fetch_user
) -> None:
    response = admin.post(f"/admin/users/{users['analyst'].id}", data=edit_form("superuser"))
    assert response.status_code == 422
    assert field_errors(response, "role")
    assert fetch_user("analyst").role == "analyst"


def test_editing_an_unknown_user_answers_404(admin: FlaskClient, users) -> None:
    assert admin.get("/admin/users/999").status_code == 404
    assert admin.post("/admin/users/999", data=edit_form("lead")).status_code == 404


def test_users_can_never_be_deleted(
    app: Flask, admin: FlaskClient, users: dict[str, User], fetch_user
) -> None:
    rules = list(app.url_map.iter_rules())
    assert not [rule.rule for rule in rules if "DELETE" in rule.methods]
    assert not [rule.endpoint for rule in rules if "delete" in rule.endpoint.lower()]
    viewer_url = f"/admin/users/{users['viewer'].id}"
    assert admin.delete(viewer_url).status_code == 405
    assert admin.post(f"{viewer_url}/delete").status_code == 404
    assert fetch_user("viewer") is not None


def test_user_names_are_shown_as_text_never_as_markup(
    app: Flask, admin: FlaskClient, users
) -> None:
    with app.app_context():
        make_user(db.session, "viewer", username="mallory", display_name="<b>Mallory</b>")
        db.session.commit()
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in page and "<b>Mallory</b>" not in page


def shown_password(response: TestResponse) -> str:
    found = re.search(
        r'id="new-password".*?<code[^>]*>([^<]+)</code>', response.get_data(as_text=True), re.S
    )
    assert found, "no new password on the page"
    return unescape(found[1])


def test_admin_resets_a_forgotten_password_shown_once_and_it_ends_their_sessions(
    app: Flask, admin: FlaskClient, client_as, users: dict[str, User], audit_events
) -> None:
    analyst = users["analyst"]
    logged_in = client_as("analyst")
    assert logged_in.get("/").status_code == 200
    response = admin.post(f"/admin/users/{analyst.id}/password")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = shown_password(response)
    assert len(password) >= 20
    assert logged_in.get("/").status_code == 302  # their session ended with the old password
    assert post_login(app.test_client(), "analyst", TEST_PASSWORD).status_code == 401
    assert post_login(app.test_client(), "analyst", password).status_code == 302
    [event] = audit_events("user.password")
    assert (event["actor"], event["object_id"]) == ("admin", str(analyst.id))
    assert 'id="new-password"' not in admin.get(f"/admin/users/{analyst.id}").get_data(as_text=True)


def test_an_admin_changes_their_own_password_on_the_settings_page_not_by_reset(
    app: Flask, admin: FlaskClient, users: dict[str, User], audit_events
) -> None:
    own = users["admin"]
    page = admin.get(f"/admin/users/{own.id}").get_data(as_text=True)
    assert "password-reset-form" not in page and "/settings" in page
    response = admin.post(f"/admin/users/{own.id}/password")
    assert response.status_code == 409
    assert alert_messages(response) == [
        "Change your own password on your settings page, with the current one."
    ]
    assert audit_events("user.password") == []
    assert post_login(app.test_client(), "admin", TEST_PASSWORD).status_code == 302


@pytest.mark.parametrize("role", ["lead", "analyst"])
def test_only_an_admin_resets_passwords(
    app: Flask, client_as, users: dict[str, User], audit_events, role: str
) -> None:
    response = client_as(role).post(f"/admin/users/{users['viewer'].id}/password")
    assert response.status_code == 403
    assert audit_events("user.password") == []
    assert post_login(app.test_client(), "viewer", TEST_PASSWORD).status_code == 302
