"""The pure pieces behind the assessment pages: reading the generated form, comparing two
assessments across rubric versions, and the geometry of the trend chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from werkzeug.datastructures import MultiDict

from casemgr.assessments.compare import compare_sides, side_of
from casemgr.assessments.forms import blank_draft, read_draft
from casemgr.assessments.rubric import parse_rubric
from casemgr.assessments.trend import level_trend

RUBRIC = """
id = "small"
version = "{version}"
title = "Small"

[thresholds]
low = 0
moderate = 25
high = 50
imminent = 80

[[sections]]
id = "signs"
title = "Signs"

  [[sections.items]]
  id = "approach"
  label = "{label}"
  guidance = "Seen near a protectee. Example: at the gate."
  weight = 1
  scale = [{{ point = 0, label = "No" }}, {{ point = 1, label = "Yes" }}]

  [[sections.items]]
  id = "{second}"
  label = "Second sign"
  guidance = "Another sign. Example: a post."
  weight = 1
  scale = [
    {{ point = 0, label = "No" }},
    {{ point = 1, label = "Some" }},
    {{ point = 2, label = "Much" }},
  ]
"""
V1 = parse_rubric(RUBRIC.format(version=1, label="Seen nearby", second="threat"), "v1.toml")
V2 = parse_rubric(RUBRIC.format(version=2, label="Loitering", second="leakage"), "v2.toml")
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_the_form_reads_points_rationales_links_and_the_override() -> None:
    form = MultiDict(
        [
            ("point.approach", "1"),
            ("rationale.approach", "At the gate."),
            ("threats.approach", "4"),
            ("threats.approach", "9"),
            ("evidence.approach", "2"),
            ("override_level", "high"),
            ("override_justification", "Known attacker."),
            ("point.unknown", "3"),
        ]
    )
    draft = read_draft(V1, form)
    assert draft.problems == {}
    approach = draft.answer("approach")
    assert (approach.point, approach.rationale) == (1, "At the gate.")
    assert (approach.threat_ids, approach.evidence_ids) == ([4, 9], [2])
    assert draft.answer("threat").point == 0  # not given: the "not seen" end
    assert "unknown" not in draft.answers
    assert draft.override is not None and draft.override.level == "high"


def test_the_form_notes_values_that_were_never_offered() -> None:
    form = MultiDict(
        [("point.threat", "5"), ("threats.approach", "x"), ("override_level", "extreme")]
    )
    draft = read_draft(V1, form)
    assert draft.problems["answers.threat"] == ["Choose a point on the scale (0, 1, 2)."]
    assert draft.problems["answers.approach"] == ["Choose threats and evidence from the lists."]
    assert "override.level" in draft.problems


def test_no_override_unless_a_level_or_a_justification_is_given() -> None:
    assert blank_draft(V1).override is None
    draft = read_draft(V1, MultiDict([("override_justification", "Because.")]))
    assert draft.override is not None and draft.override.level == ""


def test_comparison_flags_changed_points_and_rationales_only() -> None:
    before = side_of(V1, [("approach", 0, "Nothing seen."), ("threat", 1, "A post.")])
    after = side_of(V1, [("approach", 1, "At the gate."), ("threat", 1, " A  post. ")])
    approach, threat = compare_sides(before, after)
    assert approach.point_changed and approach.changed
    assert (approach.before.point_label, approach.after.point_label) == ("No", "Yes")
    assert (approach.before.rationale, approach.after.rationale) == (
        "Nothing seen.",
        "At the gate.",
    )
    assert not threat.changed  # whitespace alone is no change


def test_comparison_across_versions_matches_items_by_id_with_each_rubrics_labels() -> None:
    before = side_of(V1, [("approach", 1, "Gate."), ("threat", 2, "Post.")])
    after = side_of(V2, [("approach", 1, "Gate."), ("leakage", 1, "Told a friend.")])
    rows = {row.item_id: row for row in compare_sides(before, after)}
    assert list(rows) == ["approach", "threat", "leakage"]
    assert not rows["approach"].changed
    assert (rows["approach"].before.label, rows["approach"].after.label) == (
        "Seen nearby",
        "Loitering",
    )
    assert rows["threat"].after is None and rows["threat"].changed
    assert rows["leakage"].before is None and rows["leakage"].after.point_label == "Some"


def test_the_trend_steps_from_level_to_level_and_runs_on_to_now() -> None:
    history = [
        (NOW - timedelta(days=10), "moderate", 21.7),
        (NOW - timedelta(days=5), "high", 26.4),
    ]
    chart = level_trend(history, NOW, width=520, height=120)
    rows = {row.level: row.y for row in chart.rows}
    assert rows["imminent"] < rows["high"] < rows["moderate"] < rows["low"]
    first, second = chart.points
    assert first.x == 72 and second.x == (72 + 512) / 2
    assert (first.y, second.y) == (rows["moderate"], rows["high"])
    corners = [tuple(map(float, pair.split(","))) for pair in chart.steps.split()]
    assert corners == [
        (first.x, first.y),
        (second.x, first.y),
        (second.x, second.y),
        (512.0, second.y),
    ]
    assert (chart.start, chart.end) == (history[0][0], NOW)


def test_the_trend_of_assessments_made_at_one_moment_spaces_them_evenly() -> None:
    chart = level_trend([(NOW, "low", 1.0), (NOW, "imminent", 90.0)], NOW)
    assert [point.x for point in chart.points] == [72, 292.0]
    empty = level_trend([], NOW)
    assert empty.points == [] and empty.steps == "" and empty.start is None
