"""Full-text matching over the search documents, on each database's own index."""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy import ColumnElement, Integer, Select, column, false, or_, select, table, text
from sqlalchemy.orm import Session

from casemgr.cases.models import Case, case_subjects
from casemgr.search.models import SearchDocument
from casemgr.threats.models import Threat

_WORD = re.compile(r"\w+")
MAX_TERMS = 12
# Fewer matches than this are all read and sorted on PostgreSQL; more are walked newest first.
FEW_MATCHES = 2000
_FTS = table("search_fts", column("rowid", Integer))  # SQLite's FTS5 table (the migration's)

# Ids of cases, subjects or accounts: a subquery's single column, or ids already fetched.
Ids = Select[tuple[int]] | Collection[int]


def search_terms(query: str) -> list[str]:
    """The words of a query, in any script; punctuation and operators are dropped."""
    return _WORD.findall(query)[:MAX_TERMS]


def _tsvector_match(terms: list[str]) -> ColumnElement[bool]:
    """Every term, each as a prefix, on PostgreSQL's GIN-indexed tsvector."""
    return text("search_documents.body_tsv @@ to_tsquery('simple', :terms)").bindparams(
        terms=" & ".join(f"{term}:*" for term in terms)
    )


def _fts_rowids(terms: list[str]) -> Select[tuple[int]]:
    """Ids of the documents holding every term, each as a prefix, from SQLite's FTS5 table."""
    match = text("search_fts MATCH :terms").bindparams(
        terms=" ".join(f'"{term}"*' for term in terms)
    )
    return select(_FTS.c.rowid).where(match)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def matching_documents(session: Session, query: str) -> Select[tuple[SearchDocument]] | None:
    """Documents holding every word of `query` (each as a prefix), or None for no words."""
    terms = search_terms(query)
    if not terms:
        return None
    if _is_postgresql(session):
        return select(SearchDocument).where(_tsvector_match(terms))
    return select(SearchDocument).where(SearchDocument.id.in_(_fts_rowids(terms)))


def newest_matching_documents(
    session: Session, terms: list[str], limit: int, before: int | None = None
) -> Select[tuple[SearchDocument]]:
    """The `limit` newest documents (the last indexed) holding every one of `terms` (each
    as a prefix), below id `before` when given, newest first. The database stops at `limit`
    matches instead of reading every one (on PostgreSQL, a heap page per few matches)."""
    if _is_postgresql(session):
        return _newest_on_postgresql(session, terms, limit, before)
    # FTS5 gives its rowids newest first and stops at the limit when the order and the
    # limit are on its own query.
    rowids = _fts_rowids(terms)
    if before is not None:
        rowids = rowids.where(_FTS.c.rowid < before)
    rowids = rowids.order_by(_FTS.c.rowid.desc()).limit(limit)
    return (
        select(SearchDocument)
        .where(SearchDocument.id.in_(rowids))
        .order_by(SearchDocument.id.desc())
    )


def _newest_on_postgresql(
    session: Session, terms: list[str], limit: int, before: int | None
) -> Select[tuple[SearchDocument]]:
    """`newest_matching_documents` on PostgreSQL: for few matches, all of them from the GIN
    index, then the newest; for many, the primary key walked backwards to the `limit`-th.

    Left to itself the planner walks for any word it deems common, and with prefix terms it
    deems even a rare word so: a word found in fewer documents than the cap then walks the
    whole table (0.3 s at 1,500,000 documents). Asking first for at most FEW_MATCHES ids,
    in no order, costs little either way (a common word's are found at once), and tells
    the two cases apart."""
    matching = [_tsvector_match(terms)]
    if before is not None:
        matching.append(SearchDocument.id < before)
    found = session.scalars(select(SearchDocument.id).where(*matching).limit(FEW_MATCHES)).all()
    if len(found) < FEW_MATCHES:
        newest = sorted(found, reverse=True)[:limit]
        matching = [SearchDocument.id.in_(newest)]
    walked = select(SearchDocument).where(*matching).order_by(SearchDocument.id.desc())
    return walked.limit(limit)


def cases_holding(case_ids: Ids, subject_ids: Ids, account_ids: Ids) -> ColumnElement[bool]:
    """A condition on Case: it is one of `case_ids`, or a subject of `subject_ids` is linked
    to it, or it holds a threat from an account of `account_ids`: the cases search hits
    lead to."""
    by_subject = select(case_subjects.c.case_id).where(case_subjects.c.subject_id.in_(subject_ids))
    by_account = select(Threat.case_id).where(Threat.account_id.in_(account_ids))
    return or_(Case.id.in_(case_ids), Case.id.in_(by_subject), Case.id.in_(by_account))


def cases_matching(session: Session, query: str) -> ColumnElement[bool]:
    """A condition on Case: its title or threats match, or a linked subject, alias or
    account does, or a threat came from a matching account. Exact: every hit counts."""
    documents = matching_documents(session, query)
    if documents is None:
        return false()
    hits = documents.subquery()
    return cases_holding(
        select(hits.c.case_id).where(hits.c.case_id.is_not(None)),
        select(hits.c.subject_id).where(hits.c.subject_id.is_not(None)),
        select(hits.c.object_id).where(hits.c.kind == "account"),
    )
