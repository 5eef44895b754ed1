"""Kept case pages: served again only while nothing changed, per viewer, and never stale."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient

from casemgr.auth.models import User
from casemgr.cases import page_cache
from casemgr.cases.models import Case
from casemgr.cases.operations import CaseDetails, update_case
from casemgr.cases.page_cache import PageCache, PageKey
from casemgr.extensions import db
from casemgr.people.models import Subject
from casemgr.people.subjects import SubjectDetails, update_subject
from tests.cases.conftest import actor_of, make_case, make_subject, make_threat
from tests.conftest import log_in
from tests.perf.data import counted_statements

# Requests are made outside any app context of the test's own: inside one, Flask would lend
# it to every request, and with it the user the first request loaded.

CSRF_VALUE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@contextmanager
def case_page_renders(app: Flask) -> Iterator[list[str]]:
    """The case pages rendered while inside."""
    rendered: list[str] = []

    def note(sender: Flask, template, context) -> None:
        if template.name == "cases/detail.html":
            rendered.append(context["case"].ref)

    template_rendered.connect(note, app)
    try:
        yield rendered
    finally:
        template_rendered.disconnect(note, app)


def page(client: FlaskClient, ref: str) -> str:
    response = client.get(f"/cases/{ref}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def analyst_client(app: Flask, users: dict[str, User]) -> FlaskClient:
    return log_in(app.test_client(), users["analyst"])


@pytest.fixture
def ref(app: Flask, users: dict[str, User]) -> str:
    """A case owned by the analyst."""
    with app.app_context():
        case = make_case(db.session, db.session.get(User, users["analyst"].id))
        db.session.commit()
        return case.ref


def log_a_threat(app: Flask, ref: str, text: str) -> None:
    with app.app_context():
        case = db.session.scalar(db.select(Case).where(Case.ref == ref))
        make_threat(db.session, case, text)
        db.session.commit()


def test_a_page_seen_again_unchanged_is_not_rendered_again(
    app: Flask, ref: str, analyst_client: FlaskClient
) -> None:
    with case_page_renders(app) as rendered:
        first = page(analyst_client, ref)
        second = page(analyst_client, ref)
    assert rendered == [ref]
    # The forms' token is signed with the time, so it may differ between the two answers.
    assert CSRF_VALUE.sub("", second) == CSRF_VALUE.sub("", first)
    assert CSRF_VALUE.search(first)


def test_a_new_threat_shows_at_once(app: Flask, ref: str, analyst_client: FlaskClient) -> None:
    assert "We know where the gala is" not in page(analyst_client, ref)
    log_a_threat(app, ref, "We know where the gala is.")
    with case_page_renders(app) as rendered:
        assert "We know where the gala is" in page(analyst_client, ref)
    assert rendered == [ref]


def test_a_change_outside_the_case_shows_too(
    app: Flask, users: dict[str, User], analyst_client: FlaskClient
) -> None:
    with app.app_context():
        subject = make_subject(db.session, "Corvin Ashdown")
        owner = db.session.get(User, users["analyst"].id)
        ref = make_case(db.session, owner, subject_ids=[subject.id]).ref
        db.session.commit()
        subject_id = subject.id
    assert "Corvin Ashdown" in page(analyst_client, ref)
    with app.app_context():
        subject = db.session.get(Subject, subject_id)
        lead = actor_of(users["lead"])
        update_subject(db.session, lead, subject, SubjectDetails(name="Corvin Ash"))
        db.session.commit()
    shown = page(analyst_client, ref)
    assert "Corvin Ash<" in shown
    assert "Corvin Ashdown" not in shown


def test_each_viewer_gets_the_page_for_their_role(
    app: Flask, ref: str, users: dict[str, User], analyst_client: FlaskClient
) -> None:
    viewer_client = log_in(app.test_client(), users["viewer"])
    with case_page_renders(app) as rendered:
        assert "Log a threat" in page(analyst_client, ref)
        assert "Log a threat" not in page(viewer_client, ref)
        assert "Log a threat" not in page(viewer_client, ref)
    assert rendered == [ref, ref]


def test_each_session_gets_its_own_form_token(
    app: Flask, ref: str, users: dict[str, User], analyst_client: FlaskClient
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    other_browser = log_in(app.test_client(), users["analyst"])
    first, second = page(analyst_client, ref), page(other_browser, ref)
    tokens = [set(CSRF_VALUE.findall(shown)) for shown in (first, second)]
    assert len(tokens[0]) == len(tokens[1]) == 1
    assert tokens[0] != tokens[1]
    assert "\x00" not in first + second
    form = {"csrf_token": tokens[1].pop(), "title": "Vary the route", "owner": ""}
    assert other_browser.post(f"/cases/{ref}/tasks", data=form).status_code == 302


def test_a_user_in_another_time_zone_gets_their_own_page(
    app: Flask, ref: str, users: dict[str, User], analyst_client: FlaskClient
) -> None:
    assert "UTC</time>" in page(analyst_client, ref)
    with app.app_context():
        db.session.get(User, users["analyst"].id).timezone = "Asia/Tokyo"
        db.session.commit()
    shown = page(analyst_client, ref)
    assert "JST</time>" in shown
    assert "UTC</time>" not in shown


def test_a_flash_message_is_shown_and_the_page_with_it_not_kept(
    app: Flask, ref: str, analyst_client: FlaskClient
) -> None:
    page(analyst_client, ref)
    with analyst_client.session_transaction() as session:
        session["_flashes"] = [("success", "Saved a moment ago.")]
    assert "Saved a moment ago." in page(analyst_client, ref)
    assert "Saved a moment ago." not in page(analyst_client, ref)


def test_with_no_budget_every_view_renders(
    app: Flask, ref: str, analyst_client: FlaskClient
) -> None:
    app.config["CASEMGR_PAGE_CACHE_MB"] = 0
    with case_page_renders(app) as rendered:
        page(analyst_client, ref)
        page(analyst_client, ref)
    assert rendered == [ref, ref]


def test_a_non_member_is_refused_a_kept_restricted_page(
    app: Flask, users: dict[str, User], analyst_client: FlaskClient
) -> None:
    with app.app_context():
        owner = db.session.get(User, users["analyst"].id)
        ref = make_case(db.session, owner, restricted=True).ref
        db.session.commit()
    page(analyst_client, ref)
    viewer_client = log_in(app.test_client(), users["viewer"])
    assert viewer_client.get(f"/cases/{ref}").status_code == 404


def key(number: int) -> PageKey:
    return PageKey(number, "tail", 1, "analyst", "Ann", "UTC")


def test_the_least_recently_used_pages_go_first_when_over_budget() -> None:
    cache = PageCache(budget=25)
    cache.put(key(1), (b"a" * 10,))
    cache.put(key(2), (b"b" * 10,))
    assert cache.get(key(1)) == (b"a" * 10,)  # now the most recently used
    cache.put(key(3), (b"c" * 10,))
    assert cache.get(key(2)) is None
    assert cache.get(key(1)) == (b"a" * 10,)
    assert cache.get(key(3)) == (b"c" * 10,)


def test_a_page_larger_than_the_budget_is_not_kept() -> None:
    cache = PageCache(budget=5)
    cache.put(key(1), (b"a" * 6,))
    assert cache.get(key(1)) is None


def test_a_kept_page_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: now[0])
    cache = PageCache(budget=100, lifetime=60)
    cache.put(key(1), (b"page",))
    now[0] += 59
    assert cache.get(key(1)) == (b"page",)
    now[0] += 2
    assert cache.get(key(1)) is None


def test_a_kept_page_costs_the_viewer_and_the_audit_tail_only(
    app: Flask, ref: str, analyst_client: FlaskClient
) -> None:
    page(analyst_client, ref)
    with counted_statements(app) as statements:
        page(analyst_client, ref)
    assert len(statements) == 2, statements
    assert "FROM users" in statements[0] and "FROM audit_events" in statements[1]


def test_a_member_taken_off_a_restricted_case_loses_its_kept_page(
    app: Flask, users: dict[str, User], analyst_client: FlaskClient
) -> None:
    with app.app_context():
        owner = db.session.get(User, users["analyst"].id)
        case = make_case(db.session, owner, restricted=True, members=["viewer"])
        db.session.commit()
        ref = case.ref
    viewer_client = log_in(app.test_client(), users["viewer"])
    page(viewer_client, ref)
    page(viewer_client, ref)
    with app.app_context():
        case = db.session.scalar(db.select(Case).where(Case.ref == ref))
        details = CaseDetails(title=case.title, restricted=True, members=[])
        update_case(db.session, actor_of(users["lead"]), case, details, case.version)
        db.session.commit()
    assert viewer_client.get(f"/cases/{ref}").status_code == 404
