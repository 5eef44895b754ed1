"""Hypothesis strategies for valid rubrics, written as TOML text so that they are read back
through `parse_rubric`, the path a rubric file takes; shared by the scoring and loading tests."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from casemgr.assessments.rubric import LEVELS, Rubric, parse_rubric


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, but TOML also refuses a raw DEL)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, bool | int | float):
        return repr(value).lower() if isinstance(value, bool) else repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(entry) for entry in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{key} = {toml_value(entry)}" for key, entry in value.items())
        return "{ " + ", ".join(pairs) + " }"
    raise TypeError(value)


def render_toml(spec: dict[str, Any]) -> str:
    """A rubric file's text for a plain spec (the shape `spec_of` returns)."""
    lines = [f"{key} = {toml_value(spec[key])}" for key in ("id", "version", "title")]
    lines += [f"description = {toml_value(spec['description'])}", "", "[thresholds]"]
    lines += [f"{level} = {toml_value(value)}" for level, value in spec["thresholds"].items()]
    for rule in spec["overrides"]:
        lines += ["", "[[overrides]]"] + [f"{k} = {toml_value(v)}" for k, v in rule.items()]
    for section in spec["sections"]:
        lines += ["", "[[sections]]", f"id = {toml_value(section['id'])}"]
        lines.append(f"title = {toml_value(section['title'])}")
        for item in section["items"]:
            lines += ["", "  [[sections.items]]"]
            lines += [f"  {key} = {toml_value(value)}" for key, value in item.items()]
    return "\n".join(lines) + "\n"


def spec_of(rubric: Rubric) -> dict[str, Any]:
    """The plain spec a rubric was read from (weights and thresholds as floats)."""
    return {
        "id": rubric.id,
        "version": rubric.version,
        "title": rubric.title,
        "description": rubric.description,
        "thresholds": dict(rubric.thresholds),
        "overrides": [
            {"item": r.item, "at_least": r.at_least, "level": r.level, "reason": r.reason}
            for r in rubric.overrides
        ],
        "sections": [
            {
                "id": section.id,
                "title": section.title,
                "items": [
                    {
                        "id": item.id,
                        "label": item.label,
                        "guidance": item.guidance,
                        "weight": item.weight,
                        "scale": [{"point": p.point, "label": p.label} for p in item.scale],
                    }
                    for item in section.items
                ],
            }
            for section in rubric.sections
        ],
    }


# What TOML must escape or carry: quotes, backslashes, controls, DEL, other scripts, emoji.
texts = st.text(
    st.sampled_from('aZ 0."\\\n\t\r\x00\x1f\x7féجخ中🔥\u200f'), min_size=1, max_size=12
).filter(str.strip)
identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
weights = st.one_of(
    st.integers(0, 10), st.floats(0, 10, allow_nan=False, allow_infinity=False, width=32)
)


def scales(labels: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[list[int], list[str]]]:
    """Points from 0 upwards in steps of 1 to 3, each with a label."""
    return st.lists(st.integers(1, 3), min_size=1, max_size=5).flatmap(
        lambda steps: st.tuples(
            st.just([sum(steps[:n]) for n in range(len(steps) + 1)]),
            st.lists(labels, min_size=len(steps) + 1, max_size=len(steps) + 1),
        )
    )


thresholds = st.lists(
    st.one_of(st.integers(1, 100), st.floats(0.01, 100, allow_nan=False)),
    min_size=3,
    max_size=3,
    unique=True,
).map(lambda values: dict(zip(LEVELS, [0, *sorted(values)], strict=True)))


def _item(item_id: str, label: str, weight: float, scale: tuple[list[int], list[str]]) -> dict:
    points, labels = scale
    return {
        "id": item_id,
        "label": label,
        "guidance": f"Guidance for {label}",
        "weight": weight,
        "scale": [{"point": p, "label": t} for p, t in zip(points, labels, strict=True)],
    }


@st.composite
def rubric_specs(
    draw: st.DrawFn,
    texts: st.SearchStrategy[str] = texts,
    ids: st.SearchStrategy[str] = identifiers,
) -> dict[str, Any]:
    """A valid rubric: 1-3 sections of 1-4 items with unique ids, scales from 0 upwards,
    non-negative weights (not all zero), ascending thresholds, overrides on existing items.
    (Scoring ignores the texts: its properties draw them from a few, which is faster.)"""
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    unique = draw(st.lists(ids, min_size=len(sizes) + sum(sizes), unique=True))
    section_ids, item_ids = unique[: len(sizes)], iter(unique[len(sizes) :])
    sections = []
    for section_id, size in zip(section_ids, sizes, strict=True):
        items = [
            _item(next(item_ids), draw(texts), draw(weights), draw(scales(texts)))
            for _ in range(size)
        ]
        sections.append({"id": section_id, "title": draw(texts), "items": items})
    every_item = [item for section in sections for item in section["items"]]
    if sum(item["weight"] for item in every_item) <= 0:
        every_item[0]["weight"] = draw(st.integers(1, 10))
    rules = []
    for item in draw(st.lists(st.sampled_from(every_item), max_size=3)):
        highest = item["scale"][-1]["point"]
        rules.append(
            {
                "item": item["id"],
                "at_least": draw(st.integers(1, highest)),
                "level": draw(st.sampled_from(LEVELS)),
                "reason": draw(texts),
            }
        )
    return {
        "id": draw(ids),
        "version": str(draw(st.integers(1, 99))),
        "title": draw(texts),
        "description": draw(st.one_of(st.just(""), texts)),
        "thresholds": draw(thresholds),
        "overrides": rules,
        "sections": sections,
    }


few_texts = st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h"])
short_ids = st.text("abcdefgh", min_size=1, max_size=3)
rubrics = rubric_specs(few_texts, short_ids).map(
    lambda spec: parse_rubric(render_toml(spec), "generated.toml")
)


@st.composite
def rubrics_and_points(draw: st.DrawFn) -> tuple[Rubric, dict[str, int]]:
    """A rubric and points on some of its items (the others count as 0)."""
    rubric = draw(rubrics)
    answered = draw(st.lists(st.sampled_from(sorted(rubric.items)), unique=True))
    points = {
        item_id: draw(st.sampled_from([p.point for p in rubric.items[item_id].scale]))
        for item_id in answered
    }
    return rubric, points
