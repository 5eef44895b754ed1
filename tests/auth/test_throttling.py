"""Login throttling: per account and per address, for a window that passes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from casemgr.auth import accounts
from casemgr.auth.models import LoginFailure, User
from casemgr.extensions import db
from tests.auth.helpers import alert_messages, post_login, redirect_target
from tests.factories import TEST_PASSWORD

THROTTLED = "Too many failed attempts. Wait 15 minutes and try again."
WRONG = "not the password at all"


@pytest.fixture(autouse=True)
def _five_failures_in_fifteen_minutes(app: Flask) -> None:
    # The numbers below are the documented defaults; a change there should be a decision.
    assert app.config["LOGIN_MAX_FAILURES"] == 5
    assert app.config["LOGIN_LOCKOUT"] == timedelta(minutes=15)


@pytest.fixture(autouse=True)
def _quick_password_checks(app: Flask, users, monkeypatch: pytest.MonkeyPatch) -> None:
    """Throttling is about counting: check passwords against a cheap hash to keep this fast."""
    cheap = generate_password_hash(TEST_PASSWORD, method="pbkdf2:sha256:1000")
    monkeypatch.setattr(accounts, "_DUMMY_HASH", cheap)
    with app.app_context():
        db.session.execute(update(User).values(password_hash=cheap))
        db.session.commit()


def age_failures(app: Flask, age: timedelta) -> None:
    """Pretend every recorded failure happened `age` earlier than it did."""
    with app.app_context():
        for failure in db.session.scalars(select(LoginFailure)):
            failure.at -= age
        db.session.commit()


def fail_for_account(client: FlaskClient, username: str, times: int) -> None:
    """Fail `times` logins for one account, each from a different address."""
    for n in range(times):
        response = post_login(client, username, WRONG, address=f"198.51.100.{n + 1}")
        assert response.status_code == 401


def assert_throttled(client: FlaskClient, username: str, address: str) -> None:
    response = post_login(client, username, TEST_PASSWORD, address=address)
    assert response.status_code == 429
    assert alert_messages(response) == [THROTTLED]
    assert redirect_target(client.get("/"))[0] == "/login"


def test_five_failures_lock_the_account_even_for_the_right_password(
    client: FlaskClient, users
) -> None:
    fail_for_account(client, "analyst", 5)
    assert_throttled(client, "analyst", address="203.0.113.9")


def test_four_failures_do_not_lock_the_account(client: FlaskClient, users) -> None:
    fail_for_account(client, "analyst", 4)
    response = post_login(client, "analyst", TEST_PASSWORD, address="203.0.113.9")
    assert response.status_code == 302


def test_account_lock_leaves_other_accounts_alone(client: FlaskClient, users) -> None:
    fail_for_account(client, "analyst", 5)
    assert post_login(client, "lead", TEST_PASSWORD, address="203.0.113.9").status_code == 302


def test_five_failures_from_one_address_lock_that_address_for_every_account(
    client: FlaskClient, users
) -> None:
    for name in ("admin", "lead", "viewer", "nobody", "someone"):
        assert post_login(client, name, WRONG, address="198.51.100.7").status_code == 401
    assert_throttled(client, "analyst", address="198.51.100.7")
    # The accounts themselves are not locked: the same login from elsewhere works.
    assert post_login(client, "analyst", TEST_PASSWORD, address="203.0.113.9").status_code == 302


def test_login_works_again_once_the_lockout_window_has_passed(
    app: Flask, client: FlaskClient, users
) -> None:
    fail_for_account(client, "analyst", 5)
    age_failures(app, timedelta(minutes=14))
    assert_throttled(client, "analyst", address="203.0.113.9")
    age_failures(app, timedelta(minutes=2))  # now 16 minutes old
    response = post_login(client, "analyst", TEST_PASSWORD, address="203.0.113.9")
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_address_lock_ends_once_the_lockout_window_has_passed(
    app: Flask, client: FlaskClient, users
) -> None:
    for name in ("admin", "lead", "viewer", "nobody", "someone"):
        post_login(client, name, WRONG, address="198.51.100.7")
    age_failures(app, timedelta(minutes=16))
    assert post_login(client, "analyst", TEST_PASSWORD, address="198.51.100.7").status_code == 302


def test_a_successful_login_resets_the_account_counter(
    client: FlaskClient, users, count_rows
) -> None:
    fail_for_account(client, "analyst", 4)
    assert post_login(client, "analyst", TEST_PASSWORD, address="203.0.113.1").status_code == 302
    client.post("/logout")
    for n in range(4):
        post_login(client, "analyst", WRONG, address=f"198.51.100.{n + 50}")
    assert count_rows(LoginFailure) == 8  # all within the window; only 4 since the login
    assert post_login(client, "analyst", TEST_PASSWORD, address="203.0.113.2").status_code == 302


def test_refused_attempts_while_locked_do_not_extend_the_lock(
    app: Flask, client: FlaskClient, users, count_rows
) -> None:
    fail_for_account(client, "analyst", 5)
    post_login(client, "analyst", WRONG, address="203.0.113.9")
    assert count_rows(LoginFailure) == 5
