"""What every phase of the generator shares: the session, the plan, the users and protectees
made so far, a simulated clock, and a progress bar on stderr."""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

from sqlalchemy import Connection, Engine, Integer, event, func, select
from sqlalchemy.orm import Session

from bench.generate_plan import Plan
from bench.server import Instance
from casemgr.assessments.rubric import Rubric
from casemgr.audit.log import Actor
from casemgr.auth.models import User
from casemgr.demo.clock import SimulatedClock
from casemgr.evidence.ingest import Examined, IngestSettings
from casemgr.evidence.store import FileStore
from casemgr.extensions import db
from casemgr.people.models import Protectee

Item = TypeVar("Item")
SQLITE_PRAGMAS = (
    "synchronous=OFF",
    "cache_size=-262144",
    "temp_store=MEMORY",
    "wal_autocheckpoint=20000",
)


def fast_sqlite(engine: Engine) -> None:
    """Connection settings for this run only (none is stored in the database file): no
    fsync at commit (safe here: a fresh instance that is cut short is generated again), a
    large page cache, and fewer WAL checkpoints."""

    @event.listens_for(engine, "connect")
    def configure(dbapi_connection: Any, record: object) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    engine.dispose()  # connections opened before now lack the settings


def foreign_keys_at_commit(engine: Engine) -> None:
    """Each transaction of the generator's own session checks foreign keys at its commit,
    not at each statement: with the ids handed out (RowIds), a service's rows may name a row
    that the next flush writes (an assessment's answers, their assessment). The transaction
    is begun here, as SQLite keeps the setting only inside one; the generator's session is
    the only writer while it runs."""

    @event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")
        connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")


class RowIds:
    """Primary keys handed out by the generator, on SQLite only, the way SQLite would (the
    next after the highest). The ORM can only learn the ids SQLite makes one INSERT at a
    time (SQLite cannot return them in row order), so each row was a statement of its own;
    with the ids known, rows of a table go in one batch. Safe because the generator is the
    only writer; on PostgreSQL the sequences make the ids, in batches already."""

    # Tables a service also writes as rows, whose ids SQLite makes: a feed's threats, and
    # the audit events of a batch (`batched_events`).
    MADE_BY_DATABASE = frozenset({"threats", "audit_events"})

    def __init__(self, session: Session) -> None:
        self.session = session
        self.next: dict[type, itertools.count[int]] = {}
        for mapper in db.Model.registry.mappers:
            key = mapper.primary_key
            if mapper.local_table.name in self.MADE_BY_DATABASE:
                continue
            if len(key) == 1 and key[0].autoincrement == "auto" and _is_integer(key[0]):
                self.next[mapper.class_] = self._after_highest(key[0])

    def _after_highest(self, key: Any) -> itertools.count[int]:
        """The ids after the highest the table holds, as SQLite would make them."""
        return itertools.count((self.session.scalar(select(func.max(key))) or 0) + 1)

    @contextmanager
    def also(self, model: type) -> Iterator[None]:
        """Within the block, ids of `model`, a table the database numbers, are handed out
        too, from the highest written: for the rows of it a service makes as objects
        between the batches it writes as rows (the hand-logged threats between feeds)."""
        self.next[model] = self._after_highest(model.__mapper__.primary_key[0])  # type: ignore[attr-defined]
        try:
            yield
        finally:
            del self.next[model]

    def _assign(self, target: object, args: object, kwargs: dict[str, object]) -> None:
        counter = self.next.get(type(target))
        if counter is not None and "id" not in kwargs:
            target.id = next(counter)  # type: ignore[attr-defined]

    @contextmanager
    def installed(self) -> Iterator[RowIds]:
        event.listen(db.Model, "init", self._assign, propagate=True)
        try:
            yield self
        finally:
            event.remove(db.Model, "init", self._assign)


def _is_integer(column: object) -> bool:
    return isinstance(getattr(column, "type", None), Integer)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Progress:
    """One phase's bar: count, rate and time left. Redrawn in place on a terminal; on a file
    (a log), one line every ten seconds, so a long run leaves a readable trail."""

    def __init__(self, phase: str, total: int, stream: TextIO = sys.stderr) -> None:
        self.phase, self.total, self.stream = phase, max(total, 1), stream
        self.done = 0
        self.started = self.last_drawn = time.monotonic()
        self.interactive = stream.isatty()

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.last_drawn >= (0.25 if self.interactive else 10):
            self.last_drawn = now
            self._draw(now)

    def line(self, now: float) -> str:
        elapsed = now - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate else 0.0
        share = min(self.done / self.total, 1.0)
        bar = "#" * int(share * 24)
        return (
            f"{self.phase:<12} [{bar:<24}] {self.done:>9,}/{self.total:,} {share:4.0%}"
            f"  {rate:8,.0f}/s  ETA {_duration(left):>6}  elapsed {_duration(elapsed)}"
        )

    def _draw(self, now: float) -> None:
        end = "\r" if self.interactive else "\n"
        self.stream.write(self.line(now) + end)
        self.stream.flush()

    def finish(self) -> float:
        """Draw the final line; the seconds the phase took."""
        now = time.monotonic()
        self.stream.write(self.line(now) + "\n")
        self.stream.flush()
        return now - self.started


@dataclass
class Staff:
    admin: User
    leads: list[User]
    analysts: list[User]
    viewers: list[User]


@dataclass
class World:
    session: Session
    plan: Plan
    store: FileStore
    settings: IngestSettings
    clock: SimulatedClock
    rubric: Rubric
    instance: Instance
    workers: int
    stream: TextIO = sys.stderr
    staff: Staff | None = None
    protectees: list[Protectee] = field(default_factory=list)  # index 0: All staff
    examined: Iterator[Examined] | None = None  # the evidence pictures, examined ahead
    row_ids: RowIds | None = None  # on SQLite

    @property
    def people(self) -> Staff:
        assert self.staff is not None, "users are made first"
        return self.staff


def actor_of(user: User) -> Actor:
    """The user as the services record them: from an office address, as through the web."""
    return Actor(user.id, user.username, f"10.20.{user.id // 250}.{user.id % 250 + 1}")


def chunks(items: Sequence[Item], size: int) -> Iterator[Sequence[Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
