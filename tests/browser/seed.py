"""Base data for the browser tests whose point is not clicking it in (tests/browser/
test_story.py clicks all of it): the demo's story (casemgr.demo.story), and a restricted case
of the test analyst's, without members."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from casemgr.assessments.catalogue import current_catalogue
from casemgr.assessments.views import DEFAULT_RUBRIC
from casemgr.audit.log import Actor
from casemgr.auth.models import User
from casemgr.briefings.settings import current_export_settings
from casemgr.cases.models import Case
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.demo.story import load_demo
from casemgr.evidence.models import EvidenceMatch
from casemgr.evidence.staging import current_store, ingest_settings
from casemgr.extensions import db
from casemgr.people.models import Protectee, Subject
from tests.factories import TEST_PASSWORD


@dataclass(frozen=True)
class World:
    """What the pages under test address."""

    ref: str  # the demo's campaign case, naming everyone of the story
    restricted_ref: str  # a restricted case of "analyst", without members
    restricted_title: str
    subject_id: int  # the group
    protectee_id: int  # the co-founder, with a reference photo
    evidence_id: int  # the doctored photo, matched to the reference photo


def seed_world(app: Flask) -> World:
    with app.app_context():
        session = db.session
        rubric = current_catalogue().get(DEFAULT_RUBRIC)
        assert rubric is not None
        load_demo(
            session, current_store(), ingest_settings(), current_export_settings(), rubric,
            TEST_PASSWORD,
        )  # fmt: skip
        analyst = session.scalar(select(User).where(User.username == "analyst"))
        restricted = create_case(
            session,
            Actor(analyst.id, analyst.username),
            analyst,
            CaseDetails(title="Insider leak of travel plans", restricted=True),
        )
        session.commit()
        return World(
            ref=session.scalar(select(Case.ref).where(Case.title.startswith("Crimson Dawn"))),
            restricted_ref=restricted.ref,
            restricted_title=restricted.title,
            subject_id=session.scalar(select(Subject.id).where(Subject.name == "Crimson Dawn")),
            protectee_id=session.scalar(
                select(Protectee.id).where(Protectee.name == "Tomas Reyes")
            ),
            evidence_id=session.scalar(select(EvidenceMatch.evidence_id)),
        )
