"""The search page's results: the newest hits a user may see, capped, and what they lead to.

A search lists at most `limit` hits. A word in many documents would otherwise make the
database read every one of them (on PostgreSQL, a heap page per few hits); with the cap
and the newest first it reads the documents backwards by id and stops at `limit + 1`
matches, the extra one telling the page to ask for more words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Row, Subquery, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from casemgr.auth.models import User
from casemgr.auth.permissions import visible_case_condition
from casemgr.cases.listing import SORT_ORDERS, CaseFilters, filtered_cases
from casemgr.cases.models import Case
from casemgr.people.models import Subject
from casemgr.people.visibility import visible_subject_condition
from casemgr.search.models import SearchDocument
from casemgr.search.query import cases_holding, newest_matching_documents, search_terms
from casemgr.threats.models import Threat


@dataclass(frozen=True)
class SearchResults:
    """What a search lists; `more` when there were more than `limit` hits (or cases they
    lead to), of which only the newest are listed."""

    limit: int
    more: bool = False
    cases: Sequence[Case] = ()
    threats: Sequence[Row[tuple[Threat, str]]] = ()
    subjects: Sequence[Subject] = ()


_HIT_COLUMNS = (
    SearchDocument.id,
    SearchDocument.kind,
    SearchDocument.object_id,
    SearchDocument.case_id,
    SearchDocument.subject_id,
)


def _visible(documents: Subquery, user: User) -> ColumnElement[bool]:
    """Whether `user` may see a document's case (of a case or threat) or subject (of a
    subject or account)."""
    case_visible = exists().where(Case.id == documents.c.case_id, visible_case_condition(user))
    subject_visible = exists().where(
        Subject.id == documents.c.subject_id, visible_subject_condition(user)
    )
    return or_(case_visible, subject_visible)


def newest_hits(session: Session, user: User, query: str, limit: int) -> list[Row] | None:
    """Id, kind, object, case and subject of the `limit` newest documents (the last
    indexed) matching `query` that `user` may see, newest first; None for a query without
    words. Visibility counts before the cap, so neither the hits nor the note that there
    are more tell of a restricted case."""
    terms = search_terms(query)
    if not terms:
        return None
    # The match alone, capped, is what stops early (with the visibility rules in the same
    # query PostgreSQL read every hit); batches grow while hidden documents fill them.
    hits: list[Row] = []
    batch, before = limit, None
    while True:
        newest = newest_matching_documents(session, terms, batch, before)
        page = newest.with_only_columns(*_HIT_COLUMNS).subquery()
        rows = session.execute(
            select(page, _visible(page, user).label("visible")).order_by(page.c.id.desc())
        ).all()
        hits += [row for row in rows if row.visible]
        if len(hits) >= limit or len(rows) < batch:
            return hits[:limit]
        batch, before = batch * 4, rows[-1].id


def _cases_led_to(session: Session, user: User, hits: Sequence[Row], limit: int) -> Sequence[Case]:
    """Up to `limit` + 1 cases the hits lead to, last updated first (as the case list): a
    subject on many cases leads to more cases than there are hits."""
    matching = cases_holding(
        {hit.case_id for hit in hits if hit.case_id is not None},
        {hit.subject_id for hit in hits if hit.subject_id is not None},
        [hit.object_id for hit in hits if hit.kind == "account"],
    )
    # A hit shows no owner, protectees or subjects, so none are loaded (as sorted_cases would).
    statement = filtered_cases(session, user, CaseFilters()).where(matching)
    return session.scalars(statement.order_by(*SORT_ORDERS["updated"]).limit(limit + 1)).all()


def search(session: Session, user: User, query: str, limit: int) -> SearchResults:
    """The cases, threats and subjects that the newest `limit` hits of `query` lead to,
    among those `user` may see. A query without words finds nothing."""
    hits = newest_hits(session, user, query, limit + 1)
    if hits is None:
        return SearchResults(limit)
    more, hits = len(hits) > limit, hits[:limit]
    cases = _cases_led_to(session, user, hits, limit)
    threats = session.execute(
        select(Threat, Case.ref)
        .join(Case, Case.id == Threat.case_id)
        .where(
            Threat.id.in_([hit.object_id for hit in hits if hit.kind == "threat"]),
            visible_case_condition(user),
        )
        .order_by(Threat.occurred_at.desc())
    ).all()
    subjects = session.scalars(
        select(Subject)
        .where(
            Subject.id.in_({hit.subject_id for hit in hits if hit.subject_id is not None}),
            visible_subject_condition(user),
        )
        .options(selectinload(Subject.accounts), selectinload(Subject.aliases))
        .order_by(Subject.name)
    ).all()
    return SearchResults(limit, more or len(cases) > limit, cases[:limit], threats, subjects)
