"""The OpenAPI 3.1 document, generated from the registry's operations and their models."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, Field, create_model
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from casemgr.api.registry import STATUS_TITLES, UPLOAD_PART, ApiRegistry, Operation
from casemgr.api.schemas import Problem

REF_TEMPLATE = "#/components/schemas/{model}"


@cache
def upload_model(form: type[BaseModel]) -> type[BaseModel]:
    """A multipart body as documented: the form's fields and the binary `file` part.
    (Under the form's own name; the form alone is never documented.)"""
    file_part: Any = (bytes, Field(description="the file's bytes, kept exactly as sent"))
    return create_model(
        form.__name__, __base__=form, __module__=form.__module__, **{UPLOAD_PART: file_part}
    )


def _schemas(operations: list[Operation]) -> tuple[dict[Any, Any], dict[str, Any]]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Problem, "serialization")]
    for operation in operations:
        if operation.body:
            wanted.append((operation.body, "validation"))
        if operation.form:
            wanted.append((upload_model(operation.form), "validation"))
        if operation.response:
            wanted.append((operation.response, "serialization"))
    unique = list(dict.fromkeys(wanted))
    refs, definitions = models_json_schema(unique, ref_template=REF_TEMPLATE)
    return refs, definitions.get("$defs", {})


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _problem(status: int) -> dict[str, Any]:
    return {
        "description": STATUS_TITLES.get(status, "Error"),
        "content": {
            "application/problem+json": {"schema": {"$ref": REF_TEMPLATE.format(model="Problem")}}
        },
    }


def _error_statuses(operation: Operation) -> list[int]:
    statuses = set(operation.errors)
    if not operation.public:
        statuses.add(401)
    if operation.body or operation.form or operation.raw_body:
        statuses |= {400, 413, 415, 422}
    if operation.query:
        statuses.add(422)
    return sorted(statuses)


def _id_part(path: str) -> str:
    """`/cases/{ref}/threats` -> `cases_ref_threats`."""
    return path.strip("/").replace("/", "_").replace("{", "").replace("}", "")


def _operation(operation: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    path_parameters = operation.path_parameters
    query = _query_parameters(operation.query) if operation.query else []
    success: dict[str, Any] = {"description": operation.summary}
    if operation.response:
        success["content"] = {
            "application/json": {"schema": refs[(operation.response, "serialization")]}
        }
    document: dict[str, Any] = {
        "operationId": f"{operation.method.lower()}_{_id_part(operation.rule)}",
        "summary": operation.summary,
        "tags": [operation.tag],
        "parameters": path_parameters + query,
        "responses": {str(operation.status): success}
        | {str(status): _problem(status) for status in _error_statuses(operation)},
    }
    if operation.body:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(operation.body, "validation")]}},
        }
    if operation.form:
        schema = refs[(upload_model(operation.form), "validation")]
        document["requestBody"] = {
            "required": True,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    if operation.raw_body:
        document["requestBody"] = {
            "required": True,
            "content": {kind: {"schema": schema} for kind, schema in operation.raw_body.items()},
        }
    if operation.public:
        document["security"] = []
    return document


def build_openapi(registry: ApiRegistry, server_url: str, version: str) -> dict[str, Any]:
    """The whole document; every path of the registry with its schemas and errors."""
    refs, definitions = _schemas(registry.operations)
    paths: dict[str, dict[str, Any]] = {}
    for operation in registry.operations:
        paths.setdefault(operation.rule, {})[operation.method.lower()] = _operation(operation, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "casemgr API",
            "version": version,
            "description": "Threat-assessment case manager. Errors are application/problem+json.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
