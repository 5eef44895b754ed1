"""Helpers for the auth tests: reading pages, logging in by the form, discovering routes."""

from __future__ import annotations

import re
import uuid
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.routing.converters import IntegerConverter, UUIDConverter
from werkzeug.test import TestResponse

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Every role may use these on their own account; the login page is public.
OWN_ACCOUNT_ENDPOINTS = frozenset(
    {
        "auth.login",
        "auth.logout",
        "auth.reauthenticate",
        "auth.password",
        "auth.time_zone",
        "auth.create_token",
        "auth.revoke",
    }
)
_SKIPPED_PREFIXES = ("static", "bootstrap.", "auth.login", "health.")


def post_login(
    client: FlaskClient,
    username: str,
    password: str,
    address: str = "192.0.2.1",
    next_path: str | None = None,
) -> TestResponse:
    """Submit the login form from `address`, optionally with a `next` target."""
    url = "/login" if next_path is None else f"/login?{urlencode({'next': next_path})}"
    data = {"username": username, "password": password}
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": address})


def alert_messages(response: TestResponse) -> list[str]:
    """The error messages shown above a form (not beside a field)."""
    html = response.get_data(as_text=True)
    found = re.findall(r'<div class="alert alert-danger"[^>]*>(.*?)</div>', html, re.S)
    return [unescape(message).strip() for message in found]


def field_errors(response: TestResponse, field: str) -> list[str]:
    """The messages rendered beside the form field whose id is `field`."""
    html = response.get_data(as_text=True)
    start = html.find(f'id="{field}"')
    assert start >= 0, f"no field {field!r} on the page"
    # The field's own block ends where the next field's block (or the form) begins.
    next_field = re.compile(r'<div class="mb-3|</form>').search(html, start)
    block = html[start : next_field.start() if next_field else len(html)]
    found = re.findall(r'class="invalid-feedback[^"]*">(.*?)</div>', block, re.S)
    return [unescape(message).strip() for message in found]


def redirect_target(response: TestResponse) -> tuple[str, dict[str, list[str]]]:
    """The path and query of a redirect's Location."""
    parts = urlsplit(response.headers.get("Location", ""))
    return parts.path, parse_qs(parts.query)


def _sample_value(name: str, converter: object, samples: dict[str, str]) -> object:
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=1)
    return samples.get(name, "1")


def sample_url(app: Flask, rule: Rule, samples: dict[str, str] | None = None) -> str:
    """The rule's URL with 1 (or the like, or the sample given by argument name) for each
    argument."""
    values = {
        name: _sample_value(name, conv, samples or {}) for name, conv in rule._converters.items()
    }
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values)


def _web_rules(app: Flask) -> list[Rule]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith("/api/") and not rule.endpoint.startswith(_SKIPPED_PREFIXES)
    ]


def web_pages(app: Flask) -> list[str]:
    """The URL of every web page a browser can GET (login, static files and API aside)."""
    return sorted({sample_url(app, rule) for rule in _web_rules(app) if "GET" in rule.methods})


def write_routes(
    app: Flask, *, skip: frozenset[str] = frozenset(), samples: dict[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """(method, URL, endpoint) for every web route that changes something."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.endpoint in skip:
            continue
        for method in sorted(WRITE_METHODS & rule.methods):
            routes.append((method, sample_url(app, rule, samples), rule.endpoint))
    return routes
