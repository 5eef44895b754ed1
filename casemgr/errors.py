"""Our own exceptions, and their one mapping to a web page or a problem+json answer."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, render_template, request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from casemgr.extensions import db


class CaseMgrError(Exception):
    """A refusal the user can act on; `detail` is shown to them as is."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class PermissionDenied(CaseMgrError):
    status = 403
    title = "Forbidden"


class NotFound(CaseMgrError):
    status = 404
    title = "Not found"


class Conflict(CaseMgrError):
    status = 409
    title = "Conflict"


class ValidationFailed(CaseMgrError):
    """Invalid values; `errors` maps each field to its messages."""

    status = 422
    title = "Invalid values"

    def __init__(
        self, errors: dict[str, list[str]], detail: str = "Some values are invalid."
    ) -> None:
        super().__init__(detail, errors=errors)
        self.errors = errors


# SQLite's primary result codes for "another connection holds the lock".
_SQLITE_BUSY_CODES = frozenset({5, 6})  # SQLITE_BUSY (and its extended codes), SQLITE_LOCKED
# PostgreSQL SQLSTATEs of a transaction that lost a race: class 40 (serialization failure,
# deadlock) and a lock not available in time.
_POSTGRES_RETRY_PREFIXES = ("40", "55P03")
RETRY_AFTER_SECONDS = 1


def is_contention(error: OperationalError) -> bool:
    """True when the database refused the transaction only because others held what it
    needed (a lock past busy_timeout, a deadlock, a serialization failure): a retry works."""
    sqlite_code = getattr(error.orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in _SQLITE_BUSY_CODES
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    return sqlstate.startswith(_POSTGRES_RETRY_PREFIXES)


def is_api_request() -> bool:
    return request.path == "/api/v1" or request.path.startswith("/api/v1/")


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    """An RFC 9457 problem answer."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = current_app.json.response(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _error_page(status: int, title: str, detail: str) -> tuple[str, int]:
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


def _answer(status: int, title: str, detail: str, **extra: Any) -> Response | tuple[str, int]:
    if is_api_request():
        return problem(status, title, detail, **extra)
    return _error_page(status, title, detail)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CaseMgrError)
    def handle_domain_error(error: CaseMgrError) -> Response | tuple[str, int]:
        db.session.rollback()
        return _answer(error.status, error.title, error.detail, **error.extra)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Response | tuple[str, int]:
        detail = error.description or error.name
        if error.code == 413:
            detail = f"Uploads are limited to {current_app.config['CASEMGR_MAX_UPLOAD_MB']} MB."
        response = _answer(error.code or 500, error.name, detail)
        if error.code == 405 and isinstance(response, Response):
            response.headers["Allow"] = ", ".join(error.valid_methods or [])
        return response

    @app.errorhandler(StaleDataError)
    @app.errorhandler(IntegrityError)
    def handle_race(error: Exception) -> Response | tuple[str, int]:
        # Two saves at the same moment: the database's own checks (row version, unique
        # keys) caught the second one, which is a conflict to retry, not a crash.
        db.session.rollback()
        app.logger.warning("concurrent write refused on %s: %s", request.path, error)
        detail = "Someone saved a change to the same record at the same moment; reload and retry."
        return _answer(409, "Conflict", detail)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Response | tuple[str, int]:
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        generic = InternalServerError()
        return _answer(500, generic.name, "Something went wrong on our side; it has been logged.")

    @app.errorhandler(OperationalError)
    def handle_busy(error: OperationalError) -> Response | tuple[str, int]:
        if not is_contention(error):
            return handle_unexpected(error)
        db.session.rollback()
        app.logger.warning("database busy on %s %s: %s", request.method, request.path, error)
        detail = "The database is busy with other changes; nothing was saved. Try again."
        response = current_app.make_response(_answer(503, "Service unavailable", detail))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
