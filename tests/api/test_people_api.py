"""Protectees, subjects and accounts through the API."""

from __future__ import annotations

from tests.api.conftest import assert_ok, assert_problem

CEO = {
    "name": "Dana Whitfield",
    "title": "Chief Executive Officer",
    "department": "Executive office",
    "private": {"home_address": "12 Harbour Lane", "phone": "+44 20 7946 0000"},
}


def test_protectee_private_details_are_shown_only_to_roles_that_may_see_them(api) -> None:
    created = assert_ok(api.post("analyst", "/protectees", CEO), 201)
    assert created["private"] == {
        "home_address": "12 Harbour Lane",
        "phone": "+44 20 7946 0000",
        "family": "",
    }
    path = f"/protectees/{created['id']}"
    assert assert_ok(api.get("lead", path))["private"]["home_address"] == "12 Harbour Lane"
    as_viewer = assert_ok(api.get("viewer", path))
    assert as_viewer["name"] == "Dana Whitfield"
    assert "private" not in as_viewer
    listed = assert_ok(api.get("viewer", "/protectees"))["items"]
    assert [item["name"] for item in listed] == ["Dana Whitfield"]
    assert "private" not in listed[0]
    assert "12 Harbour Lane" not in api.get("viewer", "/protectees").get_data(as_text=True)


def test_patching_a_protectee_changes_only_what_is_sent(api) -> None:
    created = assert_ok(api.post("analyst", "/protectees", CEO), 201)
    path = f"/protectees/{created['id']}"
    patched = assert_ok(api.patch("analyst", path, {"private": {"family": "Two children"}}))
    assert patched["private"] == created["private"] | {"family": "Two children"}
    assert patched["title"] == "Chief Executive Officer"
    patched = assert_ok(api.patch("lead", path, {"title": "CEO", "archived": True}))
    assert patched["title"] == "CEO" and patched["archived_at"].endswith("Z")
    assert assert_ok(api.get("viewer", "/protectees"))["items"] == []
    archived = assert_ok(api.get("viewer", "/protectees?archived=true"))["items"]
    assert [item["id"] for item in archived] == [created["id"]]
    restored = assert_ok(api.patch("lead", path, {"archived": False}))
    assert restored["archived_at"] is None


def test_protectee_writes_are_refused_to_viewers_and_invalid_values(api) -> None:
    assert_problem(api.post("viewer", "/protectees", CEO), 403)
    created = assert_ok(api.post("analyst", "/protectees", CEO), 201)
    assert_problem(api.patch("viewer", f"/protectees/{created['id']}", {"title": "x"}), 403)
    body = assert_problem(api.post("analyst", "/protectees", {"name": "   "}), 422)
    assert "name" in body["errors"]
    body = assert_problem(api.post("analyst", "/protectees", {"name": "A", "nick": "B"}), 422)
    assert "nick" in body["errors"]
    body = assert_problem(api.patch("analyst", f"/protectees/{created['id']}", {"name": None}), 422)
    assert "name" in body["errors"]
    assert_problem(api.get("viewer", "/protectees/9999"), 404)
    assert_problem(api.patch("analyst", "/protectees/9999", {"title": "x"}), 404)
    assert_problem(api.get("nobody", "/protectees"), 401)


def test_there_is_one_all_staff_protectee(api) -> None:
    staff = assert_ok(
        api.post("lead", "/protectees", {"name": "All staff", "all_staff": True}), 201
    )
    assert staff["all_staff"] is True and staff["name"] == "All staff"
    assert_problem(api.post("lead", "/protectees", {"name": "Everyone", "all_staff": True}), 409)


def test_protectee_list_pages_walk_every_protectee_once(api) -> None:
    for number in range(7):
        assert_ok(api.post("analyst", "/protectees", {"name": f"Employee {number}"}), 201)
    walked = api.walk("viewer", "/protectees", limit=3)
    assert [item["name"] for item in walked] == [f"Employee {number}" for number in range(7)]
    assert_problem(api.get("viewer", "/protectees?cursor=bogus"), 422)
    assert_problem(api.get("viewer", "/protectees?limit=500"), 422)


def _group(api) -> dict:
    body = {"name": "Sons of the Pale Flame", "kind": "group", "aliases": ["SPF", "Pale Flame"]}
    return assert_ok(api.post("analyst", "/subjects", body), 201)


def test_a_subject_keeps_its_accounts_with_their_suspension_dates(api) -> None:
    group = _group(api)
    assert group["aliases"] == ["Pale Flame", "SPF"] and group["accounts"] == []
    path = f"/subjects/{group['id']}/accounts"
    account = {
        "platform": "Chirp",
        "handle": "@paleflame",
        "status": "suspended",
        "first_seen": "2026-01-05T10:00:00+01:00",
        "suspended_at": "2026-02-01T12:00:00Z",
    }
    first = assert_ok(api.post("analyst", path, account), 201)
    assert first["first_seen"] == "2026-01-05T09:00:00Z"  # answered in UTC
    newer = assert_ok(
        api.post("analyst", path, {"platform": "Chirp", "handle": "@paleflame2"}), 201
    )
    patched = assert_ok(
        api.patch(
            "analyst",
            f"/accounts/{newer['id']}",
            {"status": "suspended", "suspended_at": "2026-02-20T00:00:00Z"},
        )
    )
    assert patched["status"] == "suspended" and patched["handle"] == "@paleflame2"
    fetched = assert_ok(api.get("viewer", f"/subjects/{group['id']}"))
    assert [a["handle"] for a in fetched["accounts"]] == ["@paleflame", "@paleflame2"]
    assert assert_ok(api.get("viewer", f"/accounts/{first['id']}"))["subject_id"] == group["id"]


def test_account_values_are_checked(api) -> None:
    group = _group(api)
    path = f"/subjects/{group['id']}/accounts"
    naive = {"platform": "Chirp", "handle": "@x", "first_seen": "2026-01-05T10:00:00"}
    assert "first_seen" in assert_problem(api.post("analyst", path, naive), 422)["errors"]
    active_but_suspended = {"platform": "Chirp", "handle": "@x", "suspended_at": OCCURRED_Z}
    body = assert_problem(api.post("analyst", path, active_but_suspended), 422)
    assert "status" in body["errors"]
    assert_problem(
        api.post("analyst", path, {"platform": "Chirp", "handle": "@x", "status": "gone"}), 422
    )
    assert_problem(api.post("viewer", path, {"platform": "Chirp", "handle": "@x"}), 403)
    assert_problem(
        api.post("analyst", "/subjects/9999/accounts", {"platform": "C", "handle": "h"}), 404
    )
    assert_problem(api.patch("analyst", "/accounts/9999", {"handle": "h"}), 404)


OCCURRED_Z = "2026-02-01T12:00:00Z"


def test_subject_values_are_checked(api) -> None:
    group = _group(api)
    assert_problem(api.post("viewer", "/subjects", {"name": "X"}), 403)
    assert (
        "kind"
        in assert_problem(api.post("analyst", "/subjects", {"name": "X", "kind": "cat"}), 422)[
            "errors"
        ]
    )
    body = assert_problem(
        api.post("analyst", "/subjects", {"name": "X", "affiliation_id": 9999}), 422
    )
    assert "affiliation_id" in body["errors"]
    supporter = assert_ok(
        api.post("analyst", "/subjects", {"name": "Kestrel", "affiliation_id": group["id"]}), 201
    )
    assert supporter["affiliation_id"] == group["id"]
    patched = assert_ok(
        api.patch(
            "analyst", f"/subjects/{supporter['id']}", {"aliases": ["K."], "kind": "individual"}
        )
    )
    assert patched["aliases"] == ["K."] and patched["affiliation_id"] == group["id"]
    assert_problem(api.patch("viewer", f"/subjects/{supporter['id']}", {"kind": "group"}), 403)
    assert_problem(api.get("viewer", "/subjects/9999"), 404)


def test_merging_moves_accounts_and_names_to_the_survivor(api) -> None:
    group = _group(api)
    other = assert_ok(
        api.post("analyst", "/subjects", {"name": "Flame Brigade", "kind": "group"}), 201
    )
    assert_ok(
        api.post(
            "analyst",
            f"/subjects/{other['id']}/accounts",
            {"platform": "Chirp", "handle": "@brigade"},
        ),
        201,
    )
    merged = assert_ok(
        api.post("analyst", f"/subjects/{group['id']}/merge", {"other_id": other["id"]})
    )
    assert merged["id"] == group["id"]
    assert "Flame Brigade" in merged["aliases"]
    assert [a["handle"] for a in merged["accounts"]] == ["@brigade"]
    assert assert_ok(api.get("viewer", f"/subjects/{other['id']}"))["merged_into_id"] == group["id"]
    listed = [s["id"] for s in assert_ok(api.get("viewer", "/subjects"))["items"]]
    assert listed == [group["id"]]
    with_merged = [s["id"] for s in assert_ok(api.get("viewer", "/subjects?merged=1"))["items"]]
    assert with_merged == [group["id"], other["id"]]
    assert_problem(
        api.post("analyst", f"/subjects/{group['id']}/merge", {"other_id": group["id"]}), 409
    )
    assert_problem(api.post("analyst", f"/subjects/{group['id']}/merge", {"other_id": 9999}), 422)
    assert_problem(
        api.post("viewer", f"/subjects/{group['id']}/merge", {"other_id": other["id"]}), 403
    )


def test_subjects_of_a_restricted_case_are_hidden_from_outsiders(api, outsider, new_case) -> None:
    secret = assert_ok(api.post("lead", "/subjects", {"name": "Quiet One"}), 201)
    account = assert_ok(
        api.post(
            "lead", f"/subjects/{secret['id']}/accounts", {"platform": "Chirp", "handle": "@q"}
        ),
        201,
    )
    open_subject = _group(api)
    new_case("lead", restricted=True, subject_ids=[secret["id"]], members=["analyst"])
    for path in (f"/subjects/{secret['id']}", f"/accounts/{account['id']}"):
        assert_problem(api.get(outsider, path), 404)
        assert_ok(api.get("analyst", path))  # a member
        assert_ok(api.get("admin", path))
    assert_problem(api.patch(outsider, f"/accounts/{account['id']}", {"handle": "@z"}), 404)
    assert_problem(
        api.post(outsider, f"/subjects/{open_subject['id']}/merge", {"other_id": secret["id"]}), 422
    )
    listed = [s["id"] for s in assert_ok(api.get(outsider, "/subjects"))["items"]]
    assert listed == [open_subject["id"]]
    body = assert_problem(
        api.post(outsider, "/cases", {"title": "Mine", "subject_ids": [secret["id"]]}), 422
    )
    assert "subject_ids" in body["errors"]
