"""User administration for admins: create users, change roles, disable accounts, reset a
forgotten password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from casemgr.auth.accounts import create_user, reset_password, update_user, users_by_name
from casemgr.auth.current import current, request_actor
from casemgr.auth.forms import PasswordResetForm, UserCreateForm, UserEditForm
from casemgr.auth.models import User
from casemgr.auth.permissions import authorize
from casemgr.auth.recent import require_recent_login
from casemgr.errors import Conflict, NotFound, ValidationFailed
from casemgr.extensions import db
from casemgr.web import show_errors

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def admins_only() -> Response | None:
    authorize(current(), "users.manage")
    return require_recent_login()


def _users_page(form: UserCreateForm, status: int = 200) -> tuple[str, int]:
    return render_template("admin/users.html", users=users_by_name(db.session), form=form), status


@bp.route("/users")
def users() -> tuple[str, int]:
    return _users_page(UserCreateForm(formdata=None))


@bp.route("/users", methods=["POST"])
def create() -> Response | tuple[str, int]:
    form = UserCreateForm()
    if not form.validate():
        return _users_page(form, status=422)
    try:
        user = create_user(
            db.session,
            request_actor(),
            form.username.data or "",
            form.role.data or "",
            form.password.data or "",
            form.display_name.data or "",
        )
    except ValidationFailed as error:
        show_errors(form, error)
        return _users_page(form, status=422)
    flash(f"User {user.username} is created as {user.role}.", "success")
    return redirect(url_for("admin.users"))


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def _edit_page(
    user: User,
    form: UserEditForm,
    reset_form: PasswordResetForm | None = None,
    status: int = 200,
    new_password: str = "",
) -> tuple[str, int]:
    page = render_template(
        "admin/user_edit.html",
        user=user,
        form=form,
        reset_form=reset_form or PasswordResetForm(formdata=None),
        new_password=new_password,
    )
    return page, status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit(user_id: int) -> Response | tuple[str, int]:
    user = _user_or_404(user_id)
    form = UserEditForm(obj=user)
    if not form.validate_on_submit():
        return _edit_page(user, form, status=422 if form.is_submitted() else 200)
    try:
        update_user(
            db.session,
            request_actor(),
            user,
            role=form.role.data or "",
            active=bool(form.active.data),
            display_name=form.display_name.data or "",
        )
    except (ValidationFailed, Conflict) as error:
        db.session.rollback()
        if isinstance(error, ValidationFailed):
            show_errors(form, error)
        else:
            form.form_errors.append(error.detail)
        return _edit_page(user, form, status=error.status)
    flash(f"User {user.username} is saved.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def reset(user_id: int) -> tuple[str, int]:
    """A new random password, shown in this answer only (never in a redirect's flash, which
    the session cookie would carry)."""
    user = _user_or_404(user_id)
    form = UserEditForm(obj=user, formdata=None)
    reset_form = PasswordResetForm()
    if not reset_form.validate():
        return _edit_page(user, form, reset_form, status=422)
    try:
        password = reset_password(db.session, request_actor(), user)
    except Conflict as error:
        reset_form.form_errors.append(error.detail)
        return _edit_page(user, form, reset_form, status=error.status)
    return _edit_page(user, form, new_password=password)
