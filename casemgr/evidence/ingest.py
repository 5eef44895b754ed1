"""Taking a file in as evidence (or as a protectee's reference photo): decide its type from
its bytes, store it under its hash, analyse images, find what it derives from, and start
its chain of custody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from casemgr.audit.log import Actor, record_event
from casemgr.cases.models import Case
from casemgr.cases.operations import touch_case
from casemgr.db import flush_for_id, utcnow
from casemgr.errors import CaseMgrError, ValidationFailed
from casemgr.evidence.custody import record_custody
from casemgr.evidence.derived import make_derivatives
from casemgr.evidence.forensics import ImageFindings, analyse_image, hash_bands
from casemgr.evidence.matching import NearMatch, near_images
from casemgr.evidence.models import PHASH_BANDS, EvidenceItem, EvidenceMatch
from casemgr.evidence.sniff import HEAD_SIZE, describe_refusal, mismatch, sniff
from casemgr.evidence.store import FileStore, StagedFile
from casemgr.people.models import Protectee
from casemgr.threats.models import Threat
from casemgr.validation import Checks

ANALYSED = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff", "image/heic"}


class UploadRefused(CaseMgrError):
    """The file is not taken in; nothing is stored."""

    status = 422
    title = "Upload refused"


@dataclass
class Acquisition:
    """How the item was collected; the source URL is kept as text and never fetched."""

    description: str = ""
    acquired_at: datetime | None = None
    acquired_by: str = ""
    method: str = ""
    source_url: str = ""


@dataclass(frozen=True)
class IngestSettings:
    max_pixels: int
    match_threshold: int


def checked_acquisition(acquisition: Acquisition) -> dict[str, object]:
    checks = Checks()
    values = {
        "description": checks.text("description", acquisition.description, max_length=5000),
        "acquired_at": checks.aware("acquired_at", acquisition.acquired_at),
        "acquired_by": checks.text("acquired_by", acquisition.acquired_by, max_length=200),
        "method": checks.text("method", acquisition.method, max_length=100),
        "source_url": checks.text("source_url", acquisition.source_url, max_length=2000),
    }
    checks.done()
    return values


def _type_of(store: FileStore, staged: StagedFile) -> str:
    with staged.path.open("rb") as handle:
        head = handle.read(HEAD_SIZE)
    mime = sniff(head) if staged.size else None
    if mime is None:
        raise UploadRefused(describe_refusal(head))
    return mime


@dataclass(frozen=True)
class Examined:
    """A file stored under its hash and examined, before anything is written about it: its
    type from its bytes, the note when its name or declared type says otherwise, and for
    an image what analysis found (its derivatives made). Needs no database, so a bulk
    writer may examine files in other processes while it writes."""

    sha256: str
    size: int
    mime: str
    original_filename: str
    declared_mime: str
    mismatch_note: str
    findings: ImageFindings | None  # None: a type that is not analysed


def examine(
    store: FileStore,
    staged: StagedFile,
    *,
    original_filename: str,
    declared_mime: str,
    settings: IngestSettings,
    reference: bool = False,
) -> Examined:
    """Type, store and analyse one staged file. Raises UploadRefused for an empty file, a
    type not on the allow-list, or a `reference` photo that is not an image."""
    mime = _type_of(store, staged)
    if reference and not mime.startswith("image/"):
        raise UploadRefused("A reference photo must be an image.")
    note = mismatch(mime, original_filename, declared_mime)
    store.put(staged)
    findings = None
    if mime in ANALYSED:
        path = store.path(staged.sha256)
        findings = analyse_image(path, settings.max_pixels)
        make_derivatives(path, store.derived(staged.sha256), settings.max_pixels)
    return Examined(
        sha256=staged.sha256,
        size=staged.size,
        mime=mime,
        original_filename=original_filename.replace("\x00", "\ufffd")[:1000],
        declared_mime=declared_mime[:200],
        mismatch_note=note,
        findings=findings,
    )


def _analysis(examined: Examined) -> dict[str, object]:
    """The item's columns for what analysis found."""
    findings = examined.findings
    if findings is None:
        return {"analysis": "not_analysed", "analysis_note": "Stored without analysis."}
    columns: dict[str, object] = {
        "analysis": findings.analysis,
        "analysis_note": findings.note,
        "width": findings.width,
        "height": findings.height,
        "image_format": findings.image_format,
        "exif": findings.exif or None,
        "gps": findings.gps,
        "has_gps": findings.has_gps,
        "phash": findings.phash,
        "dhash": findings.dhash,
    }
    if findings.phash:
        bands = hash_bands(findings.phash)
        columns |= dict(zip(PHASH_BANDS, bands, strict=True))
    return columns


def _record_matches(session: Session, item: EvidenceItem, matches: list[NearMatch]) -> None:
    for match in matches:
        session.add(
            EvidenceMatch(
                evidence_id=item.id,
                matched_id=match.item_id,
                phash_distance=match.phash_distance,
                dhash_distance=match.dhash_distance,
                created_at=utcnow(),
            )
        )


def checked_intake(
    acquisition: Acquisition | None, case: Case | None, threat: Threat | None
) -> dict[str, object]:
    """The acquisition's values, checked, and the threat checked to be the case's; raises
    ValidationFailed. Called before the file is stored, so a refusal stores nothing."""
    values = checked_acquisition(acquisition or Acquisition())
    if threat is not None and (case is None or threat.case_id != case.id):
        raise ValidationFailed({"threat_id": ["That threat is not on this case."]})
    return values


def ingest(
    session: Session,
    actor: Actor,
    store: FileStore,
    staged: StagedFile,
    *,
    original_filename: str,
    declared_mime: str,
    settings: IngestSettings,
    acquisition: Acquisition | None = None,
    case: Case | None = None,
    threat: Threat | None = None,
    protectee: Protectee | None = None,
) -> EvidenceItem:
    """Take one staged file in, for `case` (evidence) or `protectee` (a reference photo).

    Raises UploadRefused for an empty file or a type not on the allow-list, and
    ValidationFailed for bad acquisition details; in both cases nothing is stored."""
    values = checked_intake(acquisition, case, threat)
    examined = examine(
        store,
        staged,
        original_filename=original_filename,
        declared_mime=declared_mime,
        settings=settings,
        reference=protectee is not None,
    )
    return record_item(
        session,
        actor,
        examined,
        values,
        settings.match_threshold,
        case=case,
        threat=threat,
        protectee=protectee,
    )


def record_item(
    session: Session,
    actor: Actor,
    examined: Examined,
    values: dict[str, object],
    match_threshold: int,
    *,
    case: Case | None = None,
    threat: Threat | None = None,
    protectee: Protectee | None = None,
) -> EvidenceItem:
    """Write the item for an examined file, with `values` from `checked_intake`: its near
    matches among the images stored before it, the start of its custody, its audit event."""
    item = EvidenceItem(
        kind="reference" if protectee is not None else "evidence",
        case_id=case.id if case else None,
        threat_id=threat.id if threat else None,
        protectee_id=protectee.id if protectee else None,
        sha256=examined.sha256,
        size=examined.size,
        mime=examined.mime,
        declared_mime=examined.declared_mime,
        original_filename=examined.original_filename,
        type_mismatch=bool(examined.mismatch_note),
        mismatch_note=examined.mismatch_note,
        created_by_id=actor.user_id,
        created_at=utcnow(),
        **values,
        **_analysis(examined),
    )
    # Looked up before the item is added, so that it cannot find itself.
    matches = near_images(session, item.phash, item.dhash, match_threshold) if item.phash else []
    session.add(item)
    flush_for_id(session, item)
    _start_custody(session, actor, item)
    _record_matches(session, item, matches)
    if case is not None:
        touch_case(case)
    record_event(
        session,
        actor,
        "evidence.create",
        "evidence",
        item.id,
        {
            "sha256": {"old": None, "new": item.sha256},
            "mime": {"old": None, "new": item.mime},
            "original_filename": {"old": None, "new": item.original_filename},
        },
        case.ref if case else None,
    )
    return item


def _start_custody(session: Session, actor: Actor, item: EvidenceItem) -> None:
    if item.acquired_at or item.acquired_by or item.method or item.source_url:
        at = item.acquired_at.astimezone(UTC) if item.acquired_at else None
        when = f" on {at:%Y-%m-%d %H:%M} UTC" if at else ""
        by = f" by {item.acquired_by}" if item.acquired_by else ""
        how = f" ({item.method})" if item.method else ""
        source = f" from {item.source_url}" if item.source_url else ""
        record_custody(session, actor, item, "acquired", f"Collected{by}{when}{how}{source}.")
    record_custody(
        session,
        actor,
        item,
        "uploaded",
        f"Received as {item.original_filename!r}, {item.size:,} bytes.",
    )
