"""Rubrics as data: reading and checking a TOML file into a plain, frozen structure.

A rubric names sections of items; each item has a scale of labelled points and a weight.
Thresholds map the normalised score (0-100) to a concern level, and override rules raise
the level when an item reaches a point. Anything inconsistent is refused with a message
naming the file and the fault.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LEVELS = ("low", "moderate", "high", "imminent")


class RubricError(ValueError):
    """A rubric file that cannot be used; the message names the file and the fault."""


@dataclass(frozen=True)
class ScalePoint:
    point: int
    label: str


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    guidance: str
    weight: float
    scale: tuple[ScalePoint, ...]

    @property
    def max_point(self) -> int:
        return self.scale[-1].point

    def label_of(self, point: int) -> str:
        return next((p.label for p in self.scale if p.point == point), str(point))


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Override:
    item: str
    at_least: int
    level: str
    reason: str


@dataclass(frozen=True)
class Rubric:
    id: str
    version: str
    title: str
    description: str
    sections: tuple[Section, ...]
    thresholds: dict[str, float]  # level -> lowest score with that level
    overrides: tuple[Override, ...]
    sha256: str
    source: str  # the file's text, kept with assessments so old ones stay explained

    @property
    def items(self) -> dict[str, Item]:
        return {item.id: item for section in self.sections for item in section.items}


def _text(data: dict[str, Any], key: str, where: str, required: bool = True) -> str:
    if not isinstance(data, dict):  # `[overrides]` for `[[overrides]]`, `sections = [1]`...
        raise RubricError(f"{where}: expected a table, got {data!r}")
    value = data.get(key, "" if not required else None)
    if not isinstance(value, str) or (required and not value.strip()):
        raise RubricError(f"{where}: '{key}' must be a non-empty text")
    return value


def _scale(raw: Any, where: str) -> tuple[ScalePoint, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        raise RubricError(f"{where}: 'scale' needs at least two points")
    points = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("point"), int):
            raise RubricError(f"{where}: every scale point needs an integer 'point'")
        points.append(ScalePoint(entry["point"], _text(entry, "label", f"{where} scale")))
    numbers = [p.point for p in points]
    if numbers[0] != 0 or numbers != sorted(set(numbers)):
        raise RubricError(f"{where}: scale points must start at 0 and increase")
    return tuple(points)


def _item(raw: Any, where: str) -> Item:
    if not isinstance(raw, dict):
        raise RubricError(f"{where}: an item must be a table")
    item_id = _text(raw, "id", where)
    where = f"{where} item '{item_id}'"
    weight = raw.get("weight")
    if not isinstance(weight, int | float) or isinstance(weight, bool):
        raise RubricError(f"{where}: 'weight' must be a number")
    if weight < 0:
        raise RubricError(f"{where}: weight {weight} is negative")
    return Item(
        item_id,
        _text(raw, "label", where),
        _text(raw, "guidance", where),
        float(weight),
        _scale(raw.get("scale"), where),
    )


def _sections(data: dict[str, Any], where: str) -> tuple[Section, ...]:
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise RubricError(f"{where}: at least one [[sections]] is needed")
    sections, seen = [], set()
    for raw in raw_sections:
        section_id = _text(raw, "id", f"{where} section")
        items = tuple(
            _item(entry, f"{where} section '{section_id}'") for entry in raw.get("items", [])
        )
        if not items:
            raise RubricError(f"{where}: section '{section_id}' has no items")
        # Sections and items share one namespace: an id names one thing in the rubric.
        for identifier in (section_id, *(item.id for item in items)):
            if identifier in seen:
                raise RubricError(f"{where}: duplicate id '{identifier}'")
            seen.add(identifier)
        sections.append(Section(section_id, _text(raw, "title", f"{where} section"), items))
    if sum(item.weight for section in sections for item in section.items) <= 0:
        raise RubricError(f"{where}: the weights add up to zero")
    return tuple(sections)


def _thresholds(data: dict[str, Any], where: str) -> dict[str, float]:
    raw = data.get("thresholds")
    if not isinstance(raw, dict) or set(raw) != set(LEVELS):
        raise RubricError(f"{where}: [thresholds] must give exactly {', '.join(LEVELS)}")
    values = [raw[level] for level in LEVELS]
    if any(not isinstance(v, int | float) or isinstance(v, bool) for v in values):
        raise RubricError(f"{where}: thresholds must be numbers")
    if (
        values[0] != 0
        or any(b <= a for a, b in zip(values, values[1:], strict=False))
        or values[-1] > 100
    ):
        raise RubricError(
            f"{where}: thresholds out of order: they must start at 0 and rise strictly "
            f"up to at most 100 (low < moderate < high < imminent), got {values}"
        )
    return {level: float(raw[level]) for level in LEVELS}


def _overrides(data: dict[str, Any], items: dict[str, Item], where: str) -> tuple[Override, ...]:
    overrides, raw_overrides = [], data.get("overrides", [])
    if not isinstance(raw_overrides, list):
        raise RubricError(f"{where}: overrides must be [[overrides]] tables")
    for raw in raw_overrides:
        item_id = _text(raw, "item", f"{where} override")
        if item_id not in items:
            raise RubricError(f"{where}: override names unknown item '{item_id}'")
        at_least, level = raw.get("at_least"), raw.get("level")
        if not isinstance(at_least, int) or not 0 < at_least <= items[item_id].max_point:
            raise RubricError(f"{where}: override on '{item_id}' needs 'at_least' on its scale")
        if level not in LEVELS:
            raise RubricError(f"{where}: override on '{item_id}' has unknown level {level!r}")
        overrides.append(Override(item_id, at_least, level, _text(raw, "reason", where)))
    return tuple(overrides)


def parse_rubric(source: str, name: str) -> Rubric:
    """A rubric from TOML text; RubricError names `name` and the first fault."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise RubricError(f"{name}: not valid TOML: {error}") from None
    where = f"{name}"
    rubric_id = _text(data, "id", where)
    version = data.get("version")
    if not isinstance(version, str | int) or isinstance(version, bool) or not str(version):
        raise RubricError(f"{where}: 'version' must be given")
    sections = _sections(data, where)
    items = {item.id: item for section in sections for item in section.items}
    return Rubric(
        id=rubric_id,
        version=str(version),
        title=_text(data, "title", where),
        description=_text(data, "description", where, required=False),
        sections=sections,
        thresholds=_thresholds(data, where),
        overrides=_overrides(data, items, where),
        sha256=hashlib.sha256(source.encode("utf-8")).hexdigest(),
        source=source,
    )


def load_rubric(path: Path) -> Rubric:
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RubricError(f"{path.name}: cannot be read: {error}") from None
    return parse_rubric(source, path.name)
