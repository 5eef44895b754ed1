"""API bearer tokens: shown once when issued, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.audit.log import Actor, record_event
from casemgr.auth.models import ApiToken, User
from casemgr.db import utcnow

TOKEN_PREFIX = "cm_"  # noqa: S105 - a marker that makes leaked tokens easy to spot, not a secret
# Recording every use would make each API read a write; once in a while is enough.
_LAST_USED_GRANULARITY = timedelta(minutes=5)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, actor: Actor, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the record and the token text (never stored)."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name.strip()[:100], token_hash=_digest(plaintext), prefix=plaintext[:10]
    )
    session.add(token)
    session.flush()
    record_event(
        session,
        actor,
        "token.issue",
        "api_token",
        token.id,
        {"user": {"old": None, "new": user.username}},
    )
    return token, plaintext


def revoke_token(session: Session, actor: Actor, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event(session, actor, "token.revoke", "api_token", token.id)


def user_for_token(session: Session, plaintext: str) -> User | None:
    """The active user a live token belongs to, or None."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plaintext)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_GRANULARITY:
        token.last_used_at = now
    return token.user
