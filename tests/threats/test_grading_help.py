"""The threat form explains every 3x5x2 code under its field, and ties that help to the
field for screen readers."""

from __future__ import annotations

import re
from html import unescape

import pytest

from casemgr.threats.forms import (
    HANDLING_MEANINGS,
    INFORMATION_MEANINGS,
    SOURCE_MEANINGS,
    ThreatForm,
)
from tests.cases.web import open_case, page_text

GRADING_FIELDS = {
    "grading_source": SOURCE_MEANINGS,
    "grading_information": INFORMATION_MEANINGS,
    "grading_handling": HANDLING_MEANINGS,
}


@pytest.fixture
def form_html(client_as) -> str:
    client = client_as("analyst")
    ref = open_case(client)
    response = client.get(f"/cases/{ref}/threats/new")
    assert response.status_code == 200
    return unescape(page_text(response))


def help_of(html: str, name: str) -> str:
    start = html.index(f'id="{name}-help"')
    return html[start : html.index("</dl>", start)]


@pytest.mark.parametrize("name", GRADING_FIELDS)
def test_each_grading_field_is_described_by_its_help(form_html: str, name: str) -> None:
    select = re.search(rf"<select[^>]*\bname=\"{name}\"[^>]*>", form_html)
    assert select is not None and f'aria-describedby="{name}-help"' in select.group(0)
    description = ThreatForm.__dict__[name].kwargs["description"]
    assert description in help_of(form_html, name)


@pytest.mark.parametrize(("name", "meanings"), GRADING_FIELDS.items())
def test_every_code_is_explained_under_its_field(form_html: str, name, meanings) -> None:
    listed = dict(re.findall(r"<dt>(\w)</dt><dd>([^<]+)</dd>", help_of(form_html, name)))
    assert list(listed) == list(meanings)
    for code, meaning in meanings.items():
        # The short meaning the select shows, then what the code asks of the analyst.
        assert listed[code].startswith(f"{meaning}. ") and len(listed[code]) > len(meaning) + 10


def test_a_graded_threat_is_saved_with_the_codes_chosen(client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    data = {
        "occurred_at": "2026-02-01T10:00",
        "channel": "public_post",
        "threat_type": "direct",
        "text": "We know where you park.",
        "grading_source": "2",
        "grading_information": "B",
        "grading_handling": "C",
    }
    assert client.post(f"/cases/{ref}/threats/new", data=data).status_code == 302
    assert 'title="Source Untested; information Known indirectly to the source but' in (
        page_text(client.get(f"/cases/{ref}"))
    )
