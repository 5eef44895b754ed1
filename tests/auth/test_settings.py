"""A user's own settings: changing the password, and API tokens shown once and revocable."""

from __future__ import annotations

import hashlib
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from werkzeug.test import TestResponse

from casemgr.auth.models import ApiToken, User
from casemgr.extensions import db
from tests.auth.helpers import field_errors, post_login, redirect_target
from tests.factories import TEST_PASSWORD

NEW_PASSWORD = "correct horse battery staple"


def change_password(client: FlaskClient, current: str, new: str, confirm: str | None = None):
    data = {"current_password": current, "new_password": new, "confirm": confirm or new}
    return client.post("/settings/password", data=data)


def shown_token(response: TestResponse) -> str:
    found = re.search(r'id="new-token">([^<]+)<', response.get_data(as_text=True))
    assert found, "no new token on the page"
    return found.group(1).strip()


def create_token(client: FlaskClient, name: str = "monitoring feed") -> str:
    response = client.post("/settings/tokens", data={"name": name})
    assert response.status_code == 200
    return shown_token(response)


def me(app: Flask, token: str) -> TestResponse:
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def token_ids(app: Flask, username: str) -> list[int]:
    with app.app_context():
        query = select(ApiToken.id).join(User).where(User.username == username)
        return list(db.session.scalars(query))


def test_user_changes_their_password_and_logs_in_with_the_new_one(
    app: Flask, client_as, fetch_user, audit_events
) -> None:
    response = change_password(client_as("analyst"), TEST_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert redirect_target(response)[0] == "/settings"
    assert post_login(app.test_client(), "analyst", NEW_PASSWORD).status_code == 302
    assert [e["actor"] for e in audit_events("user.password")] == ["analyst"]


def test_a_new_password_ends_the_users_other_sessions_but_not_this_one(client_as) -> None:
    here, elsewhere, colleague = client_as("analyst"), client_as("analyst"), client_as("lead")
    assert elsewhere.get("/settings").status_code == 200
    assert change_password(here, TEST_PASSWORD, NEW_PASSWORD).status_code == 302
    assert "other sessions have ended" in here.get("/settings").get_data(as_text=True)
    refused = elsewhere.get("/settings")
    assert refused.status_code == 302 and redirect_target(refused)[0] == "/login"
    assert colleague.get("/settings").status_code == 200


def test_wrong_current_password_is_refused_beside_the_field(
    client_as, users: dict[str, User], fetch_user
) -> None:
    response = change_password(client_as("analyst"), "not my password", NEW_PASSWORD)
    assert response.status_code == 422
    assert field_errors(response, "current_password") == ["That is not your current password."]
    assert fetch_user("analyst").password_hash == users["analyst"].password_hash


def test_new_password_must_be_typed_twice_alike(client_as, users, fetch_user) -> None:
    response = change_password(client_as("analyst"), TEST_PASSWORD, NEW_PASSWORD, "something else")
    assert response.status_code == 422
    assert field_errors(response, "confirm") == ["The passwords differ."]
    assert fetch_user("analyst").password_hash == users["analyst"].password_hash


def test_short_new_password_is_refused(client_as, users, fetch_user) -> None:
    response = change_password(client_as("analyst"), TEST_PASSWORD, "short")
    assert response.status_code == 422
    assert any("12" in message for message in field_errors(response, "new_password"))
    assert fetch_user("analyst").password_hash == users["analyst"].password_hash


def test_new_token_is_shown_once_and_works_on_the_api(app: Flask, client_as) -> None:
    client = client_as("analyst")
    token = create_token(client)
    answer = me(app, token)
    assert answer.status_code == 200
    assert answer.get_json()["username"] == "analyst"
    settings = client.get("/settings").get_data(as_text=True)
    assert token not in settings
    assert "monitoring feed" in settings and token[:10] in settings


def test_only_the_sha256_of_a_token_is_stored(app: Flask, client_as) -> None:
    token = create_token(client_as("analyst"))
    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM api_tokens")).all()
        stored_hashes = list(db.session.scalars(select(ApiToken.token_hash)))
    assert len(rows) == 1
    assert not any(token in str(value) for value in rows[0])
    assert stored_hashes == [hashlib.sha256(token.encode()).hexdigest()]


def test_revoked_token_gets_401_as_problem_json(app: Flask, client_as) -> None:
    client = client_as("analyst")
    token = create_token(client)
    [token_id] = token_ids(app, "analyst")
    response = client.post(f"/settings/tokens/{token_id}/revoke")
    assert response.status_code == 302
    assert "revoked" in client.get("/settings").get_data(as_text=True)
    answer = me(app, token)
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"
    assert answer.get_json()["status"] == 401


def test_user_cannot_revoke_another_users_token(app: Flask, client_as, token_for) -> None:
    headers = token_for("analyst")
    [token_id] = token_ids(app, "analyst")
    assert client_as("lead").post(f"/settings/tokens/{token_id}/revoke").status_code == 404
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 200


def test_revoking_an_unknown_token_answers_404(client_as) -> None:
    assert client_as("analyst").post("/settings/tokens/999/revoke").status_code == 404


def test_token_needs_a_name(app: Flask, client_as, count_rows) -> None:
    response = client_as("analyst").post("/settings/tokens", data={"name": ""})
    assert response.status_code == 422
    assert field_errors(response, "name")
    assert count_rows(ApiToken) == 0


def test_token_of_a_disabled_user_stops_working(app: Flask, client_as, users, set_active) -> None:
    token = create_token(client_as("analyst"))
    set_active(users["analyst"], False)
    assert me(app, token).status_code == 401


def test_user_picks_a_time_zone_and_dates_follow_it_with_utc_on_hover(
    client_as, fetch_user, audit_events, world
) -> None:
    analyst = client_as("analyst")
    assert 'value="Asia/Tokyo"' in analyst.get("/settings").get_data(as_text=True)
    response = analyst.post("/settings/time-zone", data={"timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert fetch_user("analyst").timezone == "Asia/Tokyo"
    assert audit_events("user.update")[-1]["changes"] == {
        "timezone": {"old": "UTC", "new": "Asia/Tokyo"}
    }
    page = analyst.get(f"/cases/{world['ref']}").get_data(as_text=True)
    shown = re.search(r'<time datetime="[^"]+" title="([^"]+) UTC">([^<]+) JST</time>', page)
    assert shown, "no date in the user's zone with UTC on hover"
    utc, local = shown.groups()
    assert int(local[11:13]) == (int(utc[11:13]) + 9) % 24


def test_an_unknown_time_zone_is_refused_beside_the_field(client_as, fetch_user) -> None:
    response = client_as("analyst").post("/settings/time-zone", data={"timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert field_errors(response, "timezone") == ["Not a valid choice."]
    assert fetch_user("analyst").timezone == "UTC"
