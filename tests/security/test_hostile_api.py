"""Hostile input through the JSON API: NUL bytes and overlong text in every text field,
malformed, huge and ambiguous JSON, wrong types, out-of-range dates and numbers, path
traversal, broken multipart bodies and hostile files. Each refusal is a problem+json with a
status and a detail, and leaves the database and the evidence store as they were; what is
accepted comes back byte for byte and is shown escaped. SQLite refuses what PostgreSQL does."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask

from casemgr.routing import ROW_ID_MAX
from tests.api.conftest import Caller, api, assert_ok, assert_problem
from tests.evidence.photos import bomb_png, jpeg_bytes, photo, truncated_jpeg
from tests.security.hostile import (
    HUGE,
    MARKUP,
    NUL,
    RTL_NAME,
    SCRIPT,
    SQL,
    TRAVERSAL,
    assert_unchanged,
    behave_like_postgresql,
    snapshot,
)

__all__ = ["api"]
OCCURRED = "2026-03-02T08:15:00Z"
OVERLONG = "x" * 100_001
BRIEF = {"situation": "Quiet.", "concern": "Low.", "next_steps": "Watch."}
THREAT = {"occurred_at": OCCURRED, "channel": "email", "text": "We know.", "threat_type": "veiled"}
THREAT_TEXTS = ("text", "translation", "language", "platform", "location", "source_url", "notes")
PROTECTEE = {"name": "Dana Whitfield", "title": "CEO", "private": {"home_address": "1 Elm Row"}}
ACCOUNT = {"platform": "Chirper", "handle": "@dawn", "url": "https://chirper.example/d"}
ANSWER = {"point": 1, "rationale": "Named the CEO."}
ITEM = "directly_communicated_threat"
# (role, method, path, body, the text fields by dotted path)
BODIES: list[tuple[str, str, str, dict[str, Any], tuple[str, ...]]] = [
    ("analyst", "POST", "/cases", {"title": "T", "members": ["lead"]}, ("title", "members.0")),
    ("analyst", "PATCH", "/cases/{ref}", {"summary": "S"}, ("summary",)),  # and its version
    ("analyst", "POST", "/cases/{ref}/transitions", {"to": "triage", "reason": "R"}, ("reason",)),
    (
        "analyst",
        "POST",
        "/cases/{ref}/handoffs",
        {"to_user": "admin", "brief": BRIEF},
        ("to_user", "brief.situation", "brief.concern", "brief.next_steps"),
    ),
    ("lead", "POST", "/handoffs/1/decline", {"reason": "On leave."}, ("reason",)),
    ("analyst", "POST", "/cases/{ref}/tasks", {"title": "T", "owner": "lead"}, ("title", "owner")),
    ("lead", "POST", "/cases/{ref}/referrals", {"agency": "CT", "notes": "N"}, ("agency", "notes")),
    ("analyst", "POST", "/protectees", PROTECTEE, ("name", "title", "private.home_address")),
    ("analyst", "PATCH", "/protectees/1", PROTECTEE, ("name", "private.home_address")),
    ("analyst", "POST", "/subjects", {"name": "Echo", "aliases": ["E"]}, ("name", "aliases.0")),
    ("analyst", "PATCH", "/subjects/1", {"description": "D"}, ("description",)),
    ("analyst", "POST", "/subjects/1/accounts", ACCOUNT, tuple(ACCOUNT)),
    ("analyst", "PATCH", "/accounts/1", ACCOUNT, tuple(ACCOUNT)),
    ("analyst", "POST", "/cases/{ref}/threats", THREAT, THREAT_TEXTS),
    ("analyst", "PATCH", "/threats/1", THREAT, THREAT_TEXTS),
    ("analyst", "POST", "/evidence/1/manipulated", {"note": "Crosshairs."}, ("note",)),
    ("analyst", "POST", "/evidence/1/withdraw", {"reason": "Duplicate."}, ("reason",)),
    (
        "analyst",
        "POST",
        "/cases/{ref}/assessments",
        {"rubric": "casemgr-default", "answers": {ITEM: ANSWER}},
        ("rubric", f"answers.{ITEM}.rationale"),
    ),
    ("lead", "POST", "/cases/{ref}/briefings", {"recipient": "CT", "tlp": "TLP:AMBER"}, ("tlp",)),
]


@pytest.fixture(autouse=True)
def like_postgresql(app: Flask) -> None:
    behave_like_postgresql(app)


@pytest.fixture
def ref(world: dict[str, str], api: Caller) -> str:
    return world["ref"]


def with_value(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A deep copy of `body` with the field at `dotted` ("brief.situation") set."""
    head, _, rest = dotted.partition(".")
    if isinstance(body, list):
        copy: Any = list(body)
        copy[int(head)] = with_value(copy[int(head)], rest, value) if rest else value
        return copy
    inner = body.get(head, {})
    return body | {head: with_value(inner, rest, value) if rest else value}


def send_json(api: Caller, ref: str, entry: tuple, body: Any) -> Any:
    role, method, path, _, _ = entry
    if (method, path) == ("PATCH", "/cases/{ref}"):
        body = body | {"version": api.get(role, f"/cases/{ref}").get_json()["version"]}
    return api.request(method, role, path.format(ref=ref), body)


def test_a_nul_byte_in_any_text_field_is_a_422_naming_it(app: Flask, api: Caller, ref: str) -> None:
    before = snapshot(app)
    for entry in BODIES:
        for field in entry[4]:
            response = send_json(api, ref, entry, with_value(entry[3], field, NUL))
            problem = assert_problem(response, 422)
            assert field in problem["errors"], (entry[2], field, problem["errors"])
    assert_unchanged(before, app)


def test_overlong_text_in_any_text_field_is_refused(app: Flask, api: Caller, ref: str) -> None:
    before = snapshot(app)
    for entry in BODIES:
        for field in entry[4]:
            response = send_json(api, ref, entry, with_value(entry[3], field, OVERLONG))
            assert_problem(response, 422)
    assert_unchanged(before, app)


def test_markup_sql_and_bidi_text_come_back_byte_for_byte_and_show_escaped(
    api: Caller, ref: str
) -> None:
    text = f"{SCRIPT}\n{MARKUP}\n{SQL}"
    body = THREAT | {"text": text, "location": SQL, "notes": MARKUP}
    threat = assert_ok(api.post("analyst", f"/cases/{ref}/threats", body), 201)
    assert (threat["text"], threat["location"], threat["notes"]) == (text, SQL, MARKUP)
    protectee = assert_ok(api.post("analyst", "/protectees", {"name": RTL_NAME}), 201)
    assert api.get("analyst", f"/protectees/{protectee['id']}").get_json()["name"] == RTL_NAME
    assert_ok(api.post("analyst", "/cases", {"title": "Another matter"}), 201)
    found = assert_ok(api.get("analyst", "/cases", query_string={"q": SQL}))
    assert [case["ref"] for case in found["items"]] == [ref]  # a phrase, not a condition


RAW_BODIES = {
    b'{"title": "Unclosed"': 400,
    b'{"title": "x"} trailing': 400,
    b'{"title": "\xff\xfe"}': 400,
    b'{"title": "lone \\ud800 surrogate"}': 400,
    b"[" * 50_000 + b"]" * 50_000: 400,
    b'{"title": NaN}': 422,  # read as a number, which a title is not
    b'{"title": "first", "title": "second"}': 400,
    b'{"title": "x", "members": [], "members": ["lead"]}': 400,
    b"": 422,
    b"null": 422,
    b"[]": 422,
    b'"title"': 422,
    b'{"title": 12}': 422,
    b'{"title": "x", "restricted": "yes"}': 422,
    b'{"title": "x", "protectee_ids": "1"}': 422,
    b'{"title": "x", "protectee_ids": [true]}': 422,
    b'{"title": "x", "protectee_ids": [1.5]}': 422,
    b'{"title": "x", "unknown": 1}': 422,
}


def test_malformed_ambiguous_and_mistyped_json_is_refused(
    app: Flask, api: Caller, ref: str
) -> None:
    before = snapshot(app)
    headers = api.headers["analyst"]
    for raw, status in RAW_BODIES.items():
        answer = api.client.post(
            "/api/v1/cases", data=raw, headers=headers, content_type="application/json"
        )
        assert_problem(answer, status)
    nested = b'{"to_user": "admin", "brief": {"situation": "a", "concern": "b", "next_steps": "c",'
    answer = api.client.post(
        f"/api/v1/cases/{ref}/handoffs",
        data=nested + b' "situation": "d"}}',
        headers=headers,
        content_type="application/json",
    )
    assert "'situation' more than once" in assert_problem(answer, 400)["detail"]
    as_text = api.client.post("/api/v1/cases", data=b'{"title": "x"}', headers=headers)
    assert_problem(as_text, 415)
    app.config["MAX_CONTENT_LENGTH"] = 1_000_000
    huge = b'{"title": "' + b"x" * 2_000_000 + b'"}'
    answer = api.client.post(
        "/api/v1/cases", data=huge, headers=headers, content_type="application/json"
    )
    assert_problem(answer, 413)
    assert_unchanged(before, app)


DATES = [
    "0000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00+99:00",
    "2026-01-01T00:00:00",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "2026-02-30T00:00:00Z",
    "1e10",
]


def test_dates_out_of_range_are_a_422_naming_the_field(app: Flask, api: Caller, ref: str) -> None:
    before = snapshot(app)
    targets = [
        (f"/cases/{ref}/threats", THREAT, "occurred_at"),
        (f"/cases/{ref}/threats", THREAT, "reported_at"),
        ("/cases", {"title": "T"}, "next_review_at"),
        (f"/cases/{ref}/tasks", {"title": "T"}, "due_at"),
        ("/subjects/1/accounts", ACCOUNT, "first_seen"),
        (f"/cases/{ref}/referrals", {"agency": "CT"}, "referred_at"),
    ]
    for path, body, field in targets:
        for value in DATES:
            problem = assert_problem(api.post("lead", path, body | {field: value}), 422)
            assert field in problem["errors"], (field, value)
    for value in DATES:
        data = {"file": (io.BytesIO(b"Notes.\n"), "notes.txt"), "acquired_at": value}
        answer = api.post("analyst", f"/cases/{ref}/evidence", data=data)
        assert "acquired_at" in assert_problem(answer, 422)["errors"], value
    assert_unchanged(before, app)


NUMBERS = [HUGE, -1, 0, ROW_ID_MAX + 1, 2**63, 1.0, "1", True]


def test_numbers_beyond_the_columns_are_refused_in_bodies_paths_and_queries(
    app: Flask, api: Caller, ref: str
) -> None:
    before = snapshot(app)
    for number in NUMBERS:
        bodies = [
            (f"/cases/{ref}/threats", THREAT | {"account_id": number}),
            (f"/cases/{ref}/threats", THREAT | {"target_ids": [number]}),
            ("/subjects/1/merge", {"other_id": number}),
            (f"/cases/{ref}/transitions", {"to": "triage", "reason": "R", "version": number}),
            (
                f"/cases/{ref}/briefings",
                {"recipient": "CT", "tlp": "TLP:AMBER", "evidence_ids": [number]},
            ),
        ]
        for path, body in bodies:
            assert_problem(api.post("lead", path, body), 422)
    for query in (f"limit={HUGE}", "limit=-1", f"protectee_id={HUGE}", "subject_id=1e3", "x=1"):
        assert_problem(api.get("lead", f"/cases?{query}"), 422)
    for path in (f"/threats/{HUGE}", "/evidence/-1", f"/accounts/{2**63}", "/protectees/0"):
        assert_problem(api.get("lead", path), 404)
    assert_unchanged(before, app)


def test_traversal_and_nul_in_path_segments_are_404(api: Caller) -> None:
    for segment in (*TRAVERSAL, "..%2F..", "....%5C..%5C", "TA%002026"):
        for prefix in ("/cases/", "/evidence/", "/rubrics/", "/briefings/"):
            answer = api.get("lead", prefix + segment.replace("/", "%2F"))
            assert_problem(answer, 404)
            assert b"root:" not in answer.data


def upload(api: Caller, ref: str, data: bytes, name: str, **fields: str) -> Any:
    body = {"file": (io.BytesIO(data), name), **fields}
    return api.post("analyst", f"/cases/{ref}/evidence", data=body)


def test_broken_multipart_bodies_and_empty_files_store_nothing(
    app: Flask, api: Caller, ref: str
) -> None:
    before = snapshot(app)
    headers = api.headers["analyst"]
    for body in (b"garbage", b"--x--\r\n", b'--x\r\nContent-Disposition: form-data; name="file"'):
        answer = api.client.post(
            f"/api/v1/cases/{ref}/evidence",
            data=body,
            headers=headers,
            content_type="multipart/form-data; boundary=x",
        )
        assert_problem(answer, 400)
    assert "empty" in assert_problem(upload(api, ref, b"", "empty.jpg"), 422)["detail"]
    for field, value in (("description", NUL), ("threat_id", str(HUGE)), ("source_url", OVERLONG)):
        assert_problem(upload(api, ref, b"Notes.\n", "notes.txt", **{field: value}), 422)
    assert_unchanged(before, app)


@pytest.mark.parametrize("name", [*TRAVERSAL, "\u202egpj.exe", SCRIPT])
def test_an_upload_filename_is_kept_as_data_and_never_used_as_a_path(
    app: Flask, api: Caller, ref: str, name: str
) -> None:
    before = snapshot(app)
    data = f"Notes {name.encode().hex()}\n".encode()
    item = assert_ok(upload(api, ref, data, name), 201)
    assert item["original_filename"] == name
    sha = item["sha256"]
    assert snapshot(app).files - before.files == {f"store/{sha[:2]}/{sha[2:4]}/{sha}"}
    download = api.get("analyst", f"/evidence/{item['id']}/file")
    assert download.data == data
    sent_as = download.headers["Content-Disposition"].removeprefix("attachment; filename=")
    assert not ({"/", "\\", "\u202e", "<"} & set(sent_as)) and not sent_as.startswith(".")


def test_hostile_images_are_kept_exactly_and_flagged(app: Flask, api: Caller, ref: str) -> None:
    app.config["CASEMGR_MAX_IMAGE_PIXELS"] = 10_000_000
    cases = [
        (bomb_png(4000), "innocent.png", "pixels"),
        (jpeg_bytes(photo(seed=5)), "scan.png", "the content is image/jpeg"),
        (truncated_jpeg(), "cut.jpg", "truncated or corrupt"),
    ]
    for data, name, flag in cases:
        item = assert_ok(upload(api, ref, data, name), 201)
        assert flag in f"{item['analysis_note']} {item['mismatch_note']}".lower(), name
        assert api.get("analyst", f"/evidence/{item['id']}/file").data == data


FEED_HEADER = b"occurred_at,channel,text,threat_type,platform,handle,subject,grading\n"
FEEDS = [
    ("text/csv", FEED_HEADER + b"2026-03-01T09:00:00Z,email,a\x00b,direct,,,,\n"),
    ("text/csv", FEED_HEADER + b"2026-03-01T09:00:00Z,email,ok,direct,X,@a\x00,,\n"),
    ("text/csv", FEED_HEADER + b"9999-12-31T23:59:59-23:59,email,ok,direct,,,,\n"),
    ("text/csv", FEED_HEADER + b"2026-03-01T09:00:00Z,email,\xff\xfe,direct,,,,\n"),
    ("application/x-ndjson", b"[" * 100_000 + b"\n"),
    (
        "application/x-ndjson",
        b'{"occurred_at": "2026-03-01T09:00:00Z", "text": 1' + b"0" * 5000 + b"}",
    ),
]


def test_hostile_feed_rows_refuse_the_whole_import(app: Flask, api: Caller, ref: str) -> None:
    before = snapshot(app)
    for media_type, feed in FEEDS:
        headers = api.headers["analyst"] | {"Content-Type": media_type}
        answer = api.client.post(f"/api/v1/cases/{ref}/threats:import", data=feed, headers=headers)
        assert assert_problem(answer, 422)["rows"], feed[-40:]
    assert_unchanged(before, app)
