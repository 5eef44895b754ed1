"""The main pages send a fixed number of SQL statements, however much data they show.

Each test counts the statements of a page (and of its API equivalent), adds more of what
the page lists, and counts again: the count must not move (an N+1 query would add one per
row), and must stay under a small ceiling (so a new lazy load or a repeated lookup is caught
without timing anything). The dashboard and the gallery have no API equivalent.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from casemgr.auth.models import User
from casemgr.extensions import db
from tests.perf.data import (
    WORD,
    Scale,
    add_images,
    add_people,
    busy_case,
    counted_statements,
    dashboard_work,
    file_store,
    listed_cases,
    open_case,
    staff,
)

CEILING = 25
ClientAs = Callable[[str], FlaskClient]
TokenFor = Callable[[str], dict[str, str]]

SORTS = ("updated", "created", "ref", "priority", "concern", "review")
# Every filter of the case list, each matching every case `listed_cases` makes.
FILTERS = (
    "status=new",
    "owner=analyst",
    "protectee_id=1",
    "subject_id=1",
    "concern=none",
    "overdue=y",
    "pending_handoff=y",
    f"q={WORD}",
)
LIST_PAGES = (
    *(f"/cases?sort={sort}" for sort in SORTS),
    *(f"/cases?{condition}" for condition in FILTERS),
    "/cases?status=new&owner=analyst&overdue=y&sort=review",
)
CASE_API_PARTS = ("", "/threats?limit=200", "/timeline", "/assessments")
# The API has every filter but the pending handoff one.
API_LISTS = (
    "/api/v1/cases?limit=200",
    *(
        f"/api/v1/cases?limit=200&{condition}"
        for condition in FILTERS
        if "pending" not in condition
    ),
)


def statements_of(app: Flask, client: FlaskClient, url: str, headers: dict | None = None) -> int:
    """How many statements answering GET `url` sends (it must answer 200)."""
    with counted_statements(app) as statements:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200, (url, response.status_code)
    return len(statements)


def statements_per_page(
    app: Flask, client_as: ClientAs, token_for: TokenFor, role: str, pages: tuple[str, ...]
) -> dict[str, int]:
    """Statements per page for `role`: web pages with a session, /api/ ones with a token."""
    web, headers = client_as(role), token_for(role)
    web.get("/api/v1/me", headers=headers)  # the token's first use writes its last-used time
    return {
        url: statements_of(app, web, url, headers if url.startswith("/api/") else None)
        for url in pages
    }


def assert_flat(few: dict[str, int], many: dict[str, int]) -> None:
    assert many == few, "a page sends more statements for more data (an N+1 query?)"
    assert max(many.values()) <= CEILING, many


def test_case_page_sends_as_many_statements_for_200_threats_as_for_10(
    app: Flask, users: dict[str, User], client_as: ClientAs, token_for: TokenFor
) -> None:
    def counted(ref: str) -> dict[str, int]:
        """The case page's and its API equivalents' statements, by page with the ref left out."""
        api = (f"/api/v1/cases/{ref}{part}" for part in CASE_API_PARTS)
        found = statements_per_page(app, client_as, token_for, "analyst", (f"/cases/{ref}", *api))
        return {url.replace(ref, "REF"): count for url, count in found.items()}

    with app.app_context():
        team, people = staff(db.session, users), add_people(db.session)
        small, large = (
            busy_case(db.session, team, file_store(app), people, scale).ref
            for scale in (Scale(10, 2, 1, 1, 2, 1), Scale(200, 40, 6, 6, 30, 4))
        )
        db.session.commit()
    assert_flat(counted(small), counted(large))


@pytest.mark.parametrize("role", ["analyst", "lead"])
def test_case_list_sends_as_many_statements_for_60_cases_as_for_5(
    app: Flask, users: dict[str, User], client_as: ClientAs, token_for: TokenFor, role: str
) -> None:
    pages = (*LIST_PAGES, *API_LISTS)
    with app.app_context():
        team, people = staff(db.session, users), add_people(db.session)
        listed_cases(db.session, team, people, 5)
        db.session.commit()
        few = statements_per_page(app, client_as, token_for, role, pages)
        listed_cases(db.session, team, people, 55)
        db.session.commit()
        many = statements_per_page(app, client_as, token_for, role, pages)
        # A page beyond the first (OFFSET) costs what the first does.
        deep = statements_per_page(app, client_as, token_for, role, ("/cases?page=2",))
    assert_flat(few, many)
    assert deep["/cases?page=2"] == few["/cases?sort=updated"]


@pytest.mark.parametrize("role", ["analyst", "lead"])
def test_dashboard_sends_as_many_statements_for_busy_weeks_as_for_quiet_ones(
    app: Flask, users: dict[str, User], client_as: ClientAs, token_for: TokenFor, role: str
) -> None:
    with app.app_context():
        team, people = staff(db.session, users), add_people(db.session)
        dashboard_work(db.session, team, people, 2)
        db.session.commit()
        few = statements_per_page(app, client_as, token_for, role, ("/",))
        dashboard_work(db.session, team, people, 25)  # more than each list shows
        db.session.commit()
        many = statements_per_page(app, client_as, token_for, role, ("/",))
    assert_flat(few, many)


def test_search_sends_as_many_statements_for_many_hits_as_for_few(
    app: Flask, users: dict[str, User], client_as: ClientAs, token_for: TokenFor
) -> None:
    pages = (f"/search?q={WORD}", f"/search?q={WORD}+dawn", f"/api/v1/cases?q={WORD}")
    with app.app_context():
        team, people = staff(db.session, users), add_people(db.session)
        listed_cases(db.session, team, people, 3)
        db.session.commit()
        few = statements_per_page(app, client_as, token_for, "analyst", pages)
        listed_cases(db.session, team, people, 57)
        add_people(db.session, accounts=12)  # another subject and more accounts to find
        db.session.commit()
        many = statements_per_page(app, client_as, token_for, "analyst", pages)
    assert_flat(few, many)


def test_gallery_sends_as_many_statements_for_40_images_as_for_3(
    app: Flask, users: dict[str, User], client_as: ClientAs, token_for: TokenFor
) -> None:
    with app.app_context():
        team, store = staff(db.session, users), file_store(app)
        case = open_case(db.session, team["analyst"], add_people(db.session))
        add_images(db.session, store, case, 3, seed=1)
        db.session.commit()
        pages = (f"/cases/{case.ref}/evidence",)
        few = statements_per_page(app, client_as, token_for, "analyst", pages)
        add_images(db.session, store, case, 37, seed=10)
        db.session.commit()
        many = statements_per_page(app, client_as, token_for, "analyst", pages)
    assert_flat(few, many)
