"""Settings from environment variables, with safe defaults.

Nothing secret lives in the code: the secret key is generated once and kept in the
instance folder when `SECRET_KEY` is not set.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

GENERATED_KEY_FILENAME = "secret_key"


def load_secret_key(instance_path: Path) -> str:
    """Return SECRET_KEY from the environment, or the instance's own generated key."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / GENERATED_KEY_FILENAME
    if not key_file.exists():
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def settings_from_env(instance_path: Path) -> dict[str, object]:
    """Build the Flask config mapping from the environment."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'casemgr.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    max_upload_mb = int(os.environ.get("CASEMGR_MAX_UPLOAD_MB", "100"))
    # Hashes within this many bits of 64 count as the same picture (at most 15: see
    # casemgr.evidence.matching for why).
    match_threshold = min(max(int(os.environ.get("CASEMGR_MATCH_THRESHOLD", "10")), 0), 15)
    search_limit = max(int(os.environ.get("CASEMGR_SEARCH_LIMIT", "100")), 1)
    return {
        "SECRET_KEY": load_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CASEMGR_DATA_DIR": os.environ.get("CASEMGR_DATA_DIR") or str(instance_path / "data"),
        "CASEMGR_MAX_UPLOAD_MB": max_upload_mb,
        "MAX_CONTENT_LENGTH": max_upload_mb * 1024 * 1024,
        # Larger images are stored but not decoded: a guard against decompression bombs.
        "CASEMGR_MAX_IMAGE_PIXELS": int(os.environ.get("CASEMGR_MAX_IMAGE_PIXELS", "89478485")),
        "CASEMGR_MATCH_THRESHOLD": match_threshold,
        # A search lists this many hits at most, the newest, and asks for more words beyond:
        # the cap lets the database stop early on a word found in many documents.
        "CASEMGR_SEARCH_LIMIT": search_limit,
        "CASEMGR_RUBRIC_DIR": os.environ.get("CASEMGR_RUBRIC_DIR") or None,
        # "tlp" (TLP 2.0) or "government" (OFFICIAL, OFFICIAL-SENSITIVE) on briefings.
        "CASEMGR_MARKING_SCHEME": os.environ.get("CASEMGR_MARKING_SCHEME", "tlp"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("CASEMGR_SECURE_COOKIES", "0") == "1",
        # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For and -Proto
        # are believed for that many hops: the audit log and the login throttle then see the
        # client's address, not the proxy's. 0 believes no such header.
        "CASEMGR_PROXY_HOPS": max(int(os.environ.get("CASEMGR_PROXY_HOPS", "0")), 0),
        "REMEMBER_COOKIE_HTTPONLY": True,
        # The session ends a fixed time after its login (casemgr.auth.recent), so sending its
        # cookie again with every answer would extend nothing.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # A web session ends this long after its login, whatever the activity.
        "PERMANENT_SESSION_LIFETIME": timedelta(
            hours=float(os.environ.get("CASEMGR_SESSION_HOURS", "12"))
        ),
        # Exports and user administration ask for the password again after this.
        "CASEMGR_REAUTH_AFTER": timedelta(
            minutes=float(os.environ.get("CASEMGR_REAUTH_MINUTES", "15"))
        ),
        # Rendered case pages each process keeps (casemgr.cases.page_cache); 0 keeps none.
        "CASEMGR_PAGE_CACHE_MB": float(os.environ.get("CASEMGR_PAGE_CACHE_MB", "32")),
        "BOOTSTRAP_SERVE_LOCAL": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCKOUT": timedelta(minutes=15),
    }
