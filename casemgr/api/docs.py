"""The API documentation page for people: the OpenAPI document rendered on the server.

A web page, not part of /api/v1, so it uses the login session like the others."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from flask import Blueprint, render_template, url_for

from casemgr.api.blueprint import api
from casemgr.api.openapi import build_openapi

bp = Blueprint("api_docs", __name__)
REF_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class FieldRow:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class ResponseDoc:
    status: str
    meaning: str
    media_type: str
    model: str  # a component's name, or "" when the answer has no JSON schema


@dataclass
class OperationDoc:
    anchor: str
    method: str
    path: str
    summary: str
    public: bool
    parameters: list[tuple[str, FieldRow]] = field(default_factory=list)  # (in, row)
    body_media_type: str = ""
    body_model: str = ""
    body_rows: list[FieldRow] = field(default_factory=list)
    responses: list[ResponseDoc] = field(default_factory=list)


def ref_name(schema: dict[str, Any]) -> str:
    """`{"$ref": "#/components/schemas/CaseOut"}` -> `CaseOut`; "" for anything else."""
    return str(schema.get("$ref", "")).removeprefix(REF_PREFIX)


def type_label(schema: dict[str, Any]) -> str:
    """A short human name for a JSON schema's type: `list of CaseOut`, `optional integer`."""
    if "$ref" in schema:
        return ref_name(schema)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        present = [option for option in options if option.get("type") != "null"]
        label = " or ".join(type_label(option) for option in present) or "null"
        return f"optional {label}" if len(present) < len(options) else label
    if len(schema.get("allOf", [])) == 1:
        return type_label(schema["allOf"][0])
    if "enum" in schema:
        return "one of " + ", ".join(str(value) for value in schema["enum"])
    kind = schema.get("type", "any")
    if isinstance(kind, list):  # ["string", "null"]
        present = [item for item in kind if item != "null"]
        label = " or ".join(type_label({**schema, "type": item}) for item in present)
        return f"optional {label}" if len(present) < len(kind) else label
    if kind == "array":
        return f"list of {type_label(schema.get('items', {}))}"
    if kind == "object":
        values = schema.get("additionalProperties")
        if isinstance(values, dict):
            return f"map of {type_label(values)}"
        return str(schema.get("title", "object"))
    if schema.get("format") == "binary":
        return "file"
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The component a `$ref` points to (followed until it is not a reference).
    Fails with KeyError when the document has no such component."""
    seen: set[str] = set()
    while "$ref" in schema and ref_name(schema) not in seen:
        seen.add(ref_name(schema))
        schema = components[ref_name(schema)]
    return schema


def schema_rows(schema: dict[str, Any], components: dict[str, Any]) -> list[FieldRow]:
    """The properties of an object schema as rows of (name, type, required, description)."""
    schema = resolve(schema, components)
    required = set(schema.get("required", []))
    return [
        FieldRow(name, type_label(prop), name in required, prop.get("description", ""))
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation_doc(
    method: str, path: str, document: dict[str, Any], components: dict[str, Any]
) -> OperationDoc:
    doc = OperationDoc(
        anchor=document["operationId"],
        method=method.upper(),
        path=path,
        summary=document["summary"],
        public=document.get("security") == [],
    )
    for parameter in document.get("parameters", []):
        schema = parameter.get("schema", {})
        row = FieldRow(
            parameter["name"],
            type_label(schema),
            parameter.get("required", False),
            schema.get("description", ""),
        )
        doc.parameters.append((parameter["in"], row))
    for media_type, content in document.get("requestBody", {}).get("content", {}).items():
        doc.body_media_type = media_type
        doc.body_model = ref_name(content["schema"])
        doc.body_rows = schema_rows(content["schema"], components)
    for status, response in document["responses"].items():
        # Each answer has one media type at most: JSON, problem+json, or none documented.
        media_type, content = next(iter(response.get("content", {}).items()), ("", {}))
        model = ref_name(content.get("schema", {}))
        doc.responses.append(ResponseDoc(status, response["description"], media_type, model))
    return doc


def operations_by_tag(document: dict[str, Any]) -> dict[str, list[OperationDoc]]:
    """Every operation of the document, grouped by its first tag in the document's order."""
    components = document.get("components", {}).get("schemas", {})
    grouped: dict[str, list[OperationDoc]] = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            tag = (operation.get("tags") or ["other"])[0]
            grouped.setdefault(tag, []).append(_operation_doc(method, path, operation, components))
    return grouped


@bp.route("/developers/api")
def index() -> str:
    base_path = url_for("api.get_me").removesuffix("/me")
    document = build_openapi(api, base_path, version("casemgr"))
    components = document["components"]["schemas"]
    context = {
        "info": document["info"],
        "base_path": base_path,
        "document_url": url_for("api.get_openapi_document"),
        "tags": operations_by_tag(document),
        "models": {name: schema_rows(schema, components) for name, schema in components.items()},
    }
    return render_template("api_docs/index.html", **context)
