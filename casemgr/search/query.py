"""Full-text matching over the search documents, on each database's own index."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Integer, Select, column, false, or_, select, text
from sqlalchemy.orm import Session

from casemgr.cases.models import Case, case_subjects
from casemgr.search.models import SearchDocument
from casemgr.threats.models import Threat

_WORD = re.compile(r"\w+")
MAX_TERMS = 12


def search_terms(query: str) -> list[str]:
    """The words of a query, in any script; punctuation and operators are dropped."""
    return _WORD.findall(query)[:MAX_TERMS]


def matching_documents(session: Session, query: str) -> Select[tuple[SearchDocument]] | None:
    """Documents holding every word of `query` (each as a prefix), or None for no words."""
    terms = search_terms(query)
    if not terms:
        return None
    if session.get_bind().dialect.name == "postgresql":
        condition = text("search_documents.body_tsv @@ to_tsquery('simple', :terms)").bindparams(
            terms=" & ".join(f"{term}:*" for term in terms)
        )
        return select(SearchDocument).where(condition)
    fts = text("SELECT rowid FROM search_fts WHERE search_fts MATCH :terms").bindparams(
        terms=" ".join(f'"{term}"*' for term in terms)
    )
    return select(SearchDocument).where(
        SearchDocument.id.in_(fts.columns(column("rowid", Integer)))
    )


def cases_matching(session: Session, query: str) -> ColumnElement[bool]:
    """A condition on Case: its title or threats match, or a linked subject, alias or
    account does, or a threat came from a matching account."""
    documents = matching_documents(session, query)
    if documents is None:
        return false()
    hits = documents.subquery()
    by_subject = select(case_subjects.c.case_id).where(
        case_subjects.c.subject_id.in_(
            select(hits.c.subject_id).where(hits.c.subject_id.is_not(None))
        )
    )
    by_account = select(Threat.case_id).where(
        Threat.account_id.in_(select(hits.c.object_id).where(hits.c.kind == "account"))
    )
    return or_(
        Case.id.in_(select(hits.c.case_id).where(hits.c.case_id.is_not(None))),
        Case.id.in_(by_subject),
        Case.id.in_(by_account),
    )
