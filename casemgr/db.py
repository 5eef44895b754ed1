"""Declarative base, column types and helpers shared by every domain module."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    MetaData,
    Select,
    Table,
    bindparam,
    event,
    select,
)
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.pool import ConnectionPoolEntry, Pool, PoolProxiedConnection
from sqlalchemy.types import TypeDecorator

# Named constraints: Alembic's batch mode on SQLite and reversible migrations need names.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored as UTC on every database.

    SQLite keeps no zone, so values are stored as naive UTC and given the zone back on
    load; naive values are refused on the way in so local time can never slip in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: timestamps must carry a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def flush_for_id(session: Session, *rows: Any) -> None:
    """Flush so that new `rows` have their primary keys, unless they were given them: a
    bulk writer that hands ids out itself (the data generator) then writes many rows in
    one flush, where each service call would otherwise flush its own."""
    if any(row.id is None for row in rows):
        session.flush()


def loaded(session: Session, model: type[Any], ids: Iterable[int]) -> dict[int, Any]:
    """The rows of `model` with these ids, by id: those the session holds already from its
    identity map, the others in one query."""
    ids = list(ids)
    found: dict[int, Any] = {}
    for row_id in ids:
        row = session.identity_map.get(identity_key(model, row_id))
        if row is not None:
            found[row_id] = row
    missing = [row_id for row_id in ids if row_id not in found]
    if missing:
        found.update({row.id: row for row in session.scalars(_by_ids(model), {"ids": missing})})
    return found


@functools.cache
def _by_ids(model: type[Any]) -> Select[Any]:
    # Built once per model: building the select took longer than running it.
    return select(model).where(model.id.in_(bindparam("ids", expanding=True)))


def one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """A CHECK constraint keeping an enumerated text column within its values."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


def link_table(name: str, left: tuple[str, str], right: tuple[str, str]) -> Table:
    """A many-to-many link: (column, referenced column) on each side, indexed both ways
    (the primary key serves the left side)."""
    return Table(
        name,
        Base.metadata,
        Column(left[0], ForeignKey(left[1]), primary_key=True),
        Column(right[0], ForeignKey(right[1]), primary_key=True, index=True),
    )


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Enforce foreign keys on SQLite and let readers and one writer work at once."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# A pooled connection unused for longer is tested before it is lent again.
IDLE_BEFORE_PING = 10.0  # seconds
RETURNED_AT = "casemgr.returned_at"


@event.listens_for(Pool, "checkin")
def _note_return(dbapi_connection: Any, record: ConnectionPoolEntry | None) -> None:
    if record is not None:
        record.info[RETURNED_AT] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_after_idle(
    dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
) -> None:
    """Test a connection that sat idle (the server may have restarted or dropped it since):
    the pool then opens a new one instead of failing the request. A busy process's
    connections go straight back to work, where `pool_pre_ping` would cost each request a
    round trip."""
    returned_at = record.info.get(RETURNED_AT)
    if returned_at is None or time.monotonic() - returned_at < IDLE_BEFORE_PING:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.rollback()
    except Exception as error:  # the driver's own error for a dead connection
        raise DisconnectionError("an idle connection no longer answers") from error


# Methods that only read; any other request may change data and locks up front.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(connection: Connection) -> None:
    """BEGIN IMMEDIATE for the SQLite transaction of each request that may change data: it
    takes the write lock at its first statement, waiting its turn (busy_timeout).

    Left to the driver, such a request reads outside any transaction and begins one only at
    its first write, so the version it checked may be stale by then, and a savepoint taken
    before any write commits on release. A deferred BEGIN fails outright instead
    (SQLITE_BUSY_SNAPSHOT) when its reads are followed by a write after another process
    committed. Reads (GET) keep the driver's way and run side by side in WAL; their rare
    writes (custody of a viewed item, a token's last use) begin at that write and wait as
    needed. So does everything outside requests (CLI, migrations).
    """
    if (
        connection.dialect.name == "sqlite"
        and has_request_context()
        and request.method not in SAFE_METHODS
    ):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
