"""Finding images derived from one another: a multi-index lookup on pHash bands, then the
exact Hamming distance on the few candidates (never a scan of every stored hash)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from casemgr.auth.models import User
from casemgr.auth.permissions import visible_case_condition
from casemgr.cases.models import Case
from casemgr.evidence.forensics import band_neighbours, hamming, hash_bands
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


def near_images(
    session: Session, phash: str, dhash: str | None, threshold: int, exclude_id: int | None = None
) -> list[NearMatch]:
    """Stored images whose pHash is within `threshold` of `phash`, nearest first. Two hashes
    within T differ by at most T // 4 in one of their four bands, so looking up each band's
    neighbours within that radius finds every match."""
    radius = min(threshold // 4, 3)
    conditions = [
        column.in_(band_neighbours(band, radius))
        for column, band in zip(BAND_COLUMNS, hash_bands(phash), strict=True)
    ]
    statement = select(EvidenceItem.id, EvidenceItem.phash, EvidenceItem.dhash).where(
        or_(*conditions)
    )
    if exclude_id is not None:
        statement = statement.where(EvidenceItem.id != exclude_id)
    matches = []
    for item_id, other_phash, other_dhash in session.execute(statement):
        distance = hamming(phash, other_phash)
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
