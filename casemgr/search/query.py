"""Full-text matching over the search documents, on each database's own index."""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    case,
    column,
    false,
    func,
    or_,
    select,
    table,
    text,
    union,
)
from sqlalchemy.orm import Session

from casemgr.cases.models import Case, case_subjects
from casemgr.search.models import SearchDocument
from casemgr.threats.models import Threat

_WORD = re.compile(r"\w+")
MAX_TERMS = 12
# On PostgreSQL the newest hits are first looked for among this many newest documents.
RECENT_DOCUMENTS = 20_000
_FTS = table("search_fts", column("rowid", Integer))  # SQLite's FTS5 table (the migration's)

# Ids of cases, subjects or accounts: a subquery's single column, or ids already fetched.
Ids = Select[tuple[int]] | Collection[int]


def search_terms(query: str) -> list[str]:
    """The words of a query, in any script; punctuation and operators are dropped."""
    return _WORD.findall(query)[:MAX_TERMS]


def _tsvector_match(terms: list[str]) -> ColumnElement[bool]:
    """Every term, each as a prefix, on PostgreSQL's GIN-indexed tsvector. The query is
    written into the statement, quoted, rather than sent apart: a statement the driver
    prepares after a few runs would otherwise get one plan for every word, and the walk
    that suits a common word is the wrong plan for a rare one."""
    query = bindparam("terms", " & ".join(f"{term}:*" for term in terms), literal_execute=True)
    return text("search_documents.body_tsv @@ to_tsquery('simple', :terms)").bindparams(query)


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
        return _newest_on_postgresql(terms, limit, before)
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
    terms: list[str], limit: int, before: int | None
) -> Select[tuple[SearchDocument]]:
    """`newest_matching_documents` on PostgreSQL: the primary key walked backwards through
    the RECENT_DOCUMENTS newest documents; when they hold fewer than `limit` matches, every
    match from the GIN index instead, sorted.

    Left to itself, the planner walks as far as it takes for a word it deems common, on the
    assumption that its matches are spread evenly; a word found only in old documents (a
    platform named on accounts added years ago) is then walked to through every newer
    document (0.3 s at 1,500,000). Bounded, the walk costs a few milliseconds, and the sort
    costs what the word's matches do (30-45 ms for 37,000)."""
    match = [_tsvector_match(terms)]
    if before is not None:
        match.append(SearchDocument.id < before)
    newest_id = select(func.max(SearchDocument.id)).scalar_subquery()
    top = before if before is not None else newest_id + 1
    recent = (
        select(SearchDocument.id)
        .where(*match, SearchDocument.id >= top - RECENT_DOCUMENTS)
        .order_by(SearchDocument.id.desc())
        .limit(limit)
        .cte("recent")
    )
    # One statement either way: the sorted matches are read only when the walk fell short.
    # Their limit says so (0 otherwise), checked before anything is read; a condition in
    # the WHERE clause would still start the parallel workers of a large sort.
    found_recent = select(func.count()).select_from(recent).scalar_subquery()
    # Ordered by id + 0, the matches cannot be walked to by the primary key.
    every = select(SearchDocument.id).where(*match).order_by((SearchDocument.id + 0).desc())
    every = every.limit(case((found_recent < limit, limit), else_=0))
    found = union(select(recent.c.id), every).subquery()
    newest = select(found.c.id).order_by(found.c.id.desc()).limit(limit)
    return (
        select(SearchDocument)
        .where(SearchDocument.id.in_(newest))
        .order_by(SearchDocument.id.desc())
    )


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
