"""Finding images derived from one another: a multi-index lookup on pHash bands, then the
exact Hamming distance on the few candidates (never a scan of every stored hash)."""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CompoundSelect,
    Integer,
    String,
    any_,
    bindparam,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from casemgr.auth.models import User
from casemgr.auth.permissions import visible_case_condition
from casemgr.cases.models import Case
from casemgr.evidence.forensics import band_neighbours, hamming, hash_bands, hash_value
from casemgr.evidence.models import EvidenceItem, EvidenceMatch

BAND_COLUMNS = (
    EvidenceItem.phash_b0,
    EvidenceItem.phash_b1,
    EvidenceItem.phash_b2,
    EvidenceItem.phash_b3,
)


@dataclass(frozen=True)
class NearMatch:
    item_id: int
    phash_distance: int
    dhash_distance: int | None


def _band_condition(
    dialect: str, column: InstrumentedAttribute[int | None], name: str
) -> ColumnElement[bool]:
    # One parameter, not hundreds of bound values: rendering and sending an IN list of 137
    # (radius 2) or 697 (radius 3) values cost more than the query itself.
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    listed = func.json_each(bindparam(name, type_=String())).table_valued("value")
    return column.in_(select(listed.c.value))


@functools.cache
def _lookup(dialect: str) -> CompoundSelect:
    """The band lookup with its values left as parameters (`band0`..`band3`, `exclude_id`):
    built once, so each ingest neither builds nor compiles it again (that took longer than
    running it). UNION ALL: an item found in two bands comes twice, and the caller keeps it
    once, cheaper than the database sorting every candidate to drop them."""
    branches = [
        select(EvidenceItem.id, EvidenceItem.phash, EvidenceItem.dhash).where(
            _band_condition(dialect, column, f"band{number}"),
            EvidenceItem.id != bindparam("exclude_id"),
        )
        for number, column in enumerate(BAND_COLUMNS)
    ]
    return union_all(*branches)


def _lookup_values(dialect: str, phash: str, radius: int, exclude_id: int | None) -> dict[str, Any]:
    values: dict[str, Any] = {"exclude_id": exclude_id or 0}  # ids start at 1: 0 excludes none
    for number, band in enumerate(hash_bands(phash)):
        neighbours = band_neighbours(band, radius)
        # An array on PostgreSQL; on SQLite, a JSON list that json_each reads.
        values[f"band{number}"] = neighbours if dialect == "postgresql" else json.dumps(neighbours)
    return values


def band_candidates(
    session: Session, phash: str, radius: int, exclude_id: int | None
) -> CompoundSelect:
    """Items sharing a band with `phash` within `radius`, as a statement with its values
    bound: one indexed lookup per band, unioned (an item once per band it shares). Written
    as one OR of the four, PostgreSQL's planner chose to scan the whole table below about
    100,000 items (36 ms a lookup at 50,000, against 4 ms this way)."""
    dialect = session.get_bind().dialect.name
    return _lookup(dialect).params(_lookup_values(dialect, phash, radius, exclude_id))


def _unwritten(session: Session) -> Iterator[tuple[int, str, str | None]]:
    """The images added to the session and not yet flushed, with their ids (a bulk writer
    that hands ids out itself flushes many items at once; any other item lacking an id
    was flushed for it, see flush_for_id)."""
    for row in session.new:
        if isinstance(row, EvidenceItem) and row.phash and row.id is not None:
            yield row.id, row.phash, row.dhash


def near_images(session: Session, phash: str, dhash: str | None, threshold: int) -> list[NearMatch]:
    """Stored images whose pHash is within `threshold` of `phash`, nearest first, those
    added in this session and not yet written included. Two hashes within T differ by at
    most T // 4 in one of their four bands, so looking up each band's neighbours within
    that radius finds every match."""
    radius = min(threshold // 4, 3)
    matches = []
    dialect = session.get_bind().dialect.name
    stored = session.execute(_lookup(dialect), _lookup_values(dialect, phash, radius, None))
    probe, seen = hash_value(phash), set()
    for item_id, other_phash, other_dhash in itertools.chain(stored, _unwritten(session)):
        if item_id in seen:
            continue
        seen.add(item_id)
        # Stored hashes were checked when written: the probe alone is parsed with checks.
        distance = (probe ^ int(other_phash, 16)).bit_count()
        if distance <= threshold:
            dhash_distance = hamming(dhash, other_dhash) if dhash and other_dhash else None
            matches.append(NearMatch(item_id, distance, dhash_distance))
    return sorted(matches, key=lambda match: (match.phash_distance, match.item_id))


def visible_match_counts(session: Session, item_ids: list[int], user: User) -> dict[int, int]:
    """How many near matches each item has, either way round, counting only items the
    user may see (reference photos, and evidence on cases visible to them)."""
    counts: dict[int, int] = {}
    for own, other in (
        (EvidenceMatch.evidence_id, EvidenceMatch.matched_id),
        (EvidenceMatch.matched_id, EvidenceMatch.evidence_id),
    ):
        other_item = aliased(EvidenceItem)
        rows = session.execute(
            select(own, func.count())
            .join(other_item, other_item.id == other)
            .outerjoin(Case, Case.id == other_item.case_id)
            .where(
                own.in_(item_ids), or_(other_item.case_id.is_(None), visible_case_condition(user))
            )
            .group_by(own)
        )
        for item_id, count in rows:
            counts[item_id] = counts.get(item_id, 0) + count
    return counts
