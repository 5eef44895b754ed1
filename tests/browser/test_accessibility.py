"""Automated accessibility checks of the main pages with axe-core (vendored, injected from
disk: no network), and no horizontal scrolling at laptop and tablet widths.

axe finds only part of what a person with a screen reader or a keyboard would; a clean run
is the floor, not the goal."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.seed import World, seed_world
from tests.browser.support import LiveServer, log_in_page, new_context

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
WIDTHS = {"laptop": (1366, 768), "tablet": (768, 1024)}
# name -> path (a function of the seeded world); the login page is seen logged out.
PAGES = {
    "login": lambda world: "/login",
    "dashboard": lambda world: "/",
    "case list": lambda world: "/cases",
    "case page": lambda world: f"/cases/{world.ref}",
    "case page, panels open": lambda world: f"/cases/{world.ref}",
    "evidence gallery": lambda world: f"/cases/{world.ref}/evidence",
    "evidence item": lambda world: f"/evidence/{world.evidence_id}",
    "assessment form": lambda world: f"/cases/{world.ref}/assessments/new",
    "search results": lambda world: "/search?q=crimsondawn",
    "protectees": lambda world: "/protectees",
    "protectee page": lambda world: f"/protectees/{world.protectee_id}",
    "subject page": lambda world: f"/subjects/{world.subject_id}",
    "settings": lambda world: "/settings",
}

RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((rule) => ({
    id: rule.id,
    impact: rule.impact,
    help: rule.help,
    nodes: rule.nodes.map((node) => ({
      target: node.target.join(" "),
      impact: node.impact,
      summary: (node.failureSummary || "").replace(/\\s+/g, " "),
    })),
  }));
}"""

# The innermost elements reaching past the viewport's right edge, outside any scrolling box:
# the ones to look at when a page scrolls sideways.
WIDEST = """() => {
  const root = document.documentElement;
  const limit = root.clientWidth + 1;
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if (["auto", "scroll", "hidden", "clip"].includes(overflow)) return true;
    }
    return false;
  };
  const over = (el) => el.getBoundingClientRect().right > limit;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    [...el.classList].map((c) => "." + c).join("");
  const culprits = [...document.body.querySelectorAll("*")].filter(
    (el) => over(el) && !clipped(el) && ![...el.children].some(over));
  return {
    scrollWidth: root.scrollWidth,
    clientWidth: root.clientWidth,
    culprits: culprits.slice(0, 5).map(
      (el) => name(el) + " (right edge " + Math.round(el.getBoundingClientRect().right) + "px)"),
  };
}"""


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> World:
    return seed_world(live_server.app)


@pytest.fixture(scope="module")
def pages(browser: Browser, live_server: LiveServer, world: World) -> Iterator[dict[str, Page]]:
    """A logged-out page and the lead's page (the lead is offered the most), in contexts
    that let axe's script in despite the app's Content-Security-Policy."""
    anonymous = new_context(browser, live_server.url, bypass_csp=True)
    lead = new_context(browser, live_server.url, bypass_csp=True)
    yield {"anonymous": anonymous.new_page(), "lead": log_in_page(lead, "lead")}
    anonymous.close()
    lead.close()


def open_page(pages: dict[str, Page], world: World, name: str) -> Page:
    page = pages["anonymous" if name == "login" else "lead"]
    response = page.goto(PAGES[name](world))
    assert response is not None and response.ok, f"{name}: {response and response.status}"
    if name.endswith("panels open"):
        open_panels(page)
    return page


def open_panels(page: Page) -> None:
    """Expand every collapsed panel of the case actions (status, handoff, assign): axe skips
    what is hidden."""
    from playwright.sync_api import expect

    toggles = page.get_by_role("toolbar", name="Case actions").locator("[aria-controls]")
    assert toggles.count() > 0, "no panel to open on the case page"
    for toggle in toggles.all():
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        panel = page.locator(f"#{toggle.get_attribute('aria-controls')}")
        expect(panel).to_have_class(re.compile(r"\bshow\b"))


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for rule in violations:
        lines.append(f"{rule['id']} ({rule['impact']}): {rule['help']}")
        lines += [f"    {node['target']}: {node['summary']}" for node in rule["nodes"]]
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_has_no_serious_accessibility_violations(
    pages: dict[str, Page], world: World, name: str
) -> None:
    page = open_page(pages, world, name)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE)
    if violations:  # shown with -s or -rA, also the minor and moderate ones
        print(f"axe on the {name} page ({page.url}):\n{describe(violations)}")
    blocking = [rule for rule in violations if rule["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe on the {name} page ({page.url}):\n{describe(blocking)}"


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_main_pages_do_not_scroll_sideways(
    pages: dict[str, Page], world: World, width: str
) -> None:
    wide = {}
    for page in pages.values():
        page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    for name in PAGES:
        page = open_page(pages, world, name)
        measured = page.evaluate(WIDEST)
        if measured["scrollWidth"] > measured["clientWidth"]:
            wide[name] = measured
    assert not wide, f"Pages scrolling sideways at {width} width {WIDTHS[width]}:\n" + "\n".join(
        f"{name}: {json.dumps(measured)}" for name, measured in wide.items()
    )


# Ids used more than once that something points at: a label's `for`, an ARIA reference or
# a fragment link reaches only the first element of the id, wherever it is on the page.
DUPLICATE_IDS = """() => {
  const count = {};
  for (const el of document.querySelectorAll("[id]")) count[el.id] = (count[el.id] || 0) + 1;
  const pointers = [];
  for (const el of document.querySelectorAll("label[for]")) {
    pointers.push(["label for", el.htmlFor]);
  }
  for (const attribute of ["aria-labelledby", "aria-describedby", "aria-controls"]) {
    for (const el of document.querySelectorAll(`[${attribute}]`)) {
      for (const id of el.getAttribute(attribute).split(/\\s+/)) pointers.push([attribute, id]);
    }
  }
  for (const el of document.querySelectorAll("a[href^='#']")) {
    pointers.push(["link", el.getAttribute("href").slice(1)]);
  }
  const found = {};
  for (const [how, id] of pointers) {
    if (count[id] > 1) {
      const tags = [...document.querySelectorAll(`[id="${CSS.escape(id)}"]`)].map(
        (el) => el.tagName.toLowerCase());
      found[id] = `${how} "${id}" reaches the first of ${tags.join(", ")}`;
    }
  }
  return Object.values(found);
}"""


def test_what_labels_and_aria_point_at_is_unique(pages: dict[str, Page], world: World) -> None:
    """axe 4.7+ no longer checks ids; a field sharing its id with something before it has no
    label in the browser (Playwright's get_by_label, screen readers) though axe sees one."""
    duplicated = {}
    for name in PAGES:
        found = open_page(pages, world, name).evaluate(DUPLICATE_IDS)
        if found:
            duplicated[name] = found
    assert not duplicated, "Ids pointed at but used more than once:\n" + "\n".join(
        f"{name}: {'; '.join(found)}" for name, found in duplicated.items()
    )
