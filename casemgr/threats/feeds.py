"""Importing threats from monitoring feeds, one threat a row (the file is read by
`casemgr.threats.feed_files`).

Every row is checked by the same rules as a threat logged by hand before anything is
written; the import is all-or-nothing unless the caller asks to skip bad rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from casemgr.audit.log import Actor, record_event
from casemgr.cases.models import Case
from casemgr.cases.operations import touch_case
from casemgr.db import utcnow
from casemgr.errors import ValidationFailed
from casemgr.people.models import Account, Subject
from casemgr.people.subjects import AccountDetails, SubjectDetails, add_account, create_subject
from casemgr.search.index import index_threats
from casemgr.threats.feed_files import COLUMNS, RowError, refuse
from casemgr.threats.models import Threat
from casemgr.threats.operations import ThreatDetails, check_threat
from casemgr.validation import Checks

UNATTRIBUTED = "Unattributed"
_GRADING = re.compile(r"([123])?([A-E])?([PC])?")
_WRITE_EVERY = 500  # threats inserted in one statement
_LOOKUP_EVERY = 500  # (platform, handle) pairs per account query

DuplicateKey = tuple[str, str, datetime, str]


@dataclass
class ImportReport:
    created: int = 0
    skipped_duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass
class FeedRow:
    """One row, checked: the threat's values and the account it came from."""

    line: int
    values: dict[str, Any]
    handle: str
    account_url: str
    subject: str

    @property
    def key(self) -> DuplicateKey:
        values = self.values
        occurred = values["occurred_at"].astimezone(UTC)
        return (values["platform"], self.handle, occurred, values["text"])


def _parse_time(value: str) -> datetime | None:
    return datetime.fromisoformat(value.strip()) if value.strip() else None


def check_row(session: Session, line: int, raw: dict[str, Any]) -> FeedRow | list[RowError]:
    """The row checked by the threat rules of operations.py, or its errors."""
    if "__json__" in raw:
        return [RowError(line, "line", raw["__json__"])]
    if "__extra__" in raw:
        return [RowError(line, "line", "More cells than the header has columns.")]
    cells: dict[str, str] = {}
    errors = []
    for name in COLUMNS:
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            errors.append(RowError(line, name, "Give this as text."))
        cells[name] = value or ""
    if errors:
        return errors
    try:
        occurred = _parse_time(cells["occurred_at"])
    except ValueError:
        message = "Not a time; use ISO 8601 with a zone, e.g. 2026-03-02T08:15:00Z."
        return [RowError(line, "occurred_at", message)]
    grading = _GRADING.fullmatch(cells["grading"].strip())
    if grading is None:
        return [RowError(line, "grading", 'Give a 3x5x2 grading such as "2BP", or nothing.')]
    checks = Checks()
    handle = checks.text("handle", cells["handle"], max_length=200).strip()
    if handle and not cells["platform"].strip():
        checks.fail("platform", "A handle needs its platform.")
    checks.text("account_url", cells["account_url"], max_length=2000)
    checks.text("subject", cells["subject"], max_length=200)
    details = ThreatDetails(
        occurred_at=occurred,
        channel=cells["channel"] or "public_post",
        text=cells["text"],
        threat_type=cells["threat_type"] or "concerning",
        platform=cells["platform"],
        translation=cells["translation"],
        language=cells["language"],
        source_url=cells["post_url"],
        grading_source=grading[1],
        grading_information=grading[2],
        grading_handling=grading[3],
    )
    try:
        values, _ = check_threat(session, details)
    except ValidationFailed as failed:
        checks.errors = {**failed.errors, **checks.errors}
    if checks.errors:
        field_names = {"source_url": "post_url"}
        return [
            RowError(line, field_names.get(name, name), message)
            for name, messages in checks.errors.items()
            for message in messages
        ]
    return FeedRow(line, values, handle, cells["account_url"].strip(), cells["subject"].strip())


# The two reads of every import, built once: building a select took longer than running it.
_CASE_KEYS = (
    select(Threat.platform, Account.handle, Threat.occurred_at, Threat.text)
    .outerjoin(Account, Threat.account_id == Account.id)
    .where(Threat.case_id == bindparam("case_id"))
)
# Two IN lists the (platform, handle) index serves; SQLite scans the whole table for an IN
# of pairs. Pairs that only cross the lists are dropped by the caller.
_ACCOUNTS_OF_KEYS = (
    select(Account)
    .where(
        Account.platform.in_(bindparam("platforms", expanding=True)),
        Account.handle.in_(bindparam("handles", expanding=True)),
    )
    .order_by(Account.id)
)


_THREATS = Threat.__table__
# A batch of a feed's threats, as rows, with what their search documents need.
_INSERT_THREATS = insert(_THREATS).returning(
    _THREATS.c.id, _THREATS.c.case_id, _THREATS.c.text, _THREATS.c.translation
)


def _existing_keys(session: Session, case: Case) -> set[DuplicateKey]:
    """The duplicate keys of the threats already on the case, in one query."""
    rows = session.execute(_CASE_KEYS, {"case_id": case.id})
    return {
        (platform, handle or "", occurred.astimezone(UTC), text)
        for platform, handle, occurred, text in rows
    }


class _Accounts:
    """Finds or creates the account of each (platform, handle), and its subject, once."""

    def __init__(self, session: Session, actor: Actor, keys: set[tuple[str, str]]) -> None:
        self.session, self.actor = session, actor
        self.accounts: dict[tuple[str, str], Account] = {}
        self.subjects: dict[str, Subject] = {}
        self.used: list[Account] = []  # accounts the imported threats came from
        self._look_up(sorted(keys))

    def _look_up(self, keys: list[tuple[str, str]]) -> None:
        """The existing accounts of the file's keys, in a few queries rather than one a
        handle; for a key held by several accounts, the oldest."""
        for start in range(0, len(keys), _LOOKUP_EVERY):
            batch = keys[start : start + _LOOKUP_EVERY]
            found = self.session.scalars(
                _ACCOUNTS_OF_KEYS,
                {
                    "platforms": sorted({platform for platform, _ in batch}),
                    "handles": sorted({handle for _, handle in batch}),
                },
            )
            wanted = set(batch)
            for account in found:
                key = (account.platform, account.handle)
                if key in wanted:
                    self.accounts.setdefault(key, account)

    def subject(self, name: str) -> Subject:
        name = name or UNATTRIBUTED
        if name not in self.subjects:
            found = self.session.scalar(
                select(Subject)
                .where(Subject.name == name, Subject.merged_into_id.is_(None))
                .order_by(Subject.id)
                .limit(1)
            )
            self.subjects[name] = found or create_subject(
                self.session, self.actor, SubjectDetails(name=name)
            )
        return self.subjects[name]

    def account(self, row: FeedRow) -> Account:
        key = (row.values["platform"], row.handle)
        if key not in self.accounts:
            details = AccountDetails(platform=key[0], handle=key[1], url=row.account_url)
            self.accounts[key] = add_account(
                self.session, self.actor, self.subject(row.subject), details
            )
        return self.accounts[key]


def _link_subjects(case: Case, accounts: list[Account]) -> None:
    """The subjects behind the imported threats' accounts join the case."""
    linked = {subject.id for subject in case.subjects}
    for account in accounts:
        if account.subject_id not in linked:
            case.subjects.append(account.subject)
            linked.add(account.subject_id)


def import_threats(
    session: Session,
    actor: Actor,
    case: Case,
    rows: Iterator[tuple[int, dict[str, Any]]],
    skip_bad: bool = False,
) -> ImportReport:
    """Log a threat for every new row of a feed on `case` (flushes, never commits).

    Rows equal to a threat on the case (same platform, handle, time and text), or to an
    earlier row, are skipped and counted. A bad row raises FeedRefused naming every bad
    row, and nothing is written; with `skip_bad`, the good rows are imported and the bad
    ones listed in the report."""
    report = ImportReport()
    checked = []
    for line, raw in rows:
        result = check_row(session, line, raw)
        if isinstance(result, list):
            report.errors += result
        else:
            checked.append(result)
    if report.errors and not skip_bad:
        raise refuse(report.errors)
    seen = _existing_keys(session, case)
    keys = {(row.values["platform"], row.handle) for row in checked if row.handle}
    accounts = _Accounts(session, actor, keys)
    pending: list[dict[str, Any]] = []
    now = utcnow()
    for row in checked:
        if row.key in seen:
            report.skipped_duplicates += 1
            continue
        seen.add(row.key)
        account = accounts.account(row) if row.handle else None
        if account is not None:
            accounts.used.append(account)
        pending.append(
            row.values
            | {
                "case_id": case.id,
                "account_id": account.id if account else None,
                "created_by_id": actor.user_id,
                "created_at": now,
                "updated_at": now,
            }
        )
        if len(pending) >= _WRITE_EVERY:
            report.created += _write(session, pending)
    report.created += _write(session, pending)
    if report.created:
        _link_subjects(case, accounts.used)
        touch_case(case)
    summary = {
        "created": report.created,
        "skipped_duplicates": report.skipped_duplicates,
        "bad_rows": sorted({error.line for error in report.errors}),
    }
    record_event(session, actor, "threat.import", "case", case.id, {"import": summary}, case.ref)
    return report


def _write(session: Session, pending: list[dict[str, Any]]) -> int:
    """Insert a batch of threats as rows, in one statement, and index them for search (as
    objects, each would cost the unit of work more than its row); empties the list."""
    if not pending:
        return 0
    rows = session.execute(_INSERT_THREATS, pending)
    index_threats(session, [row._asdict() for row in rows])
    written = len(pending)
    pending.clear()
    return written
