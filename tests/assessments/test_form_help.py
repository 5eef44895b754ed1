"""The assessment form explains itself: each rubric item's guidance sits next to the item and
is tied to its choices for screen readers, each point says what it means, and an item that
raises the level on its own says so."""

from __future__ import annotations

import re
from html import unescape

from casemgr.assessments.catalogue import BUILT_IN
from casemgr.assessments.rubric import load_rubric
from tests.cases.web import open_case, page_text

RUBRIC = load_rubric(BUILT_IN / "casemgr-default.toml")


def item_block(html: str, item_id: str) -> str:
    start = html.index(f'id="item-{item_id}"')
    following = html.find('class="row g-3 py-3 assessment-item', start + 1)
    return html[start : following if following > 0 else len(html)]


def form_page(client_as) -> str:
    client = client_as("analyst")
    ref = open_case(client)
    return unescape(page_text(client.get(f"/cases/{ref}/assessments/new")))


def test_each_item_has_its_guidance_tied_to_its_choices(client_as) -> None:
    html = form_page(client_as)
    for item in RUBRIC.items.values():
        block = item_block(html, item.id)
        assert f'<fieldset aria-describedby="guidance-{item.id}">' in block
        guidance = block[block.index(f'id="guidance-{item.id}"') :]
        assert item.guidance in guidance[: guidance.index("</div>")]


def test_each_point_says_what_it_means_beside_its_value(client_as) -> None:
    html = form_page(client_as)
    for item in RUBRIC.items.values():
        block = item_block(html, item.id)
        for point in item.scale:
            label = re.search(
                rf'<label class="form-check-label" for="point-{item.id}-{point.point}">'
                r'<span class="scale-point">(\d+)</span> ([^<]+)</label>',
                block,
            )
            assert label is not None and label.groups() == (str(point.point), point.label)


def test_an_item_that_raises_the_level_says_so_next_to_it(client_as) -> None:
    html = form_page(client_as)
    for rule in RUBRIC.overrides:
        guidance = item_block(html, rule.item)
        assert f"At {rule.at_least} or above: at least {rule.level}." in guidance
        assert rule.reason in guidance
    raised = {rule.item for rule in RUBRIC.overrides}
    quiet = next(item_id for item_id in RUBRIC.items if item_id not in raised)
    assert "or above: at least" not in item_block(html, quiet)


def test_each_item_shows_its_weight(client_as) -> None:
    html = form_page(client_as)
    for item in RUBRIC.items.values():
        assert f"weight {item.weight:g}</span>" in item_block(html, item.id)
