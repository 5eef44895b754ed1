"""`flask --app app user ...`: create users (the first admin too), reset a password, and
issue API tokens. A password is read from standard input or made at random and shown once."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from casemgr.audit.log import SYSTEM
from casemgr.auth.accounts import create_user, find_user, set_password
from casemgr.auth.models import ROLES, User
from casemgr.auth.tokens import issue_token
from casemgr.commands import describe, fail, new_password
from casemgr.errors import CaseMgrError
from casemgr.extensions import db

user_cli = AppGroup("user", help="Manage users and their API tokens.")
PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)


@user_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, help=f"One of: {', '.join(ROLES)}.")
@click.option("--display-name", default="")
@PASSWORD_STDIN
def create_user_command(username: str, role: str, display_name: str, password_stdin: bool) -> None:
    """Create a user. Without --password-stdin, a random password is printed once."""
    password = new_password(password_stdin)
    try:
        user = create_user(db.session, SYSTEM, username, role, password, display_name)
    except CaseMgrError as error:
        fail(describe(error))
    db.session.commit()
    click.echo(f"created {user.username} ({user.role})")
    if not password_stdin:
        click.echo(f"password: {password}")


@user_cli.command("first-admin")
def first_admin_command() -> None:
    """Create the `admin` user when there are no users yet (password from
    CASEMGR_ADMIN_PASSWORD, else random and printed once); otherwise do nothing."""
    if db.session.scalar(select(func.count()).select_from(User)):
        return
    given = os.environ.get("CASEMGR_ADMIN_PASSWORD")
    password = given or new_password(from_stdin=False)
    try:
        create_user(db.session, SYSTEM, "admin", "admin", password, "Administrator")
    except CaseMgrError as error:
        fail(describe(error))
    db.session.commit()
    shown = "(from CASEMGR_ADMIN_PASSWORD)" if given else password
    click.echo(f"First admin created. Username: admin  Password: {shown}")


@user_cli.command("reset-password")
@click.argument("username")
@PASSWORD_STDIN
def reset_password_command(username: str, password_stdin: bool) -> None:
    """Give USERNAME a new password, ending their sessions (not their API tokens). Without
    --password-stdin, a random password is printed once."""
    user = find_user(db.session, username)
    if user is None:
        fail(f"no user named {username!r}")
    password = new_password(password_stdin)
    try:
        set_password(db.session, SYSTEM, user, password)
    except CaseMgrError as error:
        fail(describe(error))
    db.session.commit()
    click.echo(f"password reset for {user.username}; their sessions have ended")
    if not password_stdin:
        click.echo(f"password: {password}")


@user_cli.command("token")
@click.argument("username")
@click.option("--name", default="command line", help="What the token is for.")
def token_command(username: str, name: str) -> None:
    """Print a new API token for USERNAME, once; only its hash is stored."""
    user = find_user(db.session, username)
    if user is None or not user.active:
        fail(f"no active user named {username!r}")
    _, plaintext = issue_token(db.session, SYSTEM, user, name)
    db.session.commit()
    click.echo(plaintext)
