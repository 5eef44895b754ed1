"""Keeps the search documents in step with every flush, whatever service made the change."""

from __future__ import annotations

import functools
import re
from typing import Any

from sqlalchemy import Insert, delete, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from casemgr.cases.models import Case
from casemgr.people.models import Account, Subject, SubjectAlias
from casemgr.search.models import SearchDocument
from casemgr.threats.models import Threat

_WORD = re.compile(r"\w+")
# A signed number, or words glued by punctuation: "-2026", "+44", "dawn.vanguard".
_GLUED = re.compile(r"(?:[+\-]|\w[^\w\s]+)\w")


def searchable(text: str) -> str:
    """`text` plus the separate words of its glued tokens. PostgreSQL's parser keeps such a
    token whole ("TA-2026-0004" gives '-2026', "dawn.vanguard" one host name) where a query
    and SQLite see words, so without them a reference or a dotted handle is not found."""
    glued = [" ".join(_WORD.findall(chunk)) for chunk in text.split() if _GLUED.search(chunk)]
    return "\n".join([text, *glued]) if glued else text


def _document(obj: object) -> dict[str, Any] | None:
    """The search document of a model instance, or None for types that are not indexed."""
    if isinstance(obj, Case):
        return {
            "kind": "case",
            "object_id": obj.id,
            "case_id": obj.id,
            "subject_id": None,
            "body": f"{obj.ref}\n{obj.title}\n{obj.summary}",
        }
    if isinstance(obj, Threat):
        return _threat_document(obj.id, obj.case_id, obj.text, obj.translation)
    if isinstance(obj, Subject):
        names = "\n".join([obj.name, *(alias.alias for alias in obj.aliases)])
        return {
            "kind": "subject",
            "object_id": obj.id,
            "case_id": None,
            "subject_id": obj.id,
            "body": names,
        }
    if isinstance(obj, Account):
        return {
            "kind": "account",
            "object_id": obj.id,
            "case_id": None,
            "subject_id": obj.subject_id,
            "body": f"{obj.handle}\n{obj.platform}",
        }
    return None


def _threat_document(threat_id: int, case_id: int, text: str, translation: str) -> dict[str, Any]:
    return {
        "kind": "threat",
        "object_id": threat_id,
        "case_id": case_id,
        "subject_id": None,
        "body": f"{text}\n{translation}",
    }


def index_threats(session: Session, threats: list[dict[str, Any]]) -> None:
    """Index threats written as rows rather than objects (a feed's bulk insert), which no
    flush sees: each a dict with the threat's id, case_id, text and translation."""
    documents = [
        _threat_document(row["id"], row["case_id"], row["text"], row["translation"])
        for row in threats
    ]
    if documents:
        _upsert(session, documents)


@functools.cache
def _upsert_statement(dialect: str) -> Insert:
    """One statement per dialect, run with a list of parameter sets: compiled once and
    cached, where values inlined in the statement made a new one to compile every flush."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SearchDocument)
    return statement.on_conflict_do_update(
        index_elements=["kind", "object_id"],
        set_={name: statement.excluded[name] for name in ("case_id", "subject_id", "body")},
    )


def _upsert(session: Session, documents: list[dict[str, Any]]) -> None:
    """Write the documents, each body made `searchable` first."""
    for document in documents:
        document["body"] = searchable(document["body"])
    statement = _upsert_statement(session.get_bind().dialect.name)
    session.connection().execute(statement, documents)


# What each document is made from. A changed object is indexed again only when one of these
# changed: every write to a case touches it, and an account added changes its subject's list.
_SOURCES: dict[type, tuple[str, ...]] = {
    Case: ("ref", "title", "summary"),
    Threat: ("case_id", "text", "translation"),
    Subject: ("name", "aliases"),
    Account: ("subject_id", "subject", "handle", "platform"),
}


def _source_changed(obj: object) -> bool:
    names = _SOURCES.get(type(obj))
    if names is None:
        return True  # not indexed itself (an alias counts for its subject, below)
    attributes = inspect(obj).attrs
    return any(attributes[name].history.has_changes() for name in names)


@event.listens_for(Session, "after_flush")
def _reindex(session: Session, flush_context: Any) -> None:
    changed = list(session.new) + [obj for obj in session.dirty if _source_changed(obj)]
    # An alias belongs to its subject's document.
    changed += [alias.subject for alias in changed if isinstance(alias, SubjectAlias)]
    changed += [
        alias.subject
        for alias in session.deleted
        if isinstance(alias, SubjectAlias) and alias.subject not in session.deleted
    ]
    documents = {}
    for obj in changed:
        document = _document(obj)
        if document is not None:
            documents[(document["kind"], document["object_id"])] = document
    if documents:
        _upsert(session, list(documents.values()))
    for obj in session.deleted:
        document = _document(obj)
        if document is not None:
            session.connection().execute(
                delete(SearchDocument).where(
                    SearchDocument.kind == document["kind"],
                    SearchDocument.object_id == document["object_id"],
                )
            )
