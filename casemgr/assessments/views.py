"""Assessment pages: assessing a case with a rubric, its history and trend, comparing two
assessments, one assessment in full, and the rubric files for admins."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from casemgr.assessments.catalogue import BUILT_IN, current_catalogue, rubric_folders
from casemgr.assessments.compare import AssessmentSide, compare_sides, side_of
from casemgr.assessments.forms import AssessmentDraft, blank_draft, draft_from, read_draft
from casemgr.assessments.models import Assessment, RubricVersion
from casemgr.assessments.operations import (
    assessments_of,
    create_assessment,
    get_assessment,
    latest_assessment,
    preview,
    rubric_of,
)
from casemgr.assessments.rubric import LEVELS, Rubric
from casemgr.assessments.scoring import Score, score_answers
from casemgr.assessments.trend import level_trend
from casemgr.auth.current import current, request_actor
from casemgr.auth.permissions import authorize, can
from casemgr.cases.access import get_case_or_404
from casemgr.cases.models import Case
from casemgr.cases.operations import StaleVersion
from casemgr.db import utcnow
from casemgr.errors import CaseMgrError, Conflict, NotFound, ValidationFailed
from casemgr.evidence.models import EvidenceItem
from casemgr.extensions import db
from casemgr.forms import local_time
from casemgr.threats.models import Threat
from casemgr.validation import posted_version, row_id

bp = Blueprint("assessments", __name__)
DEFAULT_RUBRIC = "casemgr-default"


@bp.app_template_global()
def latest_assessment_of(case: Case) -> Assessment | None:
    """For the case page's concern block."""
    return latest_assessment(db.session, case)


def _rubric(rubric_id: str | None) -> Rubric:
    """The rubric asked for; the default one (or the first in use) when none is named."""
    catalogue = current_catalogue()
    rubric = catalogue.get(rubric_id or DEFAULT_RUBRIC)
    if rubric is None and not rubric_id and catalogue.rubrics:
        rubric = catalogue.rubrics[min(catalogue.rubrics)]
    if rubric is None:
        raise NotFound(f"No rubric '{rubric_id or DEFAULT_RUBRIC}' is in use.")
    return rubric


def _link_choices(case: Case) -> dict[str, list[tuple[int, str]]]:
    """The case's threats and evidence an answer may rest on, labelled for a picker."""
    threats = db.session.scalars(
        select(Threat).where(Threat.case_id == case.id).order_by(Threat.occurred_at)
    )
    evidence = db.session.scalars(
        select(EvidenceItem)
        .where(EvidenceItem.case_id == case.id)
        .order_by(EvidenceItem.created_at)
    )
    return {
        "threats": [
            (t.id, f"{local_time(t.occurred_at):%Y-%m-%d} · {t.threat_type} · {t.text[:70]}")
            for t in threats
        ],
        "evidence": [
            (
                e.id,
                f"#{e.id} {e.original_filename or e.mime}{' (withdrawn)' * bool(e.withdrawn_at)}",
            )
            for e in evidence
        ],
    }


def _posted_version() -> int | None:
    return posted_version(request.form.get("version"))


def _form_page(
    case: Case,
    rubric: Rubric,
    draft: AssessmentDraft,
    *,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    messages: list[str] | None = None,
    score: Score | None = None,
    version: int | None = None,
) -> tuple[str, int]:
    errors = errors or {}
    known = {f"answers.{item_id}" for item_id in rubric.items} | {
        "override.level",
        "override.justification",
    }
    messages = [*(messages or []), *(m for k, ms in errors.items() if k not in known for m in ms)]
    page = render_template(
        "assessments/form.html",
        case=case,
        rubric=rubric,
        rubrics=sorted(current_catalogue().rubrics.values(), key=lambda r: r.title),
        draft=draft,
        errors=errors,
        messages=messages,
        score=score,
        version=version if version is not None else case.version,
        choices=_link_choices(case),
        levels=LEVELS,
        latest=latest_assessment(db.session, case),
    )
    return page, status


def _starting_draft(case: Case, rubric: Rubric) -> AssessmentDraft:
    latest = latest_assessment(db.session, case)
    if request.args.get("start") == "latest" and latest is not None:
        return draft_from(rubric, latest.answers)
    return blank_draft(rubric)


def _check_rubric_unchanged(rubric: Rubric) -> None:
    """Refuse answers given to an earlier version of the rubric than the one in use now."""
    seen = request.form.get("rubric_sha256", rubric.sha256)
    if seen != rubric.sha256:
        raise Conflict(
            f"The rubric was updated to version {rubric.version} while you were answering. "
            "Check your answers against it (they are kept below) and save again."
        )


def _preview_page(case: Case, rubric: Rubric, draft: AssessmentDraft) -> tuple[str, int]:
    """The score the answers give, saving nothing; a changed rubric is pointed out."""
    version = _posted_version()
    if draft.problems:
        return _form_page(case, rubric, draft, errors=draft.problems, status=422, version=version)
    try:
        _check_rubric_unchanged(rubric)
    except Conflict as changed:
        notes = [changed.detail]
    else:
        notes = []
    score = preview(rubric, draft.answers)
    return _form_page(case, rubric, draft, messages=notes, score=score, version=version)


@bp.route("/cases/<ref>/assessments/new", methods=["GET", "POST"])
def create(ref: str) -> Response | tuple[str, int]:
    case = get_case_or_404(db.session, ref, current(), "assessment.create")
    rubric = _rubric(request.args.get("rubric"))
    if request.method == "GET":
        return _form_page(case, rubric, _starting_draft(case, rubric))
    draft = read_draft(rubric, request.form)
    if request.form.get("action") == "preview":
        return _preview_page(case, rubric, draft)
    try:
        if draft.problems:
            raise ValidationFailed(draft.problems)
        _check_rubric_unchanged(rubric)
        assessment = create_assessment(
            db.session,
            request_actor(),
            case,
            rubric,
            draft.answers,
            draft.override,
            _posted_version(),
        )
    except CaseMgrError as error:
        return _refused(case, rubric, draft, error)
    flash(f"Assessment saved: {assessment.level} (score {assessment.score:.1f}).", "success")
    return redirect(url_for("assessments.history", ref=case.ref))


def _refused(
    case: Case, rubric: Rubric, draft: AssessmentDraft, error: CaseMgrError
) -> tuple[str, int]:
    """The form again with everything the analyst gave, and why it was refused."""
    db.session.rollback()
    if isinstance(error, ValidationFailed):
        return _form_page(
            case, rubric, draft, errors=error.errors, status=422, version=_posted_version()
        )
    stale = isinstance(error, StaleVersion)
    detail = f"{error.detail} Your answers are kept below." if stale else error.detail
    version = case.version if stale else _posted_version()
    return _form_page(case, rubric, draft, messages=[detail], status=error.status, version=version)


@bp.route("/cases/<ref>/assessments")
def history(ref: str) -> str:
    user = current()
    case = get_case_or_404(db.session, ref, user)
    assessments = assessments_of(db.session, case)
    chart = level_trend([(a.created_at, a.level, a.score) for a in assessments], utcnow())
    return render_template(
        "assessments/history.html",
        case=case,
        assessments=list(reversed(assessments)),
        chart=chart,
        may_assess=can(user, "assessment.create", case),
    )


def _chosen(case: Case, name: str) -> Assessment:
    assessment_id = row_id(request.args.get(name, ""))
    if assessment_id is None:
        raise CaseMgrError("Choose two assessments to compare.")
    return get_assessment(db.session, case, assessment_id)


def _side(assessment: Assessment) -> AssessmentSide:
    answers = ((a.item_id, a.point, a.rationale) for a in assessment.answers)
    return side_of(rubric_of(assessment), answers)


@bp.route("/cases/<ref>/assessments/compare")
def compare(ref: str) -> str:
    case = get_case_or_404(db.session, ref, current())
    chosen = (_chosen(case, "a"), _chosen(case, "b"))
    before, after = sorted(chosen, key=lambda a: (a.created_at, a.id))
    return render_template(
        "assessments/compare.html",
        case=case,
        before=before,
        after=after,
        items=compare_sides(_side(before), _side(after)),
    )


@bp.route("/cases/<ref>/assessments/<int:assessment_id>")
def detail(ref: str, assessment_id: int) -> str:
    case = get_case_or_404(db.session, ref, current())
    assessment = get_assessment(db.session, case, assessment_id)
    rubric = rubric_of(assessment)
    answers = {answer.item_id: answer for answer in assessment.answers}
    score = score_answers(rubric, {item_id: a.point for item_id, a in answers.items()})
    return render_template(
        "assessments/detail.html",
        case=case,
        assessment=assessment,
        rubric=rubric,
        answers=answers,
        threshold_level=score.threshold_level,
        raised=score.raised_by,
    )


def _rubric_files() -> dict[str, str]:
    """Which file each rubric in use was read from, by the hash of its text."""
    files = {}
    for folder in rubric_folders():
        for path in sorted(Path(folder).glob("*.toml")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue  # the catalogue lists it among the refused files
            shown = f"built-in: {path.name}" if folder == BUILT_IN else str(path)
            files.setdefault(hashlib.sha256(text.encode("utf-8")).hexdigest(), shown)
    return files


def _kept_versions() -> list[tuple[RubricVersion, int]]:
    """The rubric versions stored with assessments, and how many assessments each explains."""
    rows = db.session.execute(
        select(RubricVersion, func.count(Assessment.id))
        .outerjoin(Assessment, Assessment.rubric_sha256 == RubricVersion.sha256)
        .group_by(RubricVersion.sha256)
        .order_by(RubricVersion.rubric_id, RubricVersion.first_used_at)
    )
    return [(version, count) for version, count in rows]


@bp.route("/admin/rubrics")
def rubrics() -> str:
    authorize(current(), "users.manage")
    catalogue = current_catalogue()
    return render_template(
        "assessments/rubrics.html",
        rubrics=sorted(catalogue.rubrics.values(), key=lambda r: r.id),
        faults=catalogue.faults,
        files=_rubric_files(),
        kept=_kept_versions(),
    )


@bp.route("/admin/rubrics/reload", methods=["POST"])
def reload_rubrics() -> Response:
    authorize(current(), "users.manage")
    catalogue = current_catalogue(reload=True)
    refused = len(catalogue.faults)
    flash(
        f"Rubric files read again: {len(catalogue.rubrics)} in use, {refused} refused.",
        "warning" if refused else "success",
    )
    return redirect(url_for("assessments.rubrics"))
