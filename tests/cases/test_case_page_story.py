"""The case page reads top-down: a summary of concern, owner, pending handoff, next review,
status and priority first, then the timeline, then the secondary panels; its access keys are
named on each button and listed in a help at the foot of the page."""

from __future__ import annotations

import re
from html import unescape

from flask.testing import FlaskClient

from tests.cases.web import open_case, page_text


def hand_off(client: FlaskClient, ref: str, to_user: str = "lead") -> None:
    data = {
        "to_user": to_user,
        "situation": "Group named the CEO.",
        "concern": "Rising.",
        "next_steps": "Watch for new accounts.",
        "version": "1",
    }
    response = client.post(f"/cases/{ref}/handoffs", data=data)
    assert response.status_code == 302, page_text(response)


def assess(client: FlaskClient, ref: str) -> None:
    data = {
        "action": "save",
        "point.approach_behaviour": "1",
        "rationale.approach_behaviour": "Seen outside the office twice.",
    }
    response = client.post(f"/cases/{ref}/assessments/new", data=data)
    assert response.status_code == 302, page_text(response)


def summary_of(html: str) -> str:
    start = html.index('id="case-summary"')
    return html[start : html.index("</section>", start)]


def test_the_summary_comes_first_then_the_timeline_then_the_panels(client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    html = page_text(client.get(f"/cases/{ref}"))
    order = [
        'id="case-summary"',
        'id="case-concern"',
        'id="case-owner"',
        'id="next-review"',
        'role="toolbar"',
        'id="timeline"',
        'id="threats"',
        'id="evidence"',
        'id="tasks"',
        'id="referrals"',
        'id="keyboard-shortcuts"',
    ]
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_the_summary_names_owner_concern_with_its_assessment_and_pending_handoff(
    client_as,
) -> None:
    analyst = client_as("analyst")
    ref = open_case(analyst)
    hand_off(analyst, ref)
    assess(analyst, ref)
    summary = unescape(summary_of(page_text(analyst.get(f"/cases/{ref}"))))
    assert "Analyst (analyst)" in summary
    # Approach behaviour means at least high concern; the summary names the assessment.
    assert "concern-high" in summary
    assert re.search(r'href="/cases/[^"]+/assessments/\d+">assessment #\d+</a>', summary)
    assert "Handoff pending to <strong>lead</strong> since <time" in summary
    assert re.search(r'href="/cases/handoffs/\d+">Open the brief</a>', summary)
    assert ">new</span>" in summary and ">normal</span>" in summary


def test_a_case_without_assessment_or_handoff_says_so_in_the_summary(client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    summary = summary_of(page_text(client.get(f"/cases/{ref}")))
    assert "Not assessed yet." in summary
    assert 'id="pending-handoff"' not in summary and "None" in summary


def test_a_past_review_date_is_shown_as_overdue(client_as) -> None:
    client = client_as("analyst")
    late = open_case(client, "Late review", next_review_at="2021-03-01T09:00")
    due = open_case(client, "Future review", next_review_at="2099-03-01T09:00")
    late_review = summary_of(page_text(client.get(f"/cases/{late}"))).split('id="next-review"')[1]
    due_review = summary_of(page_text(client.get(f"/cases/{due}"))).split('id="next-review"')[1]
    assert "2021-03-01" in late_review and "overdue" in late_review
    assert "2099-03-01" in due_review and "overdue" not in due_review


def test_timeline_entries_link_to_what_they_are_about(client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    data = {
        "occurred_at": "2026-02-01T10:00",
        "channel": "public_post",
        "threat_type": "veiled",
        "text": "You will regret it.",
    }
    assert client.post(f"/cases/{ref}/threats/new", data=data).status_code == 302
    html = page_text(client.get(f"/cases/{ref}"))
    timeline = html[html.index('id="timeline"') : html.index('id="threats"')]
    assert re.search(r'<a href="/threats/\d+">veiled threat by public post: You will', timeline)


def test_each_shortcut_button_names_its_key_and_the_help_lists_them(client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    html = page_text(client.get(f"/cases/{ref}"))
    for key, action in [
        ("t", "Log a threat"),
        ("a", "Assess"),
        ("s", "Change status"),
        ("h", "Hand off"),
        ("e", "Edit case"),
        ("v", "Evidence gallery"),
    ]:
        assert f'accesskey="{key}" title="{action} (Alt+{key.upper()})"' in html
    shortcuts = html[html.index('id="keyboard-shortcuts"') :]
    assert "<summary>Keyboard shortcuts</summary>" in shortcuts
    listed = re.findall(r"<kbd>Alt</kbd>\+<kbd>(\w)</kbd></dt><dd[^>]*>([^<]+)</dd>", shortcuts)
    assert listed == [
        ("T", "Log a threat"),
        ("A", "Assess"),
        ("S", "Change status"),
        ("H", "Hand off"),
        ("E", "Edit case"),
        ("V", "Evidence gallery"),
    ]


def test_the_shortcut_help_lists_only_the_actions_the_viewer_has(client_as) -> None:
    ref = open_case(client_as("analyst"))
    html = page_text(client_as("viewer").get(f"/cases/{ref}"))
    shortcuts = html[html.index('id="keyboard-shortcuts"') :]
    assert re.findall(r"<kbd>Alt</kbd>\+<kbd>(\w)</kbd></dt>", shortcuts) == ["V"]
    assert 'accesskey="t"' not in html


def test_the_case_list_names_the_key_that_opens_a_case(client_as) -> None:
    html = page_text(client_as("analyst").get("/cases"))
    assert 'accesskey="n" title="Open a case (Alt+N)"' in html
