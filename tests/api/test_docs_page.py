"""The API documentation page: rendered on the server from the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest
from flask.testing import FlaskClient

from casemgr.api.blueprint import api
from casemgr.api.docs import FieldRow, schema_rows, type_label
from tests.factories import ROLES

URL = "/developers/api"


@pytest.fixture
def page(client_as: Callable[[str], FlaskClient]) -> str:
    response = client_as("analyst").get(URL)
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def test_the_page_asks_anonymous_visitors_to_log_in(client: FlaskClient) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ROLES)
def test_every_logged_in_role_may_read_the_page(
    client_as: Callable[[str], FlaskClient], role: str
) -> None:
    assert client_as(role).get(URL).status_code == 200


def test_the_page_lists_every_operation_of_the_registry(page: str) -> None:
    for path in ("/cases/{ref}/threats", "/evidence/{evidence_id}/file", "/rubrics"):
        assert f"/api/v1{path}</code>" in page
    for operation in api.operations:
        assert f"{operation.method} {operation.rule}</code>" in page, operation.rule


def test_the_page_explains_tokens_errors_and_links_the_raw_document(page: str) -> None:
    intro = page.split('id="intro-heading"', 1)[1].split("</section>", 1)[0]
    assert "Authorization: Bearer <token>" in intro
    assert 'href="/settings"' in intro
    assert "application/problem+json" in page
    assert 'href="/api/v1/openapi.json"' in page


def test_the_case_creation_body_shows_its_fields(page: str) -> None:
    section = page.split('id="post_cases"', 1)[1].split("</article>", 1)[0]
    for name in ("title", "priority", "restricted", "next_review_at", "members"):
        assert f"<code>{name}</code>" in section
    assert "one of low, normal, high, urgent" in section
    assert "optional string (date-time)" in section


def test_an_upload_shows_its_file_part(page: str) -> None:
    section = page.split('id="post_cases_ref_evidence"', 1)[1].split("</article>", 1)[0]
    assert "multipart/form-data" in section
    assert "<code>file</code></td><td>file</td>" in section


def test_the_page_has_no_inline_script_style_or_external_url(page: str) -> None:
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts and all(re.match(r'<script src="/', tag) for tag in scripts)
    assert " style=" not in page and "<style" not in page
    assert "https://" not in page and "http://" not in page


def test_schema_rows_resolve_references_and_name_types() -> None:
    components = {
        "Place": {"type": "object", "properties": {"city": {"type": "string"}}},
        "Visit": {
            "type": "object",
            "required": ["where", "at"],
            "properties": {
                "where": {"$ref": "#/components/schemas/Place"},
                "at": {"type": "string", "format": "date-time", "description": "with a zone"},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "stops": {"type": "array", "items": {"$ref": "#/components/schemas/Place"}},
                "kind": {"enum": ["planned", "surprise"], "type": "string"},
            },
        },
    }
    rows = schema_rows({"$ref": "#/components/schemas/Visit"}, components)
    assert rows == [
        FieldRow("where", "Place", True, ""),
        FieldRow("at", "string (date-time)", True, "with a zone"),
        FieldRow("note", "optional string", False, ""),
        FieldRow("tags", "list of string", False, ""),
        FieldRow("stops", "list of Place", False, ""),
        FieldRow("kind", "one of planned, surprise", False, ""),
    ]


def test_type_labels_for_maps_binary_parts_and_nullable_references() -> None:
    assert type_label({"type": "object", "additionalProperties": {"type": "integer"}}) == (
        "map of integer"
    )
    assert type_label({"type": "string", "format": "binary"}) == "file"
    nullable = {"anyOf": [{"$ref": "#/components/schemas/Place"}, {"type": "null"}]}
    assert type_label(nullable) == "optional Place"
