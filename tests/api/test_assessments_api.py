"""Rubrics and assessments through the API: reading rubrics, scoring a case, and every
refusal (unknown rubric, bad answers, roles, restricted cases, stale versions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from tests.api.conftest import assert_ok, assert_problem

DEFAULT = "casemgr-default"
# On the default rubric (weights add up to 43): 2/2 of directly_communicated_threat (weight 3)
# earns 3, 2/2 of target_specificity (weight 2) earns 2, 1/2 of approach_behaviour (weight 4)
# earns 2: 7 of 43 = 16.28, which the thresholds call low (moderate starts at 20); the rule
# "approach_behaviour at least 1 means high" raises it to high.
ANSWERS = {
    "directly_communicated_threat": {"point": 2, "rationale": "Sent to the CEO's inbox."},
    "target_specificity": {"point": 2, "rationale": "Names Dana Whitfield."},
    "approach_behaviour": {"point": 1, "rationale": "Seen outside the office on Monday."},
}
SMALL_RUBRIC = """
id = "{id}"
version = "1"
title = "A small rubric"

[thresholds]
low = 0
moderate = 25
high = 50
imminent = 75

[[sections]]
id = "only"
title = "Only"

  [[sections.items]]
  id = "threat"
  label = "Threat"
  guidance = "Stated?"
  weight = 1
  scale = [{{ point = 0, label = "No" }}, {{ point = 1, label = "Yes" }}]
"""


def _assess(api, ref: str, who: str = "analyst", **fields: Any):
    body = {"rubric": DEFAULT, "answers": ANSWERS} | fields
    return api.post(who, f"/cases/{ref}/assessments", body)


def test_rubrics_are_listed_and_read_with_their_items_scales_and_rules(api) -> None:
    listed = assert_ok(api.get("viewer", "/rubrics"))
    assert listed["next"] is None
    summary = next(rubric for rubric in listed["items"] if rubric["id"] == DEFAULT)
    assert set(summary) == {"id", "version", "title", "description", "sha256"}
    assert summary["version"] == "1" and len(summary["sha256"]) == 64

    rubric = assert_ok(api.get("viewer", f"/rubrics/{DEFAULT}"))
    assert {key: rubric[key] for key in summary} == summary
    assert rubric["thresholds"] == {"low": 0, "moderate": 20, "high": 40, "imminent": 65}
    items = {item["id"]: item for section in rubric["sections"] for item in section["items"]}
    approach = items["approach_behaviour"]
    assert approach["weight"] == 4 and approach["label"] == "Approach behaviour"
    assert approach["guidance"]
    assert [point["point"] for point in approach["scale"]] == [0, 1, 2]
    assert approach["scale"][0]["label"] == "None"
    assert {"item": "approach_behaviour", "at_least": 1, "level": "high"}.items() <= (
        rubric["overrides"][0].items()
    )
    assert_problem(api.get("viewer", "/rubrics/no-such-rubric"), 404)


def test_rubric_list_pages_through_every_rubric_in_use(api, app, tmp_path: Path) -> None:
    for name in ("a-first", "b-second"):
        (tmp_path / f"{name}.toml").write_text(SMALL_RUBRIC.format(id=name), encoding="utf-8")
    app.config["CASEMGR_RUBRIC_DIR"] = str(tmp_path)
    walked = api.walk("viewer", "/rubrics", limit=1)
    assert [rubric["id"] for rubric in walked] == ["a-first", "b-second", DEFAULT]
    assert_problem(api.get("viewer", "/rubrics?cursor=nonsense"), 422)


def test_an_assessment_scores_the_case_and_sets_its_concern_level(
    api, new_case, new_threat
) -> None:
    ref = new_case()["ref"]
    threat = new_threat(ref)
    case = assert_ok(api.get("analyst", f"/cases/{ref}"))  # the threat changed its version
    answers = ANSWERS | {
        "leakage": {"point": 1, "rationale": "Told a forum.", "threat_ids": [threat["id"]]}
    }
    made = assert_ok(_assess(api, ref, answers=answers, version=case["version"]), 201)
    # With leakage (1/1 of weight 2) as well: 9 of 43 = 20.93, moderate; the rule makes it high.
    assert made["score"] == 20.93
    assert made["threshold_level"] == "moderate"
    assert made["computed_level"] == "high" and made["level"] == "high"
    assert not made["overridden"] and made["override_justification"] == ""
    assert [rule["item"] for rule in made["raised_by"]] == ["approach_behaviour"]
    rubric = assert_ok(api.get("viewer", f"/rubrics/{DEFAULT}"))
    assert made["rubric"] == {"id": DEFAULT, "version": "1", "sha256": rubric["sha256"]}
    assert made["case"] == ref and made["assessor"] == "analyst"
    assert made["supersedes_id"] is None and made["created_at"].endswith("Z")
    by_item = {answer["item_id"]: answer for answer in made["answers"]}
    assert len(by_item) == 19  # every item of the rubric, the ones left out at 0
    assert by_item["leakage"]["threat_ids"] == [threat["id"]]
    assert by_item["approach_behaviour"]["rationale"] == "Seen outside the office on Monday."
    assert by_item["approach_behaviour"]["point_label"].startswith("Surveillance")
    assert by_item["fixation"]["point"] == 0 and by_item["fixation"]["rationale"] == ""
    assessed = assert_ok(api.get("viewer", f"/cases/{ref}"))
    assert assessed["concern_level"] == "high" and assessed["version"] > case["version"]


def test_an_override_sets_the_level_and_a_new_assessment_supersedes_the_last(api, new_case) -> None:
    ref = new_case()["ref"]
    first = assert_ok(_assess(api, ref), 201)
    override = {"level": "imminent", "justification": "He bought a ticket to the AGM."}
    second = assert_ok(_assess(api, ref, "lead", override=override), 201)
    assert second["computed_level"] == "high" and second["level"] == "imminent"
    assert second["overridden"] and second["override_justification"] == override["justification"]
    assert second["supersedes_id"] == first["id"] and second["assessor"] == "lead"
    assert assert_ok(api.get("viewer", f"/cases/{ref}"))["concern_level"] == "imminent"

    listed = assert_ok(api.get("viewer", f"/cases/{ref}/assessments"))
    assert [item["id"] for item in listed["items"]] == [second["id"], first["id"]]
    assert listed["items"][0] == second and listed["next"] is None
    walked = api.walk("viewer", f"/cases/{ref}/assessments", limit=1)
    assert [item["id"] for item in walked] == [second["id"], first["id"]]


def test_an_unknown_rubric_is_refused_on_the_rubric_field(api, new_case) -> None:
    ref = new_case()["ref"]
    errors = assert_problem(_assess(api, ref, rubric="no-such-rubric"), 422)["errors"]
    assert list(errors) == ["rubric"] and DEFAULT in errors["rubric"][0]


def test_invalid_answers_are_refused_with_the_services_field_errors(
    api, new_case, new_threat
) -> None:
    ref = new_case()["ref"]
    elsewhere = new_threat(new_case(title="Another case")["ref"])

    def refused(**fields: Any) -> dict[str, list[str]]:
        return assert_problem(_assess(api, ref, **fields), 422)["errors"]

    off_scale = refused(answers={"unconditional": {"point": 3, "rationale": "Why not."}})
    assert off_scale == {"answers.unconditional": ["3 is not on the scale (0, 1)"]}
    unexplained = refused(answers={"leakage": {"point": 1, "rationale": "  "}})
    assert list(unexplained) == ["answers.leakage"]
    assert "rationale" in unexplained["answers.leakage"][0]
    assert list(refused(answers={"no_such_item": {"point": 0}})) == ["answers.no_such_item"]
    linked = {"point": 1, "rationale": "r", "threat_ids": [elsewhere["id"]]}
    assert list(refused(answers={"leakage": linked})) == ["answers.leakage"]
    blank = refused(override={"level": "low", "justification": " "})
    assert list(blank) == ["override.justification"]
    assert "override.justification" in refused(override={"level": "low"})
    assert "override.level" in refused(override={"level": "severe", "justification": "j"})
    assert "answers.leakage.point" in refused(answers={"leakage": {"point": "1"}})
    assert "answers" in refused(answers=None)
    assert assert_ok(api.get("viewer", f"/cases/{ref}/assessments"))["items"] == []
    assert assert_ok(api.get("viewer", f"/cases/{ref}"))["concern_level"] is None


def test_viewers_may_not_assess(api, new_case) -> None:
    ref = new_case()["ref"]
    assert_problem(_assess(api, ref, "viewer"), 403)
    assert assert_ok(api.get("viewer", f"/cases/{ref}/assessments"))["items"] == []


def test_a_restricted_case_is_not_found_for_a_non_member(api, new_case, outsider) -> None:
    ref = new_case(restricted=True)["ref"]
    assert_problem(_assess(api, ref, outsider), 404)
    assert_problem(api.get(outsider, f"/cases/{ref}/assessments"), 404)
    assert_problem(_assess(api, "TA-2020-9999"), 404)
    assert_ok(_assess(api, ref, "lead"), 201)


def test_a_stale_version_is_409_with_the_current_case(api, new_case) -> None:
    case = new_case()
    ref = case["ref"]
    assert_ok(api.patch("analyst", f"/cases/{ref}", {"version": case["version"], "title": "T"}))
    stale = assert_problem(_assess(api, ref, version=case["version"]), 409)
    assert stale["current"]["ref"] == ref and stale["current"]["version"] > case["version"]
    assert assert_ok(api.get("viewer", f"/cases/{ref}/assessments"))["items"] == []


@pytest.mark.parametrize("path", ["/rubrics", f"/rubrics/{DEFAULT}", "/cases/{ref}/assessments"])
def test_reading_needs_a_token(client, new_case, path: str) -> None:
    response = client.get("/api/v1" + path.format(ref=new_case()["ref"]))
    assert_problem(response, 401)


def test_the_openapi_document_validates_and_describes_assessments(client) -> None:
    document = assert_ok(client.get("/api/v1/openapi.json"))
    validate(document)
    post = document["paths"]["/cases/{ref}/assessments"]["post"]
    assert {"201", "403", "404", "409", "422"} <= set(post["responses"])
    schemas = document["components"]["schemas"]
    assert {"rubric", "answers"} <= set(schemas["AssessmentCreate"]["required"])
    assert set(schemas["OverrideIn"]["properties"]["level"]["enum"]) == {
        "low",
        "moderate",
        "high",
        "imminent",
    }
    assert {"id", "score", "computed_level", "level", "rubric"} <= set(
        schemas["AssessmentOut"]["required"]
    )
    assert "/rubrics/{rubric_id}" in document["paths"]
