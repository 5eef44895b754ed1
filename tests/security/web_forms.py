"""Every web form that writes, with values it accepts: the hostile-input tests change one
field at a time and expect a refusal that leaves the database and the store as they were."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from flask.testing import FlaskClient

from casemgr.audit.log import SYSTEM
from casemgr.auth.models import User
from casemgr.auth.recent import AUTHENTICATED_AT
from casemgr.cases.models import Case
from casemgr.cases.operations import transition_case
from casemgr.extensions import db
from casemgr.people.subjects import SubjectDetails, create_subject
from tests.factories import TEST_PASSWORD

WHEN = "2026-03-01T09:30"
PEOPLE = {"name": "Dana Whitfield", "title": "CEO", "department": "Office of the CEO"}
PRIVATE = {"private_home_address": "1 Elm Row", "private_phone": "+44 20 0000"}
ACCOUNT = {"platform": "Chirper", "handle": "@dawnrelay", "url": "https://chirper.example/d"}
THREAT = {
    "occurred_at": WHEN,
    "channel": "public_post",
    "account_id": "1",
    "text": "You will pay.",
    "language": "en",
    "threat_type": "veiled",
    "target_ids": "1",
    "grading_source": "2",
    "grading_information": "B",
    "grading_handling": "P",
}


@dataclass(frozen=True)
class WebForm:
    role: str
    path: str  # with {ref} for the world's case
    values: dict[str, str]
    texts: tuple[str, ...] = ()  # the free-text fields among `values`
    page_refusal: bool = False  # refused on an error page rather than beside its field
    accepted: int = 302  # the answer to `values` as they are
    refused: int = 0  # the answer to a refused form when it is not a 4xx
    extra: dict[str, str] = field(default_factory=dict)  # sent, never made hostile

    def url(self, ref: str) -> str:
        return self.path.format(ref=ref)


FORMS: dict[str, WebForm] = {
    "case": WebForm(
        "analyst",
        "/cases/new",
        {"title": "Leadership", "summary": "Calls to harm staff.", "members": "lead"},
        ("title", "summary", "members"),
        extra={"priority": "high", "protectee_ids": "1", "subject_ids": "1"},
    ),
    "case edit": WebForm(
        "analyst",
        "/cases/{ref}/edit",
        {"title": "Leadership", "summary": "Calls to harm.", "priority": "high", "version": ""},
        ("title", "summary"),
    ),
    "transition": WebForm(
        "analyst", "/cases/{ref}/transition", {"to": "active", "reason": "Agreed."}, ("reason",)
    ),
    "assign": WebForm("lead", "/cases/{ref}/assign", {"owner": "lead"}),
    "task": WebForm(
        "analyst",
        "/cases/{ref}/tasks",
        {"title": "Brief reception", "owner": "analyst", "due_at": "2030-01-01T09:00"},
        ("title",),
    ),
    "task status": WebForm(
        "analyst", "/cases/{ref}/tasks/1/status", {"status": "done"}, page_refusal=True
    ),
    "decline": WebForm("lead", "/cases/handoffs/1/decline", {"reason": "On leave."}, ("reason",)),
    "referral": WebForm(
        "lead",
        "/cases/{ref}/referrals",
        {"agency": "CT Policing", "unit": "Unit 7", "officer": "DS Okafor", "notes": "Sent."},
        ("agency", "unit", "officer", "notes"),
    ),
    "protectee": WebForm("analyst", "/protectees/new", PEOPLE | PRIVATE, (*PEOPLE, *PRIVATE)),
    "protectee edit": WebForm("analyst", "/protectees/1/edit", PEOPLE, tuple(PEOPLE)),
    "subject": WebForm(
        "analyst",
        "/subjects/new",
        {"name": "Dawn Echo", "kind": "individual", "aliases": "Echo", "affiliation_id": "1"},
        ("name", "aliases"),
    ),
    "subject edit": WebForm(
        "analyst", "/subjects/1/edit", {"name": "Crimson Dawn", "kind": "group"}, ("name",)
    ),
    "merge": WebForm("analyst", "/subjects/1/merge", {"other_id": "2"}),
    "account": WebForm(
        "analyst", "/subjects/1/accounts/new", ACCOUNT | {"status": "active"}, tuple(ACCOUNT)
    ),
    "account edit": WebForm(
        "analyst", "/subjects/1/accounts/1/edit", ACCOUNT | {"status": "suspended"}, tuple(ACCOUNT)
    ),
    "threat": WebForm(
        "analyst", "/cases/{ref}/threats/new", THREAT, ("text", "language", "platform")
    ),
    "threat edit": WebForm("analyst", "/threats/1/edit", THREAT, ("text", "language")),
    "manipulated": WebForm(
        "analyst", "/evidence/1/manipulated", {"note": "Crosshairs.", "original_id": ""}, ("note",)
    ),
    "withdraw": WebForm("analyst", "/evidence/1/withdraw", {"reason": "Duplicate."}, ("reason",)),
    "transfer": WebForm(
        "analyst", "/evidence/1/transfer", {"recipient": "CT Policing", "note": ""}, ("recipient",)
    ),
    "briefing": WebForm(
        "lead",
        "/cases/{ref}/briefings/new",
        {"recipient": "CT Policing", "tlp": "TLP:AMBER", "sections": "summary"},
        ("recipient",),
    ),
    "token": WebForm("analyst", "/settings/tokens", {"name": "Feed"}, ("name",), accepted=200),
    "user": WebForm(
        "admin",
        "/admin/users",
        {"username": "rlee", "display_name": "R. Lee", "role": "analyst", "password": "x" * 16},
        ("username", "display_name"),
    ),
    "user edit": WebForm(
        "admin", "/admin/users/3", {"display_name": "An Analyst", "role": "analyst", "active": "y"}
    ),
    "login": WebForm("", "/login", {"username": "analyst", "password": TEST_PASSWORD}, refused=200),
}


def signed_in(client_as: Callable[[str], FlaskClient], role: str, app: Flask) -> FlaskClient:
    """A client of `role` whose password was just given (exports and admin ask for that);
    an anonymous one for no role."""
    if not role:
        return app.test_client()
    client = client_as(role)
    with client.session_transaction() as session:
        session[AUTHENTICATED_AT] = time.time()
    return client


def prepare_world(app: Flask) -> None:
    """The world's case in assessment (so it can be referred and moved to active), and a
    second subject to merge."""
    with app.app_context():
        case = db.session.get(Case, 1)
        for status in ("triage", "assessment"):
            transition_case(db.session, SYSTEM, "lead", case, status, "Moving on.")
        create_subject(db.session, SYSTEM, SubjectDetails(name="Dawn Relay", kind="individual"))
        assert db.session.get(User, 3).username == "analyst"
        db.session.commit()
