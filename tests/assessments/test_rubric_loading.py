"""Reading rubric files: a file round-trips, each kind of faulty file is refused with its own
message naming the file, and the catalogue keeps the good files, lists the bad ones and
keeps the highest version of each rubric."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import given, settings

from casemgr.assessments.catalogue import BUILT_IN, current_catalogue, load_catalogue
from casemgr.assessments.rubric import Rubric, RubricError, load_rubric, parse_rubric
from casemgr.extensions import db
from tests.assessments.generated_rubrics import render_toml, rubric_specs, spec_of
from tests.conftest import build_app

GOOD = """
id = "pale-flame"
version = "2"
title = "Pale Flame threats"
description = "A small rubric for the tests."

[thresholds]
low = 0
moderate = 30
high = 60
imminent = 90

[[overrides]]
item = "approach"
at_least = 1
level = "high"
reason = "Approach means at least high."

[[sections]]
id = "words"
title = "Words"

  [[sections.items]]
  id = "threat"
  label = "Threat"
  guidance = "How direct?"
  weight = 2
  scale = [{ point = 0, label = "None" }, { point = 1, label = "Veiled" }]

[[sections]]
id = "deeds"
title = "Deeds"

  [[sections.items]]
  id = "approach"
  label = "Approach"
  guidance = "Seen near the protectee?"
  weight = 1
  scale = [{ point = 0, label = "No" }, { point = 1, label = "Seen" }, { point = 2, label = "Met" }]
"""


def replaced(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


# `sections = [...]` must come before the first table, and then no [[sections]] may follow.
_TABLES = GOOD.index("[thresholds]")
SECTION_NOT_A_TABLE = (
    GOOD[:_TABLES] + 'sections = ["words"]\n\n' + GOOD[_TABLES : GOOD.index("[[sections]]")]
)

# Each fault: the file's text, and a part of the message it gets.
FAULTS = {
    "bad TOML": (replaced('title = "Pale Flame threats"', 'title = "Pale Flame'), "not valid TOML"),
    "override naming an unknown item": (
        replaced('item = "approach"', 'item = "ghost"'),
        "override names unknown item 'ghost'",
    ),
    "duplicate item ids": (replaced('id = "approach"', 'id = "threat"'), "duplicate id 'threat'"),
    "section id used again for an item": (
        replaced('id = "threat"', 'id = "deeds"'),  # the next section's id
        "duplicate id 'deeds'",
    ),
    "negative weight": (
        replaced("weight = 2", "weight = -2"),
        "item 'threat': weight -2 is negative",
    ),
    "thresholds out of order": (replaced("high = 60", "high = 20"), "thresholds out of order"),
    "scale not starting at 0": (
        replaced('{ point = 0, label = "None" }', '{ point = 1, label = "None" }'),
        "scale points must start at 0 and increase",
    ),
    "missing thresholds level": (
        replaced("imminent = 90\n", ""),
        "[thresholds] must give exactly",
    ),
    "override at_least off the scale": (
        replaced("at_least = 1", "at_least = 3"),
        "override on 'approach' needs 'at_least' on its scale",
    ),
    "unknown override level": (
        replaced('level = "high"', 'level = "severe"'),
        "override on 'approach' has unknown level 'severe'",
    ),
    "overrides as one table": (
        replaced("[[overrides]]", "[overrides]"),
        "overrides must be [[overrides]] tables",
    ),
    "section that is not a table": (SECTION_NOT_A_TABLE, "section: expected a table"),
}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def faulty(fault: str) -> str:
    return FAULTS[fault][0]


def test_the_good_file_reads_into_a_frozen_rubric(tmp_path: Path) -> None:
    rubric = load_rubric(write(tmp_path, "pale-flame.toml", GOOD))
    assert (rubric.id, rubric.version, rubric.title) == ("pale-flame", "2", "Pale Flame threats")
    assert [section.id for section in rubric.sections] == ["words", "deeds"]
    assert list(rubric.items) == ["threat", "approach"]
    assert rubric.items["approach"].max_point == 2
    assert rubric.items["approach"].label_of(1) == "Seen"
    assert rubric.thresholds == {"low": 0, "moderate": 30, "high": 60, "imminent": 90}
    assert rubric.sha256 == hashlib.sha256(GOOD.encode()).hexdigest()
    assert rubric.source == GOOD
    with pytest.raises(AttributeError):
        rubric.version = "3"  # type: ignore[misc]


@pytest.mark.parametrize("fault", FAULTS)
def test_a_faulty_file_is_refused_with_a_message_naming_the_file_and_the_fault(
    tmp_path: Path, fault: str
) -> None:
    path = write(tmp_path, "faulty-rubric.toml", faulty(fault))
    with pytest.raises(RubricError) as refused:
        load_rubric(path)
    message = str(refused.value)
    assert message.startswith("faulty-rubric.toml")
    assert FAULTS[fault][1] in message


def test_each_fault_has_its_own_message() -> None:
    messages = set()
    for fault in FAULTS:
        with pytest.raises(RubricError) as refused:
            parse_rubric(faulty(fault), "f.toml")
        messages.add(str(refused.value))
    assert len(messages) == len(FAULTS)


def test_an_unreadable_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(GOOD.replace("Pale", "P\xe2le").encode("latin-1"))
    with pytest.raises(RubricError, match=r"^latin1\.toml: cannot be read"):
        load_rubric(path)


@settings(max_examples=200, deadline=None, database=None)
@given(rubric_specs())
def test_a_rubric_file_round_trips(spec) -> None:
    text = render_toml(spec)
    with tempfile.TemporaryDirectory() as folder:
        rubric = load_rubric(write(Path(folder), "generated.toml", text))
    assert spec_of(rubric) == spec
    assert rubric.source == text
    assert rubric.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    again = parse_rubric(render_toml(spec_of(rubric)), "again.toml")
    assert spec_of(again) == spec_of(rubric)


def test_the_catalogue_keeps_good_files_lists_faults_and_the_highest_version(
    tmp_path: Path,
) -> None:
    built_in, extra = tmp_path / "built-in", tmp_path / "extra"
    built_in.mkdir()
    extra.mkdir()
    version = 'version = "2"'
    write(built_in, "pale-flame-2.toml", GOOD)
    write(built_in, "pale-flame-9.toml", GOOD.replace(version, 'version = "9"'))
    write(extra, "pale-flame-10.toml", GOOD.replace(version, 'version = "10"'))  # not "9" < "10"
    write(extra, "pale-flame-draft.toml", GOOD.replace(version, 'version = "draft"'))
    write(extra, "pale-flame-again.toml", GOOD.replace(version, 'version = "10"') + "\n# same\n")
    write(extra, "other.toml", GOOD.replace('id = "pale-flame"', 'id = "other"'))
    write(extra, "broken.toml", faulty("bad TOML"))
    write(extra, "negative.toml", faulty("negative weight"))
    write(extra, "notes.txt", "not a rubric, not read")

    catalogue = load_catalogue([built_in, extra])

    assert sorted(catalogue.rubrics) == ["other", "pale-flame"]
    assert catalogue.get("pale-flame").version == "10"
    assert "# same" not in catalogue.get("pale-flame").source  # the first file of v10 is kept
    assert catalogue.get("no-such") is None
    assert len(catalogue.faults) == 3
    broken, negative, again = sorted(catalogue.faults)
    assert broken.startswith("broken.toml: not valid TOML")
    assert negative.startswith("negative.toml") and "negative" in negative
    assert again.startswith("pale-flame-again.toml") and "already defined" in again


def test_the_apps_catalogue_reads_the_configured_folder_and_reloads(
    app: Flask, tmp_path: Path
) -> None:
    app.config["CASEMGR_RUBRIC_DIR"] = str(tmp_path)
    write(tmp_path, "pale-flame.toml", GOOD)
    write(tmp_path, "broken.toml", faulty("unknown override level"))
    with app.app_context():
        catalogue = current_catalogue()
        assert sorted(catalogue.rubrics) == ["casemgr-default", "pale-flame"]
        assert [fault.split(":")[0] for fault in catalogue.faults] == ["broken.toml"]
        write(tmp_path, "pale-flame-3.toml", GOOD.replace('version = "2"', 'version = "3"'))
        assert current_catalogue() is catalogue  # read once ...
        assert current_catalogue(reload=True).get("pale-flame").version == "3"  # ... until asked


def test_a_reload_asked_in_one_worker_reaches_the_others(app: Flask, tmp_path: Path) -> None:
    """Workers are processes with an app each, sharing the data folder: the one asked to
    reload touches a mark there, which the others see at their next use of a rubric."""
    folder = tmp_path / "rubrics"
    folder.mkdir()
    write(folder, "pale-flame.toml", GOOD)
    app.config["CASEMGR_RUBRIC_DIR"] = str(folder)
    other = build_app(
        tmp_path / "other-worker",
        app.config["SQLALCHEMY_DATABASE_URI"],
        CASEMGR_DATA_DIR=app.config["CASEMGR_DATA_DIR"],
        CASEMGR_RUBRIC_DIR=str(folder),
    )
    try:
        with other.app_context():
            assert current_catalogue().get("pale-flame").version == "2"
        write(folder, "pale-flame-3.toml", GOOD.replace('version = "2"', 'version = "3"'))
        with other.app_context():
            assert current_catalogue().get("pale-flame").version == "2"  # read once ...
        with app.app_context():
            assert current_catalogue(reload=True).get("pale-flame").version == "3"
        with other.app_context():
            assert current_catalogue().get("pale-flame").version == "3"  # ... and again
    finally:
        with other.app_context():
            db.engine.dispose()


def test_the_default_rubric_is_valid_and_covers_the_design(tmp_path: Path) -> None:
    rubric: Rubric = load_rubric(BUILT_IN / "casemgr-default.toml")
    assert rubric.id == "casemgr-default"
    expected = {"directly_communicated_threat", "pathway", "fixation", "identification"}
    expected |= {"leakage", "last_resort", "approach_behaviour", "source_evaluation"}
    assert expected <= set(rubric.items)
    assert all(item.guidance and item.scale[0].point == 0 for item in rubric.items.values())
    assert {rule.item for rule in rubric.overrides} <= set(rubric.items)
