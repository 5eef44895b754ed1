"""Case references, TA-YYYY-NNNN, allocated atomically even when cases are opened at once."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

_NEXT_NUMBER = text(
    "INSERT INTO case_sequences (year, last_number) VALUES (:year, 1) "
    "ON CONFLICT (year) DO UPDATE SET last_number = case_sequences.last_number + 1 "
    "RETURNING last_number"
)


def format_reference(year: int, number: int) -> str:
    return f"TA-{year}-{number:04d}"


def allocate_reference(session: Session, year: int) -> str:
    """The next reference of `year`. The upsert takes the row's write lock, so concurrent
    transactions get distinct numbers on PostgreSQL and SQLite alike."""
    number = session.execute(_NEXT_NUMBER, {"year": year}).scalar_one()
    return format_reference(year, number)
