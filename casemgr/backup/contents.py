"""What a database snapshot holds, read through plain SQL so that the same function reads a
backup file, a transaction pinned to a snapshot, or a restored database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Executable, func, select, table, union
from sqlalchemy.dialects import postgresql, sqlite

from casemgr.briefings.models import Briefing
from casemgr.evidence.models import EvidenceItem

# Runs one SQL statement without parameters; returns its rows.
Query = Callable[[str], Sequence[Sequence[Any]]]

TABLES_SQL = {
    "sqlite": (
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ),
    "postgresql": (
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    ),
}
DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}
# The columns naming files in the evidence store: evidence items and generated briefings.
STORE_REFERENCES = (EvidenceItem.__table__.c.sha256, Briefing.__table__.c.sha256)


@dataclass(frozen=True)
class DatabaseContents:
    alembic_revision: str | None
    row_counts: dict[str, int]
    store_files: list[str]  # the SHA-256 of every store file a row refers to


def read_contents(kind: str, query: Query) -> DatabaseContents:
    """Row counts of every table, the Alembic revision and the store files referred to."""
    tables = [row[0] for row in query(TABLES_SQL[kind])]
    counts = {
        name: int(query(_sql(kind, select(func.count()).select_from(table(name))))[0][0])
        for name in tables
    }
    revision = None
    if "alembic_version" in tables:
        revision = next(iter(query("SELECT version_num FROM alembic_version")), [None])[0]
    selects = [select(column) for column in STORE_REFERENCES if column.table.name in tables]
    hashes = {row[0] for row in query(_sql(kind, union(*selects)))} if selects else set()
    return DatabaseContents(revision, counts, sorted(hashes))


def _sql(kind: str, statement: Executable) -> str:
    """SQL text with identifiers quoted the way the database wants."""
    return str(statement.compile(dialect=DIALECTS[kind]))


def connection_query(connection: Connection) -> Query:
    return lambda sql: connection.exec_driver_sql(sql).all()
