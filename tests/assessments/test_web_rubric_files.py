"""Rubric files in the browser: an old assessment keeps its rubric version after the file
changes, the rubric picker, and the admin page of rubrics in use and files refused."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest
from flask import Flask

from casemgr.assessments.catalogue import current_catalogue
from tests.assessments.test_web_assessments import assess, assessments
from tests.cases.web import open_case, page_text

FIELD_CHECK = """
id = "field-check"
version = "{version}"
title = "Field check"

[thresholds]
low = 0
moderate = 25
high = 50
imminent = 75

[[sections]]
id = "signs"
title = "Signs seen"

  [[sections.items]]
  id = "approach"
  label = "{label}"
  guidance = "Present when the subject was seen near a protectee. Example: at the gate."
  weight = 1
  scale = [{{ point = 0, label = "No" }}, {{ point = 1, label = "Yes" }}]

  [[sections.items]]
  id = "threat"
  label = "Threat stated"
  guidance = "Present when harm was threatened. Example: 'you will pay'."
  weight = {threat_weight}
  scale = [{{ point = 0, label = "No" }}, {{ point = 1, label = "Yes" }}]
"""
V1 = FIELD_CHECK.format(version=1, label="Seen near the office", threat_weight=1)
V2 = FIELD_CHECK.format(version=2, label="Loitering near the office", threat_weight=3)


@pytest.fixture
def rubric_dir(app: Flask, tmp_path: Path) -> Path:
    folder = tmp_path / "rubrics"
    folder.mkdir()
    (folder / "field-check.toml").write_text(V1, encoding="utf-8")
    app.config["CASEMGR_RUBRIC_DIR"] = str(folder)
    with app.app_context():
        current_catalogue(reload=True)
    return folder


def test_an_old_assessment_keeps_its_rubric_version_after_the_file_changes(
    app: Flask, client_as, rubric_dir: Path
) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    form = client.get(f"/cases/{ref}/assessments/new?rubric=field-check")
    assert "Seen near the office" in page_text(form)
    new = f"/cases/{ref}/assessments/new?rubric=field-check"
    data = {"point.approach": "1", "rationale.approach": "Seen at the gate twice."}
    assert client.post(new, data=data).status_code == 302

    (rubric_dir / "field-check.toml").write_text(V2, encoding="utf-8")
    reload = client_as("admin").post("/admin/rubrics/reload")
    assert reload.status_code == 302
    assert client.post(new, data=data).status_code == 302

    old, current = assessments(app)
    assert (old.rubric_version, old.score, old.level) == ("1", 50.0, "high")
    assert (current.rubric_version, current.score, current.level) == ("2", 25.0, "moderate")
    old_page = page_text(client.get(f"/cases/{ref}/assessments/{old.id}"))
    assert "Seen near the office" in old_page and "Loitering" not in old_page
    assert "50.0" in old_page and "version 1" in old_page
    current_page = page_text(client.get(f"/cases/{ref}/assessments/{current.id}"))
    assert "Loitering near the office" in current_page and "25.0" in current_page

    compare = unescape(
        page_text(client.get(f"/cases/{ref}/assessments/compare?a={current.id}&b={old.id}"))
    )
    assert "different rubric versions" in compare
    assert "(earlier: Seen near the office)" in compare
    assert "0 of 2 items changed" in compare


def test_the_form_offers_a_picker_when_several_rubrics_are_in_use(
    client_as, rubric_dir: Path
) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    default = page_text(client.get(f"/cases/{ref}/assessments/new"))
    assert 'id="rubric-picker"' in default and "Targeted violence" in default
    assert '<option value="field-check">' in default
    assert client.get(f"/cases/{ref}/assessments/new?rubric=nothing").status_code == 404


def test_admin_sees_rubrics_in_use_and_the_reason_a_file_was_refused(
    client_as, rubric_dir: Path
) -> None:
    (rubric_dir / "broken.toml").write_text('id = "broken"\nversion = \n', encoding="utf-8")
    backwards = V1.replace('id = "field-check"', 'id = "backwards"').replace(
        "moderate = 25", "moderate = 60"
    )
    (rubric_dir / "backwards.toml").write_text(backwards, encoding="utf-8")
    admin = client_as("admin")
    assert admin.post("/admin/rubrics/reload").status_code == 302
    html = unescape(page_text(admin.get("/admin/rubrics")))
    faults = html[html.index('id="rubric-faults"') : html.index('id="in-use-heading"')]
    assert "broken.toml: not valid TOML" in faults
    assert "backwards.toml" in faults and "thresholds out of order" in faults
    in_use = html[html.index('id="rubrics-in-use"') :]
    assert "casemgr-default" in in_use and "field-check" in in_use
    assert "built-in: casemgr-default.toml" in in_use
    assert str(rubric_dir / "field-check.toml") in in_use
    assert 'href="/admin/rubrics"' in html  # the nav link


@pytest.mark.parametrize("role", ["lead", "analyst", "viewer"])
def test_only_admins_reach_the_rubric_page(client_as, role: str) -> None:
    client = client_as(role)
    assert client.get("/admin/rubrics").status_code == 403
    assert client.post("/admin/rubrics/reload").status_code == 403
    assert 'href="/admin/rubrics"' not in page_text(client.get("/"))


def test_the_admin_page_counts_the_assessments_each_kept_version_explains(
    app: Flask, client_as
) -> None:
    client = client_as("analyst")
    ref = open_case(client)
    assess(client, ref, {"fixation": 1})
    assess(client, ref, {"fixation": 2})
    html = page_text(client_as("admin").get("/admin/rubrics"))
    kept = html[html.index('id="rubric-versions"') :]
    assert "casemgr-default" in kept and '<td class="text-end">2</td>' in kept
