"""Assessing a case in the browser: the rubric form, preview, refusals, saving, the history
and comparison, the case page, closing, and the dashboard; with the canonical story."""

from __future__ import annotations

import re
from html import unescape

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from casemgr.assessments.catalogue import BUILT_IN
from casemgr.assessments.models import Assessment
from casemgr.assessments.rubric import load_rubric
from casemgr.extensions import db
from casemgr.threats.models import Threat
from tests.cases.web import load_case, open_case, page_text

# The first assessment of the story: a crosshair photo posted by a supporter of the group.
MODERATE = {
    "directly_communicated_threat": 1,
    "target_specificity": 2,
    "identification": 1,
    "organisational_backing": 1,
    "furthest_stage": 2,
    "fixation": 1,
    "source_evaluation": 1,
    "information_assessment": 3,
}
MODERATE_RATIONALES = {
    "directly_communicated_threat": "Crosshair photo posted publicly, not sent to him.",
    "target_specificity": "The co-founder's own face is used.",
    "approach_behaviour": "No approach seen so far.",
}


def assessment_form(
    points: dict[str, int],
    rationales: dict[str, str] | None = None,
    action: str = "save",
    **extra: object,
) -> dict[str, object]:
    """Form data for the assessment form: every point given with a rationale."""
    rationales = rationales or {}
    data: dict[str, object] = {"action": action}
    for item_id, point in points.items():
        data[f"point.{item_id}"] = str(point)
        data[f"rationale.{item_id}"] = f"Rationale for {item_id}."
    for item_id, rationale in rationales.items():
        data[f"rationale.{item_id}"] = rationale
    return data | extra


def log_threat(client: FlaskClient, ref: str, text: str, **fields: str) -> None:
    data = {
        "occurred_at": "2026-02-01T10:00",
        "channel": "public_post",
        "threat_type": "veiled",
        "text": text,
    } | fields
    response = client.post(f"/cases/{ref}/threats/new", data=data)
    assert response.status_code == 302, page_text(response)


def assessments(app: Flask) -> list[Assessment]:
    with app.app_context():
        rows = db.session.scalars(select(Assessment).order_by(Assessment.id)).all()
        db.session.expunge_all()
        return list(rows)


def threat_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Threat.id).order_by(Threat.id)))


def item_block(html: str, item_id: str) -> str:
    """The part of the form page for one item, up to the next item."""
    start = html.index(f'id="item-{item_id}"')
    following = html.find('class="row g-3 py-3 assessment-item', start + 1)
    return html[start : following if following > 0 else len(html)]


def assess(client: FlaskClient, ref: str, points: dict[str, int], **kwargs: object) -> None:
    response = client.post(f"/cases/{ref}/assessments/new", data=assessment_form(points, **kwargs))
    assert response.status_code == 302, page_text(response)


def test_the_form_shows_every_item_with_its_guidance_and_scale(client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    response = client.get(f"/cases/{ref}/assessments/new")
    assert response.status_code == 200
    html = unescape(page_text(response))
    rubric = load_rubric(BUILT_IN / "casemgr-default.toml")
    for section in rubric.sections:
        assert section.title in html
        for item in section.items:
            block = item_block(html, item.id)
            assert item.label in block and item.guidance in block
            for scale_point in item.scale:
                assert f'name="point.{item.id}" id="point-{item.id}-{scale_point.point}"' in block
                assert scale_point.label in block
            assert f'name="rationale.{item.id}"' in block
            assert f'name="threats.{item.id}"' in block and f'name="evidence.{item.id}"' in block
    assert 'name="override_level"' in html and 'name="override_justification"' in html
    assert 'value="preview">Preview score' in html and 'value="save">Save assessment' in html


def test_preview_shows_score_and_levels_and_saves_nothing(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    response = client.post(
        f"/cases/{ref}/assessments/new",
        data=assessment_form(MODERATE | {"approach_behaviour": 1}, action="preview"),
    )
    assert response.status_code == 200
    html = page_text(response)
    preview = html[html.index('id="preview-result"') : html.index('id="assessment-form"')]
    assert "26.4" in preview and "not saved" in preview
    assert "concern-moderate" in preview  # the level by thresholds
    assert "Any approach behaviour toward a protectee means at least high concern." in preview
    assert "concern-high" in preview  # the final level
    assert 'id="point-approach_behaviour-1" value="1" checked' in html  # the input is kept
    assert assessments(app) == []
    assert load_case(app, ref).concern_level is None


def test_a_nonzero_answer_without_rationale_is_refused_beside_the_item(
    app: Flask, client_as
) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    data = assessment_form(MODERATE) | {"rationale.fixation": "  "}
    response = client.post(f"/cases/{ref}/assessments/new", data=data)
    assert response.status_code == 422
    html = unescape(page_text(response))
    assert "Give the rationale for every answer above zero." in item_block(html, "fixation")
    assert "Give the rationale" not in item_block(html, "target_specificity")
    assert "Rationale for target_specificity." in html  # everything typed is kept
    assert 'id="point-fixation-1" value="1" checked' in html
    assert assessments(app) == []


def test_an_override_without_justification_is_refused(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    data = assessment_form(MODERATE, override_level="high", override_justification="")
    response = client.post(f"/cases/{ref}/assessments/new", data=data)
    assert response.status_code == 422
    html = page_text(response)
    override = html[html.index('id="override"') :]
    assert "This is required." in override
    assert '<option value="high" selected>' in override
    assert assessments(app) == []


def test_a_point_off_the_scale_is_refused_in_preview_and_save(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    for action in ("preview", "save"):
        data = assessment_form({"fixation": 7}, action=action)
        response = client.post(f"/cases/{ref}/assessments/new", data=data)
        assert response.status_code == 422
        assert "Choose a point on the scale (0, 1, 2)." in item_block(
            page_text(response), "fixation"
        )
    assert assessments(app) == []


def test_an_override_with_justification_sets_the_final_level(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    justification = "The group has attacked offices abroad; we treat this as high."
    assess(client, ref, MODERATE, override_level="high", override_justification=justification)
    [saved] = assessments(app)
    assert (saved.computed_level, saved.level) == ("moderate", "high")
    history = page_text(client.get(f"/cases/{ref}/assessments"))
    assert justification in history


def test_a_saved_assessment_sets_the_concern_level_and_supersedes_the_last(
    app: Flask, client_as
) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    assess(client, ref, MODERATE)
    assert load_case(app, ref).concern_level == "moderate"
    case_page = page_text(client.get(f"/cases/{ref}"))
    concern = case_page[case_page.index('id="case-concern"') : case_page.index('id="tasks"')]
    assert "concern-moderate" in concern and "Score 21.7" in concern
    assert f'href="/cases/{ref}/assessments"' in concern
    listing = page_text(client.get("/cases"))
    assert ref in listing and "concern-moderate" in listing
    assert "Assessed: moderate (score 21.7, rubric casemgr-default v1)" in case_page

    assess(client, ref, {"approach_behaviour": 2}, override_level="low", override_justification="x")
    first, second = assessments(app)
    assert second.supersedes_id == first.id
    assert load_case(app, ref).concern_level == "low"
    assert "concern-low" in page_text(client.get("/cases"))


def test_the_case_page_offers_assess_only_to_roles_that_may(client_as) -> None:
    ref = open_case(client_as("analyst"))
    assess_button = f'href="/cases/{ref}/assessments/new"'
    assert assess_button in page_text(client_as("analyst").get(f"/cases/{ref}"))
    viewer_page = page_text(client_as("viewer").get(f"/cases/{ref}"))
    assert assess_button not in viewer_page and "Not assessed yet." in viewer_page


def test_the_canonical_story_crosshair_photo_then_an_approach(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client, "Threats against the co-founder")
    log_threat(client, ref, "Photo of the co-founder's face with crosshairs drawn on it.")
    [photo] = threat_ids(app)
    first_form = assessment_form(MODERATE, MODERATE_RATIONALES)
    first_form["threats.directly_communicated_threat"] = str(photo)
    assert client.post(f"/cases/{ref}/assessments/new", data=first_form).status_code == 302
    [first] = assessments(app)
    assert (round(first.score, 1), first.level) == (21.7, "moderate")

    log_threat(
        client,
        ref,
        "Reception: a man asked twice for the co-founder's arrival time at headquarters.",
        channel="in_person",
        threat_type="concerning",
    )
    approach = "Reception saw a known supporter asking for his arrival time at headquarters."
    assess(
        client,
        ref,
        MODERATE | {"approach_behaviour": 1},
        rationales=MODERATE_RATIONALES | {"approach_behaviour": approach},
    )
    first, second = assessments(app)
    assert (second.computed_level, second.level) == ("high", "high")
    assert load_case(app, ref).concern_level == "high"

    history = page_text(client.get(f"/cases/{ref}/assessments"))
    assert history.index(f'id="assessment-{second.id}"') < history.index(
        f'id="assessment-{first.id}"'
    )
    assert "21.7" in history and "26.4" in history
    assert "<svg" in history and history.count('class="trend-point') == 2

    compare = unescape(
        page_text(client.get(f"/cases/{ref}/assessments/compare?a={first.id}&b={second.id}"))
    )
    row = compare[compare.index('id="compare-approach_behaviour"') :]
    row = row[: row.index("</tr>")]
    assert 'class="item-changed"' in row
    assert "No approach seen so far." in row and approach in row
    assert "Surveillance, loitering or an attempted approach" in row
    assert 'id="compare-fixation" class="item-same"' in compare
    assert "1 of 19 items changed" in compare

    detail = unescape(page_text(client.get(f"/cases/{ref}/assessments/{first.id}")))
    dct = detail[detail.index('id="item-directly_communicated_threat"') :]
    assert "Threat stated to others or in public" in dct[: dct.index("</tr>")]
    assert f"/threats/{photo}" in dct[: dct.index("</tr>")]


def test_reassessing_can_start_from_the_latest_answers(client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    assess(client, ref, MODERATE, rationales=MODERATE_RATIONALES)
    html = unescape(page_text(client.get(f"/cases/{ref}/assessments/new?start=latest")))
    assert "The co-founder's own face is used." in item_block(html, "target_specificity")
    assert 'id="point-target_specificity-2" value="2" checked' in html


def test_a_stale_form_is_refused_with_the_answers_kept(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    seen = load_case(app, ref).version
    log_threat(client, ref, "A new post arrived while the form was open.")
    data = assessment_form(MODERATE, MODERATE_RATIONALES, version=str(seen))
    response = client.post(f"/cases/{ref}/assessments/new", data=data)
    assert response.status_code == 409
    html = unescape(page_text(response))
    assert "Your answers are kept below." in html
    assert "The co-founder's own face is used." in html
    assert f'name="version" value="{load_case(app, ref).version}"' in html
    assert assessments(app) == []


def test_answers_to_an_older_rubric_text_are_refused(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    data = assessment_form(MODERATE, rubric_sha256="0" * 64)
    response = client.post(f"/cases/{ref}/assessments/new", data=data)
    assert response.status_code == 409
    assert "The rubric was updated to version 1" in page_text(response)
    data["action"] = "preview"
    previewed = client.post(f"/cases/{ref}/assessments/new", data=data)
    assert previewed.status_code == 200
    assert "The rubric was updated to version 1" in page_text(previewed)
    assert f'name="rubric_sha256" value="{"0" * 64}"' not in page_text(previewed)
    assert assessments(app) == []


def test_history_lists_each_assessment_with_its_rubric_and_assessor(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    empty = page_text(client.get(f"/cases/{ref}/assessments"))
    assert "Not assessed yet." in empty and "<svg" not in empty
    assess(client, ref, MODERATE)
    html = page_text(client.get(f"/cases/{ref}/assessments"))
    [saved] = assessments(app)
    row = html[html.index(f'id="assessment-{saved.id}"') :]
    row = row[: row.index("</tr>")]
    assert "analyst" in row and "casemgr-default</code> v1" in row and "21.7" in row
    assert re.search(r'id="compare-form"', html)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Assessment)) == 1
