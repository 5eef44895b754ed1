"""Schema-driven fuzzing of the API: schemathesis generates valid and invalid requests for
every operation of /api/v1/openapi.json and sends them in-process with an admin's token.
No answer may be a 500, break the document, carry an undocumented status, or accept
invalid input. Each operation is tried on random ids and on the sample case's real ones."""

from __future__ import annotations

from collections.abc import Callable

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi import checks as openapi_checks

EXAMPLES = 25  # per operation, mode and kind of ids: about 40 s for the whole API

# Feeds and e-mail are text bodies, sent as generated.
schemathesis.serializer.alias(["message/rfc822", "application/x-ndjson"], "text/plain")


def refuses_invalid_input(fixed_path: bool) -> Callable[..., bool | None]:
    """schemathesis's negative-data check, less two negations that never reach the server:
    a path parameter this test replaced with a real id, and a "wrong type" in a body that
    is text on the wire (multipart fields, CSV, JSON Lines, RFC 822), where `false` arrives
    as the valid string "false"."""

    def check(ctx, response, case) -> bool | None:
        ignored = {ParameterLocation.PATH} if fixed_path else set()
        if case.media_type and case.media_type != "application/json":
            ignored.add(ParameterLocation.BODY)
        negated = {location for location in ParameterLocation if case.meta.is_negative_at(location)}
        if negated and negated <= ignored:
            return None
        return openapi_checks.negative_data_rejection(ctx, response, case)

    check.__name__ = "negative_data_rejection"
    return check


def checks(fixed_path: bool) -> list[Callable[..., bool | None]]:
    return [
        not_a_server_error,
        openapi_checks.status_code_conformance,
        openapi_checks.content_type_conformance,
        openapi_checks.response_headers_conformance,
        openapi_checks.response_schema_conformance,
        refuses_invalid_input(fixed_path),
    ]


def fuzz(operation, mode: GenerationMode, path: dict[str, object]) -> str | None:
    """schemathesis's report of what failed, or None."""

    @given(case=operation.as_strategy(mode, path_parameters=path))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(checks=checks(bool(path)))

    try:
        run()
    except Unsatisfiable:
        return None  # nothing of this operation can be made invalid (it takes no input)
    except Exception as failure:
        return (
            f"{operation.label} ({mode.value} data, {'real' if path else 'random'} ids):\n{failure}"
        )
    return None


def test_every_operation_answers_as_its_document_says(
    app: Flask, world: dict[str, str], token_for
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.update(headers=token_for("admin"))
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        # The world's objects are each the first of their kind: id 1, and its case's ref.
        real = {p.name: world["ref"] if p.name == "ref" else 1 for p in operation.path_parameters}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for path in ({}, real) if real else ({},):
                failures.append(fuzz(operation, mode, path))
    found = [failure for failure in failures if failure]
    assert not found, "\n\n".join(found)
