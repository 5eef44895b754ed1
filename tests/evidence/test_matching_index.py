"""The near-image lookup: the same answer as a full scan, found through the band indexes."""

from __future__ import annotations

import random

from flask import Flask
from sqlalchemy import insert, text

from casemgr.audit.log import SYSTEM
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.evidence.forensics import hamming, hash_bands
from casemgr.evidence.matching import band_candidates, near_images
from casemgr.evidence.models import PHASH_BANDS, EvidenceItem
from casemgr.extensions import db

STORED = 3000


def flip_bits(value: str, count: int, rnd: random.Random) -> str:
    number = int(value, 16)
    for bit in rnd.sample(range(64), count):
        number ^= 1 << bit
    return f"{number:016x}"


def store_hashes(app: Flask, hashes: list[str]) -> None:
    with app.app_context():
        case = create_case(db.session, SYSTEM, None, CaseDetails(title="Many images"))
        rows = []
        for number, phash in enumerate(hashes):
            bands = dict(
                zip(
                    ("phash_b0", "phash_b1", "phash_b2", "phash_b3"), hash_bands(phash), strict=True
                )
            )
            rows.append(
                {
                    "kind": "evidence",
                    "case_id": case.id,
                    "sha256": f"{number:064x}",
                    "size": 1,
                    "mime": "image/png",
                    "phash": phash,
                    **bands,
                }
            )
        db.session.execute(insert(EvidenceItem), rows)
        db.session.commit()


def test_lookup_finds_exactly_what_a_full_scan_finds(app: Flask) -> None:
    rnd = random.Random(7)
    hashes = [f"{rnd.getrandbits(64):016x}" for _ in range(STORED)]
    probe = hashes[123]
    hashes += [flip_bits(probe, distance, rnd) for distance in (1, 4, 7, 10, 11, 14)]
    store_hashes(app, hashes)
    with app.app_context():
        for threshold in (4, 10, 15):
            found = {m.phash_distance for m in near_images(db.session, probe, None, threshold)}
            expected = {
                hamming(probe, other) for other in hashes if hamming(probe, other) <= threshold
            }
            assert found == expected


def test_lookup_uses_the_band_indexes(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return  # PostgreSQL chooses its plan by table statistics; SQLite's is stable
        statement = band_candidates(db.session, "0123456789abcdef", 2, exclude_id=5)
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    details = " ".join(str(row[-1]) for row in plan)
    for band in ("phash_b0", "phash_b1", "phash_b2", "phash_b3"):
        assert f"ix_evidence_items_{band}" in details
    assert "SCAN evidence_items" not in details


def test_lookup_finds_the_images_a_bulk_writer_has_not_flushed(app: Flask) -> None:
    rnd = random.Random(11)
    probe = f"{rnd.getrandbits(64):016x}"
    store_hashes(app, [flip_bits(probe, 3, rnd)])
    with app.app_context():
        case = create_case(db.session, SYSTEM, None, CaseDetails(title="Unwritten images"))
        db.session.flush()
        # Ids handed out by the writer, as the data generator does: nothing needs a flush,
        # and the generator's session does not flush before its queries.
        for item_id, distance in ((900, 2), (901, 12)):
            phash = flip_bits(probe, distance, rnd)
            bands = zip(PHASH_BANDS, hash_bands(phash), strict=True)
            db.session.add(
                EvidenceItem(
                    id=item_id,
                    kind="evidence",
                    case_id=case.id,
                    sha256=f"{item_id:064x}",
                    size=1,
                    mime="image/png",
                    phash=phash,
                    **dict(bands),
                )
            )
        with db.session.no_autoflush:
            found = near_images(db.session, probe, None, 10)
        assert [(match.item_id, match.phash_distance) for match in found] == [(900, 2), (1, 3)]
        assert all(item.id in (900, 901) for item in db.session.new)  # still unwritten
