"""Threats: logged exactly as received, checked on the way in, and edited with revisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.audit.log import SYSTEM, Actor
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.cases.operations import StaleVersion
from casemgr.errors import NotFound, ValidationFailed
from casemgr.extensions import db
from casemgr.threats.models import Threat, ThreatRevision
from casemgr.threats.operations import MAX_TEXT, edit_threat, get_threat, log_threat
from tests.cases.conftest import (
    actor_of,
    case,
    count,
    events_since,
    last_event_id,
    make_account,
    make_protectee,
    make_subject,
    make_threat,
    session,
    staff,
    threat_details,
)

__all__ = ["case", "session", "staff"]  # fixtures shared with the case tests

VERBATIM = {
    "arabic": "سنقتل كل موظفي الشركة ومديرها",
    "rtl marks": "\u200fتهديد\u200f \u202bمباشر\u202c \u200e@dawn_v2\u200e",
    "emoji": "🔫🎯 you're next 👨‍👩‍👧 🏳️‍🌈",
    "padding": "  \n\n\tleading and trailing whitespace\t \n\n ",
    "line endings": "line one\r\nline two\rline three\n",
    "combining": "Ame\u0301lie cafe\u0301 vs Amélie café",
    "invisible": "zero\u200bwidth\u00a0no-break\ufeffbom",
    "markup": "<script>alert('x')</script> & \"quotes\" \\ backslash",
}


# Verbatim text -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", VERBATIM.values(), ids=VERBATIM.keys())
def test_threat_text_round_trips_byte_for_byte(
    app: Flask, session: Session, case: Case, text: str
) -> None:
    mark = last_event_id(session)
    threat_id = make_threat(session, case, text).id
    session.commit()

    with app.app_context():  # a fresh session: what the database holds
        stored = db.session.get(Threat, threat_id)
        assert stored.text.encode("utf-8") == text.encode("utf-8")
    [event] = events_since(session, mark)
    assert event.changes["text"]["new"] == text


def test_a_text_of_100_kilobytes_is_refused_with_a_clear_message(
    session: Session, case: Case
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        make_threat(session, case, "x" * 100_000)
    [message] = refused.value.errors["text"]
    assert f"{MAX_TEXT:,} characters" in message
    assert "100,000 given" in message
    assert "evidence" in message
    assert count(session, Threat) == 0


def test_a_text_at_the_limit_is_kept_whole(session: Session, case: Case) -> None:
    text = "ي" * MAX_TEXT
    assert make_threat(session, case, text).text == text


@pytest.mark.parametrize("text", ["", "  \n\t "])
def test_a_blank_text_is_refused(session: Session, case: Case, text: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        make_threat(session, case, text)
    assert list(refused.value.errors) == ["text"]


# Times -------------------------------------------------------------------------------------


def test_a_threat_cannot_be_reported_before_it_occurred(session: Session, case: Case) -> None:
    occurred = datetime(2025, 5, 1, 12, tzinfo=UTC)
    with pytest.raises(ValidationFailed) as refused:
        make_threat(session, case, occurred_at=occurred, reported_at=occurred - timedelta(hours=1))
    assert list(refused.value.errors) == ["reported_at"]
    assert count(session, Threat) == 0


def test_report_and_occurrence_are_compared_as_moments_not_wall_clock_times(
    session: Session, case: Case
) -> None:
    occurred = datetime(2025, 5, 1, 12, tzinfo=UTC)
    # 13:30 at UTC+2 is 11:30 UTC: before the threat, although the clock says later.
    early = datetime(2025, 5, 1, 13, 30, tzinfo=timezone(timedelta(hours=2)))
    with pytest.raises(ValidationFailed):
        make_threat(session, case, occurred_at=occurred, reported_at=early)
    # 11:30 at UTC-2 is 13:30 UTC: after the threat, although the clock says earlier.
    late = datetime(2025, 5, 1, 11, 30, tzinfo=timezone(timedelta(hours=-2)))
    threat = make_threat(session, case, occurred_at=occurred, reported_at=late)
    assert threat.reported_at == late


@pytest.mark.parametrize(
    ("times", "field"),
    [
        ({"occurred_at": datetime(2025, 5, 1, 12)}, "occurred_at"),
        ({"reported_at": datetime(2025, 5, 1, 12)}, "reported_at"),
        ({"occurred_at": None}, "occurred_at"),
        ({"occurred_at": datetime.now(UTC) + timedelta(days=2)}, "occurred_at"),
    ],
    ids=["naive occurrence", "naive report", "no occurrence", "in the future"],
)
def test_naive_missing_and_future_times_are_refused(
    session: Session, case: Case, times: dict, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        make_threat(session, case, **times)
    assert field in refused.value.errors
    assert count(session, Threat) == 0


# Accounts and targets ----------------------------------------------------------------------


def test_a_threat_names_its_account_and_targets_and_takes_the_platform_from_the_account(
    session: Session, case: Case
) -> None:
    account = make_account(session, make_subject(session), "@dawn_v2", platform="Chirper")
    ceo = make_protectee(session, "Adrian Kessler")
    threat = make_threat(session, case, account_id=account.id, target_ids=[ceo.id, ceo.id])
    assert (threat.account_id, threat.platform) == (account.id, "Chirper")
    assert threat.targets == [ceo]


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"account_id": 987654}, "account_id"), ({"target_ids": [987654]}, "target_ids")],
)
def test_unknown_accounts_and_protectees_are_refused(
    session: Session, case: Case, fields: dict, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        make_threat(session, case, **fields)
    assert list(refused.value.errors) == [field]
    assert count(session, Threat) == 0


def test_grading_is_checked_against_the_3x5x2_model(session: Session, case: Case) -> None:
    with pytest.raises(ValidationFailed) as refused:
        make_threat(
            session, case, grading_source="4", grading_information="F", grading_handling="X"
        )
    assert set(refused.value.errors) == {
        "grading_source",
        "grading_information",
        "grading_handling",
    }
    threat = make_threat(
        session, case, grading_source="2", grading_information="B", grading_handling="P"
    )
    assert (threat.grading_source, threat.grading_information, threat.grading_handling) == (
        "2",
        "B",
        "P",
    )


# Logging and editing -----------------------------------------------------------------------


def test_logging_a_threat_touches_the_case_and_is_audited(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    seen, mark = case.version, last_event_id(session)
    threat = log_threat(session, actor_of(staff["analyst"]), case, threat_details(), seen)
    session.commit()
    assert (threat.case_id, threat.created_by_id) == (case.id, staff["analyst"].id)
    assert case.version > seen
    [event] = events_since(session, mark)
    assert (event.action, event.case_ref, event.actor) == ("threat.create", case.ref, "analyst")

    with pytest.raises(StaleVersion):
        log_threat(session, SYSTEM, case, threat_details("Again."), seen)


def test_editing_keeps_the_earlier_version_as_a_revision(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    ceo = make_protectee(session, "Adrian Kessler")
    original = VERBATIM["arabic"] + "\n"
    threat = make_threat(session, case, original, target_ids=[ceo.id], language="ar")
    session.commit()
    mark = last_event_id(session)
    editor = actor_of(staff["analyst"])

    edit_threat(
        session,
        editor,
        case,
        threat,
        threat_details(original, occurred_at=threat.occurred_at, language="ar", translation="…"),
        case.version,
    )
    session.commit()

    [revision] = threat.revisions
    assert (revision.number, revision.edited_by_id) == (1, staff["analyst"].id)
    assert revision.content["text"] == original
    assert revision.content["translation"] == ""
    assert revision.content["target_ids"] == [ceo.id]
    assert threat.translation == "…" and threat.targets == []
    [event] = events_since(session, mark)
    assert event.action == "threat.update"
    assert event.changes["target_ids"] == {"old": [ceo.id], "new": []}
    assert event.changes["translation"] == {"old": "", "new": "…"}


def test_two_edits_in_one_transaction_keep_two_numbered_revisions(
    session: Session, case: Case
) -> None:
    threat = make_threat(session, case, "first wording")
    when = threat.occurred_at
    edit_threat(session, SYSTEM, case, threat, threat_details("second wording", occurred_at=when))
    edit_threat(session, SYSTEM, case, threat, threat_details("third wording", occurred_at=when))
    session.commit()
    session.expire_all()

    revisions = session.scalars(
        select(ThreatRevision)
        .where(ThreatRevision.threat_id == threat.id)
        .order_by(ThreatRevision.number)
    ).all()
    assert [(r.number, r.content["text"]) for r in revisions] == [
        (1, "first wording"),
        (2, "second wording"),
    ]
    assert threat.text == "third wording"


def test_an_edit_that_changes_nothing_keeps_no_revision(session: Session, case: Case) -> None:
    threat = make_threat(session, case, "same")
    mark = last_event_id(session)
    edit_threat(
        session, SYSTEM, case, threat, threat_details("same", occurred_at=threat.occurred_at)
    )
    session.flush()
    assert count(session, ThreatRevision) == 0
    assert events_since(session, mark) == []


def test_an_invalid_edit_changes_nothing(session: Session, case: Case) -> None:
    threat = make_threat(session, case, "kept")
    with pytest.raises(ValidationFailed):
        edit_threat(
            session,
            Actor(None, "x"),
            case,
            threat,
            threat_details("changed", occurred_at=datetime(2025, 5, 1, 12)),
        )
    assert threat.text == "kept"
    assert count(session, ThreatRevision) == 0


def test_an_unknown_threat_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        get_threat(session, 987654)
