"""Declares API endpoints once: the Flask route, the request validation by pydantic
models (a JSON body, or the fields of a multipart upload), and the OpenAPI 3.1 document
generated from those same models."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, request
from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import FileStorage, MultiDict

from casemgr.errors import CaseMgrError, ValidationFailed
from casemgr.routing import ROW_ID_MAX
from casemgr.validation import NUL_MESSAGE

UPLOAD_PART = "file"  # the multipart part that carries an upload's bytes
_RULE_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
STATUS_TITLES = {
    400: "Malformed request",
    401: "Missing or invalid token",
    403: "Forbidden for your role",
    404: "Not found or not visible to you",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    422: "Invalid values",
}


class MalformedRequest(CaseMgrError):
    status = 400
    title = "Malformed request"


class UnsupportedMediaType(CaseMgrError):
    status = 415
    title = "Unsupported media type"


class Unread:
    """Stands in for a body, form or query that failed to parse, so that the view's own
    permission checks answer first (401/403/404 before 400/415/422, as on the web pages):
    reading anything of it raises the parse error."""

    def __init__(self, error: CaseMgrError) -> None:
        self.parse_error = error

    def __getattr__(self, name: str) -> Any:
        raise self.parse_error


def _parsed(parse: Callable[..., Any], model: type[BaseModel]) -> Any:
    try:
        return parse(model)
    except CaseMgrError as error:
        return Unread(error)


def raise_unread(arguments: dict[str, Any]) -> None:
    """A view that answered without reading its invalid input must not act on it."""
    for value in arguments.values():
        if isinstance(value, Unread):
            raise value.parse_error


def validation_errors(error: ValidationError) -> dict[str, list[str]]:
    """pydantic's errors as {"field.path": [messages]} for the problem answer."""
    errors: dict[str, list[str]] = {}
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "body"
        errors.setdefault(location, []).append(item["msg"])
    return errors


@dataclass
class Operation:
    method: str
    rule: str  # the documented path: `/cases/{ref}`
    summary: str
    tag: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]
    public: bool = False
    form: type[BaseModel] | None = None  # a multipart upload's fields, beside its `file`
    # A body the view reads itself (request.get_data()): media type -> its JSON Schema.
    raw_body: dict[str, dict[str, Any]] | None = None
    extra_schemas: list[type[BaseModel]] = field(default_factory=list)
    flask_rule: str = ""  # the routed one: `/cases/<ref>`
    path_parameters: list[dict[str, Any]] = field(default_factory=list)


class ApiRegistry:
    def __init__(self, blueprint: Blueprint) -> None:
        self.blueprint = blueprint
        self.operations: list[Operation] = []

    def route(
        self,
        rule: str,
        method: str,
        *,
        summary: str,
        tag: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        errors: tuple[int, ...] = (),
        public: bool = False,
        form: type[BaseModel] | None = None,
        raw_body: dict[str, dict[str, Any]] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
        """Register a view. It receives `body` and `query` as validated models (when declared)
        and returns a model, which is serialised as JSON with `status`. With `form`, the
        request is a multipart upload: the view receives the other fields as `form` and the
        part named `file` as `upload` (a FileStorage). With `raw_body` (media type -> schema,
        for the document only), the view reads and checks the body itself."""
        assert [body, form, raw_body].count(None) >= 2, "a request has one kind of body"
        path, path_parameters = openapi_path(rule)
        operation = Operation(
            method.upper(),
            path,
            summary,
            tag,
            body,
            query,
            response,
            status,
            errors,
            public,
            form=form,
            raw_body=raw_body,
            flask_rule=rule,
            path_parameters=path_parameters,
        )
        self.operations.append(operation)

        def decorator(view: Callable[..., Any]) -> Callable[..., Response]:
            @wraps(view)
            def endpoint(**kwargs: Any) -> Response:
                refuse_nul_characters(_joined(request.args), _joined(request.form))
                if body is not None:
                    kwargs["body"] = _parsed(_parse_body, body)
                if form is not None:
                    parts = _parsed(_parse_form, form)
                    unread = isinstance(parts, Unread)
                    kwargs["form"], kwargs["upload"] = (parts, parts) if unread else parts
                if query is not None:
                    kwargs["query"] = _parsed(_parse_query, query)
                result = view(**kwargs)
                raise_unread(kwargs)
                return _json_response(result, status)

            endpoint.__dict__["api_public"] = public
            self.blueprint.add_url_rule(
                rule, f"{method.lower()}_{view.__name__}", endpoint, methods=[method.upper()]
            )
            return endpoint

        return decorator


def _nul_fields(value: Any, location: str) -> list[str]:
    """The field paths under `value` whose text holds a NUL character."""
    if isinstance(value, str):
        return [location] if "\x00" in value else []
    items: Any = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    found = []
    for key, item in items:
        found += _nul_fields(item, f"{location}.{key}" if location else str(key))
    return found


def _joined(fields: MultiDict[str, str]) -> dict[str, str]:
    return {name: "".join(values) for name, values in fields.lists()}


def refuse_nul_characters(*containers: Any) -> None:
    """422 for text holding NUL, which no field may store (PostgreSQL refuses it outright)."""
    found = [name for container in containers for name in _nul_fields(dict(container), "")]
    if found:
        raise ValidationFailed({name: [NUL_MESSAGE] for name in found})


def _parse_body(model: type[BaseModel]) -> BaseModel:
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as application/json.")
    raw = request.get_data(cache=False)
    try:
        # Strict: `"archived": 0.0` or `"source": true` is a mistake, not a boolean or a grade.
        parsed = model.model_validate_json(raw or b"null", strict=True)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise MalformedRequest("The body is not valid JSON.") from None
        raise ValidationFailed(validation_errors(error)) from None
    repeated = _repeated_keys(raw)
    if repeated:
        raise MalformedRequest(f"The body gives the key {repeated[0]!r} more than once.")
    refuse_nul_characters(parsed.model_dump())
    return parsed


def _repeated_keys(raw: bytes) -> list[str]:
    """Keys that an object of the JSON body gives twice: which one counts would depend on
    the reader (pydantic keeps the last), so the body is ambiguous."""
    repeated: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                repeated.append(key)
            seen.add(key)
        return dict(items)

    try:
        json.loads(raw or b"null", object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        raise MalformedRequest("The body is not valid JSON.") from None
    return repeated


def _parse_form(model: type[BaseModel]) -> tuple[BaseModel, FileStorage]:
    """The fields of a multipart upload validated by `model`, and its one `file` part.
    An empty field counts as absent, as browsers and curl send unfilled ones."""
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(
            f"Send the body as multipart/form-data, the file in the part named {UPLOAD_PART!r}."
        )
    # Reading the parts may raise 413; an unparseable body leaves no parts, hence the 400.
    uploads = request.files.getlist(UPLOAD_PART)
    if len(uploads) != 1:
        problem = "no readable part" if not uploads else "more than one part"
        raise MalformedRequest(
            f"The body has {problem} named {UPLOAD_PART!r}; send exactly one file in it."
        )
    repeated = [name for name, values in request.form.lists() if len(values) > 1]
    if repeated:
        raise ValidationFailed({name: ["Send this field once."] for name in repeated})
    fields = {name: value for name, value in request.form.items() if value != ""}
    try:
        return model.model_validate(fields), uploads[0]
    except ValidationError as error:
        raise ValidationFailed(validation_errors(error)) from None


def _parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise ValidationFailed(validation_errors(error)) from None


def _json_response(result: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    response = current_app.json.response(payload)
    response.status_code = status
    return response


def openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """`/cases/<ref>` -> `/cases/{ref}` with its path parameters."""
    parameters = []
    for match in _RULE_PARAM.finditer(rule):
        schema: dict[str, Any] = {"type": "string"}
        if match["converter"] == "int":
            schema = {"type": "integer", "minimum": 1, "maximum": ROW_ID_MAX}
        parameters.append({"name": match["name"], "in": "path", "required": True, "schema": schema})
    return _RULE_PARAM.sub(lambda m: "{" + m["name"] + "}", rule), parameters
