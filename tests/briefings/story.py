"""The canonical story for briefing tests: a Lumina Social case built through the services,
and helpers that read the rendered PDFs back."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pypdf import PdfReader
from sqlalchemy.orm import Session

from casemgr.assessments.catalogue import BUILT_IN
from casemgr.assessments.operations import Answer, create_assessment
from casemgr.assessments.rubric import load_rubric
from casemgr.audit.log import Actor
from casemgr.auth.models import User
from casemgr.cases.actions import ReferralDetails, create_task, refer_case
from casemgr.cases.operations import CaseDetails, create_case, transition_case
from casemgr.evidence.ingest import IngestSettings, ingest
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.operations import mark_manipulated, withdraw
from casemgr.evidence.store import FileStore, stage_stream
from casemgr.people.protectees import ProtecteeDetails, all_staff, create_protectee
from casemgr.people.subjects import AccountDetails, SubjectDetails, add_account, create_subject
from casemgr.threats.operations import ThreatDetails, log_threat
from tests.evidence.photos import photo, png_bytes, with_crosshair

ARABIC = "اقتلوا كل موظفي لومينا سوشيال وإدارتها"
ARABIC_TRANSLATION = "Kill every employee of Lumina Social and its management."
ENGLISH = "Dana Whitfield, you will answer for every account you silenced."
HOME_ADDRESS = "14 Larkspur Lane, Eastbrook"
RATIONALE = "The group names the CEO and calls on supporters to act."
HOSTILE = (
    'Look: <img src="file:///etc/hostname"> and '
    '<a rel="attachment" href="file:///etc/hostname">x</a> '
    '<link href="http://127.0.0.1/"> <style>body{display:none}</style> end.'
)
PDFTOTEXT = shutil.which("pdftotext") or "pdftotext"  # poppler, on the machine
HOSTILE_PARTS = (
    '<img src="file:///etc/hostname">',
    '<a rel="attachment" href="file:///etc/hostname">x</a>',
    '<link href="http://127.0.0.1/">',
    "<style>body{display:none}</style>",
)


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.username, "127.0.0.1")


def put_file(
    session: Session, actor: Actor, store: FileStore, data: bytes, name: str, **target: object
) -> EvidenceItem:
    """Ingest bytes as evidence (case=...) or a reference photo (protectee=...)."""
    writer = stage_stream(io.BytesIO(data), store.temp)
    try:
        return ingest(
            session,
            actor,
            store,
            writer.staged(),
            original_filename=name,
            declared_mime="",
            settings=IngestSettings(10_000_000, 10),
            **target,
        )
    finally:
        writer.close()


@dataclass(frozen=True)
class Story:
    ref: str
    image_id: int
    reference_id: int
    notes_id: int
    withdrawn_id: int
    hashes: dict[int, str] = field(default_factory=dict)

    @property
    def included(self) -> list[int]:
        """The items a default briefing carries: every one not withdrawn."""
        return [self.image_id, self.notes_id]


def make_story(session: Session, lead: User, store: FileStore) -> Story:
    """The design's canonical story, for the fictional Lumina Social, through the services."""
    actor = actor_of(lead)
    ceo = create_protectee(
        session,
        actor,
        ProtecteeDetails(
            name="Dana Whitfield",
            title="Chief Executive Officer",
            private_home_address=HOME_ADDRESS,
            private_phone="+44 20 7946 0011",
        ),
    )
    founder = create_protectee(
        session, actor, ProtecteeDetails(name="Tomas Reyes", title="Co-founder")
    )
    staff = all_staff(session, actor)
    group = create_subject(
        session,
        actor,
        SubjectDetails(name="Crimson Dawn", kind="group", aliases=["CD", "Dawn Front"]),
    )
    accounts = [
        add_account(
            session,
            actor,
            group,
            AccountDetails(
                "Chirper", handle, status=status, first_seen=first, suspended_at=suspended
            ),
        )
        for handle, status, first, suspended in (
            ("@crimsondawn", "suspended", at(1, 5), at(3, 1)),
            ("@crimsondawn_2", "suspended", at(3, 2), at(5, 10)),
            ("@crimsondawn_3", "active", at(5, 12), None),
        )
    ]
    case = create_case(
        session,
        actor,
        lead,
        CaseDetails(
            title="Crimson Dawn threats against Lumina Social",
            summary="Supporters of Crimson Dawn threaten Lumina Social's staff and leaders "
            "after the suspension of the group's accounts.",
            priority="high",
            protectee_ids=[ceo.id, founder.id, staff.id],
            subject_ids=[group.id],
        ),
    )
    threats = [
        ThreatDetails(
            occurred_at=at(2, 20),
            channel="public_post",
            text=ARABIC,
            translation=ARABIC_TRANSLATION,
            language="ar",
            threat_type="direct",
            account_id=accounts[0].id,
            target_ids=[staff.id],
            grading_source="2",
            grading_information="B",
            grading_handling="P",
        ),
        ThreatDetails(
            occurred_at=at(3, 4),
            channel="public_post",
            text=ENGLISH,
            threat_type="direct",
            account_id=accounts[1].id,
            target_ids=[ceo.id],
        ),
        ThreatDetails(
            occurred_at=at(5, 14),
            channel="public_post",
            text="For every account you take, we open three. We see you, Tomas.",
            threat_type="veiled",
            account_id=accounts[2].id,
            target_ids=[founder.id],
        ),
    ]
    for details in threats:
        log_threat(session, actor, case, details)
    original = photo(seed=7)
    reference = put_file(
        session, actor, store, png_bytes(original), "reyes-portrait.png", protectee=founder
    )
    image = put_file(
        session, actor, store, png_bytes(with_crosshair(original)), "crosshairs.png", case=case
    )
    mark_manipulated(
        session, actor, image, "Crosshairs drawn on the co-founder's face.", reference.id
    )
    notes = put_file(
        session, actor, store, b"Screenshot notes: third account.\n", "notes.txt", case=case
    )
    duplicate = put_file(session, actor, store, b"A duplicate screenshot.\n", "dup.txt", case=case)
    withdraw(session, actor, duplicate, "Duplicate of another item.")
    rubric = load_rubric(BUILT_IN / "casemgr-default.toml")
    answers = {
        "directly_communicated_threat": Answer(1, RATIONALE),
        "target_specificity": Answer(2, "Names Dana Whitfield."),
        "identification": Answer(1, "Posts as a supporter of Crimson Dawn."),
    }
    create_assessment(session, actor, case, rubric, answers)
    create_task(session, actor, case, "Brief the reception desk", lead)
    for status in ("triage", "assessment"):
        transition_case(session, actor, lead.role, case, status, "Story step.")
    refer_case(
        session,
        actor,
        lead.role,
        case,
        ReferralDetails(
            agency="National Counter Terrorism Police",
            unit="Online Threats Unit",
            officer="DS Priya Nair",
            reference="NCTP-2026-0412",
        ),
    )
    session.flush()
    items = (image, notes, duplicate, reference)
    return Story(
        ref=case.ref,
        image_id=image.id,
        reference_id=reference.id,
        notes_id=notes.id,
        withdrawn_id=duplicate.id,
        hashes={item.id: item.sha256 for item in items},
    )


def pdf_pages(pdf: bytes, *options: str) -> list[str]:
    """The text of each page by poppler's pdftotext, NFKC-normalised (Arabic comes out in
    presentation forms)."""
    command = [PDFTOTEXT, *options, "-", "-"]
    # Our own fixed command on our own bytes, read from stdin.
    done = subprocess.run(command, input=pdf, capture_output=True, check=True)  # noqa: S603
    pages = done.stdout.decode().split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return [normalised(page) for page in pages]


def normalised(text: str) -> str:
    """NFKC (Arabic presentation forms to letters) without bidi controls such as U+202B."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(char for char in text if unicodedata.category(char) != "Cf")


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def has_quote(text: str, quote: str) -> bool:
    """`quote` is in `text` whole, in logical order or in visual order (all reversed), as
    extractors may give right-to-left script; failing that, every word of it, either way."""
    flat, wanted = squeezed(normalised(text)), squeezed(normalised(quote))
    if wanted in flat or wanted[::-1] in flat:
        return True
    words = set(normalised(text).split())
    return all(word in words or word[::-1] in words for word in normalised(quote).split())


def embedded_files(pdf: bytes) -> list[str]:
    """What the PDF carries besides its pages: /EmbeddedFiles, /FileAttachment annotations."""
    reader = PdfReader(io.BytesIO(pdf))
    found = []
    names = reader.trailer["/Root"].get("/Names")
    if names is not None and "/EmbeddedFiles" in names.get_object():
        found.append("/EmbeddedFiles")
    return found + [kind for kind in annotations(reader) if kind == "/FileAttachment"]


def annotations(reader: PdfReader) -> list[str]:
    """The subtype of every annotation (links, attachments...) on every page."""
    return [
        annotation.get_object().get("/Subtype")
        for page in reader.pages
        for annotation in page.get("/Annots") or []
    ]
