"""Behind a reverse proxy (CASEMGR_PROXY_HOPS): the client's address, not the proxy's, goes
into the login throttle and the audit log; without the setting the header is not believed."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from casemgr.auth.models import LoginFailure
from casemgr.extensions import db
from tests.conftest import build_app

PROXY, CLIENT = "127.0.0.1", "198.51.100.7"


def failed_login_address(app: Flask) -> str:
    client = app.test_client()
    client.post(
        "/login",
        data={"username": "analyst", "password": "not the password"},
        environ_base={"REMOTE_ADDR": PROXY},
        headers={"X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https"},
    )
    with app.app_context():
        return db.session.scalar(select(LoginFailure.address).order_by(LoginFailure.id.desc()))


@pytest.mark.parametrize(("hops", "seen"), [(1, CLIENT), (0, PROXY)])
def test_the_forwarded_address_is_believed_only_for_the_hops_configured(
    app: Flask, users, tmp_path: Path, hops: int, seen: str
) -> None:
    behind = build_app(
        tmp_path / "behind-proxy", app.config["SQLALCHEMY_DATABASE_URI"], CASEMGR_PROXY_HOPS=hops
    )
    assert failed_login_address(behind) == seen
    with behind.app_context():
        db.engine.dispose()
