"""Writing and verifying the audit log; every service records through `record_event`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, text
from sqlalchemy import event as orm_events
from sqlalchemy.orm import Session, SessionTransaction

from casemgr.audit.chain import (
    GENESIS,
    BrokenLink,
    event_hash,
    field_changes,
    find_broken_link,
    json_safe,
)
from casemgr.audit.models import AuditEvent
from casemgr.db import utcnow

# Any fixed number: the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 7_146_301
# session.info keys: the hash of the last event appended in the current transaction, and
# whether a bulk writer asked for events without a flush each (`batched_events`).
_TAIL = "casemgr.audit.tail"
_BATCHED = "casemgr.audit.batched"
_PENDING = "casemgr.audit.pending"  # the events a batch recorded and no flush wrote yet


@dataclass(frozen=True)
class Actor:
    """Who did something, and from where; built by the web, API or CLI layer."""

    user_id: int | None
    username: str
    address: str = ""


SYSTEM = Actor(user_id=None, username="system", address="cli")


def record_event(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    changes: Mapping[str, Any] | None = None,
    case_ref: str | None = None,
) -> AuditEvent | None:
    """Append an event to the chain inside the caller's transaction (flushes, never commits)
    and return it; within `batched_events`, keep it as a row for the next flush instead,
    and return None."""
    batched = session.info.get(_BATCHED, False)
    prev_hash = session.info.get(_TAIL)
    if prev_hash is None or not batched:
        # The change is written before its event, so that a refresh (a row lock taken later
        # in the request) cannot drop it; once written, a flush with nothing pending costs
        # nothing. The tail is read after a flush: on SQLite, that took the write lock.
        session.flush()
        prev_hash = prev_hash or _locked_tail(session)
    fields = {
        "at": utcnow(),
        "actor_id": actor.user_id,
        "actor": actor.username,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "case_ref": case_ref,
        "changes": json_safe(dict(changes or {})),
        "address": actor.address,
    }
    row = fields | {"prev_hash": prev_hash, "hash": event_hash(prev_hash, fields)}
    session.info[_TAIL] = row["hash"]
    if batched:
        session.info.setdefault(_PENDING, []).append(row)
        return None
    event = AuditEvent(**row)
    session.add(event)
    session.flush()
    return event


@contextmanager
def batched_events(session: Session) -> Iterator[Session]:
    """Within the block, `record_event` keeps each event as a row, written (in the order
    recorded, with the same fields and hashes) by the session's next flush or commit, in
    one INSERT with the others; it flushes neither the change before it nor the event.
    Each event cost two flushes of its own, and an object the unit of work tracks. The
    tail is still read once per transaction, after a flush, under the same lock. For bulk
    writers (the data generator): the caller must flush before anything re-reads a row it
    changed (a refresh drops unflushed changes), and the events have no ids until written."""
    outer = session.info.get(_BATCHED, False)
    session.info[_BATCHED] = True
    try:
        yield session
    finally:
        session.info[_BATCHED] = outer


@orm_events.listens_for(Session, "before_flush")
@orm_events.listens_for(Session, "before_commit")
def _write_pending(session: Session, *_: object) -> None:
    """The batched events, written before the flush's own rows, or before the commit (a
    commit with nothing else to flush flushes nothing)."""
    if session.info.get(_PENDING):
        _insert_pending(session, session.connection())


@orm_events.listens_for(Session, "after_transaction_create")
def _write_pending_before_savepoint(session: Session, transaction: SessionTransaction) -> None:
    """A savepoint may be rolled back: the events recorded before it are written outside it,
    in the transaction around it (its SAVEPOINT is not sent yet)."""
    if transaction.nested and transaction.parent is not None and session.info.get(_PENDING):
        _insert_pending(session, transaction.parent.connection(None))


def _insert_pending(session: Session, connection: Connection) -> None:
    connection.execute(insert(AuditEvent.__table__), session.info.pop(_PENDING))


def _locked_tail(session: Session) -> str:
    """The last event's hash, read under the lock that keeps other writers off the chain
    until this transaction (or savepoint) ends: until then the tail can only be ours, so
    `record_event` remembers it instead of reading it again for every event."""
    # The flush before this one wrote the change: on SQLite that took the write lock.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    last = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return last or GENESIS


@orm_events.listens_for(Session, "after_transaction_end")
def _forget_tail(session: Session, transaction: SessionTransaction) -> None:
    """A commit or rollback, of the transaction or of a savepoint, may drop our events or
    let others append: the next event reads the tail again. (Each flush runs in a
    transaction of its own inside the session's; its end changes nothing.)"""
    if transaction.nested or transaction.parent is None:
        session.info.pop(_TAIL, None)
        session.info.pop(_PENDING, None)  # rolled back (a commit wrote them)


def apply_changes(
    obj: object, values: Mapping[str, Any], private: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Set attributes of `obj` from `values`; return the diff for the audit event, with the
    values of `private` fields replaced by a marker so the log never holds them."""
    before = {name: getattr(obj, name) for name in values}
    for name, value in values.items():
        setattr(obj, name, value)
    changes = field_changes(before, values)
    for name in private & changes.keys():
        changes[name] = {"old": "(private)", "new": "(private)"}
    return changes


def _events_in_order(session: Session, batch: int = 1000) -> Iterator[Mapping[str, Any]]:
    table = AuditEvent.__table__
    last_id = 0
    while True:
        rows = (
            session.execute(
                select(table).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        yield from rows
        last_id = rows[-1]["id"]


def verify_audit_chain(session: Session) -> BrokenLink | None:
    """Re-hash the whole log; the first broken link, or None when the chain holds."""
    return find_broken_link(_events_in_order(session))
