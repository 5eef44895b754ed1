"""Compare what a load run (bench/load.py) says the server accepted with what the database
holds; then verify the audit chain and the evidence store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.audit.log import verify_audit_chain
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import User
from casemgr.cases.models import Case, Handoff
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.operations import verify_store
from casemgr.evidence.staging import current_store
from casemgr.extensions import db
from casemgr.threats.models import Threat


def _differences(what: str, accepted: Mapping[Any, Any], stored: Mapping[Any, Any]) -> list[str]:
    """What was accepted but is not stored, stored but never accepted, or stored otherwise."""
    missing = sorted(accepted.keys() - stored.keys())
    extra = sorted(stored.keys() - accepted.keys())
    changed = sorted(key for key in accepted.keys() & stored.keys() if accepted[key] != stored[key])
    labelled = (
        ("accepted but not stored", missing),
        ("stored but never accepted", extra),
        ("stored differently", changed),
    )
    return [f"{what}: {label}: {keys[:10]}" for label, keys in labelled if keys]


def _keys(items: Iterable[Any]) -> dict[Any, bool]:
    return dict.fromkeys(items, True)


def _check_threats(session: Session, hot: Case, result: dict[str, Any]) -> list[str]:
    rows = session.execute(select(Threat.id, Threat.text).where(Threat.case_id == hot.id))
    stored = {threat_id: text for threat_id, text in rows}
    accepted = {int(key): text for key, text in result["threats"].items()}
    return _differences("threats", accepted, stored)


def _check_evidence(session: Session, hot: Case, result: dict[str, Any]) -> list[str]:
    rows = session.execute(
        select(EvidenceItem.id, EvidenceItem.sha256).where(EvidenceItem.case_id == hot.id)
    )
    accepted = {int(key): sha256 for key, sha256 in result["evidence"].items()}
    return _differences("evidence", accepted, {item_id: sha256 for item_id, sha256 in rows})


def _check_cases(session: Session, result: dict[str, Any]) -> list[str]:
    """Every ref answered is unique and stored; no case by the load users is unaccounted for."""
    refs = result["cases"]
    problems = [] if len(refs) == len(set(refs)) else ["case refs: the same ref answered twice"]
    load_users = select(User.id).where(User.username.in_(result["users"]))
    stored = session.scalars(select(Case.ref).where(Case.created_by_id.in_(load_users))).all()
    if len(stored) != len(set(stored)):
        problems.append("case refs: the same ref stored twice")
    return problems + _differences("cases", _keys([*refs, result["hot_ref"]]), _keys(stored))


def _check_edits(session: Session, hot: Case, result: dict[str, Any]) -> list[str]:
    """One audited update per accepted edit, and the newest one is the title kept."""
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.case_ref == hot.ref, AuditEvent.action == "case.update")
    )
    audited = [event.changes.get("title", {}).get("new") for event in events]
    problems = _differences(
        "edits", _keys(edit["title"] for edit in result["edits"]), _keys(audited)
    )
    if result["edits"]:
        newest = max(result["edits"], key=lambda edit: edit["version"])
        if hot.title != newest["title"]:
            problems.append(f"edits: the stored title {hot.title!r} is not the newest accepted")
    return problems


def _check_handoffs(session: Session, hot: Case, result: dict[str, Any]) -> list[str]:
    handoffs = session.scalars(select(Handoff).where(Handoff.case_id == hot.id)).all()
    offered = _keys(result["handoffs_offered"])
    problems = _differences("handoffs offered", offered, _keys(handoff.id for handoff in handoffs))
    accepted = {item["id"]: item["to_user"] for item in result["handoffs_accepted"]}
    stored = {
        handoff.id: handoff.to_user.username for handoff in handoffs if handoff.status == "accepted"
    }
    problems += _differences("handoffs accepted", accepted, stored)
    if sum(handoff.status == "pending" for handoff in handoffs) > 1:
        problems.append("handoffs: more than one pending at once")
    owner = session.get(User, hot.owner_id)
    expected_owner = accepted[max(accepted)] if accepted else result["users"][0]
    if owner is None or owner.username != expected_owner:
        problems.append(
            f"handoffs: the case belongs to {owner and owner.username}, not {expected_owner}"
        )
    return problems


def check_database(app: Flask, result: dict[str, Any]) -> list[str]:
    """Every problem found; an empty list when the database agrees with the run."""
    with app.app_context():
        session = db.session
        hot = session.scalar(select(Case).where(Case.ref == result["hot_ref"]))
        if hot is None:
            return [f"the hot case {result['hot_ref']} is not stored"]
        problems = [
            *_check_threats(session, hot, result),
            *_check_evidence(session, hot, result),
            *_check_cases(session, result),
            *_check_edits(session, hot, result),
            *_check_handoffs(session, hot, result),
        ]
        broken = verify_audit_chain(session)
        if broken is not None:
            problems.append(f"audit chain broken at {broken}")
        problems += [
            f"evidence store: {problem}" for problem in verify_store(session, current_store())
        ]
        session.rollback()
    return problems
