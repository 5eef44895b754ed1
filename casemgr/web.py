"""Small helpers shared by the web views of every module."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, flash, redirect, request, url_for
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from casemgr.auth.recent import session_expired
from casemgr.errors import ValidationFailed, is_api_request

# Endpoints an anonymous visitor may reach; every other page asks for a login first.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "health.check", "static", "bootstrap.static"})


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site paths: `next=//evil.example`, `///evil.example` or `https://...` fall back."""
    if not target:
        return fallback
    parts = urlsplit(target)
    # Browsers drop tabs and newlines and read `///host` as `//host`: refuse both.
    odd = "\\" in target or any(ord(char) < 0x21 for char in target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or odd:
        return fallback
    return target


def show_errors(form: FlaskForm, error: ValidationFailed) -> None:
    """Put a service's validation messages beside the form fields they belong to."""
    for field_name, messages in error.errors.items():
        field = getattr(form, field_name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)


def install_login_gate(app: Flask) -> None:
    @app.before_request
    def require_login() -> Response | None:
        if is_api_request() or request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if request.endpoint is None:  # no such route: let the 404 page answer
            return None
        if current_user.is_authenticated and session_expired():
            logout_user()
            flash("Your session has ended; log in again to go on.", "info")
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return None
