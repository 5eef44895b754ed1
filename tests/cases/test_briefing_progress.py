"""Generating a briefing shows it is under way: the form loads briefing.js, which disables
the buttons with a spinner and keeps the choice of PDF or bundle in a hidden field."""

from __future__ import annotations

import re
from pathlib import Path

from tests.cases.web import open_case, page_text

SCRIPT = Path(__file__).resolve().parents[2] / "casemgr" / "static" / "briefing.js"


def test_the_briefing_form_loads_its_script_and_no_inline_one(client_as) -> None:
    client = client_as("lead")
    ref = open_case(client)
    html = page_text(client.get(f"/cases/{ref}/briefings/new"))
    assert 'id="briefing-form"' in html
    assert '<script src="/static/briefing.js" defer></script>' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son(submit|click)=", html)


def test_the_script_shows_progress_and_keeps_the_pressed_button() -> None:
    script = SCRIPT.read_text()
    assert 'getElementById("briefing-form")' in script
    assert "Generating briefing…" in script and "spinner-border" in script
    # A disabled submit button is not sent: its name must travel in a hidden field.
    assert 'choice.type = "hidden"' in script and "choice.name = pressed.name" in script
