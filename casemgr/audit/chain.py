"""The hash chain itself: pure functions over plain data, no database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

GENESIS = "0" * 64

# The fields an event's hash covers, in a fixed order.
HASHED_FIELDS = (
    "at",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "case_ref",
    "changes",
    "address",
)


# Types that are already JSON-safe, and dicts, looked up before the general checks below: every
# event's changes are walked on each append, and nearly all of their values are these.
_UNCHANGED = frozenset({str, int, bool, type(None)})


def json_safe(value: Any) -> Any:
    """Turn a model attribute into a value that survives a JSON round trip unchanged."""
    kind = type(value)
    if kind in _UNCHANGED:
        return value
    if kind is dict:
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple | set):
        return [json_safe(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    return str(value)


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The fields whose value differs, as {field: {"old": ..., "new": ...}}."""
    changes = {}
    for field in sorted(set(before) | set(after)):
        old, new = json_safe(before.get(field)), json_safe(after.get(field))
        if old != new:
            changes[field] = {"old": old, "new": new}
    return changes


def event_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the canonical JSON of the event's fields."""
    body = {field: json_safe(event[field]) for field in HASHED_FIELDS}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    event_id: int
    reason: str

    def __str__(self) -> str:
        return f"audit event {self.event_id}: {self.reason}"


def find_broken_link(events: Iterable[Mapping[str, Any]]) -> BrokenLink | None:
    """Walk events in id order; return the first whose link or content does not hold."""
    expected_prev = GENESIS
    for event in events:
        if event["prev_hash"] != expected_prev:
            return BrokenLink(event["id"], "does not follow the event before it (deleted row?)")
        if event_hash(event["prev_hash"], event) != event["hash"]:
            return BrokenLink(event["id"], "content does not match its hash (edited row?)")
        expected_prev = event["hash"]
    return None
