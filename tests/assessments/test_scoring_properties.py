"""Properties of the scoring function that hold for any valid rubric (generated with
Hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from casemgr.assessments.rubric import LEVELS, Rubric
from casemgr.assessments.scoring import score_answers
from tests.assessments.generated_rubrics import rubrics, rubrics_and_points

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
