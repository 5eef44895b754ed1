"""The case pages: opening, editing with conflicts, the workflow, handoffs, tasks, referrals."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseStatusChange, Handoff, Task
from casemgr.extensions import db
from tests.cases.web import load_case, move, open_case, page_text


def count(app: Flask, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_an_analyst_opens_a_case_and_owns_it(app: Flask, client_as) -> None:
    ref = open_case(client_as("analyst"), summary="Posts calling for violence.")
    case = load_case(app, ref)
    assert ref.startswith("TA-") and len(ref) == len("TA-2026-0001")
    assert case.status == "new"
    page = page_text(client_as("analyst").get(f"/cases/{ref}"))
    assert "Threats against leadership" in page and "Analyst (analyst)" in page
    assert "not assessed" in page


def test_two_cases_get_distinct_references(client_as) -> None:
    client = client_as("analyst")
    assert open_case(client) != open_case(client)


def test_an_empty_title_is_refused_beside_the_field(app: Flask, client_as) -> None:
    response = client_as("analyst").post("/cases/new", data={"title": "", "priority": "normal"})
    assert response.status_code == 422
    assert "This field is required" in page_text(response)
    assert count(app, Case) == 0


def test_a_stale_edit_gets_the_conflict_page_with_the_users_input(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    seen = load_case(app, ref).version
    first = client.post(
        f"/cases/{ref}/edit",
        data={"title": "Renamed by a colleague", "priority": "high", "version": seen},
    )
    assert first.status_code == 302
    stale = client.post(
        f"/cases/{ref}/edit", data={"title": "My own title", "priority": "low", "version": seen}
    )
    assert stale.status_code == 409
    page = page_text(stale)
    assert "changed while you were editing" in page
    assert "My own title" in page and "Renamed by a colleague" in page
    case = load_case(app, ref)
    assert (case.title, case.priority) == ("Renamed by a colleague", "high")
    again = client.post(
        f"/cases/{ref}/edit",
        data={"title": "My own title", "priority": "low", "version": case.version},
    )
    assert again.status_code == 302
    assert load_case(app, ref).title == "My own title"


def test_the_workflow_moves_and_records_each_step(app: Flask, client_as) -> None:
    lead = client_as("lead")
    ref = open_case(lead)
    for status in ("triage", "assessment", "active"):
        assert move(lead, ref, status, f"Now {status}.").status_code == 302
    assert load_case(app, ref).status == "active"
    with app.app_context():
        steps = db.session.execute(
            select(CaseStatusChange.from_status, CaseStatusChange.to_status).order_by(
                CaseStatusChange.id
            )
        ).all()
    assert [tuple(step) for step in steps] == [
        (None, "new"),
        ("new", "triage"),
        ("triage", "assessment"),
        ("assessment", "active"),
    ]
    timeline = page_text(lead.get(f"/cases/{ref}"))
    assert "assessment → active: Now active." in timeline


def test_a_forbidden_transition_explains_itself_and_changes_nothing(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    response = move(client, ref, "active")
    assert response.status_code == 409
    assert "cannot go from new to active" in page_text(response)
    assert load_case(app, ref).status == "new"


def test_closing_needs_an_assessment_and_reopening_is_for_leads(app: Flask, client_as) -> None:
    lead = client_as("lead")
    ref = open_case(lead)
    response = move(lead, ref, "closed")
    assert response.status_code == 409
    assert "without an assessment made after its last threat" in page_text(response)
    analyst = client_as("analyst")
    assert "lead&#39;s action" in page_text(move(analyst, ref, "closed"))


def test_an_empty_reason_is_refused_beside_the_field(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    response = move(client, ref, "triage", reason="   ")
    assert response.status_code == 422
    assert "Give a reason" in page_text(response)
    assert load_case(app, ref).status == "new"
    assert count(app, CaseStatusChange) == 1


def hand_off(client, ref: str, to_user: str, **brief):
    data = {
        "to_user": to_user,
        "situation": "Group named the CEO.",
        "concern": "Rising.",
        "next_steps": "Watch for new accounts.",
    } | brief
    return client.post(f"/cases/{ref}/handoffs", data=data)


def test_a_handoff_is_declined_then_accepted_and_only_then_changes_owner(
    app: Flask, client_as, users
) -> None:
    analyst, lead = client_as("analyst"), client_as("lead")
    ref = open_case(analyst)
    analyst.post(f"/cases/{ref}/tasks", data={"title": "Brief reception", "owner": "analyst"})
    assert hand_off(analyst, ref, "lead").status_code == 302
    assert "Handoff pending to" in page_text(analyst.get(f"/cases/{ref}"))
    assert load_case(app, ref).owner_id == users["analyst"].id
    dashboard = page_text(lead.get("/"))
    assert ref in dashboard.split('id="handoffs-waiting"')[1].split("</section>")[0]
    with app.app_context():
        handoff = db.session.scalar(select(Handoff))
        assert "Brief reception" in handoff.open_tasks
        first_id = handoff.id
    refused = lead.post(f"/cases/handoffs/{first_id}/decline", data={"reason": ""})
    assert refused.status_code == 422
    assert (
        lead.post(
            f"/cases/handoffs/{first_id}/decline", data={"reason": "On leave next week."}
        ).status_code
        == 302
    )
    assert load_case(app, ref).owner_id == users["analyst"].id
    assert hand_off(analyst, ref, "lead").status_code == 302
    with app.app_context():
        second_id = db.session.scalar(select(Handoff.id).where(Handoff.status == "pending"))
    assert analyst.post(f"/cases/handoffs/{second_id}/accept").status_code == 403
    assert lead.post(f"/cases/handoffs/{second_id}/accept").status_code == 302
    assert load_case(app, ref).owner_id == users["lead"].id
    timeline = page_text(lead.get(f"/cases/{ref}"))
    assert "Handoff to lead declined: On leave next week." in timeline
    assert "Handoff to lead accepted" in timeline


def test_a_handoff_to_a_disabled_user_is_refused(app: Flask, client_as, users) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    with app.app_context():
        db.session.get(User, users["lead"].id).active = False
        db.session.commit()
    response = hand_off(client, ref, "lead")
    assert response.status_code == 422
    assert "disabled" in page_text(response)
    assert count(app, Handoff) == 0


def test_a_handoff_without_next_steps_is_refused(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    response = hand_off(client, ref, "lead", next_steps="")
    assert response.status_code == 422
    assert count(app, Handoff) == 0


def test_tasks_are_added_and_done(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    client.post(f"/cases/{ref}/tasks", data={"title": "Change the CEO's route", "owner": ""})
    with app.app_context():
        task_id = db.session.scalar(select(Task.id))
    client.post(f"/cases/{ref}/tasks/{task_id}/status", data={"status": "done"})
    with app.app_context():
        assert db.session.get(Task, task_id).status == "done"
    assert "Task done: Change the CEO&#39;s route" in page_text(client.get(f"/cases/{ref}"))


def test_a_referral_moves_the_case_to_referred(app: Flask, client_as) -> None:
    lead = client_as("lead")
    ref = open_case(lead)
    move(lead, ref, "triage")
    move(lead, ref, "assessment")
    response = lead.post(
        f"/cases/{ref}/referrals",
        data={
            "agency": "National Counter-Terrorism Police",
            "unit": "Protective Intelligence",
            "reference": "CT-2026-118",
            "version": load_case(app, ref).version,
        },
    )
    assert response.status_code == 302
    assert load_case(app, ref).status == "referred"
    page = page_text(lead.get(f"/cases/{ref}"))
    assert "National Counter-Terrorism Police" in page and "CT-2026-118" in page


def test_a_referral_from_a_new_case_is_refused_by_the_workflow(app: Flask, client_as) -> None:
    lead = client_as("lead")
    ref = open_case(lead)
    response = lead.post(f"/cases/{ref}/referrals", data={"agency": "Police"})
    assert response.status_code == 409
    assert "cannot go from new to referred" in page_text(response)
    assert load_case(app, ref).status == "new"


def test_a_restricted_case_is_invisible_to_non_members(app: Flask, client_as) -> None:
    lead = client_as("lead")
    ref = open_case(lead, title="Insider threat Zephyrine", restricted="y", members="admin")
    outsider = client_as("analyst")
    assert outsider.get(f"/cases/{ref}").status_code == 404
    assert outsider.post(f"/cases/{ref}/tasks", data={"title": "x"}).status_code == 404
    assert ref not in page_text(outsider.get("/cases"))
    assert ref not in page_text(outsider.get("/search?q=Zephyrine"))
    assert ref not in page_text(outsider.get("/"))
    assert client_as("admin").get(f"/cases/{ref}").status_code == 200
    assert ref in page_text(lead.get("/search?q=Zephyrine"))


def test_the_case_list_filters_by_status_and_overdue_review(app: Flask, client_as) -> None:
    client = client_as("lead")
    quiet = open_case(client, title="Quiet matter")
    busy = open_case(client, title="Busy matter", next_review_at="2026-01-01T09:00")
    move(client, busy, "triage")

    def listed(query: str) -> str:
        return page_text(client.get(f"/cases?{query}")).split("<tbody>")[1]

    assert busy in listed("status=triage") and quiet not in listed("status=triage")
    assert busy in listed("overdue=y") and quiet not in listed("overdue=y")
    assert quiet in listed("q=Quiet") and busy not in listed("q=Quiet")


def test_a_full_text_filter_counts_no_further_than_its_cap(
    app: Flask, client_as, monkeypatch
) -> None:
    from casemgr.cases import views

    client = client_as("lead")
    for number in range(3):
        open_case(client, title=f"Marigold sighting {number}")
    assert "3 cases" in page_text(client.get("/cases?q=Marigold"))
    monkeypatch.setattr(views, "SEARCH_COUNT_CAP", 2)
    capped = page_text(client.get("/cases?q=Marigold"))
    assert "More than 2 cases match: add words or filters" in capped
    assert capped.split("<tbody>")[1].count("Marigold sighting") == 3  # the page is whole
    assert "3 cases" in page_text(client.get("/cases"))  # counted in full without words


def test_the_subject_filter_offers_only_the_subject_filtered_by(app: Flask, client_as) -> None:
    """Not every subject (there may be tens of thousands): the one a subject page links."""
    from casemgr.audit.log import SYSTEM
    from casemgr.people.subjects import SubjectDetails, create_subject

    with app.app_context():
        ids = [
            create_subject(db.session, SYSTEM, SubjectDetails(name=name, kind="individual")).id
            for name in ("Orrin Vask", "Tamsin Quell")
        ]
        db.session.commit()
    client = client_as("lead")
    assert 'name="subject_id"' not in page_text(client.get("/cases"))
    chosen = page_text(client.get(f"/cases?subject_id={ids[0]}"))
    assert "Orrin Vask" in chosen and "Tamsin Quell" not in chosen
