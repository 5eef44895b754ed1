"""A briefing of a large case (200 threats, 50 evidence photos of 1200 x 900), side by side
with WeasyPrint rendering the same HTML already prepared.

The case is built through the services in a scratch instance (bench/briefing_case.py).
The full export is `export_briefing`, as the briefing page and the API call it, and the
commit: snapshot, HTML, PDF with the restricted fetcher (which serves downscaled print
copies of the images), the stored PDF and the disclosure log. The first export is timed
apart (`cold`: no print copy made yet), then `repeats` more (`warm`). The baseline is the
WeasyPrint step alone, `render_pdf`, on the HTML `briefing_html` made beforehand from the
same snapshot, with the same fetcher (its print copies already made): the floor that
only a faster WeasyPrint or a lighter document could lower.

    python -m bench.briefing [--size 200 50] [--database-url URL] [--sqlite-only]
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from bench.briefing_case import build_case
from bench.figures import arguments, databases, print_table, ratio, timed, verdict
from bench.scratch import Scratch, scratch_instance
from casemgr.briefings.operations import (
    ExportSettings,
    briefing_fetcher,
    briefing_html,
    export_briefing,
)
from casemgr.briefings.render import render_pdf
from casemgr.briefings.settings import current_export_settings
from casemgr.briefings.snapshot import BriefingOptions, build_snapshot
from casemgr.cases.models import Case
from casemgr.db import utcnow
from casemgr.evidence.store import FileStore
from casemgr.extensions import db

THREATS = 200
IMAGES = 50
REPEATS = 3
SECONDS_TARGET = 10.0
SIZE_TARGET_MB = 10.0
OVERHEAD_TARGET = 1.3
OPTIONS = BriefingOptions(
    recipient="National Counter Terrorism Police, Online Threats Unit",
    marking="TLP:AMBER",
    author="bench-lead",
)


def _export(scratch: Scratch, case: Case, store: FileStore, settings: ExportSettings) -> bytes:
    """One full export, committed as a request would."""
    _, pdf = export_briefing(db.session, scratch.actor(), case, OPTIONS, store, settings)
    db.session.commit()
    return pdf


def _prepared_render(case: Case, store: FileStore, settings: ExportSettings) -> dict[str, float]:
    """Milliseconds of each step, the WeasyPrint one on HTML and a fetcher made beforehand."""
    snapshot_ms, snapshot = timed(lambda: build_snapshot(db.session, case, OPTIONS, utcnow()))
    html_ms, html = timed(lambda: briefing_html(snapshot, settings))
    fetcher = briefing_fetcher(snapshot, store, db.session)
    pdf_ms, _ = timed(lambda: render_pdf(html, fetcher))
    return {"snapshot": snapshot_ms, "html": html_ms, "pdf": pdf_ms}


def _seconds(samples: list[float]) -> float:
    return round(statistics.median(samples) / 1000, 2)


def measure(scratch: Scratch, ref: str, repeats: int) -> dict[str, Any]:
    """The first export, then exports and prepared renders taken in turn, so that whatever
    else the machine is doing weighs on both alike."""
    store = FileStore(Path(current_app.config["CASEMGR_DATA_DIR"]))
    settings = current_export_settings()
    case = db.session.scalars(select(Case).where(Case.ref == ref)).one()
    cold_ms, pdf = timed(lambda: _export(scratch, case, store, settings))
    exports, prepared = [], []
    for _ in range(repeats):
        # Each export adds a custody event to every item, so the prepared render goes
        # first: both then render the very same document.
        prepared.append(_prepared_render(case, store, settings))
        exports.append(timed(lambda: _export(scratch, case, store, settings))[0])
    return {
        "cold_export_s": round(cold_ms / 1000, 2),
        "export_s": _seconds(exports),
        "prepared_render_s": _seconds([steps["pdf"] for steps in prepared]),
        "snapshot_s": _seconds([steps["snapshot"] for steps in prepared]),
        "html_s": _seconds([steps["html"] for steps in prepared]),
        "pdf_mb": round(len(pdf) / 1024 / 1024, 2),
    }


def run(
    threats: int = THREATS,
    images: int = IMAGES,
    database_url: str | None = None,
    repeats: int = REPEATS,
) -> dict[str, Any]:
    """Export figures for a case of `threats` threats and `images` photos, on SQLite or on
    the PostgreSQL server at `database_url`."""
    with scratch_instance(database_url) as scratch, scratch.app.app_context():
        store = FileStore(Path(current_app.config["CASEMGR_DATA_DIR"]))
        build_ms, case = timed(
            lambda: build_case(db.session, scratch.actor(), store, threats, images)
        )
        ref = case.ref
        db.session.commit()
        figures = measure(scratch, ref, repeats)
    return _summary(scratch.database, threats, images, build_ms, figures)


def _summary(
    database: str, threats: int, images: int, build_ms: float, figures: dict[str, Any]
) -> dict[str, Any]:
    overhead = ratio(figures["export_s"], figures["prepared_render_s"])
    return {
        "database": database,
        "threats": threats,
        "images": images,
        "build_case_s": round(build_ms / 1000, 1),
        **figures,
        "export_over_prepared": overhead,
        "targets": {
            "export_under_10s": max(figures["cold_export_s"], figures["export_s"]) < SECONDS_TARGET,
            "pdf_under_10mb": figures["pdf_mb"] < SIZE_TARGET_MB,
            "within_1_3x_of_prepared": overhead <= OVERHEAD_TARGET,
        },
    }


def print_figures(figures: dict[str, Any]) -> None:
    targets = figures["targets"]
    rows: list[tuple[str, Any, str]] = [
        ("case", f"{figures['threats']} threats, {figures['images']} images", ""),
        ("first export (s)", figures["cold_export_s"], f"< {SECONDS_TARGET:g} s"),
        ("export (s)", figures["export_s"], f"< {SECONDS_TARGET:g} s"),
        ("prepared HTML render (s)", figures["prepared_render_s"], "baseline"),
        ("snapshot (s)", figures["snapshot_s"], "not in the baseline"),
        ("HTML (s)", figures["html_s"], "not in the baseline"),
        ("export / prepared", figures["export_over_prepared"], f"<= {OVERHEAD_TARGET}"),
        ("PDF (MB)", figures["pdf_mb"], f"< {SIZE_TARGET_MB:g} MB"),
        ("targets", "", ", ".join(f"{k} {verdict(v)}" for k, v in targets.items())),
    ]
    print_table(f"briefing on {figures['database']}", rows)


def main(argv: list[str] | None = None) -> int:
    parser = arguments("A briefing of a large case against rendering its prepared HTML.")
    parser.add_argument(
        "--size", type=int, nargs=2, default=[THREATS, IMAGES], metavar=("THREATS", "IMAGES")
    )
    parser.add_argument("--repeats", type=int, default=REPEATS)
    options = parser.parse_args(argv)
    for database_url in databases(options):
        print_figures(run(*options.size, database_url, options.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
