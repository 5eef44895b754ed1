"""A settable clock for loading history: the time the services read (`casemgr.db.utcnow`),
set to when each thing happens, so months or years of work carry their own dates in the
records, their audit events and the case references (TA-<year>-<number>)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

# The module itself: `casemgr.db` as an attribute is the package's Flask-SQLAlchemy object.
DB_MODULE = importlib.import_module("casemgr.db")


class SimulatedClock:
    def __init__(self) -> None:
        self.moment = datetime.now(UTC)

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def install(self) -> None:
        """From now on, in this process, utcnow() is this clock's moment."""
        clock = self

        class ClockDatetime(datetime):
            @classmethod
            def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
                return clock.moment

        DB_MODULE.datetime = ClockDatetime  # utcnow() reads it

    @contextmanager
    def installed(self) -> Iterator[SimulatedClock]:
        real = DB_MODULE.datetime
        self.install()
        try:
            yield self
        finally:
            DB_MODULE.datetime = real
