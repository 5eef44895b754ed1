"""Subjects and their accounts in the browser: aliases, affiliation, the account timeline
(suspended accounts and the new ones opened after), merging duplicates, and escaping."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from casemgr.audit.log import SYSTEM
from casemgr.auth.models import User
from casemgr.extensions import db
from casemgr.people.models import Account, Subject
from casemgr.people.protectees import ProtecteeDetails, create_protectee
from casemgr.people.subjects import AccountDetails, SubjectDetails, add_account, create_subject
from tests.auth.helpers import field_errors, redirect_target

GROUP = {"name": "Crimson Dawn", "kind": "group", "aliases": "CD\nThe Dawn", "description": ""}
SCRIPT = "<script>alert(1)</script>"


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
def group_id(in_db) -> int:
    details = SubjectDetails(name="Crimson Dawn", kind="group", aliases=["CD"])
    return in_db(lambda session: create_subject(session, SYSTEM, details).id)


def make_subject(in_db, name: str, aliases: list[str], handles: list[str]) -> int:
    def work(session: Any) -> int:
        subject = create_subject(session, SYSTEM, SubjectDetails(name=name, aliases=aliases))
        for handle in handles:
            add_account(session, SYSTEM, subject, AccountDetails(platform="Chirper", handle=handle))
        return subject.id

    return in_db(work)


def count(app: Flask, model: type[Any]) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def account_rows(page: str) -> list[str]:
    """The account table's rows, in page order, as HTML."""
    return re.findall(r'<tr id="account-\d+".*?</tr>', page, re.S)


def account_form(handle: str, **fields: str) -> dict[str, str]:
    return {"platform": "Chirper", "handle": handle, "status": "active", **fields}


def test_analyst_adds_a_group_with_aliases(app: Flask, client_as) -> None:
    analyst = client_as("analyst")
    response = analyst.post("/subjects/new", data=GROUP)
    assert response.status_code == 302
    page = analyst.get(redirect_target(response)[0]).get_data(as_text=True)
    assert "Subject Crimson Dawn is added." in page
    assert ">CD</span>" in page and ">The Dawn</span>" in page and ">group</span>" in page
    listing = analyst.get("/subjects").get_data(as_text=True)
    assert ">Crimson Dawn</a>" in listing and "CD, The Dawn" in listing


def test_member_is_affiliated_with_its_group_and_listed_on_the_group_page(
    client_as, group_id: int
) -> None:
    analyst = client_as("analyst")
    form = analyst.get("/subjects/new").get_data(as_text=True)
    assert f'<option value="{group_id}">Crimson Dawn</option>' in form
    member = {"name": "Rook", "kind": "individual", "affiliation_id": str(group_id)}
    response = analyst.post("/subjects/new", data=member)
    assert response.status_code == 302
    member_page = analyst.get(redirect_target(response)[0]).get_data(as_text=True)
    assert f'href="/subjects/{group_id}">Crimson Dawn</a>' in member_page
    group_page = analyst.get(f"/subjects/{group_id}").get_data(as_text=True)
    assert "Members" in group_page and ">Rook</a>" in group_page


def test_editing_a_subject_replaces_its_aliases(app: Flask, client_as, group_id: int) -> None:
    analyst = client_as("analyst")
    form = analyst.get(f"/subjects/{group_id}/edit").get_data(as_text=True)
    assert re.search(r'<textarea[^>]*name="aliases"[^>]*>\s*CD</textarea>', form)
    data = {"name": "Crimson Dawn", "kind": "group", "aliases": "CD\n\n  Dawn Brigade  \n"}
    assert analyst.post(f"/subjects/{group_id}/edit", data=data).status_code == 302
    with app.app_context():
        subject = db.session.get(Subject, group_id)
        assert sorted(alias.alias for alias in subject.aliases) == ["CD", "Dawn Brigade"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This is required."),
        ({"name": "C" * 300}, "name", "At most 200"),
        ({"kind": "cult"}, "kind", "Choose one of: individual, group, unknown."),
        ({"affiliation_id": "999"}, "affiliation_id", "No such subject."),
    ],
    ids=["empty-name", "300-character-name", "unknown-kind", "unknown-affiliation"],
)
def test_bad_subject_is_refused_beside_the_field_and_nothing_is_created(
    app: Flask, client_as, changes: dict[str, str], field: str, message: str
) -> None:
    response = client_as("analyst").post("/subjects/new", data=GROUP | changes)
    assert response.status_code == 422
    assert any(message in error for error in field_errors(response, field))
    assert count(app, Subject) == 0


def test_group_accounts_are_listed_by_first_seen_with_suspensions_and_the_new_one(
    client_as, group_id: int
) -> None:
    analyst = client_as("analyst")
    accounts = [  # entered out of order, as an analyst finds them
        account_form("crimsondawn_returns", first_seen="2026-01-11T07:15"),
        account_form(
            "crimsondawn",
            status="suspended",
            first_seen="2025-11-02T08:00",
            suspended_at="2026-01-10T12:00",
        ),
        account_form(
            "crimsondawn_media",
            status="suspended",
            first_seen="2025-12-01T18:30",
            last_seen="2026-01-09T22:00",
            suspended_at="2026-01-10T12:30",
        ),
    ]
    for data in accounts:
        response = analyst.post(f"/subjects/{group_id}/accounts/new", data=data)
        assert response.status_code == 302, field_errors(response, "status")

    rows = account_rows(analyst.get(f"/subjects/{group_id}").get_data(as_text=True))
    handles = [re.search(r'font-monospace">([^<]+)</td>', row).group(1) for row in rows]
    assert handles == ["crimsondawn", "crimsondawn_media", "crimsondawn_returns"]
    first, second, newest = rows
    assert ">suspended</span>" in first and "2026-01-10 12:00" in first
    assert ">suspended</span>" in second and "2026-01-10 12:30" in second
    assert ">active</span>" in newest and "2026-01-11 07:15" in newest
    assert "opened after suspension" in newest
    assert not any("opened after suspension" in row for row in (first, second))


def test_account_dates_are_typed_in_the_users_time_zone(
    app: Flask, client_as, users: dict[str, User], group_id: int
) -> None:
    with app.app_context():
        db.session.get(User, users["analyst"].id).timezone = "Europe/Berlin"
        db.session.commit()
    analyst = client_as("analyst")
    data = account_form("crimsondawn", status="suspended", suspended_at="2026-01-10T13:00")
    assert analyst.post(f"/subjects/{group_id}/accounts/new", data=data).status_code == 302
    with app.app_context():
        account = db.session.scalar(select(Account))
        assert account.suspended_at == datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    page = analyst.get(f"/subjects/{group_id}").get_data(as_text=True)
    assert 'title="2026-01-10 12:00 UTC">2026-01-10 13:00</time>' in page


def test_account_url_is_shown_as_text_never_as_a_link(client_as, group_id: int) -> None:
    analyst = client_as("analyst")
    url = "https://chirper.example/crimsondawn?ref=feed"
    data = account_form("crimsondawn", url=url)
    assert analyst.post(f"/subjects/{group_id}/accounts/new", data=data).status_code == 302
    page = analyst.get(f"/subjects/{group_id}").get_data(as_text=True)
    assert "https://chirper.example/crimsondawn?ref=feed" in page.replace("&amp;", "&")
    assert "chirper.example" not in "".join(re.findall(r"<a\b[^>]*>", page))
    assert not re.search(r"<a\b[^>]*>[^<]*chirper\.example", page)


def test_editing_an_account_records_its_suspension(
    app: Flask, client_as, group_id: int, in_db
) -> None:
    account_id = in_db(
        lambda session: (
            add_account(
                session,
                SYSTEM,
                session.get(Subject, group_id),
                AccountDetails(platform="Chirper", handle="crimsondawn"),
            ).id
        )
    )
    analyst = client_as("analyst")
    url = f"/subjects/{group_id}/accounts/{account_id}/edit"
    assert 'value="crimsondawn"' in analyst.get(url).get_data(as_text=True)
    data = account_form("crimsondawn", status="suspended", suspended_at="2026-01-10T12:00")
    assert analyst.post(url, data=data).status_code == 302
    with app.app_context():
        account = db.session.get(Account, account_id)
        assert account.status == "suspended"
        assert account.suspended_at == datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"handle": ""}, "handle", "This is required."),
        ({"status": "banned"}, "status", "Choose one of: active, suspended, deleted."),
        ({"suspended_at": "2026-01-10T12:00"}, "status", "is not active"),
        ({"first_seen": "next tuesday"}, "first_seen", "Not a valid datetime value."),
        (
            {"first_seen": "2026-02-01T00:00", "last_seen": "2026-01-01T00:00"},
            "last_seen",
            "Last seen cannot be before first seen.",
        ),
    ],
    ids=["no-handle", "unknown-status", "active-but-suspended", "bad-date", "seen-backwards"],
)
def test_bad_account_is_refused_beside_the_field_and_nothing_is_added(
    app: Flask, client_as, group_id: int, changes: dict[str, str], field: str, message: str
) -> None:
    data = account_form("crimsondawn") | changes
    response = client_as("analyst").post(f"/subjects/{group_id}/accounts/new", data=data)
    assert response.status_code == 422
    assert any(message in error for error in field_errors(response, field))
    assert count(app, Account) == 0


def test_account_is_reached_only_through_its_own_subject(client_as, in_db, group_id) -> None:
    other_id = make_subject(in_db, "Lone Wolf", [], ["wolf_1"])
    with_account = make_subject(in_db, "Crimson Echo", [], ["echo_1"])
    analyst = client_as("analyst")
    with analyst.application.app_context():
        account_id = db.session.scalar(select(Account.id).where(Account.handle == "echo_1"))
    assert analyst.get(f"/subjects/{with_account}/accounts/{account_id}/edit").status_code == 200
    assert analyst.get(f"/subjects/{other_id}/accounts/{account_id}/edit").status_code == 404


def test_merging_keeps_every_account_and_alias_and_the_merged_page_says_where(
    app: Flask, client_as, in_db
) -> None:
    survivor = make_subject(in_db, "Crimson Dawn", ["CD"], ["crimsondawn", "crimsondawn_media"])
    duplicate = make_subject(in_db, "Dawn Media Wing", ["DMW"], ["dawnwing"])
    analyst = client_as("analyst")
    page = analyst.get(f"/subjects/{survivor}").get_data(as_text=True)
    assert f'<option value="{duplicate}">Dawn Media Wing</option>' in page

    response = analyst.post(f"/subjects/{survivor}/merge", data={"other_id": str(duplicate)})
    assert response.status_code == 302
    page = analyst.get(f"/subjects/{survivor}").get_data(as_text=True)
    assert "Dawn Media Wing is merged into Crimson Dawn." in page
    assert len(account_rows(page)) == 3
    for handle in ("crimsondawn", "crimsondawn_media", "dawnwing"):
        assert f'font-monospace">{handle}</td>' in page
    for alias in ("CD", "DMW", "Dawn Media Wing"):
        assert f">{alias}</span>" in page
    assert "Merged here" in page

    merged = analyst.get(f"/subjects/{duplicate}").get_data(as_text=True)
    assert re.search(rf'merged into <a href="/subjects/{survivor}">Crimson Dawn</a>', merged)
    assert "Add account" not in merged and "merge-form" not in merged
    assert ">Dawn Media Wing</a>" not in analyst.get("/subjects").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Subject, duplicate).merged_into_id == survivor
    assert count(app, Account) == 3


def test_merge_without_a_choice_or_twice_is_refused_on_the_page(
    app: Flask, client_as, in_db
) -> None:
    survivor = make_subject(in_db, "Crimson Dawn", [], ["crimsondawn"])
    duplicate = make_subject(in_db, "Dawn Media Wing", [], [])
    third = make_subject(in_db, "Crimson Echo", [], [])
    analyst = client_as("analyst")
    response = analyst.post(f"/subjects/{survivor}/merge", data={"other_id": ""})
    assert response.status_code == 422
    assert field_errors(response, "other_id") == ["Choose the subject to merge."]

    analyst.post(f"/subjects/{survivor}/merge", data={"other_id": str(duplicate)})
    response = analyst.post(f"/subjects/{third}/merge", data={"other_id": str(duplicate)})
    assert response.status_code == 409
    assert field_errors(response, "other_id") == [
        "One of these subjects was already merged into another."
    ]
    with app.app_context():
        assert db.session.get(Subject, third).merged_into_id is None


def test_script_in_a_subject_name_is_shown_as_text(client_as) -> None:
    analyst = client_as("analyst")
    data = {"name": SCRIPT, "kind": "unknown", "aliases": SCRIPT + " alias"}
    response = analyst.post("/subjects/new", data=data)
    assert response.status_code == 302
    detail_url = redirect_target(response)[0]
    handle = {"handle": SCRIPT, "url": f"javascript:{SCRIPT}"}
    analyst.post(f"{detail_url}/accounts/new", data=account_form(SCRIPT) | handle)
    for url in ("/subjects", detail_url, f"{detail_url}/edit"):
        page = analyst.get(url).get_data(as_text=True)
        assert SCRIPT not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_viewer_reads_subjects_but_is_refused_every_people_write(
    app: Flask, client_as, in_db, group_id: int
) -> None:
    echo_id = make_subject(in_db, "Crimson Echo", [], ["echo_1"])
    ids = in_db(
        lambda session: {
            "subject_id": echo_id,
            "account_id": session.scalar(select(Account.id)),
            "protectee_id": create_protectee(session, SYSTEM, ProtecteeDetails(name="Dana")).id,
        }
    )
    viewer = client_as("viewer")
    assert ">Crimson Dawn</a>" in viewer.get("/subjects").get_data(as_text=True)
    page = viewer.get(f"/subjects/{echo_id}").get_data(as_text=True)
    assert "echo_1" in page and "Add account" not in page and "merge-form" not in page

    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        posts = [
            adapter.build(rule.endpoint, {name: ids[name] for name in rule.arguments})
            for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("people.") and "POST" in rule.methods
        ]
    assert len(posts) >= 9  # every write route of the people pages, found from the URL map
    data = {"name": "Mallory", "handle": "x", "platform": "x", "other_id": str(group_id)}
    refused = {url: viewer.post(url, data=data).status_code for url in posts}
    assert refused == dict.fromkeys(posts, 403)
    assert count(app, Subject) == 2 and count(app, Account) == 1
    with app.app_context():
        assert db.session.get(Subject, group_id).merged_into_id is None


def test_a_subject_only_on_a_restricted_case_is_hidden_from_outsiders(app, client_as) -> None:
    lead = client_as("lead")
    assert (
        lead.post("/subjects/new", data={"name": "Quillon Marsh", "kind": "individual"}).status_code
        == 302
    )
    with app.app_context():
        subject_id = db.session.scalar(select(Subject.id).where(Subject.name == "Quillon Marsh"))
    lead.post(
        "/cases/new",
        data={
            "title": "Insider matter",
            "priority": "normal",
            "restricted": "y",
            "subject_ids": [subject_id],
        },
    )
    outsider = client_as("analyst")
    assert outsider.get(f"/subjects/{subject_id}").status_code == 404
    assert "Quillon Marsh" not in outsider.get("/subjects").get_data(as_text=True)
    assert "Quillon Marsh" not in outsider.get("/search?q=Quillon").get_data(as_text=True)
    assert lead.get(f"/subjects/{subject_id}").status_code == 200
