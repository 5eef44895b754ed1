"""The canonical story of DESIGN.md, replayed through the API alone.

A social network suspends a terrorist group's accounts; the group threatens the workforce,
the CEO by name and the co-founder (a doctored photo), and opens new accounts for every one
suspended. Security opens a case, grades the threats, hands the case between analysts
(declined once, then accepted), plans an action and refers the case to the police.
"""

from __future__ import annotations

from sqlalchemy import select

from casemgr.audit.log import verify_audit_chain
from casemgr.audit.models import AuditEvent
from casemgr.extensions import db
from tests.api.conftest import assert_ok

ARABIC_THREAT = "لكل حساب تغلقونه سنفتح عشرة حسابات جديدة. لن تسكتونا."


def _protectees(api) -> dict[str, int]:
    people = {
        "staff": {"name": "All staff", "all_staff": True, "notes": "The whole workforce."},
        "cofounder": {"name": "Mara Lindqvist", "title": "Co-founder"},
        "ceo": {
            "name": "Dana Whitfield",
            "title": "Chief Executive Officer",
            "private": {"home_address": "12 Harbour Lane"},
        },
    }
    return {
        key: assert_ok(api.post("lead", "/protectees", body), 201)["id"]
        for key, body in people.items()
    }


def _group_with_accounts(api) -> tuple[int, list[int]]:
    group = {"name": "Pale Flame Brigade", "kind": "group", "aliases": ["PFB"]}
    group_id = assert_ok(api.post("analyst", "/subjects", group), 201)["id"]
    accounts = [
        {"platform": "Chirp", "handle": "@paleflame", "first_seen": "2025-11-01T00:00:00Z"},
        {
            "platform": "Chirp",
            "handle": "@paleflame_official",
            "first_seen": "2025-12-01T00:00:00Z",
        },
        {"platform": "Chirp", "handle": "@paleflame_reborn", "first_seen": "2026-02-25T00:00:00Z"},
    ]
    path = f"/subjects/{group_id}/accounts"
    ids = [assert_ok(api.post("analyst", path, account), 201)["id"] for account in accounts]
    return group_id, ids


def _log(api, ref: str, who: str, **threat: object) -> int:
    return assert_ok(api.post(who, f"/cases/{ref}/threats", threat), 201)["id"]


def _move(api, ref: str, who: str, to: str, reason: str) -> None:
    assert (
        assert_ok(api.post(who, f"/cases/{ref}/transitions", {"to": to, "reason": reason}))[
            "status"
        ]
        == to
    )


def test_the_canonical_story_through_the_api(app, api) -> None:
    api.add_user("colleague", "analyst")
    protectees = _protectees(api)
    group_id, accounts = _group_with_accounts(api)
    opened = {
        "title": "Pale Flame Brigade threats after the suspensions",
        "priority": "high",
        "protectee_ids": list(protectees.values()),
        "subject_ids": [group_id],
    }
    case = assert_ok(api.post("analyst", "/cases", opened), 201)
    ref = case["ref"]

    # 1-4: the threats, each from an account of the group, graded with the spokesperson.
    _log(
        api,
        ref,
        "analyst",
        occurred_at="2026-01-10T21:00:00Z",
        channel="public_post",
        text="Every employee and manager of that company deserves death.",
        threat_type="concerning",
        account_id=accounts[0],
        target_ids=[protectees["staff"]],
        grading={"source": 2, "information": "C", "handling": "P"},
    )
    _log(
        api,
        ref,
        "analyst",
        occurred_at="2026-02-03T08:30:00Z",
        channel="public_post",
        text="Dana Whitfield, you will pay for silencing us.",
        threat_type="direct",
        account_id=accounts[1],
        target_ids=[protectees["ceo"]],
        reported_by="Dana Whitfield",
        reported_at="2026-02-03T12:00:00Z",
    )
    _log(
        api,
        ref,
        "analyst",
        occurred_at="2026-02-20T17:45:00Z",
        channel="public_post",
        text="[photo of Mara Lindqvist with crosshairs]",
        threat_type="veiled",
        account_id=accounts[1],
        target_ids=[protectees["cofounder"]],
    )
    arabic_id = _log(
        api,
        ref,
        "analyst",
        occurred_at="2026-03-05T10:00:00+03:00",
        channel="public_post",
        text=ARABIC_THREAT,
        language="ar",
        translation="For every account you close we will open ten new ones.",
        threat_type="conditional",
        account_id=accounts[2],
    )
    for account_id, suspended in (
        (accounts[0], "2026-01-12T00:00:00Z"),
        (accounts[1], "2026-02-24T00:00:00Z"),
    ):
        body = {"status": "suspended", "suspended_at": suspended}
        assert_ok(api.patch("analyst", f"/accounts/{account_id}", body))

    _move(api, ref, "analyst", "triage", "The CEO reported the threat to the press.")
    _move(api, ref, "analyst", "assessment", "Four threats from one group; assess credibility.")

    # 6: the case passes between analysts; the first offer is declined.
    brief = {
        "situation": "Four threats, one group, three accounts.",
        "concern": "Escalation towards the co-founder.",
        "next_steps": "Watch @paleflame_reborn; work with the police.",
    }
    first = assert_ok(
        api.post("analyst", f"/cases/{ref}/handoffs", {"to_user": "colleague", "brief": brief}), 201
    )
    declined = assert_ok(
        api.post("colleague", f"/handoffs/{first['id']}/decline", {"reason": "On leave next week."})
    )
    assert declined["status"] == "declined"
    assert assert_ok(api.get("viewer", f"/cases/{ref}"))["owner"] == "analyst"
    second = assert_ok(
        api.post("analyst", f"/cases/{ref}/handoffs", {"to_user": "colleague", "brief": brief}), 201
    )
    assert assert_ok(api.get("viewer", f"/cases/{ref}"))["pending_handoff"]["id"] == second["id"]
    assert_ok(api.post("colleague", f"/handoffs/{second['id']}/accept"))
    assert assert_ok(api.get("viewer", f"/cases/{ref}"))["owner"] == "colleague"

    _move(api, ref, "colleague", "active", "Credible; monitoring and mitigation.")
    task = {"title": "Brief the co-founder's protection detail", "due_at": "2026-12-01T09:00:00Z"}
    assert_ok(api.post("colleague", f"/cases/{ref}/tasks", task), 201)

    # 5: the referral to the counter-terrorism police makes the last move.
    referral = {
        "agency": "National Counter Terrorism Police",
        "unit": "Online threats",
        "officer": "DS Okafor",
        "reference": "NCTP-2026-4471",
    }
    assert (
        assert_ok(api.post("lead", f"/cases/{ref}/referrals", referral), 201)["case_status"]
        == "referred"
    )

    final = assert_ok(api.get("viewer", f"/cases/{ref}"))
    assert final["status"] == "referred" and final["owner"] == "colleague"
    assert final["pending_handoff"] is None
    assert [c["ref"] for c in assert_ok(api.get("viewer", "/cases?q=حسابات"))["items"]] == [ref]
    assert assert_ok(api.get("viewer", f"/threats/{arabic_id}"))["text"] == ARABIC_THREAT
    group = assert_ok(api.get("viewer", f"/subjects/{group_id}"))
    assert [a["status"] for a in group["accounts"]] == ["suspended", "suspended", "active"]
    assert group["accounts"][2]["first_seen"] > group["accounts"][0]["suspended_at"]

    timeline = assert_ok(api.get("viewer", f"/cases/{ref}/timeline"))["items"]
    assert [(item["kind"], item["summary"].split(":")[0]) for item in timeline] == [
        ("threat", "concerning threat by public post"),
        ("threat", "direct threat by public post"),
        ("threat", "veiled threat by public post"),
        ("threat", "conditional threat by public post"),
        ("status", "opened → new"),
        ("status", "new → triage"),
        ("status", "triage → assessment"),
        ("handoff", "Handoff offered to colleague"),
        ("handoff", "Handoff to colleague declined"),
        ("handoff", "Handoff offered to colleague"),
        ("handoff", "Handoff to colleague accepted"),
        ("status", "assessment → active"),
        ("task", "Task"),
        # The referral, then the move it makes.
        (
            "referral",
            "Referred to National Counter Terrorism Police, Online threats "
            "(their reference NCTP-2026-4471)",
        ),
        ("status", "active → referred"),
    ]
    assert ARABIC_THREAT in timeline[3]["summary"]
    assert "On leave next week." in timeline[8]["summary"]
    assert [item["actor"] for item in timeline[4:7]] == ["analyst"] * 3
    assert timeline[10]["actor"] == "colleague" and timeline[13]["actor"] == "lead"

    with app.app_context():
        assert verify_audit_chain(db.session) is None
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.case_ref == ref).order_by(AuditEvent.id)
        ).all()
    assert actions.count("threat.create") == 4 and actions.count("case.transition") == 4
    assert {
        "case.create",
        "handoff.declined",
        "handoff.accepted",
        "task.create",
        "referral.create",
    } <= set(actions)
