"""The /api/v1 blueprint: bearer-token auth, and the registry that endpoints declare on."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request

from casemgr.api.registry import ApiRegistry
from casemgr.auth.tokens import user_for_token
from casemgr.errors import CaseMgrError
from casemgr.extensions import csrf, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # the API takes no cookies, so cross-site requests carry no credentials
api = ApiRegistry(bp)


class Unauthorized(CaseMgrError):
    status = 401
    title = "Missing or invalid token"


@bp.before_request
def authenticate_bearer() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, "api_public", False):
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = user_for_token(db.session, token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise Unauthorized("Send a valid API token as 'Authorization: Bearer <token>'.")
    g.api_user = user


@bp.after_request
def challenge(response: Response) -> Response:
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="casemgr"'
    return response
