"""The scoring function: hand-computed examples on a small rubric and on the default one.
Properties over generated rubrics are in test_scoring_properties.py."""

from __future__ import annotations

import pytest

from casemgr.assessments.catalogue import BUILT_IN
from casemgr.assessments.rubric import Rubric, load_rubric, parse_rubric
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
