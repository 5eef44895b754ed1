"""Evidence in the browser: upload, gallery, the item page, downloads and images."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from casemgr.auth.current import current, request_actor
from casemgr.auth.permissions import authorize, can
from casemgr.cases.access import get_case_or_404
from casemgr.cases.models import Case
from casemgr.errors import CaseMgrError, ValidationFailed
from casemgr.evidence.custody import record_custody
from casemgr.evidence.difference import difference_image
from casemgr.evidence.forms import (
    LikenessForm,
    ManipulatedForm,
    ReferencePhotoForm,
    TransferForm,
    UploadForm,
    WithdrawForm,
)
from casemgr.evidence.ingest import Acquisition
from casemgr.evidence.matching import visible_match_counts
from casemgr.evidence.models import EvidenceItem, EvidenceMatch
from casemgr.evidence.operations import (
    get_item,
    mark_likeness,
    mark_manipulated,
    record_transfer,
    withdraw,
)
from casemgr.evidence.staging import (
    Outcome,
    current_store,
    ingest_settings,
    send_original,
    take_in,
)
from casemgr.extensions import db
from casemgr.people.protectees import get_protectee
from casemgr.threats.models import Threat
from casemgr.validation import row_id
from casemgr.web import show_errors

bp = Blueprint("evidence", __name__)
DERIVED = {"thumb": "thumb.png", "preview": "preview.png", "ela": "ela.png"}


def _upload_form(case: Case) -> UploadForm:
    form = UploadForm()
    threats = db.session.scalars(
        select(Threat).where(Threat.case_id == case.id).order_by(Threat.occurred_at)
    )
    form.threat_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(
            str(t.id), f"{t.occurred_at:%Y-%m-%d} {t.channel.replace('_', ' ')}: {t.text[:60]}"
        )
        for t in threats
    ]
    return form


def _gallery(case: Case) -> list[EvidenceItem]:
    return list(
        db.session.scalars(
            select(EvidenceItem)
            .where(EvidenceItem.case_id == case.id)
            .order_by(EvidenceItem.created_at.desc())
        )
    )


@bp.route("/cases/<ref>/evidence", methods=["GET", "POST"])
def gallery(ref: str) -> Response | tuple[str | Response, int]:
    case = get_case_or_404(db.session, ref, current())
    form = _upload_form(case)
    if request.method != "POST":
        return _gallery_page(case, form, [])
    case = get_case_or_404(db.session, ref, current(), "evidence.add")
    outcomes = _take_uploads(case, form)
    if _asks_for_json():
        return _upload_answer(form, outcomes)
    if outcomes is None:
        return _gallery_page(case, form, [], 422)
    stored = sum(1 for outcome in outcomes if outcome.item)
    if stored and stored == len(outcomes):
        flash(f"{stored} item{'s' if stored > 1 else ''} stored.", "success")
        return redirect(url_for("evidence.gallery", ref=case.ref))
    return _gallery_page(case, form, outcomes, 200 if stored else 422)


def _take_uploads(case: Case, form: UploadForm) -> list[Outcome] | None:
    """Ingest the posted files; None when the form is refused (its fields hold why)."""
    uploads = [f for f in request.files.getlist(form.files.name) if f.filename or f.content_length]
    if not form.validate() or not uploads:
        if not uploads:
            form.files.errors = [*form.files.errors, "Choose at least one file."]
        return None
    threat_id = row_id(form.threat_id.data)
    threat = db.session.get(Threat, threat_id) if threat_id else None
    if form.threat_id.data and threat is None:
        form.threat_id.errors = [*form.threat_id.errors, "Choose a threat of this case."]
        return None
    acquisition = Acquisition(
        form.description.data or "",
        form.acquired_at.data,
        form.acquired_by.data or "",
        form.method.data or "",
        form.source_url.data or "",
    )
    try:
        return take_in(
            db.session, request_actor(), uploads, case=case, threat=threat, acquisition=acquisition
        )
    except ValidationFailed as error:
        show_errors(form, error)
        return None


def _asks_for_json() -> bool:
    """upload.js sends one file per request and asks for JSON to show its outcome."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )


def _upload_answer(form: UploadForm, outcomes: list[Outcome] | None) -> tuple[Response, int]:
    """Each file's outcome, or the form's messages: 200 when any file was stored, else 422."""
    if outcomes is None:
        messages = [f"{field.label.text}: {message}" for field in form for message in field.errors]
        return jsonify(outcomes=[], errors=[*form.form_errors, *messages]), 422
    answer = [
        {
            "filename": outcome.filename,
            "item_id": outcome.item.id if outcome.item else None,
            "url": url_for("evidence.detail", item_id=outcome.item.id) if outcome.item else None,
            "refusal": outcome.refusal,
        }
        for outcome in outcomes
    ]
    stored = any(outcome.item for outcome in outcomes)
    return jsonify(outcomes=answer, errors=[]), 200 if stored else 422


def _gallery_page(
    case: Case, form: UploadForm, outcomes: list[Outcome], status: int = 200
) -> tuple[str, int]:
    items = _gallery(case)
    page = render_template(
        "evidence/gallery.html",
        case=case,
        form=form,
        outcomes=outcomes,
        items=items,
        match_counts=visible_match_counts(db.session, [item.id for item in items], current()),
        may_add=can(current(), "evidence.add", case),
    )
    return page, status


def _matches(item: EvidenceItem) -> list[tuple[EvidenceMatch, EvidenceItem, str | None]]:
    """Near matches both ways (what it derives from, and what was derived from it), with
    the other item's case reference when the user may see that case."""
    rows = db.session.scalars(
        select(EvidenceMatch)
        .where((EvidenceMatch.evidence_id == item.id) | (EvidenceMatch.matched_id == item.id))
        .order_by(EvidenceMatch.phash_distance)
    )
    found = []
    for match in rows:
        other_id = match.matched_id if match.evidence_id == item.id else match.evidence_id
        try:
            other = get_item(db.session, other_id, current())
        except CaseMgrError:
            continue  # a match on a case this user may not see is not shown
        ref = db.session.get(Case, other.case_id).ref if other.case_id else None
        found.append((match, other, ref))
    return found


def _detail_page(item: EvidenceItem, status: int = 200, **forms: object) -> tuple[str, int]:
    case = db.session.get(Case, item.case_id) if item.case_id else None
    matches = _matches(item)
    manipulated = forms.get("manipulated_form") or ManipulatedForm(formdata=None)
    originals = [other for _, other, _ in matches] + [
        other for other in (_gallery(case) if case else []) if other.id != item.id
    ]
    manipulated.original_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(other.id), f"#{other.id} {other.original_filename}")
        for other in dict.fromkeys(originals)
    ]
    may_edit = can(current(), "evidence.add", case) if case else can(current(), "protectee.manage")
    page = render_template(
        "evidence/detail.html",
        item=item,
        case=case,
        matches=matches,
        derived=_derived_names(item),
        may_edit=may_edit,
        manipulated_form=manipulated,
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(formdata=None),
        transfer_form=forms.get("transfer_form") or TransferForm(formdata=None),
        likeness_form=_likeness_form(item, case, forms.get("likeness_form")),
    )
    return page, status


def _likeness_form(item: EvidenceItem, case: Case | None, form: object) -> LikenessForm:
    """The form offering the case's subjects, set to the item's current mark."""
    if not isinstance(form, LikenessForm):
        form = LikenessForm(formdata=None, subject_id=str(item.likeness_subject_id or ""))
    form.subject_id.choices = [SelectChoice("", "— no one (clear the mark)")] + [
        SelectChoice(str(subject.id), subject.name) for subject in (case.subjects if case else [])
    ]
    return form


@bp.route("/evidence/<int:item_id>")
def detail(item_id: int) -> tuple[str, int]:
    item = get_item(db.session, item_id, current())
    record_custody(db.session, request_actor(), item, "viewed", "Item page opened.")
    return _detail_page(item)


def _derived_names(item: EvidenceItem) -> set[str]:
    folder = current_store().derived(item.sha256)
    return {name for name, file in DERIVED.items() if (folder / file).exists()}


@bp.route("/evidence/<int:item_id>/file")
def download(item_id: int) -> Response:
    """The original bytes, always as an attachment and never rendered by the browser."""
    item = get_item(db.session, item_id, current())
    return send_original(item, request_actor(), "Original downloaded.")


@bp.route("/evidence/<int:item_id>/<kind>.png")
def derived_image(item_id: int, kind: str) -> Response:
    """Images made by us from the original, with every piece of metadata stripped."""
    item = get_item(db.session, item_id, current())
    if kind not in DERIVED:
        abort(404)
    path = current_store().derived(item.sha256) / DERIVED[kind]
    if not path.exists():
        abort(404)
    return send_file(path, mimetype="image/png", max_age=3600)


@bp.route("/evidence/<int:item_id>/difference/<int:other_id>.png")
def difference(item_id: int, other_id: int) -> Response:
    """The item scaled onto the original it matched, with the differing pixels in red."""
    item = get_item(db.session, item_id, current())
    original = get_item(db.session, other_id, current())
    store = current_store()
    out = store.derived(item.sha256) / f"difference-{original.sha256[:16]}.png"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            difference_image(
                store.path(original.sha256),
                store.path(item.sha256),
                out,
                max_pixels=ingest_settings().max_pixels,
            )
        except ValueError:
            abort(404)
    return send_file(out, mimetype="image/png", max_age=3600)


def _act(
    item_id: int, form_name: str, form_class: type, action: Callable, done: str
) -> Response | tuple[str, int]:
    """Run an action form on an item; on refusal show the item page with the messages
    beside the form's fields."""
    item = get_item(db.session, item_id, current(), "evidence.add")
    form = form_class()
    try:
        if not form.validate():
            raise ValidationFailed({name: list(errors) for name, errors in form.errors.items()})
        action(item, form)
    except CaseMgrError as error:
        db.session.rollback()
        if isinstance(error, ValidationFailed):
            show_errors(form, error)
        else:
            form.form_errors.append(error.detail)
        return _detail_page(item, error.status, **{form_name: form})
    flash(done, "success")
    return redirect(url_for("evidence.detail", item_id=item.id))


@bp.route("/evidence/<int:item_id>/manipulated", methods=["POST"])
def manipulated(item_id: int) -> Response | tuple[str, int]:
    def act(item: EvidenceItem, form: ManipulatedForm) -> None:
        original = row_id(form.original_id.data)
        if form.original_id.data and original is None:
            raise ValidationFailed({"original_id": ["Choose another stored item as the original."]})
        mark_manipulated(db.session, request_actor(), item, form.note.data or "", original)

    return _act(item_id, "manipulated_form", ManipulatedForm, act, "Marked as manipulated.")


@bp.route("/evidence/<int:item_id>/likeness", methods=["POST"])
def likeness(item_id: int) -> Response | tuple[str, int]:
    def act(item: EvidenceItem, form: LikenessForm) -> None:
        chosen = row_id(form.subject_id.data)
        if form.subject_id.data and chosen is None:
            raise ValidationFailed({"subject_id": ["Choose a subject linked to this case."]})
        mark_likeness(db.session, request_actor(), item, chosen)

    return _act(item_id, "likeness_form", LikenessForm, act, "Likeness mark saved.")


@bp.route("/evidence/<int:item_id>/withdraw", methods=["POST"])
def withdraw_item(item_id: int) -> Response | tuple[str, int]:
    def act(item: EvidenceItem, form: WithdrawForm) -> None:
        withdraw(db.session, request_actor(), item, form.reason.data or "")

    return _act(
        item_id, "withdraw_form", WithdrawForm, act, "Withdrawn. The file and its record are kept."
    )


@bp.route("/evidence/<int:item_id>/transfer", methods=["POST"])
def transfer(item_id: int) -> Response | tuple[str, int]:
    def act(item: EvidenceItem, form: TransferForm) -> None:
        record_transfer(
            db.session, request_actor(), item, form.recipient.data or "", form.note.data or ""
        )

    return _act(
        item_id, "transfer_form", TransferForm, act, "Transfer recorded in the chain of custody."
    )


@bp.route("/protectees/<int:protectee_id>/reference-photos", methods=["POST"])
def reference_photo(protectee_id: int) -> Response:
    """Reference photos of a protectee, stored like evidence and matched against."""
    authorize(current(), "protectee.manage")
    protectee = get_protectee(db.session, protectee_id)
    form = ReferencePhotoForm()
    uploads = [f for f in request.files.getlist("files") if f.filename]
    outcomes = take_in(
        db.session,
        request_actor(),
        uploads,
        protectee=protectee,
        acquisition=Acquisition(description=form.description.data or ""),
    )
    for outcome in outcomes:
        if outcome.item:
            flash(f"Reference photo {outcome.filename} added.", "success")
        else:
            flash(f"{outcome.filename or 'File'} refused: {outcome.refusal}", "danger")
    if not uploads:
        flash("Choose at least one photo.", "warning")
    return redirect(
        url_for("people.protectee_detail", protectee_id=protectee.id) + "#reference-photos"
    )
