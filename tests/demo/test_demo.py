"""`flask demo load`: the canonical story with its history, ready for a new user to open."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from casemgr.assessments.models import Assessment
from casemgr.audit.log import verify_audit_chain
from casemgr.audit.models import AuditEvent
from casemgr.briefings.models import Briefing
from casemgr.cases.models import Case, Handoff, Referral
from casemgr.evidence.models import EvidenceItem, EvidenceMatch
from casemgr.extensions import db
from casemgr.threats.models import Threat
from tests.cases.web import page_text
from tests.conftest import build_app, close_app, fresh_database

PASSWORD = "demo-password-for-tests"


@pytest.fixture(scope="module")
def app(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One instance for the module: loading the demo renders a briefing, which takes a while."""
    folder = tmp_path_factory.mktemp("demo")
    app = build_app(folder / "instance", fresh_database(migrated_database, folder))
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def loaded(app: Flask) -> str:
    result = load(app.test_cli_runner())
    assert result.exit_code == 0, result.output
    return result.output


def load(runner: FlaskCliRunner) -> Result:
    return runner.invoke(args=["demo", "load", "--password-stdin"], input=f"{PASSWORD}\n")


def test_the_demo_prints_its_two_users(loaded: str) -> None:
    assert "lead     mira.okafor" in loaded
    assert "analyst  jonah.brandt" in loaded
    assert PASSWORD not in loaded


def test_the_campaign_case_tells_the_whole_story(app: Flask, loaded: str) -> None:
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.title.startswith("Crimson Dawn")))
        assert (case.status, case.concern_level, case.owner.username) == (
            "referred",
            "high",
            "jonah.brandt",
        )
        languages = db.session.scalars(select(Threat.language).where(Threat.case_id == case.id))
        assert "ar" in set(languages)
        assert {p.name for p in case.protectees} == {"All staff", "Dana Whitfield", "Tomas Reyes"}
        referral = db.session.scalar(select(Referral).where(Referral.case_id == case.id))
        assert referral.officer == "DS Priya Nair"
        assert db.session.scalar(select(func.count()).select_from(Assessment)) == 3
        briefing = db.session.scalar(select(Briefing).where(Briefing.case_id == case.id))
        assert (briefing.marking, briefing.kind) == ("TLP:AMBER", "briefing")
        handoffs = db.session.scalars(select(Handoff).order_by(Handoff.id)).all()
        assert [h.status for h in handoffs] == ["accepted", "pending"]


def test_the_doctored_photo_is_matched_to_the_reference_photo(app: Flask, loaded: str) -> None:
    with app.app_context():
        match = db.session.scalar(select(EvidenceMatch))
        doctored = db.session.get(EvidenceItem, match.evidence_id)
        reference = db.session.get(EvidenceItem, match.matched_id)
        assert {doctored.kind, reference.kind} == {"evidence", "reference"}
        assert match.phash_distance <= app.config["CASEMGR_MATCH_THRESHOLD"]
        assert doctored.threat_id is not None  # kept with the post it was found in


def test_the_history_spreads_over_months_and_the_chain_holds(app: Flask, loaded: str) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        oldest = db.session.scalar(select(func.min(AuditEvent.at)))
        newest_threat = db.session.scalar(select(func.max(Threat.occurred_at)))
        assert oldest < now - timedelta(days=150)
        assert now - timedelta(days=3) < newest_threat < now
        assert verify_audit_chain(db.session) is None


def test_the_demo_users_log_in_and_see_the_case(app: Flask, loaded: str) -> None:
    client = app.test_client()
    response = client.post("/login", data={"username": "jonah.brandt", "password": PASSWORD})
    assert response.status_code == 302
    dashboard = page_text(client.get("/"))
    assert "Caller threatening the Dublin office" in dashboard  # the handoff to accept
    with app.app_context():
        ref = db.session.scalar(select(Case.ref).where(Case.title.startswith("Crimson Dawn")))
    case_page = page_text(client.get(f"/cases/{ref}"))
    assert "Tomas Reyes" in case_page
    assert "اقتلوا" in case_page


def test_a_second_load_is_refused_in_one_line(app: Flask, loaded: str) -> None:
    result = load(app.test_cli_runner())
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: The database already has cases: load the demo into a fresh instance."
    ]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 3
