"""The `flask user ...` commands: create, first-admin, reset-password and token."""

from __future__ import annotations

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from werkzeug.security import check_password_hash

from casemgr.audit.models import AuditEvent
from casemgr.auth.models import ApiToken, User

PASSWORD = "a very long password"


def create_zoe(runner: FlaskCliRunner, *options: str, password: str = PASSWORD) -> Result:
    args = ["user", "create", "zoe", "--role", "analyst", "--password-stdin", *options]
    return runner.invoke(args=args, input=f"{password}\n")


def assert_one_error_line(result: Result) -> None:
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error:")


def me(app: Flask, token: str):
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_user_create_reads_the_password_from_stdin(
    runner: FlaskCliRunner, fetch_user, audit_events
) -> None:
    result = create_zoe(runner, "--display-name", "Zoe Quinn")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "created zoe (analyst)"
    zoe = fetch_user("zoe")
    assert (zoe.role, zoe.active, zoe.display_name) == ("analyst", True, "Zoe Quinn")
    assert check_password_hash(zoe.password_hash, PASSWORD)
    assert [e["actor"] for e in audit_events("user.create")] == ["system"]


def test_user_create_without_stdin_prints_a_random_password_once(
    runner: FlaskCliRunner, fetch_user
) -> None:
    result = runner.invoke(args=["user", "create", "zoe", "--role", "viewer"])
    assert result.exit_code == 0, result.output
    password = result.output.split("password: ")[1].strip()
    assert len(password) >= 12
    assert check_password_hash(fetch_user("zoe").password_hash, password)


def test_user_create_refuses_a_short_password_with_one_error_line(
    runner: FlaskCliRunner, count_rows
) -> None:
    result = create_zoe(runner, password="too short")
    assert_one_error_line(result)
    assert "12" in result.output
    assert (count_rows(User), count_rows(AuditEvent)) == (0, 0)


def test_user_create_refuses_a_taken_username(runner: FlaskCliRunner, users, count_rows) -> None:
    result = runner.invoke(
        args=["user", "create", "analyst", "--role", "viewer", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )
    assert_one_error_line(result)
    assert "taken" in result.output
    assert count_rows(User) == len(users)


def test_user_create_refuses_an_unknown_role_and_creates_nothing(
    runner: FlaskCliRunner, count_rows
) -> None:
    result = runner.invoke(
        args=["user", "create", "zoe", "--role", "boss", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert result.exit_code != 0
    assert "boss" in result.output
    assert count_rows(User) == 0


def test_user_create_refuses_an_unknown_role_with_one_error_line(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["user", "create", "zoe", "--role", "boss", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert_one_error_line(result)


def test_first_admin_is_created_only_when_there_are_no_users(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch, fetch_user, count_rows
) -> None:
    monkeypatch.setenv("CASEMGR_ADMIN_PASSWORD", PASSWORD)
    first = runner.invoke(args=["user", "first-admin"])
    assert first.exit_code == 0, first.output
    assert "from CASEMGR_ADMIN_PASSWORD" in first.output and PASSWORD not in first.output
    admin = fetch_user("admin")
    assert (admin.role, admin.active) == ("admin", True)
    assert check_password_hash(admin.password_hash, PASSWORD)
    monkeypatch.setenv("CASEMGR_ADMIN_PASSWORD", "another very long password")
    second = runner.invoke(args=["user", "first-admin"])
    assert (second.exit_code, second.output) == (0, "")
    assert count_rows(User) == 1
    assert fetch_user("admin").password_hash == admin.password_hash


def test_first_admin_does_nothing_when_users_exist(
    runner: FlaskCliRunner, users, monkeypatch: pytest.MonkeyPatch, fetch_user, count_rows
) -> None:
    monkeypatch.setenv("CASEMGR_ADMIN_PASSWORD", PASSWORD)
    result = runner.invoke(args=["user", "first-admin"])
    assert (result.exit_code, result.output) == (0, "")
    assert count_rows(User) == len(users)
    assert fetch_user("admin").password_hash == users["admin"].password_hash


def test_first_admin_refuses_a_short_password_from_the_environment(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch, count_rows
) -> None:
    monkeypatch.setenv("CASEMGR_ADMIN_PASSWORD", "short")
    assert_one_error_line(runner.invoke(args=["user", "first-admin"]))
    assert count_rows(User) == 0


def test_user_token_prints_a_token_that_works_on_the_api(
    app: Flask, runner: FlaskCliRunner, users
) -> None:
    result = runner.invoke(args=["user", "token", "lead", "--name", "feed"])
    assert result.exit_code == 0, result.output
    answer = me(app, result.output.strip())
    assert answer.status_code == 200
    assert answer.get_json()["username"] == "lead"


@pytest.mark.parametrize("username", ["nobody", "viewer"], ids=["unknown", "disabled"])
def test_user_token_refuses_an_unknown_or_disabled_user(
    runner: FlaskCliRunner, users, set_active, count_rows, username: str
) -> None:
    set_active(users["viewer"], False)
    result = runner.invoke(args=["user", "token", username])
    assert_one_error_line(result)
    assert username in result.output
    assert count_rows(ApiToken) == 0


def test_reset_password_prints_a_new_one_once_and_ends_the_users_sessions(
    runner: FlaskCliRunner, client_as, fetch_user, audit_events
) -> None:
    session = client_as("analyst")
    result = runner.invoke(args=["user", "reset-password", "analyst"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("password reset for analyst; their sessions have ended\n")
    password = result.output.split("password: ")[1].strip()
    assert check_password_hash(fetch_user("analyst").password_hash, password)
    assert [e["actor"] for e in audit_events("user.password")] == ["system"]
    assert session.get("/settings").status_code == 302  # back to the login page


def test_reset_password_reads_stdin_and_refuses_bad_input_with_one_error_line(
    runner: FlaskCliRunner, users: dict[str, User], fetch_user
) -> None:
    before = fetch_user("viewer").password_hash
    assert_one_error_line(runner.invoke(args=["user", "reset-password", "nobody"]))
    short = ["user", "reset-password", "viewer", "--password-stdin"]
    assert_one_error_line(runner.invoke(args=short, input="too short\n"))
    assert fetch_user("viewer").password_hash == before
    result = runner.invoke(args=short, input=f"{PASSWORD}\n")
    assert result.exit_code == 0 and "password:" not in result.output
    assert check_password_hash(fetch_user("viewer").password_hash, PASSWORD)
