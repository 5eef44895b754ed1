"""Briefings of the canonical story, rendered to PDF and read back as text: the mark and the
page numbers on every page, verbatim quotes, hashes and the assessment, redaction of private
details, hostile threat text, and what an export records (or, when it fails, does not)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import func, select

from casemgr.briefings import operations
from casemgr.briefings.models import Briefing
from casemgr.briefings.operations import ExportSettings, export_briefing
from casemgr.briefings.render import BriefingFetcher
from casemgr.briefings.snapshot import BriefingOptions
from casemgr.cases.models import Case
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.errors import ValidationFailed
from casemgr.evidence.models import CustodyEvent, EvidenceItem
from casemgr.evidence.store import FileStore
from casemgr.extensions import db
from casemgr.threats.operations import ThreatDetails, log_threat
from tests.briefings.story import (
    ARABIC,
    ARABIC_TRANSLATION,
    ENGLISH,
    HOME_ADDRESS,
    HOSTILE,
    HOSTILE_PARTS,
    RATIONALE,
    Story,
    actor_of,
    annotations,
    at,
    embedded_files,
    has_quote,
    make_story,
    pdf_pages,
    squeezed,
)
from tests.conftest import build_app, close_app, fresh_database
from tests.factories import make_user


@dataclass
class Rendered:
    briefing_id: int
    pdf: bytes
    pages: list[str]  # laid out as printed: the running head and foot are first and last
    text: str  # in reading order, cell by cell
    fetcher: BriefingFetcher


@pytest.fixture(scope="module")
def story_app(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for the whole module: the story and its briefings are made once."""
    instance = tmp_path_factory.mktemp("briefing-instance")
    app = build_app(instance, fresh_database(migrated_database, instance))
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def world(story_app: Flask) -> Iterator[dict[str, object]]:
    """The story, committed, and a way to export briefings of it with an inspectable fetcher."""
    with story_app.app_context():
        lead = make_user(db.session, "lead", display_name="Morgan Hale")
        store = FileStore(Path(story_app.config["CASEMGR_DATA_DIR"]))
        story = make_story(db.session, lead, store)
        hostile = create_case(db.session, actor_of(lead), lead, CaseDetails(title="Hostile text"))
        log_threat(
            db.session,
            actor_of(lead),
            hostile,
            ThreatDetails(
                occurred_at=at(6, 1), channel="email", text=HOSTILE, threat_type="veiled"
            ),
        )
        db.session.commit()
        yield {"lead": lead, "store": store, "story": story, "hostile_ref": hostile.ref}
        db.session.rollback()


def export(world: dict[str, object], ref: str, scheme: str = "tlp", **options: object) -> Rendered:
    """Export a briefing through the service, keeping the fetcher it rendered with."""
    made: list[BriefingFetcher] = []

    class Recording(BriefingFetcher):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)
            made.append(self)

    lead = world["lead"]
    case = db.session.scalar(select(Case).where(Case.ref == ref))
    values = {"recipient": "National Counter Terrorism Police, Online Threats Unit, DS Priya Nair"}
    values |= {"marking": "TLP:AMBER", "author": lead.label} | options
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(operations, "BriefingFetcher", Recording)
        briefing, pdf = export_briefing(
            db.session,
            actor_of(lead),
            case,
            BriefingOptions(**values),
            world["store"],
            ExportSettings(scheme, {"public_key": "ab" * 32, "fingerprint": "abcd:ef01"}),
        )
    db.session.commit()
    text = "\n".join(pdf_pages(pdf))
    return Rendered(briefing.id, pdf, pdf_pages(pdf, "-layout"), text, made[0])


@pytest.fixture(scope="module")
def redacted(story_app: Flask, world: dict[str, object]) -> Iterator[Rendered]:
    with story_app.app_context():
        yield export(world, world["story"].ref)


@pytest.fixture(scope="module")
def with_private(story_app: Flask, world: dict[str, object]) -> Iterator[Rendered]:
    with story_app.app_context():
        yield export(world, world["story"].ref, include_private=True, marking="TLP:RED")


@pytest.fixture(scope="module")
def hostile(story_app: Flask, world: dict[str, object]) -> Iterator[Rendered]:
    with story_app.app_context():
        yield export(world, world["hostile_ref"])


@pytest.fixture
def app_context(story_app: Flask) -> Iterator[None]:
    with story_app.app_context():
        yield
        db.session.rollback()


def test_every_page_carries_the_mark_and_page_x_of_y(redacted: Rendered) -> None:
    pages = redacted.pages
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        lines = [line.strip() for line in page.strip().splitlines() if line.strip()]
        assert lines[0].startswith("TLP:AMBER"), f"page {number} head: {lines[0]}"
        assert lines[-1].startswith("TLP:AMBER"), f"page {number} foot: {lines[-1]}"
        assert lines[-1].endswith(f"page {number} of {len(pages)}")
        assert "TA-2026-" in lines[0]


def test_the_cover_names_recipient_author_version_and_handling_rule(
    redacted: Rendered, world: dict[str, object]
) -> None:
    cover = redacted.pages[0]
    assert "National Counter Terrorism Police, Online Threats Unit, DS Priya Nair" in cover
    assert "Morgan Hale" in cover
    assert "limited disclosure, restricted to the recipient's organisation" in cover
    assert "Protectees' private details are withheld" in cover
    assert "fingerprint abcd:ef01" in cover


def test_quotes_are_verbatim_in_arabic_and_english(redacted: Rendered) -> None:
    text = redacted.text
    assert has_quote(text, ARABIC)
    assert squeezed(ENGLISH) in squeezed(text)
    assert squeezed(ARABIC_TRANSLATION) in squeezed(text)
    assert "2BP" in text and "Knownindirectlytothesourcebutcorroborated" in squeezed(text)


def test_every_included_item_is_listed_with_its_sha256(
    redacted: Rendered, world: dict[str, object]
) -> None:
    story: Story = world["story"]
    text = redacted.text
    for item_id in story.included:
        assert text.count(story.hashes[item_id]) >= 2  # the evidence list and the appendix
    assert story.hashes[story.withdrawn_id] not in text
    assert "crosshairs.png" in text and "Crosshairs drawn on the co-founder's face." in text
    assert "Original: reference photo of Tomas Reyes" in text


def test_the_assessment_lists_its_items_with_answers_and_rationale(redacted: Rendered) -> None:
    text = redacted.text
    for label in (
        "Directly communicated threat",
        "Specificity of the target",
        "Identification with a violent cause or",
        "Last resort",
        "Approach behaviour",
    ):
        assert label in text
    assert "2/2: A named or clearly" in text
    assert squeezed(RATIONALE) in squeezed(text)
    assert "casemgr-default version 1" in text


def test_the_story_sections_are_all_there(redacted: Rendered) -> None:
    text = redacted.text
    for expected in (
        "Bottom line up front",
        "@crimsondawn_2",
        "@crimsondawn_3",
        "Dawn Front",
        "National Counter Terrorism Police",
        "NCTP-2026-0412",
        "Brief the reception desk",
        "Requested actions: account preservation",
        "Appendix: chain of custody",
    ):
        assert expected in text


def test_the_home_address_is_withheld_unless_asked_for(
    redacted: Rendered, with_private: Rendered
) -> None:
    withheld, shown = squeezed(redacted.text), squeezed(with_private.text)
    assert squeezed(HOME_ADDRESS) not in withheld
    assert "withheld" in withheld
    assert squeezed(HOME_ADDRESS) in shown
    assert "+442079460011" in shown
    assert all(page.strip().splitlines()[0].startswith("TLP:RED") for page in with_private.pages)


def test_the_fetcher_served_only_the_stylesheet_and_the_items_images(
    redacted: Rendered, world: dict[str, object]
) -> None:
    story: Story = world["story"]
    assert redacted.fetcher.refused == []
    assert sorted(redacted.fetcher.served) == sorted(
        [
            "casemgr:assets/briefing.css",
            f"casemgr:evidence/{story.image_id}.jpg",
            f"casemgr:evidence/{story.reference_id}.jpg",
        ]
    )


def test_hostile_threat_text_is_printed_as_text_and_never_fetched(hostile: Rendered) -> None:
    text = squeezed(hostile.text)
    for part in HOSTILE_PARTS:
        assert squeezed(part) in text
    assert "Threatchronology" in text  # the <style> did not hide the body
    assert hostile.fetcher.refused == []
    assert hostile.fetcher.served == ["casemgr:assets/briefing.css"]
    assert embedded_files(hostile.pdf) == []
    assert annotations(PdfReader(io.BytesIO(hostile.pdf))) == []  # no link was made either


def test_briefings_carry_no_embedded_files(redacted: Rendered) -> None:
    assert embedded_files(redacted.pdf) == []


def test_the_export_is_stored_and_logged_as_disclosed(
    app_context: None, redacted: Rendered, world: dict[str, object]
) -> None:
    story: Story = world["story"]
    briefing = db.session.get(Briefing, redacted.briefing_id)
    case = db.session.scalar(select(Case).where(Case.ref == story.ref))
    assert briefing.kind == "briefing" and briefing.case_id == case.id
    assert briefing.sha256 == hashlib.sha256(redacted.pdf).hexdigest()
    assert briefing.size == len(redacted.pdf)
    assert world["store"].path(briefing.sha256).read_bytes() == redacted.pdf
    assert briefing.created_by.username == "lead"
    assert briefing.recipient.startswith("National Counter Terrorism Police")
    assert briefing.marking == "TLP:AMBER" and not briefing.include_private
    assert briefing.case_version == case.version
    assert sorted(item.id for item in briefing.evidence) == sorted(story.included)
    assert briefing.created_at is not None


def test_each_included_item_got_a_briefed_custody_event(
    app_context: None, redacted: Rendered, world: dict[str, object]
) -> None:
    story: Story = world["story"]
    for item_id in (*story.included, story.withdrawn_id):
        notes = db.session.scalars(
            select(CustodyEvent.note).where(
                CustodyEvent.evidence_id == item_id, CustodyEvent.action == "briefed"
            )
        ).all()
        expected = f"Included in briefing #{redacted.briefing_id} for National Counter"
        assert any(note.startswith(expected) for note in notes) == (item_id in story.included)


def test_a_failed_render_leaves_no_disclosure_and_no_custody(
    app_context: None, world: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> bytes:
        raise RuntimeError("renderer crashed")

    def counts() -> tuple[int, int]:
        briefed = select(func.count()).where(CustodyEvent.action == "briefed")
        return db.session.scalar(select(func.count(Briefing.id))), db.session.scalar(briefed)

    before = counts()
    monkeypatch.setattr(operations, "render_pdf", broken)
    with pytest.raises(RuntimeError):
        export(world, world["story"].ref)
    db.session.rollback()
    assert counts() == before


def test_options_outside_the_scheme_or_the_case_are_refused(
    app_context: None, world: dict[str, object]
) -> None:
    story: Story = world["story"]
    with pytest.raises(ValidationFailed) as refused:
        export(world, story.ref, scheme="government")  # TLP:AMBER is not a government mark
    assert "tlp" in refused.value.errors
    other = db.session.scalar(select(EvidenceItem.id).where(EvidenceItem.case_id.is_(None)))
    with pytest.raises(ValidationFailed) as refused:
        export(world, story.ref, evidence_ids=(story.image_id, other), sections=("nonsense",))
    assert set(refused.value.errors) == {"evidence_ids", "sections"}


def test_a_government_mark_is_printed_on_every_page(
    app_context: None, world: dict[str, object]
) -> None:
    story: Story = world["story"]
    rendered = export(
        world,
        story.ref,
        scheme="government",
        marking="OFFICIAL-SENSITIVE",
        sections=("summary", "threats"),
        evidence_ids=(story.notes_id,),
    )
    for number, page in enumerate(rendered.pages, start=1):
        lines = [line.strip() for line in page.strip().splitlines()]
        assert lines[0].startswith("OFFICIAL-SENSITIVE") and lines[-1].startswith("OFFICIAL")
        assert lines[-1].endswith(f"page {number} of {len(rendered.pages)}")
    text = rendered.text
    assert "need-to-know only" in text
    assert "Current assessment" not in text and "Appendix: chain of custody" not in text
    assert db.session.get(Briefing, rendered.briefing_id).sections == ["summary", "threats"]
