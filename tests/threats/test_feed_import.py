"""Importing threats from monitoring feeds: CSV or JSON Lines, all or nothing, no duplicates."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from casemgr.audit.log import SYSTEM
from casemgr.cases.listing import CaseFilters, filtered_cases
from casemgr.cases.models import Case
from casemgr.people.models import Account, Subject
from casemgr.search.models import SearchDocument
from casemgr.threats.feed_files import COLUMNS, FeedRefused, decode_feed, read_rows
from casemgr.threats.feeds import ImportReport, import_threats
from casemgr.threats.models import Threat
from tests.api.conftest import api, assert_ok, assert_problem, new_case, outsider
from tests.cases.conftest import case, count, make_account, make_subject, session, staff
from tests.cases.web import open_case, page_text

# Fixtures shared with the case and API tests.
__all__ = ["api", "case", "new_case", "outsider", "session", "staff"]

ARABIC = "سنقتل كل موظفي الشركة ومديرها\u200f 🔥\r\n  ثانيا  "


def feed_row(number: int, **fields: str) -> dict[str, str]:
    """A valid row; each number is a different post."""
    return {
        "occurred_at": f"2026-03-02T08:{number // 600 % 60:02d}:{number % 60:02d}+01:00",
        "platform": "Chirper",
        "handle": f"@watcher{number % 7}",
        "account_url": f"https://chirper.example/watcher{number % 7}",
        "text": f"Post number {number}: we know where you work.",
        "language": "en",
        "translation": "",
        "post_url": f"https://chirper.example/p/{number}",
        "grading": "2BP",
        "subject": "Dawn Vanguard",
    } | fields


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=[*COLUMNS], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def jsonl_bytes(rows: list[dict[str, str]]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def run_import(
    session: Session, case: Case, data: bytes, kind: str = "csv", skip_bad: bool = False
) -> ImportReport:
    rows = read_rows(decode_feed(data), kind)  # type: ignore[arg-type]
    return import_threats(session, SYSTEM, case, rows, skip_bad)


def threats_on(session: Session, case: Case) -> list[Threat]:
    return list(session.scalars(select(Threat).where(Threat.case_id == case.id)))


@pytest.fixture(scope="module")
def big_feed() -> bytes:
    """10,000 rows, three of them repeating earlier ones."""
    rows = [feed_row(number) for number in range(9_997)]
    rows[4000:4000] = [feed_row(5)]
    rows[7000:7000] = [feed_row(6000)]
    rows.append(feed_row(9_000))
    return csv_bytes(rows)


def test_ten_thousand_rows_with_three_duplicates_create_9997_threats(
    session: Session, case: Case, big_feed: bytes
) -> None:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    report = run_import(session, case, big_feed)
    session.commit()
    event.remove(engine, "before_cursor_execute", record)

    assert (report.created, report.skipped_duplicates, report.errors) == (9_997, 3, [])
    assert count(session, Threat) == 9_997
    # 500 threats a statement, indexed for search as many a statement: none a row.
    writes = [
        text
        for text in statements
        if text.startswith(("INSERT INTO threats", "INSERT INTO search"))
    ]
    assert len(writes) <= 2 * 20 + 8 and len(statements) < 120  # 8: 7 new accounts, a subject
    documents = select(func.count()).where(SearchDocument.kind == "threat")
    assert session.scalar(documents) == 9_997

    again = run_import(session, case, big_feed)
    session.commit()
    assert (again.created, again.skipped_duplicates) == (0, 10_000)
    assert count(session, Threat) == 9_997


def test_one_bad_row_in_the_middle_imports_nothing_and_names_its_line(
    session: Session, case: Case
) -> None:
    rows = [feed_row(number) for number in range(10_000)]
    rows[4999]["occurred_at"] = "2026-03-02T08:15:00"  # no zone; the header is line 1
    with pytest.raises(FeedRefused) as refused:
        run_import(session, case, csv_bytes(rows))
    session.rollback()

    assert refused.value.detail == "line 5001, field occurred_at: Give a time zone with the time."
    assert refused.value.extra["rows"] == [
        {"line": 5001, "field": "occurred_at", "message": "Give a time zone with the time."}
    ]
    assert count(session, Threat) == 0


def test_skip_bad_imports_the_good_rows_and_lists_the_bad(session: Session, case: Case) -> None:
    rows = [feed_row(number) for number in range(6)]
    rows[1]["grading"] = "9ZZ"
    rows[3]["channel"] = "pigeon"
    report = run_import(session, case, csv_bytes(rows), skip_bad=True)

    assert report.created == 4
    assert [(error.line, error.field) for error in report.errors] == [
        (3, "grading"),
        (5, "channel"),
    ]
    assert len(threats_on(session, case)) == 4


def test_json_lines_are_imported_with_the_grading_split(session: Session, case: Case) -> None:
    rows = [feed_row(1), feed_row(2, grading="", handle="", platform="")]
    report = run_import(session, case, jsonl_bytes(rows), kind="jsonl")

    assert report.created == 2
    graded, plain = sorted(threats_on(session, case), key=lambda threat: threat.text)
    assert (graded.grading_source, graded.grading_information, graded.grading_handling) == (
        "2",
        "B",
        "P",
    )
    assert (graded.channel, graded.threat_type) == ("public_post", "concerning")
    assert graded.source_url == "https://chirper.example/p/1"
    assert plain.grading_source is None and plain.account_id is None


def test_a_bad_json_line_is_named(session: Session, case: Case) -> None:
    data = jsonl_bytes([feed_row(1)]) + b"{not json\n"
    with pytest.raises(FeedRefused) as refused:
        run_import(session, case, data, kind="jsonl")
    assert refused.value.detail.startswith("line 2, field line: Not valid JSON")


def test_a_byte_order_mark_is_accepted(session: Session, case: Case) -> None:
    report = run_import(session, case, b"\xef\xbb\xbf" + csv_bytes([feed_row(1)]))
    assert report.created == 1


def test_header_names_are_matched_whatever_their_case(session: Session, case: Case) -> None:
    data = b' Occurred_At ,TEXT\r\n2026-03-02T08:00:00Z,"two\r\nlines"\r\n'
    report = run_import(session, case, data)
    assert report.created == 1
    assert threats_on(session, case)[0].text == "two\r\nlines"


def test_a_missing_column_is_refused_on_the_header_line(session: Session, case: Case) -> None:
    with pytest.raises(FeedRefused) as refused:
        run_import(session, case, b"occurred_at,platform\n2026-03-02T08:00:00Z,Chirper\n")
    assert refused.value.detail == "line 1, field text: This column is missing from the header."


def test_an_unclosed_quote_in_the_header_is_refused_on_line_1(session: Session, case: Case) -> None:
    with pytest.raises(FeedRefused) as refused:
        run_import(session, case, b'"occurred_at,platform')
    assert refused.value.detail.startswith("line 1, field file: Unreadable CSV header")


def test_latin_1_bytes_are_refused_clearly(session: Session, case: Case) -> None:
    data = csv_bytes([feed_row(1)]) + "2026-03-02T08:00:00Z,Chirper,@x,,Café\n".encode("latin-1")
    with pytest.raises(FeedRefused) as refused:
        run_import(session, case, data)
    assert refused.value.detail.startswith("line 3, field file: The file is not UTF-8 text")


def test_unknown_accounts_go_under_the_named_subject_or_unattributed(
    session: Session, case: Case
) -> None:
    known = make_account(session, make_subject(session, "Pale Flame"), "@known")
    rows = [
        feed_row(1, handle="@known", subject="Someone Else"),
        feed_row(2, handle="@new_one", subject="Dawn Vanguard"),
        feed_row(3, handle="@stray", subject=""),
        feed_row(4, handle="@stray2", subject=""),
    ]
    run_import(session, case, csv_bytes(rows))

    by_handle = {threat.account.handle: threat.account for threat in threats_on(session, case)}
    assert by_handle["@known"].id == known.id
    assert by_handle["@new_one"].subject.name == "Dawn Vanguard"
    assert by_handle["@new_one"].url == "https://chirper.example/watcher2"
    assert by_handle["@stray"].subject.name == by_handle["@stray2"].subject.name == "Unattributed"
    assert count(session, Subject) == 3  # Pale Flame, Dawn Vanguard, one Unattributed
    assert session.scalar(select(Account).where(Account.handle == "@known")) == known


def test_arabic_text_round_trips_and_is_searchable(
    app: Flask, session: Session, case: Case, staff
) -> None:
    run_import(session, case, csv_bytes([feed_row(1, text=ARABIC, language="ar")]))
    session.commit()

    stored = session.scalar(select(Threat.text).where(Threat.case_id == case.id))
    assert stored.encode("utf-8") == ARABIC.encode("utf-8")
    found = session.scalars(filtered_cases(session, staff["analyst"], CaseFilters(q="موظفي")))
    assert [found_case.id for found_case in found] == [case.id]


def test_the_import_writes_one_audit_event(session: Session, case: Case) -> None:
    from casemgr.audit.models import AuditEvent

    run_import(session, case, csv_bytes([feed_row(1), feed_row(1)]), skip_bad=True)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "threat.import")).one()
    assert event.changes["import"] == {"created": 1, "skipped_duplicates": 1, "bad_rows": []}


# The command line -------------------------------------------------------------------------


def test_the_command_imports_a_file_and_reports_counts(
    runner, session: Session, case: Case, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_bytes(csv_bytes([feed_row(1), feed_row(2), feed_row(1)]))
    result = runner.invoke(args=["threats", "import", case.ref, str(feed)])

    assert result.exit_code == 0, result.output
    assert "created 2, skipped 1 duplicates" in result.output
    assert len(threats_on(session, case)) == 2


def test_the_command_refuses_a_bad_file_with_one_line(
    runner, session: Session, case: Case, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(jsonl_bytes([feed_row(1), feed_row(2, channel="pigeon")]))
    result = runner.invoke(args=["threats", "import", case.ref, str(feed)])

    assert result.exit_code == 1
    assert result.output.strip().startswith("error: line 2, field channel: Choose one of")
    assert threats_on(session, case) == []

    skipped = runner.invoke(args=["threats", "import", case.ref, str(feed), "--skip-bad"])
    assert skipped.exit_code == 0, skipped.output
    assert "created 1, skipped 0 duplicates" in skipped.output
    assert "bad row: line 2, field channel" in skipped.output


# The API ----------------------------------------------------------------------------------


def test_the_api_imports_csv_and_json_lines(api, new_case) -> None:
    ref = new_case()["ref"]
    path = f"/cases/{ref}/threats:import"
    data = csv_bytes([feed_row(1), feed_row(1)])
    answer = assert_ok(api.post("analyst", path, data=data, content_type="text/csv"))
    assert answer == {"created": 1, "skipped_duplicates": 1, "errors": []}

    lines = jsonl_bytes([feed_row(2)])
    answer = assert_ok(api.post("analyst", path, data=lines, content_type="application/x-ndjson"))
    assert answer["created"] == 1


def test_the_api_refuses_bad_rows_types_viewers_and_hidden_cases(api, new_case, outsider) -> None:
    path = f"/cases/{new_case()['ref']}/threats:import"
    hidden = f"/cases/{new_case(restricted=True)['ref']}/threats:import"
    bad = csv_bytes([feed_row(1), feed_row(2, occurred_at="yesterday")])

    problem = assert_problem(api.post("analyst", path, data=bad, content_type="text/csv"), 422)
    assert problem["errors"] == {"3.occurred_at": [problem["rows"][0]["message"]]}
    assert problem["rows"] == [
        {
            "line": 3,
            "field": "occurred_at",
            "message": "Not a time; use ISO 8601 with a zone, e.g. 2026-03-02T08:15:00Z.",
        }
    ]
    skipped = api.post("analyst", path + "?skip_bad=true", data=bad, content_type="text/csv")
    assert assert_ok(skipped)["created"] == 1
    assert assert_ok(skipped)["errors"][0]["line"] == 3

    assert_problem(api.post("analyst", path, {"rows": []}), 415)
    assert_problem(api.post("viewer", path, data=bad, content_type="text/csv"), 403)
    assert_problem(api.post(outsider, hidden, data=bad, content_type="text/csv"), 404)
    latin = "occurred_at,text\n2026-03-02T08:00:00Z,Café\n".encode("latin-1")
    problem = assert_problem(api.post("analyst", path, data=latin, content_type="text/csv"), 422)
    assert "not UTF-8" in problem["detail"]


def test_the_import_is_documented_with_its_body_types(client) -> None:
    document = assert_ok(client.get("/api/v1/openapi.json"))
    operation = document["paths"]["/cases/{ref}/threats:import"]["post"]
    assert set(operation["requestBody"]["content"]) == {"text/csv", "application/x-ndjson"}
    assert {"200", "403", "404", "415", "422"} <= set(operation["responses"])
    assert "skip_bad" in {parameter["name"] for parameter in operation["parameters"]}


# The case page ----------------------------------------------------------------------------


def test_the_case_page_imports_a_file_and_shows_the_report(app: Flask, client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    assert "Import a feed" in page_text(client.get(f"/cases/{ref}"))
    rows = [feed_row(1), feed_row(1), feed_row(2, grading="XX")]

    def upload(skip_bad: bool) -> str:
        data = {"file": (io.BytesIO(csv_bytes(rows)), "feed.csv")}
        if skip_bad:
            data["skip_bad"] = "y"
        url = f"/cases/{ref}/threats/import"
        return page_text(client.post(url, data=data, follow_redirects=True))

    refused = upload(skip_bad=False)
    assert "Nothing was imported: line 4, field grading" in refused
    imported = upload(skip_bad=True)
    assert "Imported 1 threats; skipped 1 duplicates." in imported
    assert "Line 4, grading" in imported
    assert "Post number 1" in imported


def test_the_subjects_behind_imported_accounts_join_the_case(app) -> None:
    from casemgr.audit.log import SYSTEM
    from casemgr.cases.operations import CaseDetails, create_case
    from casemgr.extensions import db
    from casemgr.threats.feed_files import read_rows
    from casemgr.threats.feeds import import_threats

    with app.app_context():
        case = create_case(db.session, SYSTEM, None, CaseDetails(title="Feed"))
        csv_text = (
            "occurred_at,platform,handle,text,subject\n"
            "2026-03-02T08:15:00Z,Chirper,@ember_cell,They will pay,Ember Cell\n"
        )
        import_threats(db.session, SYSTEM, case, read_rows(csv_text, "csv"), skip_bad=False)
        assert [subject.name for subject in case.subjects] == ["Ember Cell"]
