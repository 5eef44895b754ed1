"""Protectees (whose private details never reach the audit log) and subjects (with merging)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.audit.log import SYSTEM, verify_audit_chain
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.errors import Conflict, ValidationFailed
from casemgr.people.models import Account, Protectee, Subject
from casemgr.people.protectees import (
    ProtecteeDetails,
    all_staff,
    create_protectee,
    protectees,
    set_archived,
    update_protectee,
)
from casemgr.people.subjects import (
    AccountDetails,
    SubjectDetails,
    add_account,
    add_accounts,
    create_subject,
    merge_subjects,
    subjects,
    update_account,
    update_subject,
)
from tests.cases.conftest import (
    actor_of,
    events_since,
    last_event_id,
    make_account,
    make_case,
    make_subject,
    session,
    staff,
)

__all__ = ["session", "staff"]  # fixtures shared with the case tests

PRIVATE = {
    "private_home_address": "14 Larch Crescent, Hollowmere",
    "private_phone": "+44 7700 900123",
    "private_family": "Married; two children at Hollowmere Primary",
}


def audit_text(events: list[AuditEvent]) -> str:
    return json.dumps([event.changes for event in events], ensure_ascii=False)


# Protectees --------------------------------------------------------------------------------


def test_creating_a_protectee_never_writes_private_values_to_the_audit_log(
    session: Session, staff: dict[str, User]
) -> None:
    mark = last_event_id(session)
    protectee = create_protectee(
        session,
        actor_of(staff["analyst"]),
        ProtecteeDetails(name=" Adrian Kessler ", title="CEO", **PRIVATE),
    )
    session.commit()

    assert protectee.name == "Adrian Kessler"
    assert protectee.private_phone == PRIVATE["private_phone"]
    [event] = events_since(session, mark)
    assert event.action == "protectee.create"
    assert event.changes["name"] == {"old": None, "new": "Adrian Kessler"}
    for field in PRIVATE:
        assert event.changes[field] == {"old": "(private)", "new": "(private)"}
    for value in PRIVATE.values():
        assert value not in audit_text([event])


def test_updating_private_details_records_that_they_changed_but_not_to_what(
    session: Session, staff: dict[str, User]
) -> None:
    actor = actor_of(staff["analyst"])
    protectee = create_protectee(session, actor, ProtecteeDetails(name="Mira Solberg", **PRIVATE))
    mark = last_event_id(session)
    moved = PRIVATE | {"private_home_address": "3 Quay Street, Portlow"}
    update_protectee(session, actor, protectee, ProtecteeDetails(name="Mira Solberg", **moved))
    session.commit()

    [event] = events_since(session, mark)
    assert set(event.changes) == {"private_home_address"}
    assert "Quay Street" not in audit_text([event])
    assert "Larch Crescent" not in audit_text([event])
    assert protectee.private_home_address == "3 Quay Street, Portlow"
    # Nothing anywhere in the log ever held them.
    everything = list(session.scalars(select(AuditEvent)))
    for value in [*PRIVATE.values(), "3 Quay Street, Portlow"]:
        assert value not in audit_text(everything)


def test_an_update_without_changes_writes_no_event(
    session: Session, staff: dict[str, User]
) -> None:
    actor = actor_of(staff["analyst"])
    details = ProtecteeDetails(name="Mira Solberg", **PRIVATE)
    protectee = create_protectee(session, actor, details)
    mark = last_event_id(session)
    update_protectee(session, actor, protectee, details)
    session.flush()
    assert events_since(session, mark) == []


def test_a_protectee_needs_a_name_and_private_values_within_their_limits(
    session: Session, staff: dict[str, User]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        create_protectee(
            session,
            actor_of(staff["analyst"]),
            ProtecteeDetails(name="  ", private_phone="0" * 65),
        )
    assert set(refused.value.errors) == {"name", "private_phone"}
    assert session.scalar(select(Protectee)) is None


def test_an_archived_protectee_leaves_the_picker_but_keeps_its_cases(
    session: Session, staff: dict[str, User]
) -> None:
    actor = actor_of(staff["lead"])
    protectee = create_protectee(session, actor, ProtecteeDetails(name="Mira Solberg"))
    case = make_case(session, staff["analyst"], protectee_ids=[protectee.id])
    mark = last_event_id(session)
    set_archived(session, actor, protectee, True)
    set_archived(session, actor, protectee, True)  # already archived: nothing to record
    session.commit()

    assert protectees(session) == []
    assert protectees(session, include_archived=True) == [protectee]
    assert case.protectees == [protectee]
    set_archived(session, actor, protectee, False)
    assert protectees(session) == [protectee]
    assert [e.action for e in events_since(session, mark)] == [
        "protectee.archive",
        "protectee.restore",
    ]


def test_the_all_staff_protectee_is_made_once_and_listed_first(session: Session) -> None:
    create_protectee(session, SYSTEM, ProtecteeDetails(name="Adrian Kessler"))
    first = all_staff(session, SYSTEM)
    assert all_staff(session, SYSTEM) is first
    assert first.all_staff and first.name == "All staff"
    assert [p.name for p in protectees(session)] == ["All staff", "Adrian Kessler"]


# Subjects and accounts ---------------------------------------------------------------------


def test_aliases_are_trimmed_deduplicated_and_never_repeat_the_name(
    session: Session, staff: dict[str, User]
) -> None:
    subject = create_subject(
        session,
        actor_of(staff["analyst"]),
        SubjectDetails(
            name="Dawn Vanguard",
            kind="group",
            aliases=[" DV ", "DV", "Dawn Vanguard", "", "الفجر"],
        ),
    )
    session.commit()
    assert sorted(a.alias for a in subject.aliases) == sorted(["DV", "الفجر"])

    mark = last_event_id(session)
    update_subject(
        session,
        actor_of(staff["analyst"]),
        subject,
        SubjectDetails(name="Dawn Vanguard", kind="group", aliases=["الفجر", "Vanguard"]),
    )
    session.commit()
    assert sorted(a.alias for a in subject.aliases) == sorted(["Vanguard", "الفجر"])
    [event] = events_since(session, mark)
    assert event.changes["aliases"] == {
        "old": sorted(["DV", "الفجر"]),
        "new": sorted(["Vanguard", "الفجر"]),
    }


def test_a_subject_cannot_be_affiliated_with_itself_or_a_missing_subject(
    session: Session, staff: dict[str, User]
) -> None:
    subject = make_subject(session, "Dawn Vanguard")
    actor = actor_of(staff["analyst"])
    for affiliation in (subject.id, subject.id + 1000):
        with pytest.raises(ValidationFailed) as refused:
            update_subject(
                session, actor, subject, SubjectDetails(name="x", affiliation_id=affiliation)
            )
        assert list(refused.value.errors) == ["affiliation_id"]
    assert subject.name == "Dawn Vanguard"


def test_an_account_keeps_its_suspension_and_refuses_inconsistent_dates(
    session: Session, staff: dict[str, User]
) -> None:
    subject = make_subject(session)
    actor = actor_of(staff["analyst"])
    first, later = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)
    account = add_account(
        session,
        actor,
        subject,
        AccountDetails(platform=" Chirper ", handle=" @dawn_v1 ", first_seen=first),
    )
    update_account(
        session,
        actor,
        account,
        AccountDetails(
            platform="Chirper",
            handle="@dawn_v1",
            first_seen=first,
            last_seen=later,
            status="suspended",
            suspended_at=later,
        ),
    )
    session.commit()
    assert (account.platform, account.handle, account.status) == (
        "Chirper",
        "@dawn_v1",
        "suspended",
    )
    assert account.suspended_at == later

    bad = [
        (AccountDetails("Chirper", "@x", first_seen=later, last_seen=first), "last_seen"),
        (AccountDetails("Chirper", "@x", suspended_at=later), "status"),
        (AccountDetails("Chirper", "@x", first_seen=datetime(2025, 3, 1)), "first_seen"),
        (AccountDetails("Chirper", "  "), "handle"),
    ]
    for details, field in bad:
        with pytest.raises(ValidationFailed) as refused:
            add_account(session, actor, subject, details)
        assert list(refused.value.errors) == [field]


def test_accounts_added_together_are_checked_first_and_each_gets_its_event(
    session: Session, staff: dict[str, User]
) -> None:
    subject = make_subject(session)
    actor = actor_of(staff["analyst"])
    handles = ["@dawn_v1", "@dawn_v2", "@dawn_v3"]
    with pytest.raises(ValidationFailed):
        add_accounts(
            session,
            actor,
            subject,
            [AccountDetails("Chirper", "@dawn_v0"), AccountDetails("", "@x")],
        )
    assert session.scalars(select(Account).where(Account.subject_id == subject.id)).all() == []
    before = last_event_id(session)
    added = add_accounts(
        session, actor, subject, [AccountDetails("Chirper", handle) for handle in handles]
    )
    session.commit()
    assert [account.handle for account in subject.accounts] == handles
    events = events_since(session, before)
    assert [(event.action, event.object_id) for event in events] == [
        ("account.create", str(account.id)) for account in added
    ]
    assert verify_audit_chain(session) is None


# Merging subjects --------------------------------------------------------------------------


@pytest.fixture
def pair(session: Session, staff: dict[str, User]) -> tuple[Subject, Subject, list[Case]]:
    """Two subjects found to be one group, each with accounts, aliases and cases; one case
    is linked to both."""
    survivor = make_subject(session, "Dawn Vanguard", ["DV"], kind="group")
    other = make_subject(session, "Sons of Dawn", ["SoD", "DV"], kind="group")
    make_account(session, survivor, "@dawn_v1")
    make_account(session, other, "@dawn_v2", status="suspended", suspended_at=datetime.now(UTC))
    make_account(session, other, "@dawn_v3")
    cell = make_subject(session, "Portlow cell", affiliation_id=other.id)
    analyst = staff["analyst"]
    cases = [
        make_case(session, analyst, "Survivor only", subject_ids=[survivor.id]),
        make_case(session, analyst, "Other only", subject_ids=[other.id]),
        make_case(session, analyst, "Both", subject_ids=[survivor.id, other.id]),
    ]
    session.commit()
    assert cell.affiliation_id == other.id
    return survivor, other, cases


def test_merging_keeps_every_account_alias_and_case_link(
    session: Session, staff: dict[str, User], pair: tuple[Subject, Subject, list[Case]]
) -> None:
    survivor, other, cases = pair
    survivor_id, other_id = survivor.id, other.id
    mark = last_event_id(session)
    merge_subjects(session, actor_of(staff["analyst"]), survivor, other)
    session.commit()
    session.expire_all()

    survivor, other = session.get(Subject, survivor_id), session.get(Subject, other_id)
    assert sorted(a.handle for a in survivor.accounts) == ["@dawn_v1", "@dawn_v2", "@dawn_v3"]
    assert session.scalars(select(Account).where(Account.subject_id == other_id)).all() == []
    assert sorted(a.alias for a in survivor.aliases) == ["DV", "SoD", "Sons of Dawn"]
    for case in cases:
        assert [s.id for s in session.get(Case, case.id).subjects] == [survivor_id]
    assert (other.merged_into_id, other.merged_at is not None) == (survivor_id, True)
    cell = session.scalars(select(Subject).where(Subject.name == "Portlow cell")).one()
    assert cell.affiliation_id == survivor_id
    assert other not in subjects(session, staff["lead"])
    assert other in subjects(session, staff["lead"], include_merged=True)

    [event] = events_since(session, mark)
    assert (event.action, event.object_id) == ("subject.merge", str(survivor_id))
    merged = event.changes["merge"]
    assert merged["merged"] == other_id
    assert len(merged["accounts"]) == 2
    assert sorted(merged["cases"]) == sorted([cases[1].id, cases[2].id])
    assert sorted(merged["aliases"]) == ["SoD", "Sons of Dawn"]
    assert verify_audit_chain(session) is None


def test_a_subject_cannot_be_merged_with_itself(
    session: Session, staff: dict[str, User], pair: tuple[Subject, Subject, list[Case]]
) -> None:
    survivor, _, _ = pair
    mark = last_event_id(session)
    with pytest.raises(Conflict, match="itself"):
        merge_subjects(session, actor_of(staff["analyst"]), survivor, survivor)
    assert survivor.merged_into_id is None
    assert events_since(session, mark) == []


def test_a_merged_subject_cannot_be_merged_again(
    session: Session, staff: dict[str, User], pair: tuple[Subject, Subject, list[Case]]
) -> None:
    survivor, other, _ = pair
    third = make_subject(session, "Dawn Media")
    merge_subjects(session, actor_of(staff["analyst"]), survivor, other)
    for first, second in ((third, other), (other, third)):
        with pytest.raises(Conflict, match="already merged"):
            merge_subjects(session, actor_of(staff["analyst"]), first, second)


def test_a_survivor_that_belonged_to_the_merged_subject_takes_over_its_affiliation(
    session: Session, staff: dict[str, User]
) -> None:
    network = make_subject(session, "Dawn network", kind="group")
    old_name = make_subject(session, "Dawn Vanguard (old name)", affiliation_id=network.id)
    group = make_subject(session, "Dawn Vanguard", kind="group", affiliation_id=old_name.id)
    session.commit()

    merge_subjects(session, actor_of(staff["analyst"]), group, old_name)
    session.commit()
    assert group.affiliation_id == network.id  # never itself


def test_a_survivor_is_not_affiliated_with_itself_after_absorbing_its_own_group(
    session: Session, staff: dict[str, User]
) -> None:
    group = make_subject(session, "Dawn Vanguard", kind="group")
    cell = make_subject(session, "Portlow cell", affiliation_id=group.id)
    session.commit()
    update_subject(
        session,
        actor_of(staff["analyst"]),
        group,
        SubjectDetails(name="Dawn Vanguard", kind="group", affiliation_id=cell.id),
    )
    session.commit()

    merge_subjects(session, actor_of(staff["analyst"]), cell, group)
    session.commit()
    assert cell.affiliation_id is None
