"""Who may assess which case, the closing rule, and the dashboard's cases to reassess."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from casemgr.cases.models import Case
from casemgr.db import utcnow
from casemgr.extensions import db
from tests.assessments.test_web_assessments import (
    MODERATE,
    assess,
    assessment_form,
    assessments,
    log_threat,
)
from tests.cases.web import load_case, move, open_case, page_text
from tests.conftest import log_in
from tests.factories import make_user

CLOSING_REFUSED = "A case cannot be closed without an assessment made after its last threat."


def test_a_viewer_may_not_assess(app: Flask, client_as) -> None:
    ref = open_case(client_as("analyst"))
    viewer = client_as("viewer")
    assert viewer.get(f"/cases/{ref}/assessments/new").status_code == 403
    for action in ("preview", "save"):
        data = assessment_form(MODERATE, action=action)
        assert viewer.post(f"/cases/{ref}/assessments/new", data=data).status_code == 403
    assert viewer.get(f"/cases/{ref}/assessments").status_code == 200
    assert assessments(app) == []


def test_a_non_member_gets_404_on_a_restricted_cases_assessments(app: Flask, client_as) -> None:
    owner = client_as("analyst")
    ref = open_case(owner, restricted="y")
    assess(owner, ref, MODERATE)
    [saved] = assessments(app)
    with app.app_context():
        outsider = make_user(db.session, "analyst", username="outsider")
        db.session.commit()
        db.session.refresh(outsider)
        db.session.expunge(outsider)
    client = log_in(app.test_client(), outsider)
    for url in (
        f"/cases/{ref}/assessments",
        f"/cases/{ref}/assessments/new",
        f"/cases/{ref}/assessments/{saved.id}",
        f"/cases/{ref}/assessments/compare?a={saved.id}&b={saved.id}",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/cases/{ref}/assessments/new", data=assessment_form(MODERATE))
    assert response.status_code == 404
    assert len(assessments(app)) == 1


def test_an_assessment_of_another_case_is_not_found_here(app: Flask, client_as) -> None:
    client = client_as("analyst")
    first, second = open_case(client), open_case(client)
    assess(client, first, MODERATE)
    [saved] = assessments(app)
    assert client.get(f"/cases/{second}/assessments/{saved.id}").status_code == 404
    compare = f"/cases/{second}/assessments/compare?a={saved.id}&b={saved.id}"
    assert client.get(compare).status_code == 404
    assert client.get(f"/cases/{first}/assessments/compare?a=&b=1").status_code == 400


def test_closing_needs_an_assessment_after_the_last_threat(app: Flask, client_as) -> None:
    lead = client_as("lead")
    ref = open_case(lead)
    log_threat(lead, ref, "You will regret the suspensions.")
    assert move(lead, ref, "triage").status_code == 302
    assert move(lead, ref, "assessment").status_code == 302
    refused = move(lead, ref, "closed", "No further activity.")
    assert refused.status_code == 409 and CLOSING_REFUSED in page_text(refused)

    assess(lead, ref, MODERATE)
    assert move(lead, ref, "closed", "No further activity.").status_code == 302
    assert load_case(app, ref).status == "closed"

    assert move(lead, ref, "triage", "The group is posting again.").status_code == 302
    log_threat(lead, ref, "New accounts for every one you suspend.")
    refused = move(lead, ref, "closed", "Quiet again.")
    assert refused.status_code == 409 and CLOSING_REFUSED in page_text(refused)
    assert load_case(app, ref).status == "triage"


def dashboard_section(client: FlaskClient) -> str:
    html = page_text(client.get("/"))
    start = html.index('id="reassess"')
    return html[start : html.index("</section>", start)]


def test_the_dashboard_flags_a_case_with_a_threat_after_its_assessment(
    app: Flask, client_as
) -> None:
    analyst = client_as("analyst")
    ref = open_case(analyst)
    untouched = open_case(analyst, "Quiet case")
    log_threat(analyst, ref, "First post.")
    assess(analyst, ref, MODERATE)
    assess(analyst, untouched, MODERATE)
    assert ref not in dashboard_section(analyst)

    log_threat(analyst, ref, "They come back with new accounts.")
    for client in (analyst, client_as("lead")):
        section = dashboard_section(client)
        assert ref in section and "New threat since the last assessment" in section
        assert untouched not in section
    assert ref not in dashboard_section(client_as("viewer"))  # not theirs to reassess

    assess(analyst, ref, MODERATE)
    assert ref not in dashboard_section(analyst)


def test_the_dashboard_flags_an_assessed_case_whose_review_is_overdue(
    app: Flask, client_as
) -> None:
    analyst = client_as("analyst")
    ref, never_assessed = open_case(analyst), open_case(analyst, "Never assessed")
    assess(analyst, ref, MODERATE)
    with app.app_context():
        for case in db.session.scalars(select(Case)):
            case.next_review_at = utcnow() - timedelta(days=1)
        db.session.commit()
    section = dashboard_section(analyst)
    assert ref in section and "review date passed" in section
    assert never_assessed not in section  # it is listed as unassessed instead
