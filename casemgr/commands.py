"""What every command shares: a refusal in one line with a non-zero exit, and passwords read
from standard input or made at random."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from casemgr.auth.accounts import random_password
from casemgr.errors import CaseMgrError, ValidationFailed
from casemgr.extensions import db


def fail(message: str) -> NoReturn:
    db.session.rollback()
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def describe(error: CaseMgrError) -> str:
    if isinstance(error, ValidationFailed):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.errors.items())
    return error.detail


def new_password(from_stdin: bool) -> str:
    """The first line of standard input, or a random password for the command to show once."""
    return sys.stdin.readline().rstrip("\r\n") if from_stdin else random_password()
