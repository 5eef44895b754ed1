"""Reading a monitoring feed's file: UTF-8 text, CSV or JSON Lines, one raw row a threat.
What a row says is checked where it is imported (`casemgr.threats.feeds`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from casemgr.errors import CaseMgrError

FeedFormat = Literal["csv", "jsonl"]
COLUMNS = (
    "occurred_at",
    "platform",
    "handle",
    "account_url",
    "text",
    "language",
    "translation",
    "post_url",
    "grading",
    "subject",
    "channel",
    "threat_type",
)
REQUIRED_COLUMNS = ("occurred_at", "text")


class FeedRefused(CaseMgrError):
    """The file, or a row of it, cannot be imported; nothing was written."""

    status = 422
    title = "Import refused"


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str


def refuse(errors: list[RowError]) -> FeedRefused:
    """The refusal naming the first bad row; `rows` lists them all, and `errors` holds them
    in the problem answer's usual shape, keyed `line.field`."""
    first = errors[0]
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(f"{error.line}.{error.field}", []).append(error.message)
    return FeedRefused(
        f"line {first.line}, field {first.field}: {first.message}",
        errors=by_field,
        rows=[error.__dict__ for error in errors],
    )


def decode_feed(data: bytes) -> str:
    """The file as text: UTF-8, a leading BOM dropped; anything else is refused."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        message = (
            f"The file is not UTF-8 text (byte 0x{data[error.start]:02x} at line {line} "
            "cannot be read); save it as UTF-8 and import it again."
        )
        raise refuse([RowError(line, "file", message)]) from None


def detect_format(filename: str, text: str) -> FeedFormat:
    """By the file's extension, else by its first character (`{` for JSON Lines)."""
    name = filename.lower()
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".csv"):
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def read_rows(text: str, kind: FeedFormat) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, raw row) pairs; FeedRefused when the file's shape is wrong."""
    return _csv_rows(text) if kind == "csv" else _jsonl_rows(text)


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        raise refuse([RowError(1, "file", f"Unreadable CSV header: {error}.")]) from None
    # Feeds differ in case and padding of their header names, not in the names themselves.
    headers = reader.fieldnames = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in headers]
    if missing:
        raise refuse(
            [RowError(1, name, "This column is missing from the header.") for name in missing]
        )
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise refuse([RowError(reader.line_num, "file", f"Unreadable CSV: {error}.")]) from None
        if None in row:  # more cells than header columns
            yield start, {"__extra__": row.pop(None)} | row
        else:
            yield start, row
        start = reader.line_num + 1


def _jsonl_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as error:  # also: nested too deep, too many digits
            decoding = isinstance(error, json.JSONDecodeError)
            reason = error.msg if decoding else "nested too deep, or a number too long"
            yield number, {"__json__": f"Not valid JSON: {reason}."}
            continue
        if not isinstance(row, dict):
            row = {"__json__": "Each line must be one JSON object."}
        yield number, row
