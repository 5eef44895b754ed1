"""Creating assessments: what is stored, what the case's concern level becomes, what is
refused, the rubric an old assessment keeps, the audit event, and the rule for closing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.assessments.catalogue import BUILT_IN, load_catalogue
from casemgr.assessments.models import Assessment, AssessmentAnswer, RubricVersion
from casemgr.assessments.operations import (
    Answer,
    LevelOverride,
    assessments_of,
    create_assessment,
    get_assessment,
    latest_assessment,
    rubric_of,
)
from casemgr.assessments.rubric import Rubric, load_rubric
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.cases.operations import StaleVersion, transition_case
from casemgr.cases.workflow import TransitionNotAllowed
from casemgr.errors import NotFound, ValidationFailed
from casemgr.evidence.ingest import IngestSettings, ingest
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.store import FileStore, stage_stream
from tests.cases.conftest import (
    actor_of,
    case,
    count,
    events_since,
    last_event_id,
    make_case,
    make_threat,
    session,
    staff,
)

__all__ = ["case", "session", "staff"]  # fixtures shared with the case tests

# On the default rubric (weights add up to 43): approach 1/2 of weight 4 earns 2 and leakage
# 1/1 of weight 2 earns 2: 4 of 43 = 9.30, low; the approach rule makes it high.
APPROACH = Answer(1, "Seen outside the office on Monday.")
LEAKAGE = Answer(1, "Told a forum something will happen at the headquarters.")


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric(BUILT_IN / "casemgr-default.toml")


@pytest.fixture
def analyst(staff: dict[str, User]) -> User:
    return staff["analyst"]


def make_evidence(app: Flask, session: Session, case: Case, analyst: User) -> EvidenceItem:
    store = FileStore(Path(app.config["CASEMGR_DATA_DIR"]))
    staged = stage_stream(io.BytesIO(f"Notes on {case.ref}.\n".encode()), store.temp)
    return ingest(
        session,
        actor_of(analyst),
        store,
        staged.staged(),
        original_filename="notes.txt",
        declared_mime="text/plain",
        settings=IngestSettings(10_000_000, 10),
        case=case,
    )


def assess(
    session: Session,
    user: User,
    case: Case,
    rubric: Rubric,
    answers: dict[str, Answer] | None = None,
    override: LevelOverride | None = None,
    version: int | None = None,
) -> Assessment:
    answers = {"approach_behaviour": APPROACH} if answers is None else answers
    return create_assessment(
        session, actor_of(user), case, rubric, answers, override, expected_version=version
    )


def test_an_assessment_stores_the_rubric_and_every_answer(
    app: Flask, session: Session, case: Case, analyst: User, rubric: Rubric
) -> None:
    threat = make_threat(session, case)
    evidence = make_evidence(app, session, case, analyst)
    leakage = Answer(1, LEAKAGE.rationale, [threat.id], [evidence.id])
    made = assess(
        session, analyst, case, rubric, {"approach_behaviour": APPROACH, "leakage": leakage}
    )
    session.commit()
    session.expire_all()

    stored = session.get(Assessment, made.id)
    assert (stored.rubric_id, stored.rubric_version) == ("casemgr-default", "1")
    assert stored.rubric_sha256 == rubric.sha256
    assert session.get(RubricVersion, rubric.sha256).source == rubric.source
    assert stored.score == 9.3
    assert (stored.computed_level, stored.level) == ("high", "high")
    assert stored.override_justification == ""
    assert stored.assessor_id == analyst.id and stored.created_at.tzinfo is not None
    answers = {answer.item_id: answer for answer in stored.answers}
    assert set(answers) == set(rubric.items)  # the ones left out are stored at 0
    assert (answers["approach_behaviour"].point, answers["approach_behaviour"].rationale) == (
        1,
        APPROACH.rationale,
    )
    assert [t.id for t in answers["leakage"].threats] == [threat.id]
    assert [e.id for e in answers["leakage"].evidence] == [evidence.id]
    assert (answers["fixation"].point, answers["fixation"].rationale) == (0, "")
    assert get_assessment(session, case, made.id) is stored


def test_the_case_concern_level_is_the_final_level_and_an_override_wins(
    session: Session, case: Case, analyst: User, rubric: Rubric
) -> None:
    computed = assess(session, analyst, case, rubric)
    assert case.concern_level == "high"

    override = LevelOverride("moderate", "  The approach was a courier delivering flowers.  ")
    overridden = assess(session, analyst, case, rubric, override=override)
    assert (overridden.computed_level, overridden.level) == ("high", "moderate")
    assert overridden.override_justification == "The approach was a courier delivering flowers."
    assert case.concern_level == "moderate"
    assert overridden.supersedes_id == computed.id and computed.supersedes_id is None
    assert latest_assessment(session, case) is overridden
    assert assessments_of(session, case) == [computed, overridden]


REFUSALS = {
    "a point above zero without rationale": (
        {"leakage": Answer(1, "   ")},
        None,
        "answers.leakage",
    ),
    "a point off the scale": (
        {"unconditional": Answer(2, "Twice.")},
        None,
        "answers.unconditional",
    ),
    "a negative point": ({"leakage": Answer(-1, "Less than none.")}, None, "answers.leakage"),
    "an unknown item": ({"ghost": Answer(0)}, None, "answers.ghost"),
    "an override without justification": (
        {},
        LevelOverride("imminent", " "),
        "override.justification",
    ),
    "an override to an unknown level": (
        {},
        LevelOverride("severe", "Because."),
        "override.level",
    ),
}


@pytest.mark.parametrize("answers, override, field", REFUSALS.values(), ids=list(REFUSALS.keys()))
def test_invalid_answers_are_refused_and_nothing_is_stored(
    session: Session, case: Case, analyst: User, rubric: Rubric, answers, override, field
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        assess(session, analyst, case, rubric, answers, override)
    assert list(refused.value.errors) == [field]
    assert count(session, Assessment) == 0 and count(session, AssessmentAnswer) == 0
    assert case.concern_level is None


def test_a_zero_answer_needs_no_rationale(
    session: Session, case: Case, analyst: User, rubric: Rubric
) -> None:
    made = assess(session, analyst, case, rubric, {"leakage": Answer(0)})
    assert (made.score, made.level) == (0, "low")


def test_threats_and_evidence_of_another_case_cannot_be_linked(
    app: Flask, session: Session, case: Case, analyst: User, rubric: Rubric
) -> None:
    other = make_case(session, analyst, "Another case")
    their_threat = make_threat(session, other)
    their_evidence = make_evidence(app, session, other, analyst)
    our_threat = make_threat(session, case)
    for answer in (
        Answer(1, "r", threat_ids=[our_threat.id, their_threat.id]),
        Answer(1, "r", evidence_ids=[their_evidence.id]),
        Answer(1, "r", threat_ids=[999_999]),
    ):
        with pytest.raises(ValidationFailed) as refused:
            assess(session, analyst, case, rubric, {"leakage": answer})
        assert list(refused.value.errors) == ["answers.leakage"]
    assert count(session, Assessment) == 0


def test_a_stale_case_version_is_refused(
    session: Session, case: Case, analyst: User, rubric: Rubric
) -> None:
    seen = case.version
    make_threat(session, case)
    session.flush()
    with pytest.raises(StaleVersion):
        assess(session, analyst, case, rubric, version=seen)
    assert assess(session, analyst, case, rubric, version=case.version).level == "high"


V1 = """
id = "pale-flame"
version = "1"
title = "Pale Flame threats"

[thresholds]
low = 0
moderate = 25
high = 50
imminent = 75

[[sections]]
id = "words"
title = "Words"

  [[sections.items]]
  id = "threat"
  label = "Threat stated"
  guidance = "Stated?"
  weight = 1
  scale = [{ point = 0, label = "No" }, { point = 1, label = "Yes" }]
"""
V2 = V1.replace('version = "1"', 'version = "2"').replace("Threat stated", "Threat made")


def test_an_old_assessment_keeps_its_rubric_after_the_file_changed(
    session: Session, case: Case, analyst: User, tmp_path: Path
) -> None:
    path = tmp_path / "pale-flame.toml"
    path.write_text(V1, encoding="utf-8")
    first = assess(
        session,
        analyst,
        case,
        load_catalogue([tmp_path]).get("pale-flame"),
        {"threat": Answer(1, "Said so.")},
    )
    session.commit()

    path.write_text(V2, encoding="utf-8")
    now = load_catalogue([tmp_path]).get("pale-flame")
    assert (now.version, now.items["threat"].label) == ("2", "Threat made")
    second = assess(session, analyst, case, now, {"threat": Answer(1, "Said so.")})
    session.commit()
    session.expire_all()

    kept = rubric_of(session.get(Assessment, first.id))
    assert (kept.version, kept.items["threat"].label) == ("1", "Threat stated")
    assert kept.source == V1 and kept.sha256 == first.rubric_sha256 != now.sha256
    assert rubric_of(session.get(Assessment, second.id)).source == V2
    assert count(session, RubricVersion) == 2


def test_the_same_rubric_text_is_kept_once(
    session: Session, case: Case, analyst: User, rubric: Rubric
) -> None:
    assess(session, analyst, case, rubric)
    assess(session, analyst, case, rubric)
    assert count(session, RubricVersion) == 1


def test_an_assessment_writes_its_audit_event(
    session: Session, case: Case, analyst: User, rubric: Rubric
) -> None:
    before = last_event_id(session)
    made = assess(session, analyst, case, rubric)
    events = events_since(session, before)
    assert [event.action for event in events] == ["assessment.create"]
    event = events[0]
    assert (event.object_type, event.object_id) == ("assessment", str(made.id))
    assert (event.case_ref, event.actor) == (case.ref, analyst.username)
    assert event.changes["concern_level"] == {"old": None, "new": "high"}
    assert event.changes["score"] == {"old": None, "new": "4.65"}  # 2 of 43, as text
    assert event.changes["rubric"]["new"].startswith(f"casemgr-default v1 {rubric.sha256[:12]}")


def test_a_case_closes_only_with_an_assessment_made_after_its_last_threat(
    session: Session, case: Case, staff: dict[str, User], rubric: Rubric
) -> None:
    lead = staff["lead"]

    def close() -> None:
        transition_case(session, actor_of(lead), lead.role, case, "closed", "Quiet for months.")

    with pytest.raises(TransitionNotAllowed, match="assessment made after its last threat"):
        close()  # no assessment at all
    make_threat(session, case)
    assess(session, lead, case, rubric)
    make_threat(session, case, "We have not forgotten.")
    with pytest.raises(TransitionNotAllowed, match="assessment made after its last threat"):
        close()  # a threat was logged after the assessment
    assert case.status == "new"
    assess(session, lead, case, rubric)
    close()
    assert case.status == "closed"


def test_an_assessment_of_another_case_is_not_found(
    session: Session, case: Case, analyst: User, rubric: Rubric
) -> None:
    made = assess(session, analyst, case, rubric)
    other = make_case(session, analyst, "Another case")
    with pytest.raises(NotFound):
        get_assessment(session, other, made.id)
    with pytest.raises(NotFound):
        get_assessment(session, case, made.id + 1)
    assert session.scalars(select(Assessment.case_id)).all() == [case.id]
