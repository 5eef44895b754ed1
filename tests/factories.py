"""Small factories for test data; services are used where the rule matters."""

from __future__ import annotations

from itertools import count

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from casemgr.audit.log import SYSTEM
from casemgr.auth.models import ROLES, User
from casemgr.auth.tokens import issue_token
from casemgr.evidence.store import FileStore

__all__ = ["ROLES", "TEST_PASSWORD", "make_token", "make_user"]

TEST_PASSWORD = "a long test password"
# Hashing is slow on purpose; hash once for every user the tests make.
_TEST_PASSWORD_HASH = generate_password_hash(TEST_PASSWORD)
_numbers = count(1)


def make_user(
    session: Session, role: str = "analyst", username: str | None = None, **fields: object
) -> User:
    user = User(
        username=username or role,
        role=role,
        display_name=fields.pop("display_name", (username or role).capitalize()),
        password_hash=_TEST_PASSWORD_HASH,
        **fields,
    )
    session.add(user)
    session.flush()
    return user


def unique_name(prefix: str) -> str:
    return f"{prefix}{next(_numbers)}"


def make_token(session: Session, user: User, name: str = "tests") -> str:
    _, plaintext = issue_token(session, SYSTEM, user, name)
    return plaintext


def make_world(session: Session, users: dict[str, User], store: FileStore) -> dict[str, str]:
    """One of everything a route can address (each the first of its kind, so id 1), for
    tests that walk every route; returns sample values for string route arguments."""
    import io
    from datetime import UTC, datetime

    from casemgr.audit.log import Actor
    from casemgr.cases.actions import create_task
    from casemgr.cases.handoffs import Brief, create_handoff
    from casemgr.cases.operations import CaseDetails, create_case
    from casemgr.evidence.ingest import IngestSettings, ingest
    from casemgr.evidence.store import stage_stream
    from casemgr.people.protectees import ProtecteeDetails, create_protectee
    from casemgr.people.subjects import AccountDetails, SubjectDetails, add_account, create_subject
    from casemgr.threats.operations import ThreatDetails, log_threat

    analyst = session.get(User, users["analyst"].id)
    lead = session.get(User, users["lead"].id)
    actor = Actor(analyst.id, analyst.username)
    protectee = create_protectee(session, actor, ProtecteeDetails(name="Dana Whitfield"))
    subject = create_subject(session, actor, SubjectDetails(name="Crimson Dawn", kind="group"))
    account = add_account(session, actor, subject, AccountDetails("Chirper", "@crimsondawn"))
    case = create_case(
        session,
        actor,
        analyst,
        CaseDetails(title="Threats against leadership", protectee_ids=[protectee.id]),
    )
    log_threat(
        session,
        actor,
        case,
        ThreatDetails(
            occurred_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
            channel="public_post",
            text="You will pay.",
            threat_type="veiled",
            account_id=account.id,
        ),
    )
    create_task(session, actor, case, "Brief the reception desk", analyst)
    create_handoff(session, actor, analyst, case, lead, Brief("Quiet week.", "Low.", "Watch."))
    staged = stage_stream(io.BytesIO(b"Screenshot notes: account reopened.\n"), store.temp)
    ingest(
        session,
        actor,
        store,
        staged.staged(),
        original_filename="notes.txt",
        declared_mime="text/plain",
        settings=IngestSettings(10_000_000, 10),
        case=case,
    )
    return {"ref": case.ref}
