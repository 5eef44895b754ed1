"""How long a web login counts: a session ends a fixed time after its login, and the
sensitive actions (exports, user administration) ask for the password again when the
login is older than a few minutes. API tokens are not sessions and are not affected."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import current_app, flash, redirect, request, session, url_for
from werkzeug.wrappers import Response

AUTHENTICATED_AT = "authenticated_at"  # when the password was last given, in epoch seconds


def mark_authenticated() -> None:
    """The password was just given: start (or renew) the clock of this session."""
    session.permanent = True
    session[AUTHENTICATED_AT] = time.time()


def _age() -> float:
    given = session.get(AUTHENTICATED_AT)
    return time.time() - given if isinstance(given, int | float) else float("inf")


def session_expired() -> bool:
    lifetime: timedelta = current_app.config["PERMANENT_SESSION_LIFETIME"]
    return _age() > lifetime.total_seconds()


def recently_authenticated() -> bool:
    window: timedelta = current_app.config["CASEMGR_REAUTH_AFTER"]
    return _age() <= window.total_seconds()


def require_recent_login() -> Response | None:
    """A redirect to the password prompt when the login is too old for a sensitive action.
    A form sent after the window is not acted on; the prompt leads back to its page."""
    if recently_authenticated():
        return None
    if request.method != "GET":
        flash("Confirm your password, then send the form again.", "warning")
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect(url_for("auth.reauthenticate", next=target))


def recent_login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        return require_recent_login() or view(*args, **kwargs)

    return guarded
