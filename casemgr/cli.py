"""`flask --app app ...` commands: users and tokens, and the audit-chain check.

Each command commits once at its end; a refusal prints one line and exits non-zero.
"""

from __future__ import annotations

import os
import secrets
import sys
from typing import NoReturn

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from casemgr.audit.log import SYSTEM, verify_audit_chain
from casemgr.auth.accounts import create_user, find_user
from casemgr.auth.models import ROLES, User
from casemgr.auth.tokens import issue_token
from casemgr.errors import CaseMgrError, ValidationFailed
from casemgr.evidence.operations import verify_store
from casemgr.evidence.staging import current_store
from casemgr.extensions import db

user_cli = AppGroup("user", help="Manage users and their API tokens.")
audit_cli = AppGroup("audit", help="Check the audit log.")
evidence_cli = AppGroup("evidence", help="Check the evidence store.")


def _fail(message: str) -> NoReturn:
    db.session.rollback()
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _describe(error: CaseMgrError) -> str:
    if isinstance(error, ValidationFailed):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.errors.items())
    return error.detail


@user_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, help=f"One of: {', '.join(ROLES)}.")
@click.option("--display-name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(username: str, role: str, display_name: str, password_stdin: bool) -> None:
    """Create a user. Without --password-stdin, a random password is printed once."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else secrets.token_urlsafe(18)
    try:
        user = create_user(db.session, SYSTEM, username, role, password, display_name)
    except CaseMgrError as error:
        _fail(_describe(error))
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
    password = given or secrets.token_urlsafe(18)
    try:
        create_user(db.session, SYSTEM, "admin", "admin", password, "Administrator")
    except CaseMgrError as error:
        _fail(_describe(error))
    db.session.commit()
    shown = "(from CASEMGR_ADMIN_PASSWORD)" if given else password
    click.echo(f"First admin created. Username: admin  Password: {shown}")


@user_cli.command("token")
@click.argument("username")
@click.option("--name", default="command line", help="What the token is for.")
def token_command(username: str, name: str) -> None:
    """Print a new API token for USERNAME, once; only its hash is stored."""
    user = find_user(db.session, username)
    if user is None or not user.active:
        _fail(f"no active user named {username!r}")
    _, plaintext = issue_token(db.session, SYSTEM, user, name)
    db.session.commit()
    click.echo(plaintext)


@audit_cli.command("verify")
def verify_command() -> None:
    """Re-hash the audit chain; exit 1 naming the first broken link."""
    broken = verify_audit_chain(db.session)
    if broken is not None:
        _fail(f"audit chain broken at {broken}")
    click.echo("audit chain intact")


@evidence_cli.command("verify")
def evidence_verify_command() -> None:
    """Re-hash every stored evidence file; exit 1 listing any missing or altered one."""
    problems = verify_store(db.session, current_store())
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo("evidence store intact")


def register(app: Flask) -> None:
    app.cli.add_command(user_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(evidence_cli)
