"""Cases through the API: listing and filters, versions, the workflow, handoffs, tasks,
referrals and the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from casemgr.cases.models import Case
from casemgr.extensions import db
from tests.api.conftest import assert_ok, assert_problem

CASE_FIELDS = {
    "ref",
    "title",
    "status",
    "owner",
    "concern_level",
    "version",
    "protectees",
    "subjects",
    "next_review_at",
    "pending_handoff",
}


def test_a_new_case_is_owned_by_its_opener_and_has_the_contract_fields(api) -> None:
    ceo = assert_ok(api.post("analyst", "/protectees", {"name": "Dana Whitfield"}), 201)
    group = assert_ok(
        api.post("analyst", "/subjects", {"name": "Pale Flame", "kind": "group"}), 201
    )
    body = {
        "title": "CEO threatened by name",
        "priority": "high",
        "protectee_ids": [ceo["id"]],
        "subject_ids": [group["id"]],
        "next_review_at": "2026-04-01T09:00:00+02:00",
    }
    case = assert_ok(api.post("analyst", "/cases", body), 201)
    assert set(case) >= CASE_FIELDS
    assert case["ref"].startswith("TA-") and case["status"] == "new"
    assert case["owner"] == "analyst" and case["pending_handoff"] is None
    assert case["protectees"] == [{"id": ceo["id"], "name": "Dana Whitfield"}]
    assert case["subjects"] == [{"id": group["id"], "name": "Pale Flame", "kind": "group"}]
    assert case["next_review_at"] == "2026-04-01T07:00:00Z"
    assert assert_ok(api.get("viewer", f"/cases/{case['ref']}")) == case
    assert assert_ok(api.get("viewer", f"/cases/{case['ref'].lower()}"))["ref"] == case["ref"]


def test_opening_a_case_refuses_viewers_and_invalid_values(api) -> None:
    assert_problem(api.post("viewer", "/cases", {"title": "Mine"}), 403)
    assert "title" in assert_problem(api.post("analyst", "/cases", {"title": " "}), 422)["errors"]
    naive = {"title": "T", "next_review_at": "2026-04-01T09:00:00"}
    assert "next_review_at" in assert_problem(api.post("analyst", "/cases", naive), 422)["errors"]
    unknown = {"title": "T", "protectee_ids": [999], "members": ["ghost"]}
    assert set(assert_problem(api.post("analyst", "/cases", unknown), 422)["errors"]) == {
        "protectee_ids",
        "members",
    }
    assert_problem(api.post("analyst", "/cases", {"title": "T", "priority": "meh"}), 422)
    assert_problem(api.get("viewer", "/cases/TA-2020-9999"), 404)
    assert_problem(api.get("nobody", "/cases"), 401)


def test_restricted_cases_are_404_for_everyone_outside_them(api, outsider, new_case) -> None:
    case = new_case("lead", restricted=True, members=["analyst"])
    ref = case["ref"]
    assert case["restricted"] is True and case["members"] == ["analyst"]
    for who in (outsider, "viewer"):
        assert_problem(api.get(who, f"/cases/{ref}"), 404)
        assert_problem(api.get(who, f"/cases/{ref}/timeline"), 404)
        assert_problem(api.get(who, f"/cases/{ref}/threats"), 404)
        assert ref not in [c["ref"] for c in assert_ok(api.get(who, "/cases"))["items"]]
    assert_problem(api.patch(outsider, f"/cases/{ref}", {"version": 1, "title": "x"}), 404)
    assert_problem(
        api.post(outsider, f"/cases/{ref}/transitions", {"to": "triage", "reason": "x"}), 404
    )
    assert_problem(api.post(outsider, f"/cases/{ref}/tasks", {"title": "x"}), 404)
    assert assert_ok(api.get("analyst", f"/cases/{ref}"))["ref"] == ref
    assert ref in [c["ref"] for c in assert_ok(api.get("admin", "/cases"))["items"]]


def test_patch_with_a_stale_version_is_409_with_the_current_case(api, new_case) -> None:
    case = new_case()
    path = f"/cases/{case['ref']}"
    edited = assert_ok(api.patch("analyst", path, {"version": case["version"], "title": "Renamed"}))
    assert edited["title"] == "Renamed" and edited["version"] > case["version"]
    assert edited["summary"] == case["summary"] and edited["priority"] == case["priority"]
    stale = assert_problem(
        api.patch("lead", path, {"version": case["version"], "title": "Mine"}), 409
    )
    assert stale["current"]["title"] == "Renamed"
    assert stale["current"]["version"] == edited["version"]
    assert assert_ok(api.get("viewer", path))["title"] == "Renamed"
    assert "version" in assert_problem(api.patch("analyst", path, {"title": "x"}), 422)["errors"]
    assert_problem(api.patch("viewer", path, {"version": edited["version"], "title": "x"}), 403)
    assert_problem(api.patch("analyst", path, {"version": edited["version"], "title": None}), 422)


def test_only_leads_assign_a_case_through_patch(api, new_case) -> None:
    case = new_case()
    path = f"/cases/{case['ref']}"
    assert_problem(api.patch("analyst", path, {"version": case["version"], "owner": "lead"}), 403)
    assigned = assert_ok(api.patch("lead", path, {"version": case["version"], "owner": "admin"}))
    assert assigned["owner"] == "admin"
    body = assert_problem(
        api.patch("lead", path, {"version": assigned["version"], "owner": "viewer"}), 422
    )
    assert "owner" in body["errors"]


def test_the_workflow_table_decides_transitions(api, new_case) -> None:
    case = new_case()
    path = f"/cases/{case['ref']}/transitions"
    moved = assert_ok(api.post("analyst", path, {"to": "triage", "reason": "Reported by the CEO."}))
    assert moved["status"] == "triage" and moved["version"] > case["version"]
    forbidden = assert_problem(api.post("analyst", path, {"to": "new", "reason": "Oops"}), 409)
    assert "triage" in forbidden["detail"]
    lead_only = assert_problem(api.post("analyst", path, {"to": "closed", "reason": "Done"}), 409)
    assert "lead" in lead_only["detail"]
    assert (
        "reason"
        in assert_problem(api.post("analyst", path, {"to": "assessment", "reason": " "}), 422)[
            "errors"
        ]
    )
    assert_problem(api.post("analyst", path, {"to": "sideways", "reason": "x"}), 422)
    stale = assert_problem(
        api.post("analyst", path, {"to": "assessment", "reason": "x", "version": case["version"]}),
        409,
    )
    assert stale["current"]["status"] == "triage"
    assert_problem(api.post("viewer", path, {"to": "assessment", "reason": "x"}), 403)
    assert assert_ok(api.get("viewer", f"/cases/{case['ref']}"))["status"] == "triage"


def test_a_handoff_changes_the_owner_only_when_accepted(api, new_case) -> None:
    case = new_case()
    ref = case["ref"]
    brief = {"situation": "Two threats logged.", "concern": "Escalating.", "next_steps": "Watch."}
    offered = assert_ok(
        api.post("analyst", f"/cases/{ref}/handoffs", {"to_user": "lead", "brief": brief}), 201
    )
    assert offered["status"] == "pending" and offered["to_user"] == "lead"
    assert offered["brief"] == brief and offered["case"] == ref
    pending = assert_ok(api.get("viewer", f"/cases/{ref}"))
    assert pending["owner"] == "analyst"
    assert pending["pending_handoff"]["id"] == offered["id"]
    again = {"to_user": "admin", "brief": brief}
    assert_problem(api.post("analyst", f"/cases/{ref}/handoffs", again), 409)
    assert_problem(api.post("admin", f"/handoffs/{offered['id']}/accept"), 403)  # not the receiver
    assert_problem(api.post("viewer", f"/handoffs/{offered['id']}/accept"), 403)
    accepted = assert_ok(api.post("lead", f"/handoffs/{offered['id']}/accept"))
    assert accepted["status"] == "accepted" and accepted["responded_at"].endswith("Z")
    after = assert_ok(api.get("viewer", f"/cases/{ref}"))
    assert after["owner"] == "lead" and after["pending_handoff"] is None
    assert_problem(api.post("lead", f"/handoffs/{offered['id']}/accept"), 409)
    assert_problem(api.post("lead", "/handoffs/9999/accept"), 404)


def test_declining_a_handoff_needs_a_reason_and_keeps_the_owner(api, new_case) -> None:
    ref = new_case()["ref"]
    brief = {"situation": "s", "concern": "c", "next_steps": "n"}
    offered = assert_ok(
        api.post("analyst", f"/cases/{ref}/handoffs", {"to_user": "lead", "brief": brief}), 201
    )
    path = f"/handoffs/{offered['id']}/decline"
    assert "reason" in assert_problem(api.post("lead", path, {"reason": ""}), 422)["errors"]
    declined = assert_ok(api.post("lead", path, {"reason": "On leave next week."}))
    assert declined["status"] == "declined" and declined["decline_reason"] == "On leave next week."
    assert assert_ok(api.get("viewer", f"/cases/{ref}"))["owner"] == "analyst"
    bad_receiver = {"to_user": "viewer", "brief": brief}
    assert (
        "to_user"
        in assert_problem(api.post("analyst", f"/cases/{ref}/handoffs", bad_receiver), 422)[
            "errors"
        ]
    )
    nobody = {"to_user": "ghost", "brief": brief}
    assert (
        "to_user"
        in assert_problem(api.post("analyst", f"/cases/{ref}/handoffs", nobody), 422)["errors"]
    )
    empty = {"to_user": "lead", "brief": brief | {"concern": ""}}
    assert_problem(api.post("analyst", f"/cases/{ref}/handoffs", empty), 422)
    assert_problem(
        api.post("viewer", f"/cases/{ref}/handoffs", {"to_user": "lead", "brief": brief}), 403
    )


def test_a_handoff_of_a_restricted_case_goes_only_to_someone_inside_it(
    api, outsider, new_case
) -> None:
    ref = new_case("lead", restricted=True, members=["analyst"])["ref"]
    brief = {"situation": "s", "concern": "c", "next_steps": "n"}
    body = assert_problem(
        api.post("lead", f"/cases/{ref}/handoffs", {"to_user": outsider, "brief": brief}), 422
    )
    assert "to_user" in body["errors"]
    offered = assert_ok(
        api.post("lead", f"/cases/{ref}/handoffs", {"to_user": "analyst", "brief": brief}), 201
    )
    assert_problem(api.post(outsider, f"/handoffs/{offered['id']}/accept"), 404)
    assert (
        assert_ok(api.post("analyst", f"/handoffs/{offered['id']}/accept"))["status"] == "accepted"
    )


def test_tasks_are_added_and_completed(api, new_case) -> None:
    ref = new_case()["ref"]
    body = {
        "title": "Brief building security",
        "owner": "analyst",
        "due_at": "2026-03-10T09:00:00Z",
    }
    task = assert_ok(api.post("analyst", f"/cases/{ref}/tasks", body), 201)
    assert task["status"] == "open" and task["owner"] == "analyst" and task["case"] == ref
    done = assert_ok(api.patch("analyst", f"/cases/{ref}/tasks/{task['id']}", {"status": "done"}))
    assert done["status"] == "done" and done["completed_at"] is not None
    assert (
        "owner"
        in assert_problem(
            api.post("analyst", f"/cases/{ref}/tasks", {"title": "x", "owner": "ghost"}), 422
        )["errors"]
    )
    assert (
        "due_at"
        in assert_problem(
            api.post(
                "analyst", f"/cases/{ref}/tasks", {"title": "x", "due_at": "2026-03-10T09:00"}
            ),
            422,
        )["errors"]
    )
    assert_problem(api.post("viewer", f"/cases/{ref}/tasks", {"title": "x"}), 403)
    assert_problem(api.patch("analyst", f"/cases/{ref}/tasks/9999", {"status": "done"}), 404)
    assert_problem(
        api.patch("analyst", f"/cases/{ref}/tasks/{task['id']}", {"status": "maybe"}), 422
    )


def test_a_task_on_a_restricted_case_is_refused_for_an_owner_who_cannot_open_it(
    api, new_case, outsider
) -> None:
    ref = new_case(restricted=True)["ref"]
    body = {"title": "Check the badge logs", "owner": outsider}
    refused = assert_problem(api.post("analyst", f"/cases/{ref}/tasks", body), 422)
    assert refused["errors"] == {"owner": ["outsider is not a member of this restricted case."]}


def test_a_referral_moves_the_case_to_referred(api, new_case) -> None:
    ref = new_case()["ref"]
    for status in ("triage", "assessment"):
        assert_ok(
            api.post("analyst", f"/cases/{ref}/transitions", {"to": status, "reason": "Next."})
        )
    body = {"agency": "Counter Terrorism Policing", "unit": "CT Unit 4", "reference": "CTP-118"}
    assert_problem(api.post("analyst", f"/cases/{ref}/referrals", body), 403)  # a lead's action
    referral = assert_ok(api.post("lead", f"/cases/{ref}/referrals", body), 201)
    assert (
        referral["agency"] == "Counter Terrorism Policing" and referral["case_status"] == "referred"
    )
    assert assert_ok(api.get("viewer", f"/cases/{ref}"))["status"] == "referred"
    assert (
        "agency"
        in assert_problem(api.post("lead", f"/cases/{ref}/referrals", {"agency": ""}), 422)[
            "errors"
        ]
    )
    naive = {"agency": "X", "referred_at": "2026-03-01T10:00:00"}
    assert_problem(api.post("lead", f"/cases/{ref}/referrals", naive), 422)
    assert_problem(api.post("lead", f"/cases/{ref}/referrals", {"agency": "X", "version": 1}), 409)


def test_case_filters_narrow_the_list(app, api, new_case) -> None:
    ceo = assert_ok(api.post("analyst", "/protectees", {"name": "Dana Whitfield"}), 201)
    group = assert_ok(api.post("analyst", "/subjects", {"name": "Pale Flame"}), 201)
    mine = new_case("analyst", title="Crosshairs photo", protectee_ids=[ceo["id"]])
    theirs = new_case("lead", title="Letter to the lobby", subject_ids=[group["id"]])
    assert_ok(
        api.post("lead", f"/cases/{theirs['ref']}/transitions", {"to": "triage", "reason": "Go."})
    )
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert_ok(
        api.patch(
            "analyst", f"/cases/{mine['ref']}", {"version": mine["version"], "next_review_at": past}
        )
    )

    def refs(query: str) -> list[str]:
        return [case["ref"] for case in assert_ok(api.get("viewer", "/cases?" + query))["items"]]

    assert refs("") == [theirs["ref"], mine["ref"]]  # newest first
    assert refs("status=triage") == [theirs["ref"]]
    assert refs("owner=analyst") == [mine["ref"]]
    assert refs(f"protectee_id={ceo['id']}") == [mine["ref"]]
    assert refs(f"subject_id={group['id']}") == [theirs["ref"]]
    assert refs("overdue=true") == [mine["ref"]]
    assert refs("concern=none") == [theirs["ref"], mine["ref"]]
    assert refs("concern=high") == []
    assert refs("q=crosshairs") == [mine["ref"]]
    assert_problem(api.get("viewer", "/cases?status=lost"), 422)
    assert_problem(api.get("viewer", "/cases?protectee_id=abc"), 422)


def test_case_pages_walk_every_visible_case_once(app, api, outsider, new_case) -> None:
    made = [new_case(title=f"Case {number}")["ref"] for number in range(7)]
    hidden = new_case("lead", restricted=True)["ref"]
    with app.app_context():  # several cases opened in the same instant still page cleanly
        same = db.session.query(Case).filter(Case.ref.in_(made[:3])).all()
        for case in same:
            case.created_at = same[0].created_at
        db.session.commit()
    walked = [case["ref"] for case in api.walk(outsider, "/cases", limit=2)]
    assert sorted(walked) == sorted(made) and len(walked) == len(set(walked))
    assert hidden not in walked
    everything = [case["ref"] for case in api.walk("lead", "/cases", limit=3)]
    assert sorted(everything) == sorted([*made, hidden])


def test_the_timeline_merges_what_happened_in_order(api, new_case, new_threat) -> None:
    ref = new_case()["ref"]
    new_threat(ref, occurred_at="2026-01-10T12:00:00Z")
    assert_ok(
        api.post("analyst", f"/cases/{ref}/transitions", {"to": "triage", "reason": "Looking."})
    )
    assert_ok(api.post("analyst", f"/cases/{ref}/tasks", {"title": "Call the CEO's office"}), 201)
    timeline = assert_ok(api.get("viewer", f"/cases/{ref}/timeline"))
    assert [item["kind"] for item in timeline["items"]] == ["threat", "status", "status", "task"]
    assert timeline["items"][0]["at"] == "2026-01-10T12:00:00Z"
    assert timeline["items"][2]["details"]["reason"] == "Looking."
    assert timeline["items"][3]["actor"] == "analyst"
