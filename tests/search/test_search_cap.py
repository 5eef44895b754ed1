"""The search page lists at most CASEMGR_SEARCH_LIMIT hits, the newest, and says when there
were more; hits a user may not see neither fill the list nor bring the note."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.db import utcnow
from casemgr.extensions import db
from casemgr.search import query
from casemgr.search.results import search
from tests.cases.conftest import make_account, make_case, make_subject, make_threat, session, staff

__all__ = ["session", "staff"]  # fixtures shared with the case tests

ClientAs = Callable[[str], FlaskClient]
CAP = 3
NOTE = f"More than {CAP} matches: showing the newest {CAP}. Add words to narrow the search."


@pytest.fixture(autouse=True)
def low_cap(app: Flask) -> None:
    app.config["CASEMGR_SEARCH_LIMIT"] = CAP


@pytest.fixture(autouse=True, params=[20_000, 2, 0])
def recent_documents(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test with the newest hits found among the recent documents (on PostgreSQL), among
    the older ones, and in both."""
    monkeypatch.setattr(query, "RECENT_DOCUMENTS", request.param)


def log_letters(session: Session, case: Case, first: int, count: int) -> None:
    """Threats "crimson letter <n>", each logged (and so indexed) after the one before and
    dated a day later."""
    start = utcnow() - timedelta(days=100)
    for number in range(first, first + count):
        make_threat(
            session, case, f"crimson letter {number}", occurred_at=start + timedelta(days=number)
        )


def letters_listed(page: str) -> list[int]:
    """The numbers of the letters in the page's list of threats, in its order."""
    return [int(n) for n in re.findall(r'class="verbatim"[^>]*>crimson letter (\d+)', page)]


def letters_on_cases(app: Flask, users: dict[str, User], seen: int, hidden: int = 0) -> None:
    """`seen` letters on the analyst's case, then `hidden` newer ones on a restricted case of
    the lead's. Written in an app context of their own: a request inside the `session`
    fixture's would share its `g`, and with it the user logged in first."""
    with app.app_context():
        session = db.session
        analyst, lead = session.get(User, users["analyst"].id), session.get(User, users["lead"].id)
        log_letters(session, make_case(session, analyst, "Letters to the office"), 1, seen)
        if hidden:
            secret = make_case(session, lead, "Insider leak", restricted=True)
            log_letters(session, secret, seen + 1, hidden)
        session.commit()


def search_page(client: FlaskClient, query: str) -> str:
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_search_with_more_hits_than_the_cap_lists_the_newest_and_asks_for_more_words(
    app: Flask, users: dict[str, User], client_as: ClientAs
) -> None:
    letters_on_cases(app, users, 5)
    page = search_page(client_as("analyst"), "crimson")
    assert letters_listed(page) == [5, 4, 3]
    assert NOTE in page


def test_a_search_with_no_more_hits_than_the_cap_lists_them_all_without_the_note(
    app: Flask, users: dict[str, User], client_as: ClientAs
) -> None:
    letters_on_cases(app, users, 3)
    page = search_page(client_as("analyst"), "crimson")
    assert letters_listed(page) == [3, 2, 1]
    assert "Add words to narrow the search" not in page


def test_more_words_narrow_a_search_under_the_cap(
    app: Flask, users: dict[str, User], client_as: ClientAs
) -> None:
    letters_on_cases(app, users, 5)
    page = search_page(client_as("analyst"), "crimson letter 2")
    assert letters_listed(page) == [2]
    assert "Add words to narrow the search" not in page


def test_hits_in_a_restricted_case_neither_fill_the_list_nor_bring_the_note(
    app: Flask, users: dict[str, User], client_as: ClientAs
) -> None:
    """The hidden hits are the newest, more than fill the search's first batch."""
    letters_on_cases(app, users, 2, hidden=2 * CAP)

    page = search_page(client_as("analyst"), "crimson")
    assert letters_listed(page) == [2, 1]
    assert "Insider leak" not in page and "Add words to narrow the search" not in page

    page = search_page(client_as("lead"), "crimson")
    assert letters_listed(page) == [8, 7, 6]
    assert NOTE in page


def test_a_subject_on_more_cases_than_the_cap_brings_the_note(
    session: Session, staff: dict[str, User]
) -> None:
    group = make_subject(session, "Crimson Banner", kind="group")
    for number in range(CAP + 1):
        make_case(session, staff["analyst"], f"Campaign {number}", subject_ids=[group.id])
    session.commit()
    results = search(session, staff["analyst"], "crimson", CAP)
    assert [subject.name for subject in results.subjects] == ["Crimson Banner"]
    assert len(results.cases) == CAP and results.more


def test_an_account_hit_leads_to_the_cases_of_its_threats(
    session: Session, staff: dict[str, User]
) -> None:
    poster = make_subject(session, "Unknown poster")
    account = make_account(session, poster, "crimson_lens")
    case = make_case(session, staff["analyst"], "Doctored photo")
    make_threat(session, case, "Image posted.", account_id=account.id)
    session.commit()
    results = search(session, staff["analyst"], "crimson_lens", CAP)
    assert [found.title for found in results.cases] == ["Doctored photo"]
    assert not results.more


def test_a_query_without_words_finds_nothing(session: Session, staff: dict[str, User]) -> None:
    log_letters(session, make_case(session, staff["analyst"], "Letters to the office"), 1, 2)
    session.commit()
    results = search(session, staff["analyst"], "!!! ---", CAP)
    assert (results.cases, results.threats, results.subjects, results.more) == ((), (), (), False)
