"""The user behind the current request, whether it came with a session or a bearer token."""

from __future__ import annotations

from flask import g, request
from flask_login import current_user

from casemgr.audit.log import Actor
from casemgr.auth.models import User


def current() -> User | None:
    """The API token's user on API requests, the session's user elsewhere."""
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user
    if current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def request_actor() -> Actor:
    """The audit actor for this request."""
    user = current()
    address = (request.remote_addr or "")[:64]
    if user is None:
        return Actor(None, "anonymous", address)
    return Actor(user.id, user.username, address)
