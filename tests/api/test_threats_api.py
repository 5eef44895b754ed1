"""Threats through the API: verbatim text in any script, checked times, versions kept."""

from __future__ import annotations

from tests.api.conftest import OCCURRED, assert_ok, assert_problem

# "We will reach the traitors of the company wherever they are" (fictional).
ARABIC = "سنصل إلى خونة الشركة أينما كانوا\r\n  — كتائب اللهب  "


def test_threat_text_comes_back_byte_for_byte(api, new_case, new_threat) -> None:
    ref = new_case()["ref"]
    ceo = assert_ok(api.post("analyst", "/protectees", {"name": "Dana Whitfield"}), 201)
    threat = new_threat(
        ref,
        text=ARABIC,
        language="ar",
        translation="We will reach the traitors of the company wherever they are",
        target_ids=[ceo["id"]],
        grading={"source": 2, "information": "B", "handling": "P"},
        occurred_at="2026-03-02T10:15:00+02:00",
    )
    assert threat["text"] == ARABIC
    assert threat["text"].encode("utf-8") == ARABIC.encode("utf-8")
    assert threat["occurred_at"] == "2026-03-02T08:15:00Z"
    assert threat["grading"] == {"source": 2, "information": "B", "handling": "P"}
    assert threat["target_ids"] == [ceo["id"]] and threat["history"] == []
    fetched = assert_ok(api.get("viewer", f"/threats/{threat['id']}"))
    assert fetched["text"].encode("utf-8") == ARABIC.encode("utf-8")
    listed = assert_ok(api.get("viewer", f"/cases/{ref}/threats"))["items"]
    assert [item["text"] for item in listed] == [ARABIC]


def test_the_case_is_found_by_an_arabic_word_of_its_threat(api, new_case, new_threat) -> None:
    ref = new_case()["ref"]
    new_case(title="Unrelated letter")
    new_threat(ref, text=ARABIC)
    found = assert_ok(api.get("viewer", "/cases?q=خونة"))["items"]
    assert [case["ref"] for case in found] == [ref]
    assert assert_ok(api.get("viewer", "/cases?q=غير"))["items"] == []


def test_threat_values_are_checked(api, new_case, new_threat) -> None:
    ref = new_case()["ref"]
    path = f"/cases/{ref}/threats"
    good = {"occurred_at": OCCURRED, "channel": "email", "text": "x", "threat_type": "direct"}

    def refused(**changes: object) -> dict:
        return assert_problem(api.post("analyst", path, good | changes), 422)["errors"]

    assert "occurred_at" in refused(occurred_at="2026-03-02T08:15:00")
    assert "reported_at" in refused(reported_at="2026-03-01T08:15:00Z")
    # Digits alone would be read as seconds since 1970: a time is RFC 3339 text.
    assert "reported_at" in refused(reported_at="20")
    assert "occurred_at" in refused(occurred_at="1700000000")
    assert "occurred_at" in refused(occurred_at="2026-03-02T08:15:00+00:00:01")  # not RFC 3339
    assert "text" in refused(text="x" * 100_000)
    assert "text" in refused(text="   ")
    assert "channel" in refused(channel="pigeon")
    assert "grading.information" in refused(grading={"information": "Z"})
    assert "account_id" in refused(account_id=9999)
    assert "target_ids" in refused(target_ids=[9999])
    assert "occurred_at" in refused(occurred_at="2999-01-01T00:00:00Z")
    assert_problem(
        api.post("analyst", path, data=b'{"text": ', content_type="application/json"), 400
    )
    assert_problem(api.post("analyst", path, data=b"text=x"), 415)
    assert_problem(api.post("viewer", path, good), 403)
    assert_problem(api.post("analyst", "/cases/TA-2020-9999/threats", good), 404)
    assert assert_ok(api.get("viewer", path))["items"] == []


def test_editing_a_threat_keeps_what_it_said_before(api, new_case, new_threat) -> None:
    case = new_case()
    threat = new_threat(case["ref"], text="First wording ", grading={"source": 3})
    path = f"/threats/{threat['id']}"
    edited = assert_ok(
        api.patch("analyst", path, {"text": "Second wording", "threat_type": "direct"})
    )
    assert edited["text"] == "Second wording" and edited["threat_type"] == "direct"
    assert edited["channel"] == threat["channel"] and edited["grading"] == {
        "source": 3,
        "information": None,
        "handling": None,
    }
    assert_ok(api.patch("lead", path, {"grading": None, "reported_at": "2026-03-03T00:00:00Z"}))
    fetched = assert_ok(api.get("viewer", path))
    assert fetched["grading"] is None and fetched["text"] == "Second wording"
    history = fetched["history"]
    assert [version["number"] for version in history] == [1, 2]
    assert history[0]["text"] == "First wording " and history[0]["threat_type"] == "veiled"
    assert history[0]["grading"] == {"source": 3, "information": None, "handling": None}
    assert history[0]["occurred_at"] == OCCURRED and history[0]["edited_by"] == "analyst"
    assert history[1]["text"] == "Second wording" and history[1]["reported_at"] is None
    assert "text" in assert_problem(api.patch("analyst", path, {"text": None}), 422)["errors"]
    body = assert_problem(api.patch("analyst", path, {"reported_at": "2026-01-01T00:00:00Z"}), 422)
    assert "reported_at" in body["errors"]
    assert_problem(api.patch("viewer", path, {"notes": "x"}), 403)
    assert_problem(api.patch("analyst", "/threats/9999", {"notes": "x"}), 404)


def test_a_threat_with_a_stale_case_version_is_409(api, new_case, new_threat) -> None:
    case = new_case()
    threat = new_threat(case["ref"], version=case["version"])
    body = assert_problem(
        api.patch(
            "analyst", f"/threats/{threat['id']}", {"notes": "n", "version": case["version"]}
        ),
        409,
    )
    assert body["current"]["ref"] == case["ref"] and body["current"]["version"] > case["version"]
    stale = {"occurred_at": OCCURRED, "channel": "email", "text": "x", "threat_type": "direct"}
    assert_problem(
        api.post("analyst", f"/cases/{case['ref']}/threats", stale | {"version": 1}), 409
    )


def test_a_threat_on_a_restricted_case_is_404_for_outsiders(
    api, outsider, new_case, new_threat
) -> None:
    ref = new_case("lead", restricted=True, members=["analyst"])["ref"]
    threat = new_threat(ref, who="analyst")
    assert_problem(api.get(outsider, f"/threats/{threat['id']}"), 404)
    assert_problem(api.patch(outsider, f"/threats/{threat['id']}", {"notes": "x"}), 404)
    assert_problem(api.get("viewer", f"/threats/{threat['id']}"), 404)
    assert assert_ok(api.get("admin", f"/threats/{threat['id']}"))["id"] == threat["id"]


def test_an_account_seen_only_in_a_restricted_case_is_hidden(
    api, outsider, new_case, new_threat
) -> None:
    subject = assert_ok(api.post("lead", "/subjects", {"name": "Quiet One"}), 201)
    account = assert_ok(
        api.post(
            "lead", f"/subjects/{subject['id']}/accounts", {"platform": "Chirp", "handle": "@q"}
        ),
        201,
    )
    ref = new_case("lead", restricted=True)["ref"]
    new_threat(ref, who="lead", account_id=account["id"])
    assert_problem(api.get(outsider, f"/accounts/{account['id']}"), 404)
    assert_problem(api.get(outsider, f"/subjects/{subject['id']}"), 404)
    mine = new_case(outsider)["ref"]
    body = assert_problem(
        api.post(
            outsider,
            f"/cases/{mine}/threats",
            {
                "occurred_at": OCCURRED,
                "channel": "email",
                "text": "x",
                "threat_type": "direct",
                "account_id": account["id"],
            },
        ),
        422,
    )
    assert "account_id" in body["errors"]


def test_threat_pages_follow_the_order_threats_occurred_in(api, new_case, new_threat) -> None:
    ref = new_case()["ref"]
    days = [5, 1, 3, 1, 4]
    for number, day in enumerate(days):
        new_threat(ref, occurred_at=f"2026-02-0{day}T09:00:00Z", text=f"threat {number}")
    walked = api.walk("viewer", f"/cases/{ref}/threats", limit=2)
    assert [item["text"] for item in walked] == [
        "threat 1",
        "threat 3",
        "threat 2",
        "threat 4",
        "threat 0",
    ]
