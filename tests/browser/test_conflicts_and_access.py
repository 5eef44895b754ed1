"""Two tabs editing one case, what a viewer is offered, and a restricted case seen from
outside, in a real browser with CSRF on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.seed import World, seed_world
from tests.browser.support import LiveServer, LogIn, Steps

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

# Every write action of the case page, as its button or link reads.
CASE_WRITE_ACTIONS = [
    "Log a threat",
    "Assess",
    "Change status",
    "Hand off",
    "Assign",
    "Refer to law enforcement",
    "Edit case",
    "Export briefing",
]


def expect(target: object, message: str | None = None) -> object:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target, message)


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> World:
    return seed_world(live_server.app)


def open_edit_form(page: Page, ref: str) -> None:
    page.goto(f"/cases/{ref}")
    page.get_by_role("toolbar", name="Case actions").get_by_role("link", name="Edit case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit {ref}")


def test_a_stale_edit_in_a_second_tab_gets_the_conflict_page(
    log_in: LogIn, world: World, steps: Steps
) -> None:
    first = log_in("analyst")
    second = first.context.new_page()
    with steps("open the edit form in two tabs", first, second):
        open_edit_form(first, world.ref)
        open_edit_form(second, world.ref)
    with steps("the first tab saves", first):
        first.get_by_label("Title").fill("Crimson Dawn: threats against the founders")
        first.get_by_role("button", name="Save case").click()
        expect(first.get_by_role("heading", level=1)).to_contain_text("against the founders")
    with steps("the second tab saves and gets the conflict page", second):
        second.get_by_label("Title").fill("Crimson Dawn: threats and doctored photos")
        second.get_by_role("button", name="Save case").click()
        expect(second.get_by_role("heading", level=1)).to_have_text(
            f"{world.ref} changed while you were editing"
        )
        expect(second.get_by_role("alert")).to_contain_text("Nothing of yours was saved yet")
        title_row = second.locator(
            "#differences tr", has=second.get_by_role("rowheader", name="Title")
        )
        expect(title_row).to_contain_text("threats and doctored photos")
        expect(title_row).to_contain_text("threats against the founders")
        expect(second.get_by_label("Title")).to_have_value(
            "Crimson Dawn: threats and doctored photos"
        )
    with steps("the first tab's save stands until the second saves again", first, second):
        first.reload()
        expect(first.get_by_role("heading", level=1)).to_contain_text("against the founders")
        second.get_by_role("button", name="Save case").click()
        expect(second.get_by_role("heading", level=1)).to_contain_text("doctored photos")


def link_or_button(scope: Page | Locator, name: str) -> Locator:
    """A link or button named `name`."""
    link = scope.get_by_role("link", name=name, exact=True)
    return link.or_(scope.get_by_role("button", name=name, exact=True))


def assert_absent(page: Page, names: list[str]) -> None:
    for name in names:
        expect(link_or_button(page, name), f"{page.url} offers {name!r} to a viewer").to_have_count(
            0
        )


def test_a_viewer_is_offered_no_write_actions(log_in: LogIn, world: World, steps: Steps) -> None:
    analyst, viewer = log_in("analyst"), log_in("viewer")
    with steps("the analyst's case page offers the actions", analyst):
        analyst.goto(f"/cases/{world.ref}")
        toolbar = analyst.get_by_role("toolbar", name="Case actions")
        for name in ("Log a threat", "Assess", "Change status", "Edit case"):
            expect(link_or_button(toolbar, name)).to_have_count(1)
    with steps("the viewer's case page does not", viewer):
        viewer.goto(f"/cases/{world.ref}")
        expect(viewer.get_by_role("heading", level=1)).to_contain_text(world.ref)
        assert_absent(viewer, [*CASE_WRITE_ACTIONS, "Import", "Take in", "Add task", "Done"])
        for form_id in ("#transition-form", "#handoff-form", "#assign-form", "#task-form"):
            expect(viewer.locator(form_id)).to_have_count(0)
        expect(viewer.locator("input[type=file]")).to_have_count(0)
    with steps("nor do the lists", viewer):
        viewer.goto("/cases")
        expect(viewer.get_by_role("link", name=world.ref)).to_be_visible()
        assert_absent(viewer, ["Open a case"])
        viewer.goto("/protectees")
        assert_absent(viewer, ["New protectee"])
        viewer.goto("/subjects")
        assert_absent(viewer, ["New subject"])
    with steps("nor the evidence, subject and protectee pages", viewer):
        viewer.goto(f"/cases/{world.ref}/evidence")
        expect(viewer.locator("#upload-form")).to_have_count(0)
        expect(viewer.locator("input[type=file]")).to_have_count(0)
        viewer.goto(f"/evidence/{world.evidence_id}")
        for action in ("Mark as manipulated", "Record a transfer", "Withdraw"):
            expect(viewer.get_by_text(action, exact=True)).to_have_count(0)
        viewer.goto(f"/subjects/{world.subject_id}")
        assert_absent(viewer, ["Add account", "Edit", "BOLO sheet"])
        viewer.goto(f"/protectees/{world.protectee_id}")
        assert_absent(viewer, ["Edit", "Archive", "Add"])
        expect(viewer.locator("input[type=file]")).to_have_count(0)


def test_a_restricted_case_is_out_of_reach_of_non_members(
    log_in: LogIn, world: World, steps: Steps
) -> None:
    member, outsider = log_in("analyst"), log_in("analyst2")
    with steps("the owner sees it listed", member):
        member.goto("/cases")
        expect(member.get_by_role("link", name=world.restricted_ref)).to_be_visible()
        member.goto("/search?q=travel")
        expect(member.get_by_text(world.restricted_ref).first).to_be_visible()
    with steps("an outsider does not see it listed", outsider):
        outsider.goto("/cases")
        expect(outsider.get_by_role("link", name=world.ref)).to_be_visible()
        expect(outsider.get_by_role("link", name=world.restricted_ref)).to_have_count(0)
        expect(outsider.get_by_text(world.restricted_title)).to_have_count(0)
    with steps("nor found by search", outsider):
        outsider.goto("/search?q=travel")
        expect(outsider.get_by_text(world.restricted_ref)).to_have_count(0)
    with steps("and the case page is an error page", outsider):
        for path in (f"/cases/{world.restricted_ref}", f"/cases/{world.restricted_ref}/edit"):
            response = outsider.goto(path)
            # 404, not 403, by design: a restricted reference must not leak that it exists
            # (casemgr.cases.access.get_case_or_404).
            assert response is not None and response.status == 404, (
                path,
                response and response.status,
            )
            expect(outsider.get_by_role("heading", level=1)).not_to_contain_text(
                world.restricted_title
            )
            expect(outsider.locator("main")).not_to_contain_text(world.restricted_title)
            expect(outsider.get_by_role("link", name="Back to the dashboard")).to_be_visible()
