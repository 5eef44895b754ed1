"""Shared pieces of the hostile-input tests: the inputs, a snapshot of the database and the
evidence store to prove a refusal changed nothing, and rules that make SQLite refuse what
PostgreSQL refuses, so the suite finds PostgreSQL-only crashes on the default database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import BigInteger, Integer, event, func, inspect, select, table
from werkzeug.test import TestResponse

from casemgr.extensions import db

SCRIPT = "<script>alert('pwned')</script>"
MARKUP = '<img src=x onerror="alert(1)"><b>bold</b>'
SQL = "'; DROP TABLE cases; -- \" OR 1=1 --"
RTL_NAME = "Dana \u202eWhitfield\u202c exe.gpj"  # right-to-left override inside a name
NUL = "Dana\x00Whitfield"
HUGE = 10**30
INT32_MAX = 2**31 - 1
TRAVERSAL = ("../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "....//....//etc/passwd", "/etc/passwd")


@dataclass(frozen=True)
class State:
    """Row counts of every table and the files under the data folder."""

    rows: dict[str, int]
    files: frozenset[str]


def snapshot(app: Flask) -> State:
    with app.app_context():
        names = inspect(db.engine).get_table_names()
        rows = {
            name: db.session.scalar(select(func.count()).select_from(table(name))) for name in names
        }
        db.session.remove()
    root = Path(app.config["CASEMGR_DATA_DIR"])
    files = frozenset(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
    return State(rows, files)


def assert_unchanged(before: State, app: Flask) -> None:
    after = snapshot(app)
    changed = {n: (c, after.rows.get(n)) for n, c in before.rows.items() if after.rows[n] != c}
    assert not changed, f"rows changed: {changed}"
    assert after.files == before.files, f"files changed: {after.files ^ before.files}"


def assert_not_server_error(response: TestResponse) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]


def assert_refused_web(response: TestResponse, *messages: str, status: int = 0) -> str:
    """A page refusing the input: a 4xx answer (or `status`, for a page that answers a
    refused form with another) showing each of `messages`; its text."""
    page = response.get_data(as_text=True)
    expected = response.status_code == status or 400 <= response.status_code < 500
    assert expected, (response.status_code, page[:2000])
    for message in messages:
        assert message in page, message
    return page


class PostgresWouldRefuse(Exception):
    """SQLite took a value that PostgreSQL refuses (and would answer with a 500)."""


def _values(value: Any) -> Iterator[Any]:
    if isinstance(value, list | tuple):
        yield from value
    else:
        yield value


def _refuse_like_postgresql(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """NUL in any text parameter (psycopg refuses to send it), and, when writing, a number
    outside the 32-bit `integer` columns (PostgreSQL answers "integer out of range")."""
    compiled = getattr(context, "compiled", None)
    for params in getattr(context, "compiled_parameters", None) or []:
        for name, raw in params.items():
            bind = compiled.binds.get(name) if compiled is not None else None
            for value in _values(raw):
                if isinstance(value, str) and "\x00" in value:
                    raise PostgresWouldRefuse(f"NUL byte in parameter {name}")
                writing = context.isinsert or context.isupdate
                int32 = (
                    bind is not None
                    and isinstance(bind.type, Integer)
                    and not isinstance(bind.type, BigInteger)
                )
                if writing and int32 and isinstance(value, int) and abs(value) > INT32_MAX:
                    raise PostgresWouldRefuse(f"{value} out of integer range in {name}")


def behave_like_postgresql(app: Flask) -> None:
    """Make the app's engine refuse what PostgreSQL would (a no-op when it is PostgreSQL)."""
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", _refuse_like_postgresql)
