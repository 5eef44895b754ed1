"""The protectee registry in the browser: create, edit, archive and restore (never delete),
private details kept from viewers, and the "All staff" protectee for the workforce."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from casemgr.audit.log import SYSTEM
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import User
from casemgr.auth.permissions import ROLE_PERMISSIONS
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.extensions import db
from casemgr.people.models import Protectee
from casemgr.people.protectees import ProtecteeDetails, create_protectee
from tests.auth.helpers import field_errors, redirect_target

CEO = ProtecteeDetails(
    name="Dana Whitfield",
    title="Chief Executive Officer",
    department="Executive Office",
    usual_locations="Lumina Social HQ, 4th floor",
    private_home_address="12 Harbour Lane, Port Ellery",
    private_phone="+44 7700 900123",
    private_family="Partner: Sam Whitfield",
)
PRIVATE_VALUES = (CEO.private_home_address, CEO.private_phone, CEO.private_family)


@pytest.fixture
def in_db(app: Flask) -> Callable[[Callable[[Any], Any]], Any]:
    """Run `work(session)` in the app's database, commit, and return its result."""

    def run(work: Callable[[Any], Any]) -> Any:
        with app.app_context():
            result = work(db.session)
            db.session.commit()
            return result

    return run


@pytest.fixture
def ceo_id(in_db) -> int:
    return in_db(lambda session: create_protectee(session, SYSTEM, CEO).id)


def stored(app: Flask, protectee_id: int) -> Protectee:
    with app.app_context():
        protectee = db.session.get(Protectee, protectee_id)
        db.session.expunge(protectee)
        return protectee


def protectee_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Protectee)) or 0


def form_of(details: ProtecteeDetails, **changes: str) -> dict[str, str]:
    return {**vars(details), **changes}


def test_analyst_adds_a_protectee_and_finds_it_in_the_registry(app: Flask, client_as) -> None:
    analyst = client_as("analyst")
    response = analyst.post("/protectees/new", data=form_of(CEO))
    assert response.status_code == 302
    path, _ = redirect_target(response)
    page = analyst.get(path).get_data(as_text=True)
    assert "Protectee Dana Whitfield is added." in page
    assert "Chief Executive Officer" in page and "12 Harbour Lane" in page
    registry = analyst.get("/protectees").get_data(as_text=True)
    assert ">Dana Whitfield</a>" in registry and "Executive Office" in registry
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "protectee.create"))
        assert event.actor == "analyst"
        # The audit log records that a private field changed, never its value.
        assert "12 Harbour Lane" not in str(event.changes)


def test_editing_a_protectee_changes_what_the_page_shows(app: Flask, client_as, ceo_id) -> None:
    lead = client_as("lead")
    form = lead.get(f"/protectees/{ceo_id}/edit").get_data(as_text=True)
    assert 'value="Dana Whitfield"' in form and "12 Harbour Lane" in form
    response = lead.post(
        f"/protectees/{ceo_id}/edit", data=form_of(CEO, title="Co-founder and CEO")
    )
    assert response.status_code == 302
    page = lead.get(f"/protectees/{ceo_id}").get_data(as_text=True)
    assert "Protectee Dana Whitfield is saved." in page and "Co-founder and CEO" in page
    assert stored(app, ceo_id).title == "Co-founder and CEO"


def test_archived_protectee_is_hidden_until_asked_for_and_can_be_restored(
    app: Flask, client_as, ceo_id
) -> None:
    analyst = client_as("analyst")
    archived = analyst.post(f"/protectees/{ceo_id}/archive", follow_redirects=True)
    assert "Dana Whitfield is archived." in archived.get_data(as_text=True)
    assert stored(app, ceo_id).archived_at is not None
    assert "Dana Whitfield" not in analyst.get("/protectees").get_data(as_text=True)
    archived_list = analyst.get("/protectees?archived=1").get_data(as_text=True)
    assert ">Dana Whitfield</a>" in archived_list and "archived</span>" in archived_list
    assert "Restore</button>" in analyst.get(f"/protectees/{ceo_id}").get_data(as_text=True)

    assert analyst.post(f"/protectees/{ceo_id}/restore").status_code == 302
    assert stored(app, ceo_id).archived_at is None
    assert ">Dana Whitfield</a>" in analyst.get("/protectees").get_data(as_text=True)
    assert protectee_count(app) == 2  # the CEO and "All staff": nothing was deleted


def test_all_staff_protectee_is_in_the_registry_and_stays_there(app: Flask, client_as) -> None:
    lead = client_as("lead")
    page = lead.get("/protectees").get_data(as_text=True)
    assert ">All staff</a>" in page and "workforce" in page
    lead.get("/protectees")  # made once, found after
    with app.app_context():
        [all_staff_id] = db.session.scalars(select(Protectee.id).where(Protectee.all_staff))
    detail = lead.get(f"/protectees/{all_staff_id}").get_data(as_text=True)
    assert "Archive</button>" not in detail
    assert lead.post(f"/protectees/{all_staff_id}/archive").status_code == 409
    assert stored(app, all_staff_id).archived_at is None


def test_viewer_sees_the_registry_without_buttons_and_without_making_anything(
    app: Flask, client_as, ceo_id
) -> None:
    viewer = client_as("viewer")
    page = viewer.get("/protectees").get_data(as_text=True)
    assert ">Dana Whitfield</a>" in page and "New protectee" not in page
    detail = viewer.get(f"/protectees/{ceo_id}").get_data(as_text=True)
    assert "Edit</a>" not in detail and "Archive" not in detail
    assert protectee_count(app) == 1  # a viewer's visit does not make "All staff"


def test_private_details_show_for_an_analyst_and_are_absent_for_a_viewer(client_as, ceo_id) -> None:
    analyst_page = client_as("analyst").get(f"/protectees/{ceo_id}").get_data(as_text=True)
    assert "Private details" in analyst_page
    assert all(value in analyst_page for value in PRIVATE_VALUES)

    viewer_page = client_as("viewer").get(f"/protectees/{ceo_id}").get_data(as_text=True)
    assert "Dana Whitfield" in viewer_page
    assert "Private details" not in viewer_page and "Home address" not in viewer_page
    assert not any(value in viewer_page for value in PRIVATE_VALUES)
    assert "Harbour" not in viewer_page and "900123" not in viewer_page


def test_role_without_private_access_edits_without_seeing_or_losing_private_details(
    app: Flask, client_as, ceo_id, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(ROLE_PERMISSIONS, "protectee.private", frozenset({"admin", "lead"}))
    analyst = client_as("analyst")
    form = analyst.get(f"/protectees/{ceo_id}/edit").get_data(as_text=True)
    assert 'value="Dana Whitfield"' in form
    assert "private_home_address" not in form and "Harbour" not in form
    # Even a crafted post cannot overwrite the fields the form does not carry.
    data = {"name": "Dana Whitfield", "title": "CEO", "private_phone": "+1 555 0100"}
    assert analyst.post(f"/protectees/{ceo_id}/edit", data=data).status_code == 302
    protectee = stored(app, ceo_id)
    assert protectee.title == "CEO"
    assert (
        protectee.private_home_address,
        protectee.private_phone,
        protectee.private_family,
    ) == PRIVATE_VALUES


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "This is required."), ("   ", "This is required."), ("D" * 300, "At most 200")],
    ids=["empty", "blank", "300-characters"],
)
def test_bad_name_is_shown_beside_the_field_and_nothing_is_created(
    app: Flask, client_as, name: str, message: str
) -> None:
    response = client_as("analyst").post("/protectees/new", data=form_of(CEO, name=name))
    assert response.status_code == 422
    assert any(message in error for error in field_errors(response, "name"))
    assert "12 Harbour Lane" in response.get_data(as_text=True)  # what was typed is kept
    assert protectee_count(app) == 0


def test_bad_edit_is_refused_and_changes_nothing(app: Flask, client_as, ceo_id) -> None:
    data = form_of(CEO, name="", title="Changed")
    response = client_as("lead").post(f"/protectees/{ceo_id}/edit", data=data)
    assert response.status_code == 422
    assert field_errors(response, "name") == ["This is required."]
    assert stored(app, ceo_id).title == CEO.title


def test_viewer_is_refused_every_protectee_write(app: Flask, client_as, ceo_id) -> None:
    viewer = client_as("viewer")
    for url in ("/protectees/new", f"/protectees/{ceo_id}/edit"):
        assert viewer.get(url).status_code == 403
    posts = {
        "/protectees/new": form_of(CEO, name="Mallory"),
        f"/protectees/{ceo_id}/edit": form_of(CEO, name="Mallory"),
        f"/protectees/{ceo_id}/archive": {},
        f"/protectees/{ceo_id}/restore": {},
    }
    assert {url: viewer.post(url, data=data).status_code for url, data in posts.items()} == (
        dict.fromkeys(posts, 403)
    )
    protectee = stored(app, ceo_id)
    assert (protectee.name, protectee.archived_at) == ("Dana Whitfield", None)
    assert protectee_count(app) == 1


def test_unknown_protectee_is_a_404(client_as) -> None:
    assert client_as("analyst").get("/protectees/999").status_code == 404


def test_page_lists_only_the_cases_the_user_may_see(
    app: Flask, client_as, users: dict[str, User], in_db, ceo_id
) -> None:
    def open_cases(session: Any) -> None:
        lead = session.get(User, users["lead"].id)
        for title, restricted in [("Open threats", False), ("Insider source", True)]:
            details = CaseDetails(title=title, restricted=restricted, protectee_ids=[ceo_id])
            create_case(session, SYSTEM, lead, details)

    in_db(open_cases)
    lead_page = client_as("lead").get(f"/protectees/{ceo_id}").get_data(as_text=True)
    assert "Open threats" in lead_page and "Insider source" in lead_page
    analyst_page = client_as("analyst").get(f"/protectees/{ceo_id}").get_data(as_text=True)
    assert "Open threats" in analyst_page and "Insider source" not in analyst_page
    if "cases.detail" in app.view_functions:
        assert 'href="/cases/TA-' in analyst_page
    else:
        assert 'href="/cases/' not in analyst_page


def test_anonymous_visitor_is_sent_to_login(client: FlaskClient) -> None:
    response = client.get("/protectees")
    assert response.status_code == 302 and redirect_target(response)[0] == "/login"
