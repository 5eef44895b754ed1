"""Login, logout and the user's own settings (password, time zone, API tokens)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from casemgr.auth.accounts import authenticate, change_password, set_time_zone, time_zones
from casemgr.auth.current import current, request_actor
from casemgr.auth.forms import (
    LoginForm,
    PasswordChangeForm,
    ReauthenticateForm,
    TimeZoneForm,
    TokenForm,
)
from casemgr.auth.models import ApiToken
from casemgr.auth.recent import mark_authenticated
from casemgr.auth.tokens import issue_token, revoke_token
from casemgr.errors import NotFound, ValidationFailed
from casemgr.extensions import db
from casemgr.web import safe_next, show_errors

bp = Blueprint("auth", __name__)

LOGIN_REFUSED = "Unknown username or wrong password."
LOGIN_THROTTLED = "Too many failed attempts. Wait 15 minutes and try again."


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if form.validate_on_submit():
        result = authenticate(
            db.session,
            form.username.data or "",
            form.password.data or "",
            request.remote_addr or "",
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            lockout=current_app.config["LOGIN_LOCKOUT"],
        )
        if result.user is not None:
            login_user(result.user)
            mark_authenticated()
            return redirect(safe_next(request.args.get("next"), url_for("dashboard.index")))
        db.session.commit()  # keep the failure on record though the answer is an error
        form.form_errors.append(LOGIN_THROTTLED if result.throttled else LOGIN_REFUSED)
        return render_template("auth/login.html", form=form), 429 if result.throttled else 401
    return render_template("auth/login.html", form=form)


@bp.route("/reauthenticate", methods=["GET", "POST"])
@login_required
def reauthenticate() -> Response | tuple[str, int]:
    """The password again, before an export or user administration; throttled as logins are."""
    form = ReauthenticateForm()
    if form.validate_on_submit():
        result = authenticate(
            db.session,
            current().username,
            form.password.data or "",
            request.remote_addr or "",
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            lockout=current_app.config["LOGIN_LOCKOUT"],
        )
        if result.user is not None:
            mark_authenticated()
            return redirect(safe_next(request.args.get("next"), url_for("dashboard.index")))
        db.session.commit()  # keep the failure on record though the answer is an error
        form.password.errors = [LOGIN_THROTTLED if result.throttled else "Wrong password."]
        page = render_template("auth/reauthenticate.html", form=form)
        return page, 429 if result.throttled else 401
    return render_template(
        "auth/reauthenticate.html", form=form
    ), 422 if form.is_submitted() else 200


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def _settings_page(
    password_form: PasswordChangeForm | None = None,
    token_form: TokenForm | None = None,
    zone_form: TimeZoneForm | None = None,
    new_token: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    user = current()
    zone_form = zone_form or TimeZoneForm(formdata=None, timezone=user.timezone)
    zone_form.timezone.choices = time_zones()
    page = render_template(
        "auth/settings.html",
        password_form=password_form or PasswordChangeForm(formdata=None),
        token_form=token_form or TokenForm(formdata=None),
        zone_form=zone_form,
        new_token=new_token,
        user=user,
    )
    return page, status


@bp.route("/settings")
@login_required
def settings() -> tuple[str, int]:
    return _settings_page()


@bp.route("/settings/password", methods=["POST"])
@login_required
def password() -> Response | tuple[str, int]:
    form = PasswordChangeForm()
    if not form.validate():
        return _settings_page(password_form=form, status=422)
    try:
        change_password(
            db.session,
            request_actor(),
            current(),
            form.current_password.data,
            form.new_password.data,
        )
    except ValidationFailed as error:
        show_errors(form, error)
        return _settings_page(password_form=form, status=422)
    login_user(current())  # this session goes on; the others, begun with the old one, end
    flash("Your password is changed. Your other sessions have ended.", "success")
    return redirect(url_for("auth.settings"))


@bp.route("/settings/time-zone", methods=["POST"])
@login_required
def time_zone() -> Response | tuple[str, int]:
    form = TimeZoneForm()
    form.timezone.choices = time_zones()
    if not form.validate():
        return _settings_page(zone_form=form, status=422)
    try:
        set_time_zone(db.session, request_actor(), current(), form.timezone.data)
    except ValidationFailed as error:
        show_errors(form, error)
        return _settings_page(zone_form=form, status=422)
    flash(f"Dates are now shown in {form.timezone.data}.", "success")
    return redirect(url_for("auth.settings"))


@bp.route("/settings/tokens", methods=["POST"])
@login_required
def create_token() -> tuple[str, int]:
    form = TokenForm()
    if not form.validate():
        return _settings_page(token_form=form, status=422)
    _, plaintext = issue_token(db.session, request_actor(), current(), form.name.data or "")
    # Shown once on this page; only its hash is kept.
    return _settings_page(new_token=plaintext)


@bp.route("/settings/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int) -> Response:
    token = db.session.get(ApiToken, token_id)
    user = current()
    if token is None or user is None or token.user_id != user.id:
        raise NotFound("No such token.")
    revoke_token(db.session, request_actor(), token)
    flash(f"Token {token.prefix}… is revoked.", "success")
    return redirect(url_for("auth.settings"))
