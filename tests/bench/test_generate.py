"""The large-data generator (bench/generate.py), at 100 cases on the test database: the ratios
it promises, and records as complete as the services make them for users."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import cast, func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.types import String

from bench.generate import InstanceNotEmpty, generate
from bench.server import Instance
from casemgr.assessments.models import Assessment
from casemgr.audit.log import verify_audit_chain
from casemgr.audit.models import AuditEvent
from casemgr.cases.models import Case, CaseMember, CaseStatusChange, Handoff, Task
from casemgr.evidence.models import CustodyEvent, EvidenceItem, EvidenceMatch
from casemgr.evidence.store import FileStore
from casemgr.extensions import db
from casemgr.people.models import Account, Subject
from casemgr.search.models import SearchDocument
from casemgr.search.query import matching_documents
from casemgr.threats.models import Threat

CASES = 100
ARABIC_WORD = "موظفي"  # "employees of", in one of the Arabic threats


def count(session: Session, model: type, *conditions: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


# With workers, the evidence pictures are examined in another process from the start; with
# none, the evidence phase examines each itself.
@pytest.mark.parametrize("workers", [1, 0])
def test_a_generated_instance_has_the_ratios_and_complete_records(app: Flask, workers: int) -> None:
    progress = io.StringIO()
    generate(Instance.of(app), CASES, seed=7, workers=workers, stream=progress)
    for phase in ("users", "threats", "evidence", "workflow"):
        assert phase in progress.getvalue()
    with app.app_context():
        check_ratios(db.session)
        check_records(db.session)
        check_times(db.session)
        check_pictures(db.session, FileStore(Path(app.config["CASEMGR_DATA_DIR"])))


def check_pictures(session: Session, store: FileStore) -> None:
    """Every picture was analysed, and its file and thumbnail are in the store."""
    pictures = session.execute(select(EvidenceItem.sha256, EvidenceItem.analysis)).all()
    assert pictures and {analysis for _, analysis in pictures} == {"ok"}
    for sha256, _ in pictures:
        assert store.path(sha256).is_file() and (store.derived(sha256) / "thumb.png").is_file()


def check_ratios(session: Session) -> None:
    per_case = {
        "threats": count(session, Threat) / CASES,
        "accounts": count(session, Account) / CASES,
        "evidence": count(session, EvidenceItem, EvidenceItem.kind == "evidence") / CASES,
        "assessments": count(session, Assessment) / CASES,
        "tasks": count(session, Task) / CASES,
        "handoffs": count(session, Handoff) / CASES,
    }
    assert count(session, Case) == CASES
    assert 8 <= per_case["threats"] <= 12
    assert 2.4 <= per_case["accounts"] <= 3.6
    assert 0.3 <= per_case["evidence"] <= 0.7
    assert 1.5 <= per_case["assessments"] <= 2.5
    assert 0.6 <= per_case["tasks"] <= 1.4 and 0.1 <= per_case["handoffs"] <= 0.35
    kinds = set(session.scalars(select(Subject.kind).distinct()))
    assert kinds == {"group", "individual"}
    assert 1 <= count(session, Case, Case.restricted) <= 12
    assert {"closed", "active", "dormant"} <= set(session.scalars(select(Case.status).distinct()))
    years = {ref[3:7] for ref in session.scalars(select(Case.ref))}
    assert len(years) >= 3  # years of work, dated as it was done


def check_records(session: Session) -> None:
    """As complete as the services make them: the audit chain holds (its events appended in
    batches) with an event for every move and every item, every item has its custody, every
    threat its search document, and matching ties a doctored photo to its protectee's
    reference photo."""
    assert verify_audit_chain(session) is None
    assert count(session, AuditEvent) > count(session, Threat) // 10
    moves = count(session, CaseStatusChange, CaseStatusChange.from_status.is_not(None))
    assert count(session, AuditEvent, AuditEvent.action == "case.transition") == moves > 0
    items = count(session, EvidenceItem)
    assert count(session, AuditEvent, AuditEvent.action == "evidence.create") == items
    assert count(session, CustodyEvent, CustodyEvent.action == "uploaded") == items
    threat_documents = count(session, SearchDocument, SearchDocument.kind == "threat")
    assert threat_documents == count(session, Threat)
    documents = matching_documents(session, ARABIC_WORD)
    assert documents is not None
    hits = [doc for doc in session.scalars(documents) if doc.kind == "threat"]
    assert hits and session.get(Threat, hits[0].object_id).language == "ar"
    original = aliased(EvidenceItem)
    doctored_matches = session.scalar(
        select(func.count())
        .select_from(EvidenceMatch)
        .join(EvidenceItem, EvidenceItem.id == EvidenceMatch.evidence_id)
        .join(original, original.id == EvidenceMatch.matched_id)
        .where(EvidenceItem.original_filename.like("doctored-%"), original.kind == "reference")
    )
    assert doctored_matches >= 1


def test_the_generator_refuses_a_database_that_has_cases(app: Flask, world: dict[str, str]) -> None:
    with pytest.raises(InstanceNotEmpty, match="already has 1 cases"):
        generate(Instance.of(app), 10, stream=io.StringIO())


def logged_at_action(session: Session, model: type, action: str, object_id: object = None) -> int:
    """How many rows of `model` were made at the moment of an `action` event on them: the
    services set the time of the action, not of the write (the generator writes many calls'
    rows in one flush, after its clock has moved on)."""
    key = cast(object_id if object_id is not None else model.id, String)
    made_then = (
        select(AuditEvent.id)
        .where(AuditEvent.action == action, AuditEvent.object_id == key)
        .where(AuditEvent.at == model.created_at)
        .exists()
    )
    return count(session, model, made_then)


def check_times(session: Session) -> None:
    """Each record carries the time its service was called, as its audit event does."""
    assert logged_at_action(session, Task, "task.create") == count(session, Task)
    assert logged_at_action(session, Subject, "subject.create") == count(session, Subject)
    assert logged_at_action(session, Account, "account.create") == count(session, Account)
    imported = logged_at_action(session, Threat, "threat.import", object_id=Threat.case_id)
    assert imported + logged_at_action(session, Threat, "threat.create") == count(session, Threat)
    members_added = (
        select(Case.id)
        .where(Case.id == CaseMember.case_id, Case.created_at == CaseMember.added_at)
        .exists()
    )
    assert count(session, CaseMember, members_added) == count(session, CaseMember) > 0
