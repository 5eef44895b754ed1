"""Who the token belongs to, and the OpenAPI document itself."""

from __future__ import annotations

from importlib.metadata import version

from flask import Response, current_app, url_for
from pydantic import BaseModel

from casemgr.api.blueprint import api
from casemgr.api.openapi import build_openapi
from casemgr.auth.current import current


class Me(BaseModel):
    id: int
    username: str
    display_name: str
    role: str


@api.route("/me", "GET", summary="The user the token belongs to", tag="auth", response=Me)
def me() -> Me:
    user = current()
    assert user is not None  # the blueprint refused the request otherwise
    return Me(id=user.id, username=user.username, display_name=user.display_name, role=user.role)


@api.route(
    "/openapi.json", "GET", summary="This API's OpenAPI 3.1 document", tag="meta", public=True
)
def openapi_document() -> Response:
    server = url_for("api.get_me", _external=False).removesuffix("/me")
    return current_app.json.response(build_openapi(api, server, version("casemgr")))
