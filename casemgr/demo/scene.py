"""What every chapter of the demo story shares: its people's names, the session and
settings the services take, a clock set to when each thing happens, and the steps each
chapter repeats (an upload, a threat, a move, an assessment)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.assessments.operations import Answer, LevelOverride, create_assessment
from casemgr.assessments.rubric import Rubric
from casemgr.audit.log import Actor
from casemgr.auth.models import User
from casemgr.briefings.settings import ExportSettings
from casemgr.cases.models import Case
from casemgr.cases.operations import transition_case
from casemgr.demo.clock import SimulatedClock
from casemgr.evidence.ingest import IngestSettings, ingest
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.store import FileStore, stage_stream
from casemgr.people.models import Account
from casemgr.threats.models import Threat
from casemgr.threats.operations import ThreatDetails, log_threat

LEAD, ANALYST = "mira.okafor", "jonah.brandt"
UNIT = "National Counter Terrorism Police, Online Threats Unit"
ARABIC_CALL = "اقتلوا كل موظفي لومينا سوشيال وإدارتها. لن ننسى ما فعلوه بحساباتنا."
ARABIC_TRANSLATION = (
    "Kill all the employees of Lumina Social and its management. We will not forget what "
    "they did to our accounts."
)
PORTRAIT_SEED, PORTRAIT_SIDE = 4_051, 480


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    password: str


@dataclass
class Demo:
    """What the story needs as it goes: the services' session and settings, the clock, and
    the people and records made so far."""

    session: Session
    store: FileStore
    ingest_settings: IngestSettings
    export_settings: ExportSettings
    rubric: Rubric
    clock: SimulatedClock
    today: datetime
    lead: User | None = None
    analyst: User | None = None

    def moment(self, days_ago: float, hour: int = 10) -> datetime:
        """`days_ago` days before today, at `hour` o'clock UTC."""
        return self.today - timedelta(days=days_ago) + timedelta(hours=hour)

    def at(self, days_ago: float, hour: int = 10) -> datetime:
        """The clock set to `moment(days_ago, hour)`: what is done next happens then."""
        self.clock.set(self.moment(days_ago, hour))
        return self.clock.moment

    def actor(self, user: User | None) -> Actor:
        assert user is not None, "the users are made first"
        return Actor(user.id, user.username, "10.20.0.15")


def upload(demo: Demo, data: bytes, filename: str, **where: object) -> EvidenceItem:
    """An image taken in as an upload is: staged in the store's temp folder, then ingested."""
    demo.store.temp.mkdir(parents=True, exist_ok=True)
    writer = stage_stream(io.BytesIO(data), demo.store.temp)
    try:
        return ingest(
            demo.session,
            where.pop("actor"),  # type: ignore[arg-type]
            demo.store,
            writer.staged(),
            original_filename=filename,
            declared_mime="image/jpeg",
            settings=demo.ingest_settings,
            **where,  # type: ignore[arg-type]
        )
    finally:
        writer.close()
        writer.path.unlink(missing_ok=True)


def one(demo: Demo, model: type, name: str) -> Any:
    return demo.session.scalar(select(model).where(model.name == name))


def account_id(demo: Demo, handle: str) -> int:
    return demo.session.scalar(select(Account.id).where(Account.handle == handle))


def threat(demo: Demo, case: Case, user: User | None, days_ago: float, **fields: Any) -> Threat:
    """A threat that occurred `days_ago` days back, logged two hours later."""
    occurred = demo.at(days_ago, fields.pop("hour", 9))
    demo.at(days_ago, occurred.hour + 2)
    handle = fields.pop("handle", None)
    if handle:
        fields |= {"platform": "Chirper", "account_id": account_id(demo, handle)}
    details = ThreatDetails(occurred_at=occurred, **fields)
    return log_threat(demo.session, demo.actor(user), case, details)


def move(demo: Demo, case: Case, user: User | None, days_ago: float, *statuses: str) -> None:
    assert user is not None, "the users are made first"
    for hour, status in enumerate(statuses, start=11):
        demo.at(days_ago, hour)
        reason = f"Moved to {status} at the morning review."
        transition_case(demo.session, demo.actor(user), user.role, case, status, reason)


def assess(
    demo: Demo,
    case: Case,
    user: User | None,
    points: dict[str, tuple[int, str]],
    override: LevelOverride | None = None,
) -> None:
    answers = {item: Answer(point, rationale) for item, (point, rationale) in points.items()}
    create_assessment(demo.session, demo.actor(user), case, demo.rubric, answers, override)
