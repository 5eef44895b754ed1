"""Driving the case pages the way a browser does (CSRF is off in tests)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from casemgr.cases.models import Case
from casemgr.extensions import db


def open_case(client: FlaskClient, title: str = "Threats against leadership", **fields) -> str:
    """Open a case through the form; its reference."""
    response = client.post("/cases/new", data={"title": title, "priority": "normal", **fields})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[-1]


def load_case(app: Flask, ref: str) -> Case:
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.ref == ref))
        assert case is not None
        db.session.expunge(case)
        return case


def move(client: FlaskClient, ref: str, to: str, reason: str = "Moving on.", **extra):
    return client.post(f"/cases/{ref}/transition", data={"to": to, "reason": reason, **extra})


def page_text(response) -> str:
    return response.get_data(as_text=True)
