"""The canonical story of the design, clicked through in a real browser: protectees with a
reference photo, a group with suspended accounts, a case, threats (one in Arabic), a doctored
photo matched to its original, an assessment, a handoff accepted by another analyst in their
own browser, a referral and a briefing downloaded as a PDF."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from pypdf import PdfReader

from tests.browser.support import (
    ARABIC_CALL,
    CEO,
    FOUNDER,
    GROUP,
    LogIn,
    Steps,
    crosshairs_png,
    file_payload,
    portrait_png,
)

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

TITLE = "Crimson Dawn threats against Lumina Social"
ACCOUNTS = [
    ("@crimsondawn", "suspended", "2026-01-05T08:00", "2026-03-01T12:00"),
    ("@crimsondawn_2", "suspended", "2026-03-02T09:00", "2026-05-10T12:00"),
    ("@crimsondawn_3", "active", "2026-05-12T07:30", ""),
]


def expect(target: object, message: str | None = None) -> object:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target, message)


def fact(page: Page, term: str) -> Locator:
    """The value of a fact in a definition list, by its term."""
    return page.locator("dt", has_text=term).locator("xpath=following-sibling::dd[1]")


def actions(page: Page) -> Locator:
    return page.get_by_role("toolbar", name="Case actions")


def add_protectee(page: Page, name: str, title: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Protectees").click()
    page.get_by_role("link", name="New protectee").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Home address").fill("12 Quay Road, Port Elling")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def add_reference_photo(page: Page) -> None:
    section = page.locator("#reference-photos")
    section.get_by_label("Add reference photos").set_input_files(
        file_payload("reyes-portrait.png", portrait_png())
    )
    section.get_by_label("Caption").fill("Press portrait by a staff photographer")
    section.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Reference photo reyes-portrait.png added.")).to_be_visible()
    expect(
        section.get_by_role("img", name=re.compile(f"Reference photo .* of {FOUNDER}"))
    ).to_be_visible()


def add_group_with_accounts(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Subjects").click()
    page.get_by_role("link", name="New subject").click()
    page.get_by_label("Name").fill(GROUP)
    page.get_by_label("Kind").select_option("group")
    page.get_by_label("Aliases").fill("CD\nDawn Front")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(GROUP)
    for handle, status, first_seen, suspended_at in ACCOUNTS:
        page.get_by_role("link", name="Add account").click()
        page.get_by_label("Platform", exact=True).fill("Chirper")
        page.get_by_label("Handle").fill(handle)
        page.get_by_label("Status").select_option(status)
        page.get_by_label("First seen").fill(first_seen)
        if suspended_at:
            page.get_by_label("Suspended at").fill(suspended_at)
        page.get_by_role("button", name="Save account").click()
        expect(page.locator("#account-list")).to_contain_text(handle)


def check_accounts(page: Page) -> None:
    rows = page.locator("#account-list tbody tr")
    expect(rows).to_have_count(3)
    handles = [row.locator("td").nth(1).inner_text() for row in rows.all()]
    assert handles == [handle for handle, *_ in ACCOUNTS]  # by first seen
    for row, (_, status, _, suspended_at) in zip(rows.all(), ACCOUNTS, strict=True):
        expect(row.locator("td").nth(3)).to_contain_text(status)
        expect(row.locator("td").nth(6)).to_contain_text(suspended_at[:10] if suspended_at else "")
    expect(page.locator("#account-list .account-suspended")).to_have_count(2)
    expect(page.locator("#account-list").get_by_text("opened after suspension")).to_have_count(2)


def open_case(page: Page) -> str:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    page.get_by_role("link", name="Open a case").click()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Priority").select_option("high")
    page.get_by_label("Protectees").select_option(
        [f"{CEO}, Chief Executive Officer", f"{FOUNDER}, Co-founder", "All staff"]
    )
    page.get_by_label("Subjects").select_option(f"{GROUP} (group)")
    page.get_by_role("button", name="Save case").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    ref = page.url.rstrip("/").rsplit("/", 1)[-1]
    protectees = fact(page, "Protectees")
    for name in (CEO, FOUNDER, "All staff"):
        expect(protectees).to_contain_text(name)
    expect(fact(page, "Subjects")).to_contain_text(GROUP)
    return ref


def log_threat(page: Page, occurred_at: str, text: str, target: str, **extra: str) -> None:
    page.get_by_role("link", name="Log a threat").click()
    page.get_by_label("Occurred at").fill(occurred_at)
    page.get_by_label("Channel").select_option("public_post")
    page.get_by_label("Threat type").select_option(extra.pop("threat_type", "direct"))
    page.get_by_label("Account", exact=True).select_option(label=extra.pop("account"))
    page.get_by_label("Verbatim text").fill(text)
    page.get_by_label("Targets").select_option(label=target)
    for label, value in extra.items():
        field = page.get_by_label(label, exact=True)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.get_by_role("button", name="Save threat").click()
    expect(page.locator("#threats")).to_contain_text(text[:40])


def check_arabic_is_right_to_left(page: Page) -> None:
    cell = page.locator("#threats .verbatim", has_text=ARABIC_CALL)
    expect(cell).to_have_attribute("dir", "auto")
    assert cell.evaluate("e => getComputedStyle(e).direction") == "rtl"
    english = page.locator("#threats .verbatim", has_text="Whitfield will pay")
    assert english.evaluate("e => getComputedStyle(e).direction") == "ltr"


def open_panel(page: Page, button: str, panel: str) -> None:
    """Open a case action's folding panel, and wait for it to finish unfolding: a click on
    its form while it still moved was twice lost, on a machine busy with other work."""
    actions(page).get_by_role("button", name=button).click()
    expect(page.locator(panel)).to_have_class(re.compile(r"(^|\s)show(\s|$)"))  # set once unfolded


def move_to(page: Page, status: str, reason: str) -> None:
    open_panel(page, "Change status", "#panel-status")
    form = page.locator("#transition-form")
    form.get_by_label("Move to").select_option(status)
    form.get_by_label("Reason").fill(reason)
    form.get_by_role("button", name="Change status").click()
    expect(page.locator("#timeline")).to_contain_text(f"→ {status}")


def upload_doctored_photo(page: Page) -> None:
    evidence = page.locator("#evidence")
    evidence.get_by_role("link", name="Gallery and upload").click()
    page.get_by_text("Add evidence").click()
    form = page.locator("#upload-form")
    form.get_by_label("Files").set_input_files(file_payload("crosshairs.png", crosshairs_png()))
    form.get_by_label("Description").fill(
        "Photo of Tomas Reyes with crosshairs, posted by @crimsondawn_3"
    )
    form.get_by_label("How").select_option("screenshot")
    form.get_by_role("button", name="Upload").click()
    # Posted by the form, or file by file by the page's script, which then reloads it.
    card = page.locator("#gallery .card", has_text="crosshairs.png")
    expect(card.get_by_text("1 match")).to_be_visible()
    card.get_by_role("link", name=re.compile(r"^#\d+$")).click()


# An image's width once it has loaded (made on demand, it may still be on its way); 0 if it
# failed.
LOADED_WIDTH = """e => e.complete ? e.naturalWidth : new Promise(done => {
    e.addEventListener("load", () => done(e.naturalWidth), {once: true});
    e.addEventListener("error", () => done(0), {once: true});
})"""


def check_match_to_reference(page: Page) -> None:
    matches = page.locator("#matches")
    expect(matches).to_contain_text(f"Derived from reference photo of {FOUNDER}")
    distance = re.search(r"distance (\d+)", matches.inner_text())
    assert distance and int(distance.group(1)) <= 10, matches.inner_text()
    matches.get_by_text("What changed").click()
    difference = matches.get_by_role("img", name=re.compile("Differences between item"))
    expect(difference).to_be_visible()
    assert difference.evaluate(LOADED_WIDTH) > 0, "the difference image did not load"


def assess(page: Page) -> None:
    page.get_by_role("link", name="Assess", exact=True).click()
    form = page.locator("#assessment-form")
    for radio in form.locator("input[type=radio][value='0']").all():
        radio.check()
    answers = {
        "directly_communicated_threat": ("1", "Public calls to kill the staff and the CEO."),
        "target_specificity": ("2", "The CEO is named; the co-founder's face is used."),
    }
    for item_id, (point, rationale) in answers.items():
        form.locator(f"#point-{item_id}-{point}").check()
        form.locator(f"#rationale-{item_id}").fill(rationale)
    form.get_by_role("button", name="Preview score").click()
    expect(page.locator("#preview-result")).to_be_visible()
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ssessment")


def hand_off(page: Page, to_label: str) -> None:
    open_panel(page, "Hand off", "#panel-handoff")
    form = page.locator("#handoff-form")
    form.get_by_label("Hand to").select_option(label=to_label)
    form.get_by_label("Situation").fill("Two threats logged; the group reopens accounts.")
    concern = form.get_by_label("Current concern")
    expect(concern, "the 'Current concern' label names no field of the form").to_have_count(1)
    concern.fill("Rising: the co-founder's face was targeted.")
    form.get_by_label("Next steps").fill("Refer to the national counter-terrorism unit.")
    form.get_by_role("button", name="Offer handoff").click()
    expect(page.locator("#pending-handoff")).to_contain_text("analyst2")


def accept_handoff(page: Page, ref: str) -> None:
    waiting = page.locator("#handoffs-waiting")
    waiting.get_by_role("link", name=re.compile(ref)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Handoff of {ref}")
    page.locator("#accept-handoff").click()
    expect(page.locator("#case-owner")).to_contain_text("analyst2")
    expect(page.locator("#pending-handoff")).to_have_count(0)


def refer(page: Page) -> None:
    page.get_by_role("link", name="Refer to law enforcement").click()
    page.get_by_label("Agency").fill("National Counter-Terrorism Police")
    page.get_by_label("Unit").fill("Protective Security")
    page.get_by_label("Officer").fill("DS Imogen Hart")
    page.get_by_label("Their reference").fill("NCTP-26-0412")
    page.get_by_role("button", name="Record referral").click()
    expect(page.locator("#referrals")).to_contain_text("National Counter-Terrorism Police")
    expect(page.locator("#timeline")).to_contain_text("→ referred")


RENDER_TIMEOUT_MS = 90_000


def export_briefing(page: Page, ref: str, folder: Path) -> Path:
    page.locator("#export-briefing").click()
    recipient = "National Counter-Terrorism Police, DS Imogen Hart"
    page.get_by_role("textbox", name="Recipient").fill(recipient)
    page.get_by_role("radio", name=re.compile(r"^TLP:AMBER ")).check()
    # Rendering takes seconds (more on a busy machine): wait for the log page, not the click.
    page.get_by_role("button", name="Generate PDF").click(no_wait_after=True)
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"Disclosure log of {ref}", timeout=RENDER_TIMEOUT_MS
    )
    expect(page.locator("#disclosures")).to_contain_text("DS Imogen Hart")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").first.click()
    download = download_info.value
    assert download.suggested_filename.startswith(ref)
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def test_the_canonical_story_clicked_through(log_in: LogIn, steps: Steps, tmp_path: Path) -> None:
    lead = log_in("lead")
    with steps("add the protectees and the co-founder's reference photo", lead):
        add_protectee(lead, CEO, "Chief Executive Officer")
        add_protectee(lead, FOUNDER, "Co-founder")
        add_reference_photo(lead)
    with steps("add the group and its accounts", lead):
        add_group_with_accounts(lead)
        check_accounts(lead)
    with steps("open the case", lead):
        ref = open_case(lead)
    with steps("log the threats", lead):
        log_threat(
            lead,
            "2026-02-20T21:00",
            ARABIC_CALL,
            "All staff",
            account="Chirper @crimsondawn (suspended) — Crimson Dawn",
            Translation="Kill every employee of Lumina Social and its management",
            Language="ar",
        )
        log_threat(
            lead,
            "2026-03-03T10:15",
            "Whitfield will pay for every account he takes from us.",
            f"{CEO}, Chief Executive Officer",
            account="Chirper @crimsondawn_2 (suspended) — Crimson Dawn",
            threat_type="conditional",
        )
        check_arabic_is_right_to_left(lead)
    with steps("move the case on to assessment", lead):
        move_to(lead, "triage", "Two threats in, one naming the CEO.")
        move_to(lead, "assessment", "The group is credible: assess it.")
    with steps("upload the doctored photo and see its original", lead):
        upload_doctored_photo(lead)
        check_match_to_reference(lead)
    with steps("assess with the default rubric", lead):
        lead.goto(f"/cases/{ref}")
        assess(lead)
        lead.goto(f"/cases/{ref}")
        concern = lead.locator("#concern-heading").locator("xpath=..")
        expect(concern).to_contain_text("casemgr-default")
    with steps("hand off to the second analyst", lead):
        hand_off(lead, "Lena Brandt (analyst2)")
    analyst2 = log_in("analyst2")
    with steps("the second analyst accepts in their own browser", analyst2):
        accept_handoff(analyst2, ref)
    with steps("refer the case", lead):
        lead.reload()
        expect(lead.locator("#case-owner")).to_contain_text("analyst2")
        refer(lead)
    with steps("export and download the briefing", lead):
        pdf = export_briefing(lead, ref, tmp_path)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert ref in text
    assert "National Counter-Terrorism Police" in text
    assert "TLP:AMBER" in text
