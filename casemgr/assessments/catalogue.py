"""The rubrics in use: every valid file of the built-in and the configured folders, and a
note of each file refused (the app starts without it and the admin page says why)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from casemgr.assessments.rubric import Rubric, RubricError, load_rubric

BUILT_IN = Path(__file__).parent / "rubrics"
RELOAD_MARK = "rubrics-reloaded"


@dataclass
class Catalogue:
    rubrics: dict[str, Rubric] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)

    def get(self, rubric_id: str) -> Rubric | None:
        return self.rubrics.get(rubric_id)


def _version_key(version: str) -> tuple[int, tuple[int, ...] | str]:
    # Dotted numbers compare as numbers ("10" > "9"); any other version ranks below them,
    # by its text, so that mixing the two kinds never compares a number with a text.
    parts = version.split(".")
    if all(part.isascii() and part.isdigit() for part in parts):  # not "²", which int() refuses
        return (1, tuple(int(part) for part in parts))
    return (0, version)


def load_catalogue(folders: list[Path]) -> Catalogue:
    """Read every *.toml file; for one id in several files the highest version wins."""
    catalogue = Catalogue()
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            try:
                rubric = load_rubric(path)
            except RubricError as error:
                catalogue.faults.append(str(error))
                continue
            kept = catalogue.rubrics.get(rubric.id)
            if kept is not None and _version_key(kept.version) == _version_key(rubric.version):
                catalogue.faults.append(
                    f"{path.name}: rubric '{rubric.id}' version "
                    f"{rubric.version} is already defined; ignored"
                )
            elif kept is None or _version_key(rubric.version) > _version_key(kept.version):
                catalogue.rubrics[rubric.id] = rubric
    return catalogue


def rubric_folders() -> list[Path]:
    extra = current_app.config.get("CASEMGR_RUBRIC_DIR")
    return [BUILT_IN, *([Path(extra)] if extra else [])]


def _reload_mark() -> Path:
    # In the data folder, which every worker process (and every app server) shares.
    return Path(current_app.config["CASEMGR_DATA_DIR"]) / RELOAD_MARK


def _marked_at() -> int:
    try:
        return _reload_mark().stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def current_catalogue(reload: bool = False) -> Catalogue:
    """The app's catalogue, read once, and again once a reload was asked for (`reload`) in
    any process of the app: a reload touches the mark that all of them check, one `stat`
    a call."""
    if reload:
        _reload_mark().parent.mkdir(parents=True, exist_ok=True)
        _reload_mark().touch()
    marked_at = _marked_at()
    held = current_app.extensions.get("casemgr.rubrics")
    if held is None or held[0] != marked_at:
        held = current_app.extensions["casemgr.rubrics"] = (
            marked_at,
            load_catalogue(rubric_folders()),
        )
    return held[1]
