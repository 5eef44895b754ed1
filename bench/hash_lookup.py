"""Perceptual-hash lookup: one new image among 50,000 and 100,000 stored ones, through the
app's own band-index query (`near_images`, as the ingest calls it), side by side with a
brute-force scan of every stored hash in the same process.

Filling: ingesting 100,000 images through the full ingest would take hours (0.6 s for a
1200 x 900 photo), so
the evidence rows are inserted in bulk into a scratch instance (migrated by the real
migrations) on one case made through the case service. Each row carries exactly what the
ingest writes for an image's hashes: the pHash and dHash as 16 lower-case hex digits and
the four band columns from `hash_bands`, the function the ingest uses.

The hashes: one in five is a near copy (1 to 8 bits flipped) of an earlier one, as
re-saved and doctored copies are. The others are, with `--hashes photo` (the default),
look-alikes of real pHashes: the pHash of one of 400 photo-like pictures made with Pillow,
8 to 20 bits flipped. Photos share their low-frequency structure, so their pHashes share
band values more often than random numbers do, and each lookup has more candidates to
check (here about 10% more than with `--hashes uniform`: uniformly random 64-bit values,
the best case for the index). The median count of candidates is reported.

Each lookup is of a new hash: half are copies of a stored one with up to the match
threshold's bits flipped (they must be found), half are unrelated. Two baselines:
`scan` selects every stored hash and compares each in Python (what a lookup without the
index costs), `popcount` compares hashes already held in memory as integers (the floor of
any scan, for an app that kept every hash in memory). Every lookup's answer is checked
against the scan's.

    python -m bench.hash_lookup [--size 50000 100000] [--hashes photo|uniform]
        [--database-url URL] [--sqlite-only]
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from typing import Any

import imagehash
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from bench.briefing_case import photo
from bench.figures import (
    arguments,
    databases,
    percentile,
    print_table,
    ratio,
    spread,
    timed,
    verdict,
)
from bench.scratch import scratch_instance
from casemgr.evidence.forensics import hash_bands
from casemgr.evidence.matching import band_candidates, near_images
from casemgr.evidence.models import EvidenceItem
from casemgr.extensions import db

SIZES = (50_000, 100_000)
LOOKUPS = 200
SCANS = 40  # the scan is slow at 100k; fewer runs still give a steady median
BATCH = 5_000
COPY_SHARE = 0.2
POOL_SIZE = 400
POOL_PHOTO = (240, 180)  # pHash reads a 32 x 32 greyscale copy: the size hardly matters
POOL_SPREAD = (8, 20)  # bits by which a new picture's pHash differs from its look-alike
TARGET_MS = 20.0
SEED = 20260721


def _hex(value: int) -> str:
    return f"{value:016x}"


def _flip(value: int, bits: int, rng: random.Random) -> int:
    """`value` with `bits` distinct bits flipped."""
    for bit in rng.sample(range(64), bits):
        value ^= 1 << bit
    return value


def photo_pool(count: int, seed: int) -> list[int]:
    """Real pHashes (imagehash's, as the ingest takes them) of photo-like pictures."""
    return [
        int(str(imagehash.phash(photo(seed + number, POOL_PHOTO), hash_size=8)), 16)
        for number in range(count)
    ]


def _new_image(pool: list[int], rng: random.Random) -> int:
    """The pHash of a picture unlike any stored: random, or a look-alike of a pool photo."""
    if not pool:
        return rng.getrandbits(64)
    return _flip(rng.choice(pool), rng.randint(*POOL_SPREAD), rng)


def add_hashes(stored: list[int], count: int, pool: list[int], rng: random.Random) -> list[int]:
    """Append `count` pHashes to `stored`, one in five a near copy of an earlier one; the
    ones added."""
    first = len(stored)
    for _ in range(count):
        if stored and rng.random() < COPY_SHARE:
            stored.append(_flip(rng.choice(stored), rng.randint(1, 8), rng))
        else:
            stored.append(_new_image(pool, rng))
    return stored[first:]


def _evidence_row(case_id: int, number: int, phash: int, dhash: int) -> dict[str, Any]:
    """An image item as the ingest leaves it, as far as matching reads it."""
    b0, b1, b2, b3 = hash_bands(_hex(phash))
    return {
        "kind": "evidence",
        "case_id": case_id,
        "sha256": f"{number:064x}",
        "size": 180_000,
        "mime": "image/jpeg",
        "declared_mime": "image/jpeg",
        "original_filename": f"image-{number}.jpg",
        "analysis": "ok",
        "width": 1200,
        "height": 900,
        "image_format": "JPEG",
        "phash": _hex(phash),
        "dhash": _hex(dhash),
        "phash_b0": b0,
        "phash_b1": b1,
        "phash_b2": b2,
        "phash_b3": b3,
    }


def fill(session: Session, case_id: int, phashes: list[int], first: int, seed: int) -> None:
    """Insert one evidence row per pHash, in bulk, numbered from `first`; commits."""
    rng = random.Random(seed + first)  # noqa: S311 - reproducible data, not a secret
    for start in range(0, len(phashes), BATCH):
        rows = [
            _evidence_row(case_id, first + start + offset, phash, rng.getrandbits(64))
            for offset, phash in enumerate(phashes[start : start + BATCH])
        ]
        session.execute(insert(EvidenceItem), rows)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        # Autovacuum would have analysed the table by the time it is this big in real use.
        session.execute(text("ANALYZE evidence_items"))
        session.commit()


def lookups(
    stored: list[int], count: int, threshold: int, pool: list[int], rng: random.Random
) -> list[int]:
    """New pHashes: every other one a copy of a stored hash within `threshold` bits."""
    return [
        _flip(rng.choice(stored), rng.randint(0, threshold), rng)
        if number % 2 == 0
        else _new_image(pool, rng)
        for number in range(count)
    ]


def scan(session: Session, phash: int, threshold: int) -> set[int]:
    """The brute force: every stored pHash read and compared in Python."""
    rows = session.execute(
        select(EvidenceItem.id, EvidenceItem.phash).where(EvidenceItem.phash.is_not(None))
    )
    return {item_id for item_id, other in rows if (int(other, 16) ^ phash).bit_count() <= threshold}


def popcount(held: list[tuple[int, int]], phash: int, threshold: int) -> set[int]:
    """The floor of any scan: hashes already in memory as integers."""
    return {item_id for item_id, other in held if (other ^ phash).bit_count() <= threshold}


def _indexed(session: Session, phash: int, threshold: int) -> set[int]:
    return {match.item_id for match in near_images(session, _hex(phash), None, threshold)}


def measure(session: Session, queries: list[int], threshold: int) -> dict[str, Any]:
    """Time the indexed lookup, the scan and the in-memory popcount on the same queries."""
    for phash in queries[:5]:  # warm the caches and the statement compilation
        _indexed(session, phash, threshold)
    indexed = [timed(lambda q=phash: _indexed(session, q, threshold)) for phash in queries]
    scans = [timed(lambda q=phash: scan(session, q, threshold)) for phash in queries[:SCANS]]
    held = [
        (item_id, int(phash, 16))
        for item_id, phash in session.execute(select(EvidenceItem.id, EvidenceItem.phash))
    ]
    counts = [timed(lambda q=phash: popcount(held, q, threshold)) for phash in queries[:SCANS]]
    radius = min(threshold // 4, 3)  # as near_images looks up
    candidates = [
        len(
            {row.id for row in session.execute(band_candidates(session, _hex(phash), radius, None))}
        )
        for phash in queries[:SCANS]
    ]
    # Every lookup against the in-memory scan, the timed scans against the lookups.
    expected = [popcount(held, phash, threshold) for phash in queries]
    agree = [found for _, found in indexed] == expected and all(
        found == expected[number] for number, (_, found) in enumerate(scans)
    )
    return {
        "stored": len(held),
        "lookup": spread([ms for ms, _ in indexed]),
        "scan": spread([ms for ms, _ in scans]),
        "popcount": spread([ms for ms, _ in counts]),
        "candidates_median": int(percentile(candidates, 0.5)),
        "matches_found": sum(len(found) for _, found in indexed),
        "agrees_with_scan": agree,
    }


def run(
    sizes: Sequence[int] = SIZES,
    database_url: str | None = None,
    lookup_count: int = LOOKUPS,
    hashes: str = "photo",
    seed: int = SEED,
) -> dict[str, Any]:
    """Lookup figures at each stored count (ascending), on SQLite or the PostgreSQL server
    at `database_url`, for `hashes` "photo" or "uniform" (see the module's docstring); the
    growth from the first count to the last and the targets."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not a secret
    pool = photo_pool(min(POOL_SIZE, max(sizes) // 5), seed) if hashes == "photo" else []
    stored: list[int] = []
    results = []
    with scratch_instance(database_url) as scratch, scratch.app.app_context():
        threshold = scratch.app.config["CASEMGR_MATCH_THRESHOLD"]
        case_id = scratch.open_case("Hash lookup benchmark").id
        db.session.commit()
        for size in sorted(sizes):
            first = len(stored)
            added = add_hashes(stored, size - first, pool, rng)
            fill_ms, _ = timed(lambda a=added, f=first: fill(db.session, case_id, a, f, seed))
            queries = lookups(stored, lookup_count, threshold, pool, rng)
            fill_s = round(fill_ms / 1000, 2)
            results.append(measure(db.session, queries, threshold) | {"fill_s": fill_s})
    return _summary(scratch.database, threshold, results) | {"hashes": hashes}


def _summary(database: str, threshold: int, results: list[dict[str, Any]]) -> dict[str, Any]:
    first, last = results[0], results[-1]
    growth = ratio(last["lookup"]["median_ms"], first["lookup"]["median_ms"])
    size_factor = ratio(last["stored"], first["stored"])
    return {
        "database": database,
        "threshold": threshold,
        "sizes": results,
        "lookup_growth": growth,
        "size_growth": size_factor,
        "scan_over_lookup": ratio(last["scan"]["median_ms"], last["lookup"]["median_ms"]),
        "popcount_over_lookup": ratio(last["popcount"]["median_ms"], last["lookup"]["median_ms"]),
        "targets": {
            "lookup_p95_under_20ms": last["lookup"]["p95_ms"] < TARGET_MS,
            "growth_sublinear": len(results) < 2 or growth < size_factor,
            "agrees_with_scan": all(result["agrees_with_scan"] for result in results),
        },
    }


def print_figures(figures: dict[str, Any]) -> None:
    rows: list[tuple[str, Any, str]] = []
    for result in figures["sizes"]:
        n = f"{result['stored']:,}"
        rows += [
            (f"lookup median at {n} (ms)", result["lookup"]["median_ms"], ""),
            (f"lookup p95 at {n} (ms)", result["lookup"]["p95_ms"], f"< {TARGET_MS:g} ms"),
            (f"scan median at {n} (ms)", result["scan"]["median_ms"], "baseline"),
            (f"popcount median at {n} (ms)", result["popcount"]["median_ms"], "baseline"),
            (f"band candidates at {n}", result["candidates_median"], "median"),
        ]
    targets = figures["targets"]
    rows += [
        ("lookup growth", figures["lookup_growth"], f"< {figures['size_growth']} (stored)"),
        ("scan / lookup", figures["scan_over_lookup"], ""),
        ("popcount / lookup", figures["popcount_over_lookup"], ""),
        ("targets", "", ", ".join(f"{k} {verdict(v)}" for k, v in targets.items())),
    ]
    print_table(f"hash lookup on {figures['database']}, {figures['hashes']} hashes", rows)


def main(argv: list[str] | None = None) -> int:
    parser = arguments("Perceptual-hash lookup against a brute-force scan.")
    parser.add_argument("--size", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--lookups", type=int, default=LOOKUPS)
    parser.add_argument("--hashes", choices=("photo", "uniform"), default="photo")
    options = parser.parse_args(argv)
    for database_url in databases(options):
        print_figures(run(options.size, database_url, options.lookups, options.hashes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
