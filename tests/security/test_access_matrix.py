"""The access matrix: every web route and every API endpoint of the URL map, knocked on by
every kind of principal, against the table in tests/security/access_rules.py.

Each test builds one world and walks every route in a loop, collecting what answered
otherwise than the table says, so one run shows every mismatch at once. Writes carry empty
bodies: a principal who may not write must be refused before any validation, and leave
every table as it was.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, inspect, select, table
from werkzeug.test import TestResponse

from casemgr.auth.models import User
from casemgr.extensions import db
from tests.conftest import log_in
from tests.factories import ROLES
from tests.security.access_rules import CASE_ARGUMENTS, RULES, UNRULED, Rule
from tests.security.matrix_world import (
    ANONYMOUS,
    DISABLED,
    OUTSIDER,
    REVOKED,
    SECRET_PROTECTEE,
    SECRET_SUBJECT,
    SECRET_THREAT,
    SECRET_TITLE,
    MatrixWorld,
    build_matrix_world,
)

PROBLEM = "application/problem+json"
API_PREFIX = "/api/"


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    url: str
    rule: Rule
    of_a_case: bool  # addresses an object of a case (or of a subject seen on one)

    @property
    def api(self) -> bool:
        return self.url.startswith(API_PREFIX)

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


@dataclass(frozen=True)
class Principal:
    """Who knocks: `role` decides what the table allows; `user` has a web session."""

    name: str
    role: str
    user: User | None = None
    token: str | None = None


@pytest.fixture
def matrix(app: Flask, users: dict[str, User]) -> MatrixWorld:
    return build_matrix_world(app, users)


def routes(app: Flask, samples: dict[str, Any]) -> Iterator[Route]:
    """Every route of the URL map, with each method it answers, on the sample objects."""
    urls = app.url_map.bind("localhost")
    for url_rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if url_rule.endpoint in UNRULED:
            continue
        rule = RULES[url_rule.endpoint]
        arguments = set(url_rule.arguments)
        values = {name: samples[rule.samples.get(name, name)] for name in arguments}
        url = urls.build(url_rule.endpoint, values)
        for method in sorted(url_rule.methods - {"HEAD", "OPTIONS"}):
            yield Route(url_rule.endpoint, method, url, rule, bool(arguments & CASE_ARGUMENTS))


def principal(world: MatrixWorld, name: str) -> Principal:
    role = {OUTSIDER: "analyst", DISABLED: ANONYMOUS, REVOKED: ANONYMOUS}.get(name, name)
    user = world.users.get(name) if name != REVOKED else None
    return Principal(name, role, user, world.tokens.get(name))


def send(app: Flask, who: Principal, route: Route) -> TestResponse:
    """One request on a fresh client: the principal's token on the API, session elsewhere."""
    client = app.test_client()
    if route.api:
        headers = {"Authorization": f"Bearer {who.token}"} if who.token else {}
        return client.open(route.url, method=route.method, headers=headers)
    if who.user is not None:
        log_in(client, who.user)
    return client.open(route.url, method=route.method, data={} if route.writes else None)


def outcome(response: TestResponse, api: bool) -> str:
    """What a response amounts to: a refusal by its kind, "ok" for anything let through."""
    status = response.status_code
    if status >= 500:
        return f"error {status}"
    if not api and status == 302:
        # The login gate sends the page asked for along; logging out lands on a bare /login.
        target = urlsplit(response.headers.get("Location", ""))
        return "login" if target.path == "/login" and "next=" in target.query else "ok"
    if status in (401, 403, 404):
        if api and response.mimetype != PROBLEM:
            return f"{status} as {response.mimetype}"
        return str(status)
    return "ok"


def expected(who: Principal, route: Route, restricted: bool = False) -> str:
    if who.role == ANONYMOUS:
        if route.rule.allows(ANONYMOUS, route.method):
            return "ok"
        return "401" if route.api else "login"
    if restricted and route.of_a_case and who.name == OUTSIDER:
        return "404"
    return "ok" if route.rule.allows(who.role, route.method) else "403"


def table_names(app: Flask) -> list[str]:
    with app.app_context():
        names = inspect(db.engine).get_table_names()
    return [name for name in names if name != "alembic_version" and "_fts" not in name]


def row_counts(app: Flask, names: list[str]) -> dict[str, int]:
    """Rows in each table; the audit log among them catches updates as well as inserts."""
    with app.app_context():
        counts = {
            name: db.session.scalar(select(func.count()).select_from(table(name))) for name in names
        }
        db.session.remove()
    return counts


def leaks(world: MatrixWorld, route: Route, response: TestResponse) -> list[str]:
    """The restricted case's canaries found in a response body."""
    body = response.get_data()
    found = [name for name, canary in world.canaries.items() if canary in body]
    if not route.rule.registry and SECRET_PROTECTEE.encode() in body:
        found.append("protectee")
    return found


def walk(
    app: Flask,
    world: MatrixWorld,
    who: Principal,
    *,
    restricted: bool = False,
    leaked: dict[str, list[str]] | None = None,
) -> dict[str, tuple[str, str]]:
    """Send the principal to every route; {route: (expected, got)} for those that answered
    otherwise than the table says, or changed rows while refusing. With `leaked`, the
    restricted case's canaries found in each answer are collected there."""
    tables, wrong = table_names(app), {}
    for route in routes(app, world.samples(who.name, restricted)):
        if who.name == REVOKED and not route.api:
            continue  # a token has no session to try on the web pages
        want = expected(who, route, restricted)
        before = row_counts(app, tables) if route.writes and want != "ok" else None
        response = send(app, who, route)
        got = outcome(response, route.api)
        if got == want and before is not None and row_counts(app, tables) != before:
            got = f"{got}, but rows changed"
        if got != want:
            wrong[str(route)] = (want, got)
        if leaked is not None and (found := leaks(world, route, response)):
            leaked[str(route)] = found
    return wrong


# The table --------------------------------------------------------------------------------


def test_every_endpoint_has_a_rule_and_every_rule_an_endpoint(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - UNRULED
    assert sorted(endpoints - RULES.keys()) == [], "routes without a rule in access_rules.py"
    assert sorted(RULES.keys() - endpoints) == [], "rules for routes that no longer exist"
    # Guards the walks below against passing on a short list: every method of every route.
    walked = list(routes(app, defaultdict(lambda: 1)))
    methods = sum(len(rule.methods - {"HEAD", "OPTIONS"}) for rule in app.url_map.iter_rules())
    assert len(walked) == methods - 1 > 100  # static's GET aside
    assert sum(route.api for route in walked) > 40 and sum(route.writes for route in walked) > 50


# The principals ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_what_the_table_allows(
    app: Flask, matrix: MatrixWorld, role: str
) -> None:
    assert walk(app, matrix, principal(matrix, role)) == {}


@pytest.mark.parametrize("name", [ANONYMOUS, DISABLED, REVOKED])
def test_missing_disabled_and_revoked_credentials_reach_only_public_routes(
    app: Flask, matrix: MatrixWorld, name: str
) -> None:
    tables = table_names(app)
    before = row_counts(app, tables)
    assert walk(app, matrix, principal(matrix, name)) == {}
    assert row_counts(app, tables) == before


def test_a_non_member_gets_404_for_everything_of_a_restricted_case(
    app: Flask, matrix: MatrixWorld
) -> None:
    # The samples are real: a member of the case reaches what their role allows.
    member = principal(matrix, "analyst")
    reads = [route for route in routes(app, matrix.samples("analyst", True)) if not route.writes]
    assert {
        str(route): got
        for route in reads
        if (got := outcome(send(app, member, route), route.api)) != expected(member, route)
    } == {}
    leaked: dict[str, list[str]] = {}
    assert walk(app, matrix, principal(matrix, OUTSIDER), restricted=True, leaked=leaked) == {}
    assert leaked == {}


def probes(world: MatrixWorld) -> dict[str, int]:
    """Lists, searches, filters and images that could draw the restricted case in, with the
    status each answers."""
    hidden, shown = world.hidden, world.open
    words = [SECRET_TITLE.split()[0], SECRET_SUBJECT.split()[1], SECRET_THREAT.split()[0]]
    lists = [
        *(f"{path}?q={word}" for word in words for path in ("/search", "/cases", "/api/v1/cases")),
        f"/cases?subject_id={hidden['subject_id']}",
        f"/cases?protectee_id={hidden['protectee_id']}",
        f"/api/v1/cases?subject_id={hidden['subject_id']}",
        f"/api/v1/cases?protectee_id={hidden['protectee_id']}",
        "/cases?pending_handoff=y",
        "/cases?overdue=y",
        "/api/v1/subjects?merged=true",
        "/api/v1/protectees?archived=true",
    ]
    # The restricted image was derived from the open one: their difference stays hidden.
    difference = f"/evidence/{shown['item_id']}/difference/{hidden['item_id']}.png"
    return dict.fromkeys(lists, 200) | {difference: 404}


def test_pages_and_lists_around_a_restricted_case_show_a_non_member_nothing_of_it(
    app: Flask, matrix: MatrixWorld
) -> None:
    outsider = principal(matrix, OUTSIDER)
    leaked: dict[str, list[str]] = {}
    for route in routes(app, matrix.samples(OUTSIDER)):
        if not route.writes and (found := leaks(matrix, route, send(app, outsider, route))):
            leaked[str(route)] = found
    urls = app.url_map.bind("localhost")
    for url, status in probes(matrix).items():
        endpoint = urls.match(urlsplit(url).path)[0]
        route = Route(endpoint, "GET", url, RULES[endpoint], False)
        response = send(app, outsider, route)
        found = leaks(matrix, route, response)
        if response.status_code != status or found:
            leaked[url] = [f"status {response.status_code}", *found]
    assert leaked == {}
