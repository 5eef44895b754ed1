"""After a feed import the case page reports three counts: threats created, duplicates
skipped and bad rows skipped."""

from __future__ import annotations

import io
from html import unescape

from tests.cases.web import open_case, page_text
from tests.threats.test_feed_import import csv_bytes, feed_row


def import_feed(client, ref: str, rows: list[dict[str, str]], skip_bad: bool = True) -> str:
    data = {"file": (io.BytesIO(csv_bytes(rows)), "feed.csv")}
    if skip_bad:
        data["skip_bad"] = "y"
    response = client.post(f"/cases/{ref}/threats/import", data=data, follow_redirects=True)
    return unescape(page_text(response))


def test_the_report_counts_created_duplicates_and_bad_rows(client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    rows = [feed_row(1), feed_row(1), feed_row(2), feed_row(3, grading="XX"), feed_row(4, text="")]
    page = import_feed(client, ref, rows)
    assert "Imported 2 threats; skipped 1 duplicates. 2 bad rows skipped: listed below." in page
    assert "Line 5, grading" in page and "Line 6, text" in page
    assert "alert-warning" in page


def test_a_clean_import_reports_no_bad_rows(client_as) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    page = import_feed(client, ref, [feed_row(1), feed_row(2)], skip_bad=False)
    assert "Imported 2 threats; skipped 0 duplicates. 0 bad rows skipped." in page
    assert "alert-success" in page
