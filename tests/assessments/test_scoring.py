"""The scoring function: hand-computed examples on a small rubric and on the default one,
and properties that hold for any valid rubric (generated with Hypothesis).

The generated rubrics are written as TOML text and read back with `parse_rubric`, so the
properties exercise the same path a rubric file takes; `render_toml` and `rubric_specs` are
shared with the loading tests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casemgr.assessments.catalogue import BUILT_IN
from casemgr.assessments.rubric import LEVELS, Rubric, load_rubric, parse_rubric
from casemgr.assessments.scoring import check_points, score_answers

SMALL = """
id = "small"
version = "1"
title = "Small"

[thresholds]
low = 0
moderate = 25
high = 50
imminent = 80

[[overrides]]
item = "approach"
at_least = 1
level = "high"
reason = "Approach means at least high."

[[overrides]]
item = "threat"
at_least = 2
level = "moderate"
reason = "A direct threat means at least moderate."

[[sections]]
id = "words"
title = "Words"

  [[sections.items]]
  id = "threat"
  label = "Threat"
  guidance = "How direct?"
  weight = 2
  scale = [
    { point = 0, label = "None" }, { point = 1, label = "Veiled" }, { point = 2, label = "Direct" },
  ]

  [[sections.items]]
  id = "means"
  label = "Means"
  guidance = "A scale with a gap: 0, 1, 3."
  weight = 1
  scale = [
    { point = 0, label = "None" }, { point = 1, label = "Stated" }, { point = 3, label = "Known" },
  ]

[[sections]]
id = "deeds"
title = "Deeds"

  [[sections.items]]
  id = "approach"
  label = "Approach"
  guidance = "Seen near the protectee?"
  weight = 1
  scale = [{ point = 0, label = "No" }, { point = 1, label = "Yes" }]

  [[sections.items]]
  id = "noted"
  label = "Noted only"
  guidance = "Weight 0: recorded, never scored."
  weight = 0
  scale = [{ point = 0, label = "No" }, { point = 1, label = "Yes" }]
"""

# The small rubric's weights add up to 2 + 1 + 1 + 0 = 4; an item earns
# weight * point / its highest point, and the score is 100 * earned / 4.
SMALL_EXAMPLES = [
    # points, score, threshold level, computed level, rules that held
    ({}, 0.0, "low", "low", []),
    # threat 1/2 of weight 2 = 1 -> 25.0: exactly on moderate's threshold.
    ({"threat": 1}, 25.0, "moderate", "moderate", []),
    # means 1/3 of weight 1 = 0.333 -> 8.33.
    ({"means": 1}, 8.33, "low", "low", []),
    # 1 + 0.333 = 1.333 -> 33.33.
    ({"threat": 1, "means": 1}, 33.33, "moderate", "moderate", []),
    # approach 1/1 of weight 1 = 1 -> 25.0, moderate; its rule raises it to high.
    ({"approach": 1}, 25.0, "moderate", "high", ["approach"]),
    # threat 2/2 of 2 = 2 -> 50.0, high; the threat rule (moderate) holds but cannot lower it.
    ({"threat": 2}, 50.0, "high", "high", ["threat"]),
    # 2 + 1 = 3 -> 75.0, still high (imminent starts at 80).
    ({"threat": 2, "means": 3}, 75.0, "high", "high", ["threat"]),
    # A weight of 0 counts for nothing.
    ({"noted": 1}, 0.0, "low", "low", []),
    # Everything at its highest point: 4 of 4 -> 100.0.
    ({"threat": 2, "means": 3, "approach": 1, "noted": 1}, 100.0, "imminent", "imminent",
     ["approach", "threat"]),
]  # fmt: skip


@pytest.fixture(scope="module")
def small() -> Rubric:
    return parse_rubric(SMALL, "small.toml")


@pytest.fixture(scope="module")
def default() -> Rubric:
    return load_rubric(BUILT_IN / "casemgr-default.toml")


@pytest.mark.parametrize("points, score, threshold, computed, rules", SMALL_EXAMPLES)
def test_the_small_rubric_scores_as_computed_by_hand(
    small: Rubric, points, score, threshold, computed, rules
) -> None:
    result = score_answers(small, points)
    assert result.score == score
    assert result.threshold_level == threshold
    assert result.computed_level == computed
    assert sorted(rule.item for rule in result.raised_by) == rules


def test_points_off_the_scale_or_for_unknown_items_are_refused(small: Rubric) -> None:
    assert check_points(small, {"threat": 2, "means": 3}) == {}
    assert check_points(small, {"means": 2, "ghost": 1}) == {
        "means": "2 is not on the scale (0, 1, 3)",
        "ghost": "not an item of this rubric",
    }
    with pytest.raises(ValueError, match="means: 2 is not on the scale"):
        score_answers(small, {"means": 2})
    with pytest.raises(ValueError, match="ghost: not an item"):
        score_answers(small, {"ghost": 0})
    with pytest.raises(ValueError, match="threat: -1 is not on the scale"):
        score_answers(small, {"threat": -1})


# The default rubric's weights add up to 43: communication 3+2+3+1 = 9, warning behaviours
# 3+2+2+2+1+2+3 = 15, pathway stage 4, capability and access 3+2+2+2+4 = 13, source 1+1 = 2.
# Thresholds: moderate 20, high 40, imminent 65.
ALL_HIGHEST = {
    "directly_communicated_threat": 2,
    "target_specificity": 2,
    "time_place_method": 3,
    "unconditional": 1,
    "pathway": 2,
    "fixation": 2,
    "identification": 2,
    "novel_aggression": 1,
    "energy_burst": 1,
    "leakage": 1,
    "last_resort": 2,
    "furthest_stage": 6,
    "means": 2,
    "organisational_backing": 2,
    "proximity": 2,
    "knowledge_of_movements": 2,
    "approach_behaviour": 2,
    "source_evaluation": 2,
    "information_assessment": 3,
}
DIRECT_AND_DETAILED = {"directly_communicated_threat": 2, "time_place_method": 3, "fixation": 2}
PREPARING = DIRECT_AND_DETAILED | {"pathway": 2, "means": 2, "leakage": 1}
DEFAULT_EXAMPLES = {
    "nothing": ({}, 0.0, "low", "low", []),
    # 3 + 3 + 2 = 8 of 43 = 18.60: just under moderate.
    "direct and detailed": (DIRECT_AND_DETAILED, 18.6, "low", "low", []),
    # + identification 1/2 of 2 = 1: 9 of 43 = 20.93.
    "with identification": (
        DIRECT_AND_DETAILED | {"identification": 1},
        20.93,
        "moderate",
        "moderate",
        [],
    ),
    # 8 + pathway 3 + means 3 + leakage 2 = 16 of 43 = 37.21.
    "preparing": (PREPARING, 37.21, "moderate", "moderate", []),
    # + proximity 2/2 of 2 = 2: 18 of 43 = 41.86.
    "preparing nearby": (PREPARING | {"proximity": 2}, 41.86, "high", "high", []),
    # furthest stage 5/6 of 4 = 3.333: 7.75, low; probing means imminent.
    "probing": ({"furthest_stage": 5}, 7.75, "low", "imminent", ["furthest_stage"]),
    # last resort 2/2 of 3 = 3: 6.98, low; a deadline means at least high.
    "deadline": ({"last_resort": 2}, 6.98, "low", "high", ["last_resort"]),
    # approach 1/2 of 4 = 2: 4.65, low; any approach means at least high.
    "loitering": ({"approach_behaviour": 1}, 4.65, "low", "high", ["approach_behaviour"]),
    # All at the highest point but the three items with rules: 43 - 4 - 4 - 3 = 32 of 43 = 74.42.
    "everything but the rules": (
        ALL_HIGHEST | {"approach_behaviour": 0, "furthest_stage": 0, "last_resort": 0},
        74.42,
        "imminent",
        "imminent",
        [],
    ),
    "everything": (
        ALL_HIGHEST,
        100.0,
        "imminent",
        "imminent",
        ["approach_behaviour", "furthest_stage", "last_resort"],
    ),
}


@pytest.mark.parametrize(
    "points, score, threshold, computed, rules",
    DEFAULT_EXAMPLES.values(),
    ids=DEFAULT_EXAMPLES.keys(),
)
def test_the_default_rubric_scores_as_computed_by_hand(
    default: Rubric, points, score, threshold, computed, rules
) -> None:
    assert set(ALL_HIGHEST) == set(default.items)
    assert sum(item.weight for item in default.items.values()) == 43
    result = score_answers(default, points)
    assert result.score == score
    assert result.threshold_level == threshold
    assert result.computed_level == computed
    assert sorted(rule.item for rule in result.raised_by) == rules


# Generated rubrics


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


# Bounded, so the file runs in seconds; no example database left in the working tree.
BOUNDED = settings(max_examples=200, deadline=None, database=None)


def rank(level: str) -> int:
    return LEVELS.index(level)


@BOUNDED
@given(rubrics_and_points(), st.data())
def test_raising_any_one_answer_never_lowers_the_score_or_the_level(case, data) -> None:
    rubric, points = case
    item = rubric.items[data.draw(st.sampled_from(sorted(rubric.items)))]
    current = points.get(item.id, 0)
    higher = [p.point for p in item.scale if p.point > current]
    if not higher:
        return  # already at the top of its scale
    raised = points | {item.id: data.draw(st.sampled_from(higher))}
    before, after = score_answers(rubric, points), score_answers(rubric, raised)
    assert after.score >= before.score
    assert rank(after.threshold_level) >= rank(before.threshold_level)
    assert rank(after.computed_level) >= rank(before.computed_level)


@BOUNDED
@given(rubrics_and_points())
def test_every_override_whose_condition_holds_is_satisfied(case) -> None:
    rubric, points = case
    result = score_answers(rubric, points)
    held = [rule for rule in rubric.overrides if points.get(rule.item, 0) >= rule.at_least]
    assert list(result.raised_by) == held
    for rule in held:
        assert rank(result.computed_level) >= rank(rule.level)
    # ... and nothing else raises it: the level is the higher of thresholds' and the rules'.
    assert result.computed_level == max(
        [result.threshold_level, *(rule.level for rule in held)], key=rank
    )


@BOUNDED
@given(rubrics_and_points())
def test_the_score_stays_within_0_and_100_and_matches_its_threshold(case) -> None:
    rubric, points = case
    result = score_answers(rubric, points)
    assert 0 <= result.score <= 100
    level = rank(result.threshold_level)
    assert result.score >= rubric.thresholds[result.threshold_level]
    if level + 1 < len(LEVELS):
        assert result.score < rubric.thresholds[LEVELS[level + 1]]


@BOUNDED
@given(rubrics)
def test_no_answers_score_0_and_every_highest_point_scores_100(rubric: Rubric) -> None:
    assert score_answers(rubric, {}).score == 0
    highest = {item.id: item.max_point for item in rubric.items.values()}
    assert score_answers(rubric, highest).score == 100
    assert score_answers(rubric, highest).computed_level == "imminent"
