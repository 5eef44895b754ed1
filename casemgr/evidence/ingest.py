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
from casemgr.errors import CaseMgrError, ValidationFailed
from casemgr.evidence.custody import record_custody
from casemgr.evidence.derived import make_derivatives
from casemgr.evidence.forensics import analyse_image, hash_bands
from casemgr.evidence.matching import NearMatch, near_images
from casemgr.evidence.models import EvidenceItem, EvidenceMatch
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


def _analyse(store: FileStore, item: EvidenceItem, settings: IngestSettings) -> None:
    if item.mime not in ANALYSED:
        item.analysis, item.analysis_note = "not_analysed", "Stored without analysis."
        return
    path = store.path(item.sha256)
    findings = analyse_image(path, settings.max_pixels)
    item.analysis, item.analysis_note = findings.analysis, findings.note
    item.width, item.height, item.image_format = (
        findings.width,
        findings.height,
        findings.image_format,
    )
    item.exif, item.gps, item.has_gps = findings.exif or None, findings.gps, findings.has_gps
    item.phash, item.dhash = findings.phash, findings.dhash
    if findings.phash:
        item.phash_b0, item.phash_b1, item.phash_b2, item.phash_b3 = hash_bands(findings.phash)
    make_derivatives(path, store.derived(item.sha256), settings.max_pixels)


def _record_matches(session: Session, item: EvidenceItem, matches: list[NearMatch]) -> None:
    for match in matches:
        session.add(
            EvidenceMatch(
                evidence_id=item.id,
                matched_id=match.item_id,
                phash_distance=match.phash_distance,
                dhash_distance=match.dhash_distance,
            )
        )


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
    values = checked_acquisition(acquisition or Acquisition())
    if threat is not None and (case is None or threat.case_id != case.id):
        raise ValidationFailed({"threat_id": ["That threat is not on this case."]})
    mime = _type_of(store, staged)
    if protectee is not None and not mime.startswith("image/"):
        raise UploadRefused("A reference photo must be an image.")
    note = mismatch(mime, original_filename, declared_mime)
    store.put(staged)
    item = EvidenceItem(
        kind="reference" if protectee is not None else "evidence",
        case_id=case.id if case else None,
        threat_id=threat.id if threat else None,
        protectee_id=protectee.id if protectee else None,
        sha256=staged.sha256,
        size=staged.size,
        mime=mime,
        declared_mime=declared_mime[:200],
        original_filename=original_filename.replace("\x00", "\ufffd")[:1000],
        type_mismatch=bool(note),
        mismatch_note=note,
        created_by_id=actor.user_id,
        **values,
    )
    _analyse(store, item, settings)
    # Looked up before the item is written (so it cannot find itself): outside a request's
    # BEGIN IMMEDIATE (the CLI, the data generator's workers), SQLite's write lock is then
    # held for the writes alone.
    matches = (
        near_images(session, item.phash, item.dhash, settings.match_threshold) if item.phash else []
    )
    session.add(item)
    session.flush()
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
            "mime": {"old": None, "new": mime},
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
