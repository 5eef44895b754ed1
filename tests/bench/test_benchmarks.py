"""The in-process benchmarks run end to end at tiny sizes and return their figures. No timing
is asserted: the figures only mean something at full size (see bench/README.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask

from bench import briefing, fts, hash_lookup, ingest
from bench.figures import percentile, spread
from casemgr.audit.log import SYSTEM
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.extensions import db
from casemgr.threats.feeds import import_threats

# On PostgreSQL, each benchmark makes (and drops) a scratch database on the test server.
SERVER = os.environ.get("TEST_DATABASE_URL")
DATABASE = "postgresql" if SERVER else "sqlite"
TARGET_KEYS = {
    "hash_lookup": {"lookup_p95_under_20ms", "growth_sublinear", "agrees_with_scan"},
    "ingest": {"throughput_half_of_sha256sum", "memory_under_64mb", "same_digest"},
    "briefing": {"export_under_10s", "pdf_under_10mb", "within_1_3x_of_prepared"},
    "fts": {"fts_20x_faster_than_like", "fts_p95_under_50ms"},
}


def assert_timings(figures: dict) -> None:
    assert 0 < figures["median_ms"] <= figures["p95_ms"]


def test_percentiles_are_nearest_rank() -> None:
    samples = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(samples, 0.5) == 3.0 and percentile(samples, 0.95) == 5.0
    assert spread([2.0]) == {"median_ms": 2.0, "p95_ms": 2.0}
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_hash_lookup_finds_what_the_scan_finds_at_each_size() -> None:
    figures = hash_lookup.run(sizes=(300, 500), database_url=SERVER, lookup_count=20)
    assert figures["database"] == DATABASE
    assert [size["stored"] for size in figures["sizes"]] == [300, 500]
    for size in figures["sizes"]:
        for side in ("lookup", "scan", "popcount"):
            assert_timings(size[side])
        assert size["agrees_with_scan"] is True
        assert size["matches_found"] > 0  # half the lookups are near copies of stored hashes
    assert figures["size_growth"] == pytest.approx(5 / 3, abs=0.01)
    assert figures["lookup_growth"] > 0 and figures["scan_over_lookup"] > 0
    assert set(figures["targets"]) == TARGET_KEYS["hash_lookup"]
    assert figures["targets"]["agrees_with_scan"] is True


def test_ingest_stores_the_file_and_cleans_up(tmp_path: Path) -> None:
    figures = ingest.run(size_mb=5, database_url=SERVER, workdir=tmp_path)
    assert figures["database"] == DATABASE
    assert figures["size_mb"] == pytest.approx(5, abs=0.1)
    assert figures["stored_as"] == "video/mp4" and figures["same_digest"] is True
    assert figures["ingest_mb_s"] > 0 and figures["sha256sum_mb_s"] > 0
    assert figures["ingest_over_sha256sum"] > 0
    assert 0 <= figures["peak_above_idle_mb"] < figures["idle_rss_mb"] + 1024
    assert set(figures["targets"]) == TARGET_KEYS["ingest"]
    assert list(tmp_path.iterdir()) == []  # the file, the instance and its store are gone


def test_briefing_exports_a_small_case_beside_its_prepared_render() -> None:
    figures = briefing.run(threats=5, images=2, database_url=SERVER, repeats=1)
    assert figures["database"] == DATABASE
    assert (figures["threats"], figures["images"]) == (5, 2)
    for name in ("cold_export_s", "export_s", "prepared_render_s", "pdf_mb"):
        assert figures[name] > 0, name
    assert figures["snapshot_s"] >= 0 and figures["html_s"] >= 0
    assert figures["export_over_prepared"] > 0
    assert set(figures["targets"]) == TARGET_KEYS["briefing"]


def test_fts_counts_matches_on_both_sides_of_a_scratch_instance() -> None:
    figures = fts.run(size=200, database_url=SERVER, words=5, repeats=1)
    assert figures["database"] == DATABASE
    assert figures["documents"] > 200 and figures["queries"] == 5
    assert_timings(figures["fts"])
    assert_timings(figures["like"])
    # Every word comes from the documents; a substring match finds at least the word matches.
    assert 1 <= figures["fts_hits_median"] <= figures["like_hits_median"]
    parts = figures["common_words"]["queries"] + figures["specific_words"]["queries"]
    assert parts == 5
    assert set(figures["targets"]) == TARGET_KEYS["fts"]


def test_fts_reads_an_existing_instance_by_its_database_url(app: Flask) -> None:
    with app.app_context():
        case = create_case(db.session, SYSTEM, None, CaseDetails(title="Existing instance"))
        import_threats(db.session, SYSTEM, case, fts.feed_rows(60, seed=3))
        db.session.commit()
    figures = fts.run_on_instance(app.config["SQLALCHEMY_DATABASE_URI"], words=3, repeats=1)
    assert figures["documents"] > 60 and figures["queries"] == 3
    assert figures["fts_hits_median"] >= 1
