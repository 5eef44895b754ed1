"""Properties of the validators, for any input Hypothesis can think of: each one accepts
or answers with the app's own refusal (ValidationFailed and its kin, or a field error),
never anything else; what is accepted round-trips unchanged; NUL never gets through."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from werkzeug.datastructures import MultiDict
from wtforms import SelectFieldBase, StringField

from casemgr.api.blueprint import api
from casemgr.api.registry import _parse_body, _parse_query
from casemgr.assessments.catalogue import BUILT_IN
from casemgr.assessments.forms import read_draft
from casemgr.assessments.rubric import load_rubric
from casemgr.db import UTCDateTime
from casemgr.errors import CaseMgrError, ValidationFailed
from casemgr.forms import Form, ZonedDateTimeField
from casemgr.people.forms import optional_id
from casemgr.routing import ROW_ID_MAX
from casemgr.threats.feed_files import FeedRefused, read_rows
from casemgr.validation import NUL_MESSAGE, Checks, row_id

FAST = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text as clients send it: any character (NUL, bidi controls, astral) in short strings.
TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", " ", "\x00", "a\x00b", "²", "-1", "0", "1", "12", str(ROW_ID_MAX + 1), "9" * 4301]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
OFFSETS = st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23))
ZONED = st.datetimes(timezones=OFFSETS.map(timezone)) | st.datetimes()


@settings(FAST)
@given(value=TEXT, max_length=st.integers(0, 50), required=st.booleans())
def test_text_checks_accept_it_unchanged_or_refuse_it(
    value: str, max_length: int, required: bool
) -> None:
    checks = Checks()
    kept = checks.text("notes", value, max_length=max_length, required=required)
    assert kept == value  # never trimmed, never altered
    try:
        checks.done()
    except ValidationFailed as error:
        assert list(error.errors) == ["notes"]
    else:
        assert "\x00" not in value and len(value) <= max_length
        assert value.strip() or not required
    if "\x00" in value and len(value) <= max_length and (value.strip() or not required):
        assert checks.errors == {"notes": [NUL_MESSAGE]}


@settings(FAST)
@given(moment=ZONED)
def test_a_time_is_refused_or_storable_in_utc(moment: datetime) -> None:
    checks = Checks()
    assert checks.aware("occurred_at", moment) is moment
    if checks.errors:
        assert list(checks.errors) == ["occurred_at"]
        return
    stored = UTCDateTime().process_bind_param(moment, _PostgreSQL())
    assert stored == moment and stored.tzinfo is not None


class _PostgreSQL:
    name = "postgresql"


@settings(FAST)
@given(value=TEXT | st.integers().map(str))
def test_a_row_id_is_in_the_columns_range_or_none(value: str) -> None:
    number = row_id(value)
    assert number is None or 1 <= number <= ROW_ID_MAX
    if number is not None:
        assert str(number) == value.lstrip("0")


@settings(FAST)
@given(number=st.integers(1, ROW_ID_MAX))
def test_every_row_id_round_trips(number: int) -> None:
    assert row_id(str(number)) == number
    assert optional_id(str(number)) == number


@settings(FAST)
@given(value=TEXT)
def test_a_picked_id_is_an_id_none_or_a_value_error(value: str) -> None:
    try:
        picked = optional_id(value)
    except ValueError:
        assert value and row_id(value) is None
    else:
        assert picked == row_id(value) or (picked is None and value == "")


def _app_forms() -> list[type[FlaskForm]]:
    found, pending = [], list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending += form.__subclasses__()
        if form.__module__.startswith("casemgr.") and form is not Form:
            found.append(form)
    return sorted(found, key=lambda form: form.__qualname__)


def test_every_form_of_the_app_is_built_on_the_refusing_base(app: Flask) -> None:
    forms = _app_forms()
    assert len(forms) > 20
    assert [form.__qualname__ for form in forms if not issubclass(form, Form)] == []


def _fill(app: Flask, form_class: type[FlaskForm], data: dict[str, str]) -> FlaskForm:
    with app.test_request_context(method="POST", data=data):
        form = form_class()
        for field in form:
            if isinstance(field, SelectFieldBase) and getattr(field, "choices", None) is None:
                field.choices = []
        form.validate()
        return form


@settings(FAST)
@given(data=st.data())
def test_any_form_validates_or_refuses_and_never_lets_nul_through(
    app: Flask, data: st.DataObject
) -> None:
    form_class = data.draw(st.sampled_from(_app_forms()))
    with app.test_request_context():
        names = [field.name for field in form_class()]
    values = data.draw(st.dictionaries(st.sampled_from(names), TEXT, max_size=len(names)))
    form = _fill(app, form_class, values)
    for name, value in values.items():
        field = form[name]
        if "\x00" in value:
            assert NUL_MESSAGE in field.errors, name
        elif isinstance(field, StringField) and not field.errors:
            assert field.data == value, name  # accepted text is kept exactly


@settings(FAST)
@given(typed=TEXT | ZONED.map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M")))
def test_a_zoned_time_field_gives_utc_or_an_error(app: Flask, typed: str) -> None:
    class When(Form):
        at = ZonedDateTimeField()

    form = _fill(app, When, {"at": typed})
    if form.at.errors:
        assert form.at.data is None or "\x00" in typed
    else:
        assert form.at.data.tzinfo == UTC  # anonymous: the user's zone is UTC
        assert form.at.data.strftime("%Y-%m-%dT%H:%M") == typed.strip()


_RUBRIC = load_rubric(BUILT_IN / "casemgr-default.toml")
_ITEM_FIELDS = [
    f"{kind}.{item}" for item in _RUBRIC.items for kind in ("point", "threats", "evidence")
]


@settings(FAST)
@given(
    fields=st.lists(st.tuples(st.sampled_from(_ITEM_FIELDS), TEXT), max_size=12),
    level=TEXT,
)
def test_an_assessment_draft_holds_only_offered_points_and_row_ids(
    fields: list[tuple[str, str]], level: str
) -> None:
    draft = read_draft(_RUBRIC, MultiDict([*fields, ("override_level", level)]))
    for item_id, answer in draft.answers.items():
        points = {point.point for point in _RUBRIC.items[item_id].scale}
        assert answer.point in points
        assert all(1 <= number <= ROW_ID_MAX for number in answer.threat_ids + answer.evidence_ids)


_BODIES = sorted(
    {op.body for op in api.operations if op.body} | {op.form for op in api.operations if op.form},
    key=lambda model: model.__name__,
)
_QUERIES = sorted({op.query for op in api.operations if op.query}, key=lambda q: q.__name__)


def _plausible(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values shaped like a JSON Schema's (so that some bodies are accepted), or any JSON."""
    if "$ref" in schema:
        return _object(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        return st.one_of([_plausible(option, defs) for option in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if schema.get("format") == "date-time":
        return ZONED.map(lambda moment: moment.isoformat()) | TEXT
    simple = {"string": TEXT, "boolean": st.booleans(), "null": st.none()}
    if kind == "integer":
        return st.integers(schema.get("minimum", -(2**40)), schema.get("maximum", 2**40))
    if kind == "array":
        return st.lists(_plausible(schema.get("items", {}), defs), max_size=3)
    if kind == "object" and "properties" in schema:
        return _object(schema, defs)
    return simple.get(kind, JSON)


def _object(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    fields = {name: _plausible(sub, defs) | JSON for name, sub in schema["properties"].items()}
    required = {name: fields[name] for name in schema.get("required", [])}
    optional = {name: value for name, value in fields.items() if name not in required}
    return st.fixed_dictionaries(required, optional=optional)


def _body(model: type[BaseModel]) -> st.SearchStrategy[bytes]:
    schema = model.model_json_schema()
    shaped = _object(schema, schema.get("$defs", {})).map(lambda body: json.dumps(body).encode())
    return shaped | JSON.map(lambda value: json.dumps(value).encode()) | st.binary(max_size=40)


@settings(FAST)
@given(data=st.data())
def test_a_json_body_is_a_model_that_round_trips_or_a_refusal(
    app: Flask, data: st.DataObject
) -> None:
    model = data.draw(st.sampled_from(_BODIES))
    raw = data.draw(_body(model))
    with app.test_request_context(method="POST", data=raw, content_type="application/json"):
        try:
            parsed = _parse_body(model)
        except CaseMgrError as refusal:
            assert 400 <= refusal.status < 500
            return
    assert "\\u0000" not in parsed.model_dump_json()
    again = model.model_validate_json(parsed.model_dump_json(exclude_unset=True), strict=True)
    assert again == parsed


@settings(FAST)
@given(data=st.data())
def test_a_query_string_is_a_model_or_a_refusal(app: Flask, data: st.DataObject) -> None:
    model = data.draw(st.sampled_from(_QUERIES))
    names = st.sampled_from(sorted(model.model_fields)) | TEXT
    query = data.draw(st.dictionaries(names, TEXT, max_size=4))
    with app.test_request_context(query_string=query):
        try:
            parsed = _parse_query(model)
        except CaseMgrError as refusal:
            assert refusal.status == 422
            return
    assert set(parsed.model_dump(exclude_unset=True)) <= set(query)


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
@settings(FAST)
@given(text=st.text(st.characters(codec="utf-8"), max_size=300) | TEXT)
def test_a_feed_is_rows_or_a_refusal(kind: str, text: str) -> None:
    try:
        rows = list(read_rows(text, kind))  # type: ignore[arg-type]
    except FeedRefused as refusal:
        assert refusal.status == 422
        return
    assert all(isinstance(line, int) and isinstance(row, dict) for line, row in rows)
