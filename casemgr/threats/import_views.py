"""Importing a monitoring feed's file from the case page (routes on the `threats` blueprint)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from casemgr.auth.current import current, request_actor
from casemgr.cases.access import get_case_or_404
from casemgr.errors import CaseMgrError
from casemgr.evidence.staging import current_store, ingest_settings
from casemgr.extensions import db
from casemgr.threats.email_intake import take_in_email
from casemgr.threats.feed_files import FeedRefused, decode_feed, detect_format, read_rows
from casemgr.threats.feeds import import_threats
from casemgr.threats.views import bp

SHOWN_PROBLEMS = 20  # a page of flashes is enough; the rest are counted


def _flash_rows(rows: list[dict], category: str) -> None:
    for row in rows[:SHOWN_PROBLEMS]:
        flash(f"Line {row['line']}, {row['field']}: {row['message']}", category)
    if len(rows) > SHOWN_PROBLEMS:
        flash(f"… and {len(rows) - SHOWN_PROBLEMS} more bad rows.", category)


@bp.route("/cases/<ref>/threats/import", methods=["POST"])
def import_feed(ref: str) -> Response:
    """Import the uploaded CSV or JSON Lines file; the report is shown on the case page."""
    case = get_case_or_404(db.session, ref, current(), "threat.log")
    back = redirect(url_for("cases.detail", ref=case.ref) + "#threats")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose a CSV or JSON Lines file to import.", "danger")
        return back
    upload.stream.seek(0)
    data = upload.stream.read()
    skip_bad = request.form.get("skip_bad") == "y"
    try:
        text = decode_feed(data)
        rows = read_rows(text, detect_format(upload.filename, text))
        report = import_threats(db.session, request_actor(), case, rows, skip_bad)
    except FeedRefused as refused:
        db.session.rollback()
        flash(f"Nothing was imported: {refused.detail}", "danger")
        _flash_rows(refused.extra.get("rows", [])[1:], "danger")
        return back
    bad = len(report.errors)
    flash(
        f"Imported {report.created} threats; skipped {report.skipped_duplicates} duplicates. "
        f"{bad} bad rows skipped{': listed below' if bad else ''}.",
        "success" if not bad else "warning",
    )
    _flash_rows([error.__dict__ for error in report.errors], "warning")
    return back


@bp.route("/cases/<ref>/threats/email", methods=["POST"])
def import_email(ref: str) -> Response:
    """Take an uploaded .eml in as a threat with its evidence; the threat page is shown."""
    case = get_case_or_404(db.session, ref, current(), "threat.log")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose an .eml file to take in.", "danger")
        return redirect(url_for("cases.detail", ref=case.ref) + "#threats")
    upload.stream.seek(0)
    try:
        intake = take_in_email(
            db.session,
            request_actor(),
            case,
            upload.stream.read(),
            current_store(),
            ingest_settings(),
        )
    except CaseMgrError as error:
        db.session.rollback()
        flash(f"The e-mail was not taken in: {error.detail}", "danger")
        return redirect(url_for("cases.detail", ref=case.ref) + "#threats")
    count = 1 + len(intake.attachment_items)
    flash(f"E-mail taken in as a threat with {count} evidence items.", "success")
    for bad in intake.refused:
        flash(f"Attachment {bad.filename!r} refused: {bad.reason}", "warning")
    return redirect(url_for("threats.detail", threat_id=intake.threat.id))
