"""The canonical story of the design, replayed through the web pages as an analyst and a
lead would click it (evidence, scoring and briefings belong to later work)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from casemgr.audit.log import verify_audit_chain
from casemgr.cases.models import Case, Handoff
from casemgr.extensions import db
from casemgr.people.models import Protectee, Subject
from tests.cases.web import move, page_text

ARABIC_CALL = "اقتلوا كل موظفي لومينا سوشيال وإدارتها"


def id_of(app: Flask, model, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(model.id).where(model.name == name))


def add_people(app: Flask, lead) -> dict[str, int]:
    for name, title in (
        ("Dana Whitfield", "Chief Executive Officer"),
        ("Tomas Reyes", "Co-founder"),
    ):
        response = lead.post(
            "/protectees/new",
            data={"name": name, "title": title, "private_home_address": "12 Quay Road"},
        )
        assert response.status_code == 302
    assert "All staff" in page_text(lead.get("/protectees"))
    assert (
        lead.post(
            "/subjects/new",
            data={"name": "Crimson Dawn", "kind": "group", "aliases": "CD\nDawn Front"},
        ).status_code
        == 302
    )
    group = id_of(app, Subject, "Crimson Dawn")
    accounts = [
        ("@crimsondawn", "suspended", "2026-01-05T08:00", "2026-03-01T12:00"),
        ("@crimsondawn_2", "suspended", "2026-03-02T09:00", "2026-05-10T12:00"),
        ("@crimsondawn_3", "active", "2026-05-12T07:30", ""),
    ]
    for handle, status, first_seen, suspended_at in accounts:
        response = lead.post(
            f"/subjects/{group}/accounts/new",
            data={
                "platform": "Chirper",
                "handle": handle,
                "status": status,
                "first_seen": first_seen,
                "suspended_at": suspended_at,
            },
        )
        assert response.status_code == 302, page_text(response)
    return {
        "ceo": id_of(app, Protectee, "Dana Whitfield"),
        "founder": id_of(app, Protectee, "Tomas Reyes"),
        "staff": id_of(app, Protectee, "All staff"),
        "group": group,
    }


def log(client, ref: str, **fields) -> None:
    data = {"channel": "public_post", "threat_type": "direct"} | fields
    response = client.post(f"/cases/{ref}/threats/new", data=data)
    assert response.status_code == 302, page_text(response)


def test_the_canonical_story_through_the_web(app: Flask, client_as) -> None:
    lead, analyst = client_as("lead"), client_as("analyst")
    ids = add_people(app, lead)
    subject_page = page_text(lead.get(f"/subjects/{ids['group']}")).split(
        'aria-label="breadcrumb"'
    )[1]
    order = [subject_page.index(h) for h in ("@crimsondawn<", "@crimsondawn_2", "@crimsondawn_3")]
    assert order == sorted(order)

    response = analyst.post(
        "/cases/new",
        data={
            "title": "Crimson Dawn threats against Lumina Social",
            "priority": "high",
            "protectee_ids": [ids["ceo"], ids["founder"], ids["staff"]],
            "subject_ids": [ids["group"]],
        },
    )
    ref = response.headers["Location"].rsplit("/", 1)[-1]
    log(
        analyst,
        ref,
        occurred_at="2026-02-20T21:00",
        text=ARABIC_CALL,
        language="ar",
        translation="Kill every employee of Lumina Social and its management",
        target_ids=[ids["staff"]],
        grading_source="2",
        grading_information="B",
        grading_handling="P",
    )
    log(
        analyst,
        ref,
        occurred_at="2026-03-03T10:15",
        threat_type="conditional",
        text="Whitfield will pay for every account he takes from us.",
        target_ids=[ids["ceo"]],
    )
    log(
        analyst,
        ref,
        occurred_at="2026-06-01T18:40",
        threat_type="veiled",
        text="[Photo of Tomas Reyes with crosshairs drawn on his face]",
        target_ids=[ids["founder"]],
    )

    for status in ("triage", "assessment", "active"):
        assert move(analyst, ref, status, f"Story moves to {status}.").status_code == 302
    analyst.post(
        f"/cases/{ref}/tasks", data={"title": "Vary the co-founder's route", "owner": "analyst"}
    )
    brief = {
        "situation": "Three threats, the group reopens accounts.",
        "concern": "Rising.",
        "next_steps": "Refer to the national unit.",
    }
    analyst.post(f"/cases/{ref}/handoffs", data={"to_user": "lead", **brief})
    with app.app_context():
        first = db.session.scalar(select(Handoff.id).where(Handoff.status == "pending"))
    lead.post(f"/cases/handoffs/{first}/decline", data={"reason": "Away until Monday."})
    analyst.post(f"/cases/{ref}/handoffs", data={"to_user": "lead", **brief})
    with app.app_context():
        second = db.session.scalar(select(Handoff.id).where(Handoff.status == "pending"))
    assert lead.post(f"/cases/handoffs/{second}/accept").status_code == 302
    assert (
        lead.post(
            f"/cases/{ref}/referrals",
            data={
                "agency": "National Counter-Terrorism Police",
                "unit": "Protective Security",
                "officer": "DS Imogen Hart",
                "reference": "NCTP-26-0412",
            },
        ).status_code
        == 302
    )

    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.ref == ref))
        assert case.status == "referred" and case.owner.username == "lead"
        assert verify_audit_chain(db.session) is None
    page = page_text(lead.get(f"/cases/{ref}"))
    for event in (
        "new → triage",
        "triage → assessment",
        "assessment → active",
        "declined: Away until Monday.",
        "Handoff to lead accepted",
        "Task: Vary the co-founder",
        "Referred to National Counter-Terrorism Police",
        "active → referred",
        ARABIC_CALL,
    ):
        assert event in page.replace("&#39;", "'"), event
    assert ref in page_text(lead.get("/search?q=موظفي"))
    assert ref in page_text(lead.get("/search?q=crimsondawn_3"))
