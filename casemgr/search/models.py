"""One searchable document per case, threat, subject and account.

The full-text index over `body` is the database's own: an FTS5 table on SQLite, a
`tsvector` column with a GIN index on PostgreSQL (both made by the migration).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.db import one_of
from casemgr.extensions import db

DOCUMENT_KINDS = ("case", "threat", "subject", "account")

# Objects the migration makes for one database only; schema comparison leaves them out.
DATABASE_SPECIFIC = frozenset({"search_fts", "body_tsv", "ix_search_documents_body_tsv"})


class SearchDocument(db.Model):
    __tablename__ = "search_documents"
    __table_args__ = (UniqueConstraint("kind", "object_id"), one_of("kind", DOCUMENT_KINDS))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[int]
    # What a hit leads to: the case of a case or threat, the subject of a subject or account.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), index=True)
    body: Mapped[str] = mapped_column(Text)


def include_in_schema_comparison(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's include_object hook: skip the per-database full-text objects."""
    return not (name and (name in DATABASE_SPECIFIC or name.startswith("search_fts_")))
