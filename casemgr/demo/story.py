"""The design's canonical story, loaded through the services with months of history.

Lumina Social (a fictional social network) suspends the accounts of a violent group, Crimson
Dawn. Its supporters call for the staff to be killed (in Arabic), threaten the CEO by name,
and post a doctored photo of the co-founder with crosshairs on his face, taken from a
published portrait. The lead opens a case, hands it to an analyst who accepts it, the case is
assessed twice, referred to a counter-terrorism unit and briefed; an older case is closed, and
a new one waits for its handoff to be accepted. Every record carries the date it was made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casemgr.assessments.rubric import Rubric
from casemgr.briefings.settings import ExportSettings
from casemgr.cases.models import Case
from casemgr.demo.cases import main_case, new_case, old_case
from casemgr.demo.clock import SimulatedClock
from casemgr.demo.people import make_people, make_users
from casemgr.demo.scene import Demo, DemoUser
from casemgr.errors import Conflict
from casemgr.evidence.ingest import IngestSettings
from casemgr.evidence.store import FileStore


class DemoRefused(Conflict):
    title = "Demo not loaded"


def load_demo(
    session: Session,
    store: FileStore,
    ingest_settings: IngestSettings,
    export_settings: ExportSettings,
    rubric: Rubric,
    password: str | None = None,
) -> list[DemoUser]:
    """Load the story into an instance that has no cases yet (flushes, never commits); the
    two users made, with their passwords (`password`, else a random one each). Raises
    DemoRefused when the database already has cases."""
    if session.scalar(select(func.count()).select_from(Case)):
        raise DemoRefused("The database already has cases: load the demo into a fresh instance.")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    clock = SimulatedClock()
    demo = Demo(session, store, ingest_settings, export_settings, rubric, clock, today)
    with clock.installed():
        users = make_users(demo, password)
        for chapter in STORY:
            chapter(demo)
    clock.set(datetime.now(UTC))
    return users


STORY: tuple[Callable[[Demo], None], ...] = (make_people, old_case, main_case, new_case)
