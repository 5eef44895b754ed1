"""Briefings in the browser: the export form (a PDF or a signed bundle), the case's disclosure
log, and downloads of what was disclosed, byte for byte as it was generated."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, send_file, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from casemgr.audit.log import record_event
from casemgr.auth.current import current, request_actor
from casemgr.auth.models import User
from casemgr.auth.permissions import authorize, can, can_see_case
from casemgr.auth.recent import recent_login_required
from casemgr.briefings.bundles import export_bundle
from casemgr.briefings.forms import BriefingForm
from casemgr.briefings.marking import marks
from casemgr.briefings.models import Briefing
from casemgr.briefings.operations import disclosure_log, export_briefing, get_briefing
from casemgr.briefings.settings import current_export_settings, current_signing_key
from casemgr.briefings.snapshot import BriefingOptions
from casemgr.cases.access import get_case_or_404
from casemgr.cases.models import Case
from casemgr.errors import NotFound, ValidationFailed
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.staging import current_store
from casemgr.extensions import db
from casemgr.web import show_errors

bp = Blueprint("briefings", __name__)
# What each kind of disclosure is downloaded as.
DOWNLOADS = {
    "briefing": ("application/pdf", "pdf"),
    "bundle": ("application/zip", "zip"),
}


@bp.app_template_global()
def may_export_briefing(case: Case) -> bool:
    """For the case page: whether to offer the export button."""
    return can(current(), "briefing.export", case)


def _case_items(case: Case) -> list[EvidenceItem]:
    return list(
        db.session.scalars(
            select(EvidenceItem)
            .where(EvidenceItem.case_id == case.id)
            .order_by(EvidenceItem.created_at, EvidenceItem.id)
        )
    )


def _briefing_form(case: Case, items: list[EvidenceItem]) -> BriefingForm:
    form = BriefingForm()
    scheme = marks(current_app.config["CASEMGR_MARKING_SCHEME"])
    form.tlp.choices = [SelectChoice(mark, mark) for mark in scheme]
    form.evidence_ids.choices = [
        SelectChoice(item.id, f"#{item.id} {item.original_filename}") for item in items
    ]
    if not form.is_submitted():
        form.evidence_ids.data = [item.id for item in items if item.withdrawn_at is None]
    return form


def briefing_options(
    user: User,
    recipient: str,
    marking: str,
    sections: list[str] | None,
    include_private: bool,
    evidence_ids: list[int] | None,
) -> BriefingOptions:
    """The service's options; no sections means every one, no item list the default items."""
    chosen = {} if sections is None else {"sections": tuple(sections)}
    return BriefingOptions(
        recipient=recipient,
        marking=marking,
        author=user.label,
        include_private=include_private,
        evidence_ids=None if evidence_ids is None else tuple(evidence_ids),
        **chosen,
    )


def export(case: Case, options: BriefingOptions, kind: str) -> Briefing:
    """Export a briefing or a bundle of `case` for the current user; flushes, never commits."""
    store, settings = current_store(), current_export_settings()
    if kind == "bundle":
        key = current_signing_key()
        return export_bundle(db.session, request_actor(), case, options, store, settings, key)[0]
    return export_briefing(db.session, request_actor(), case, options, store, settings)[0]


@bp.route("/cases/<ref>/briefings/new", methods=["GET", "POST"])
@recent_login_required
def create(ref: str) -> Response | tuple[str, int]:
    user = current()
    case = get_case_or_404(db.session, ref, user, "briefing.export")
    items = _case_items(case)
    form = _briefing_form(case, items)
    if form.validate_on_submit():
        kind = "bundle" if form.generate_bundle.data else "briefing"
        options = briefing_options(
            user,
            form.recipient.data or "",
            form.tlp.data or "",
            list(form.sections.data or []),
            bool(form.include_private.data),
            list(form.evidence_ids.data or []),
        )
        try:
            briefing = export(case, options, kind)
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(
                f"{kind.capitalize()} #{briefing.id} for {briefing.recipient} stored and logged "
                f"(SHA-256 {briefing.sha256}).",
                "success",
            )
            return redirect(url_for("briefings.log", ref=case.ref))
    rules = marks(current_app.config["CASEMGR_MARKING_SCHEME"])
    page = render_template(
        "briefings/new.html", case=case, form=form, rules=rules, items={i.id: i for i in items}
    )
    return page, 422 if form.is_submitted() else 200


@bp.route("/cases/<ref>/briefings")
def log(ref: str) -> str:
    case = get_case_or_404(db.session, ref, current())
    return render_template(
        "briefings/log.html",
        case=case,
        briefings=disclosure_log(db.session, case),
        downloads=DOWNLOADS,
        may_export=can(current(), "briefing.export", case),
        may_see_private=can(current(), "protectee.private", case),
    )


def downloadable(briefing_id: int, kind: str, user: User | None) -> tuple[Briefing, Case]:
    """A disclosed file `user` may download: its case must be visible to them (NotFound
    otherwise, as for a missing one), and one with private details needs the right to
    see those (PermissionDenied)."""
    briefing = get_briefing(db.session, briefing_id)
    case = db.session.get(Case, briefing.case_id) if briefing.case_id else None
    if briefing.kind != kind or case is None or user is None or not can_see_case(user, case):
        raise NotFound("No such briefing.")
    authorize(user, "protectee.private" if briefing.include_private else "read", case)
    return briefing, case


def send_disclosed(briefing: Briefing, case: Case, note: str) -> Response:
    """The stored file as an attachment, exactly the bytes generated; the download is audited."""
    mimetype, extension = DOWNLOADS[briefing.kind]
    record_event(
        db.session,
        request_actor(),
        f"{briefing.kind}.download",
        "briefing",
        briefing.id,
        {"note": {"old": None, "new": note}},
        case.ref,
    )
    response = send_file(
        current_store().path(briefing.sha256),
        mimetype=mimetype,
        as_attachment=True,
        download_name=f"{case.ref}-{briefing.kind}-{briefing.id}.{extension}",
        conditional=False,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/briefings/<int:briefing_id>/pdf")
def download_pdf(briefing_id: int) -> Response:
    briefing, case = downloadable(briefing_id, "briefing", current())
    return send_disclosed(briefing, case, "Downloaded in the browser.")


@bp.route("/briefings/<int:briefing_id>/bundle")
def download_bundle(briefing_id: int) -> Response:
    briefing, case = downloadable(briefing_id, "bundle", current())
    return send_disclosed(briefing, case, "Downloaded in the browser.")
