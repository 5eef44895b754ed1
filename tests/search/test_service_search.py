"""Full-text search through the case list: what finds a case, reindexing, and visibility."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.audit.log import SYSTEM
from casemgr.auth.models import User
from casemgr.cases.listing import CaseFilters, filtered_cases
from casemgr.cases.models import Case
from casemgr.cases.operations import CaseDetails, update_case
from casemgr.people.subjects import SubjectDetails, merge_subjects, update_subject
from casemgr.search.index import searchable
from casemgr.search.models import SearchDocument
from casemgr.search.query import search_terms
from casemgr.threats.models import Threat
from casemgr.threats.operations import edit_threat
from tests.cases.conftest import (
    add_user,
    make_account,
    make_case,
    make_subject,
    make_threat,
    session,
    staff,
    threat_details,
)

__all__ = ["session", "staff"]  # fixtures shared with the case tests

ARABIC_THREAT = "سننتقم من مدير الشركة قريبا"


def found(session: Session, user: User, query: str) -> set[str]:
    """Titles of the cases `user` finds with `query`."""
    statement = filtered_cases(session, user, CaseFilters(q=query))
    return {case.title for case in session.scalars(statement)}


@pytest.fixture
def desk(session: Session, staff: dict[str, User]) -> dict[str, Case]:
    """Cases from the canonical story, each findable in its own way."""
    analyst = staff["analyst"]
    group = make_subject(session, "Dawn Vanguard", ["Sons of Dawn"], kind="group")
    make_account(session, group, "dawn_vanguard_media")
    make_account(session, group, "@dawn.vanguard.hq", platform="Instaphoto")
    loner = make_subject(session, "Unknown poster")
    loner_account = make_account(session, loner, "crosshair_lens")
    cases = {
        "workforce": make_case(session, analyst, "Call to kill the workforce"),
        "ceo": make_case(session, analyst, "CEO named by the group", subject_ids=[group.id]),
        "photo": make_case(session, analyst, "Doctored photo of the co-founder"),
        "quiet": make_case(session, analyst, "Letter about parking"),
    }
    make_threat(session, cases["workforce"], ARABIC_THREAT, language="ar")
    make_threat(session, cases["photo"], "Image posted.", account_id=loner_account.id)
    make_threat(session, cases["quiet"], "Ring +44 7700-900123 before 2025-05-01 or else.")
    session.commit()
    return cases


# Each query, and the titles of the cases it finds.
QUERIES = [
    ("سننتقم", {"Call to kill the workforce"}),  # a word of an Arabic threat
    ("الشركة", {"Call to kill the workforce"}),
    ("سننت", {"Call to kill the workforce"}),  # an Arabic prefix
    ("dawn_vanguard_media", {"CEO named by the group"}),  # an account of a linked subject
    ("dawn_vang", {"CEO named by the group"}),  # a handle prefix
    ("crosshair_lens", {"Doctored photo of the co-founder"}),  # a threat's account
    ("crossh", {"Doctored photo of the co-founder"}),
    ("@dawn.vanguard.hq", {"CEO named by the group"}),  # a dotted handle
    ("dawn.vangu", {"CEO named by the group"}),
    ("vanguard.hq", {"CEO named by the group"}),
    ("900123", {"Letter about parking"}),  # numbers in a threat text
    ("+44", {"Letter about parking"}),
    ("2025-05", {"Letter about parking"}),
    ("Sons of Dawn", {"CEO named by the group"}),  # a subject alias
    ("Vanguard", {"CEO named by the group"}),  # the subject's name
    ("Doctored photo", {"Doctored photo of the co-founder"}),  # the case title
    ("doctored", {"Doctored photo of the co-founder"}),  # any case
    ("workforce", {"Call to kill the workforce"}),
    ("posted", {"Doctored photo of the co-founder"}),  # a Latin threat text
    ("Doctored parking", set()),  # every word must match
    ("nothing-like-this", set()),
]


def test_a_case_is_found_by_what_it_holds(
    session: Session, staff: dict[str, User], desk: dict[str, Case]
) -> None:
    """One desk for every query (building it per query would slow the suite down); every
    wrong answer is reported at once."""
    wrong = {
        query: found(session, staff["analyst"], query)
        for query, titles in QUERIES
        if found(session, staff["analyst"], query) != titles
    }
    assert wrong == {}


def test_a_case_is_found_by_its_reference_or_the_number_in_it(
    session: Session, staff: dict[str, User], desk: dict[str, Case]
) -> None:
    ref = desk["quiet"].ref
    number = ref.rsplit("-", 1)[1]
    for query in (ref, ref.lower(), number, f"{ref[:8]} {number}"):
        assert found(session, staff["analyst"], query) == {"Letter about parking"}, query


def test_glued_tokens_are_indexed_with_their_words_as_well() -> None:
    assert searchable("TA-2026-0004\nLetter") == "TA-2026-0004\nLetter\nTA 2026 0004"
    assert searchable("call +44 or @sons.of.dawn!") == (
        "call +44 or @sons.of.dawn!\n44\nsons of dawn"
    )
    assert searchable("plain words, «سننتقم» @dawn_v2") == "plain words, «سننتقم» @dawn_v2"


def test_query_syntax_is_never_passed_through_to_the_database(
    session: Session, staff: dict[str, User], desk: dict[str, Case]
) -> None:
    queries = ['"', "*", "'; DROP TABLE cases; --", "NEAR(a b)", "a:* & !b | c", "()", "!!!"]
    for query in queries:
        assert found(session, staff["lead"], query) == set(), query
    assert found(session, staff["lead"], 'parking" OR "dawn') == set()
    assert found(session, staff["lead"], "parking:*") == {"Letter about parking"}
    # A blank query is no search at all: the whole list.
    assert found(session, staff["lead"], "  ") == {case.title for case in desk.values()}


def test_search_terms_are_the_words_of_the_query_in_any_script() -> None:
    assert search_terms("«سننتقم» @dawn_v2, CEO!") == ["سننتقم", "dawn_v2", "CEO"]
    assert search_terms("!!! ---") == []
    assert len(search_terms(" ".join(f"w{n}" for n in range(30)))) == 12


# Reindexing --------------------------------------------------------------------------------


def test_editing_a_threat_reindexes_it(
    session: Session, staff: dict[str, User], desk: dict[str, Case]
) -> None:
    case = desk["photo"]
    threat = session.scalars(select(Threat).where(Threat.case_id == case.id)).one()
    edit_threat(
        session,
        SYSTEM,
        case,
        threat,
        threat_details(
            "Crosshairs drawn on her face.",
            occurred_at=threat.occurred_at,
            account_id=threat.account_id,
        ),
    )
    session.commit()
    analyst = staff["analyst"]
    assert found(session, analyst, "posted") == set()
    assert found(session, analyst, "crosshairs") == {"Doctored photo of the co-founder"}


def test_editing_a_case_title_reindexes_it(
    session: Session, staff: dict[str, User], desk: dict[str, Case]
) -> None:
    case = desk["quiet"]
    update_case(session, SYSTEM, case, CaseDetails(title="Letter about the garage"), None)
    session.commit()
    analyst = staff["analyst"]
    assert found(session, analyst, "parking") == set()
    assert found(session, analyst, "garage") == {"Letter about the garage"}


def test_removing_an_alias_reindexes_the_subject(
    session: Session, staff: dict[str, User], desk: dict[str, Case]
) -> None:
    group = desk["ceo"].subjects[0]
    update_subject(
        session,
        SYSTEM,
        group,
        SubjectDetails(name="Dawn Vanguard", kind="group", aliases=["Banner of Dawn"]),
    )
    session.commit()
    analyst = staff["analyst"]
    assert found(session, analyst, "Sons") == set()
    assert found(session, analyst, "Banner") == {"CEO named by the group"}


def test_after_a_merge_the_merged_subjects_names_and_handles_find_the_survivors_cases(
    session: Session, staff: dict[str, User], desk: dict[str, Case]
) -> None:
    group = desk["ceo"].subjects[0]
    offshoot = make_subject(session, "Dawnfire Collective")
    make_account(session, offshoot, "dawnfire_new")
    session.commit()
    assert found(session, staff["analyst"], "Dawnfire") == set()

    merge_subjects(session, SYSTEM, group, offshoot)
    session.commit()
    assert found(session, staff["analyst"], "Dawnfire Collective") == {"CEO named by the group"}
    assert found(session, staff["analyst"], "dawnfire_new") == {"CEO named by the group"}


def test_every_indexed_object_has_exactly_one_document(
    session: Session, desk: dict[str, Case]
) -> None:
    kinds = session.scalars(select(SearchDocument.kind)).all()
    assert sorted(kinds).count("case") == 4
    assert sorted(kinds).count("threat") == 3
    assert sorted(kinds).count("subject") == 2
    assert sorted(kinds).count("account") == 3


# Visibility --------------------------------------------------------------------------------


def test_a_restricted_case_is_found_only_by_its_owner_members_and_leads(
    session: Session, staff: dict[str, User]
) -> None:
    owner = add_user(session, "owen", "analyst")
    add_user(session, "mona", "analyst")
    secret = make_case(session, owner, "Insider leak", restricted=True, members=["mona"])
    make_threat(session, secret, "سننتقم من الجميع")
    session.commit()

    def finds(username: str) -> bool:
        user = session.scalars(select(User).where(User.username == username)).one()
        return found(session, user, "سننتقم") == {"Insider leak"}

    assert finds("owen") and finds("mona") and finds("lead") and finds("admin")
    assert not finds("analyst")
    assert not finds("viewer")
