"""Rendered case pages, kept for a short while and reused until anything changes.

A case with hundreds of threats takes tens of milliseconds to render, and the same page is
opened again and again during an incident. Every change anywhere appends to the audit
chain, so the hash at its tail names the state of all the data a page shows: a page rendered
at one tail is still right while the tail stays. The key adds what differs per viewer (user,
role, name, time zone); the session's CSRF token is filled in as each page is served. A kept
page needs no more than the tail from the database: it was kept only once its viewer had
been let in, and at the same tail the case, its members and the viewer's role are the same. An
entry lives at most `LIFETIME`, so what depends on the clock alone ages out too. Each process
keeps its own pages, within a budget of memory (`CASEMGR_PAGE_CACHE_MB`; 0 turns the cache
off).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from flask import current_app, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from casemgr.audit.models import AuditEvent
from casemgr.auth.models import User
from casemgr.cases.access import get_case_or_404
from casemgr.cases.models import Case

LIFETIME = 60.0  # seconds
_EXTENSION = "casemgr.page_cache"


# A rendered page, encoded, in the pieces around its CSRF tokens.
Page = tuple[bytes, ...]


class PageKey(NamedTuple):
    ref: str  # as asked for
    audit_tail: str
    user_id: int
    role: str
    label: str
    timezone: str


class PageCache:
    """Least recently used pages within a byte budget, each for at most `lifetime` seconds."""

    def __init__(self, budget: int, lifetime: float = LIFETIME) -> None:
        self.budget = budget
        self.lifetime = lifetime
        self._pages: OrderedDict[PageKey, tuple[float, Page]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: PageKey) -> Page | None:
        with self._lock:
            entry = self._pages.get(key)
            if entry is None:
                return None
            stored_at, page = entry
            if time.monotonic() - stored_at > self.lifetime:
                self._drop(key)
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: PageKey, page: Page) -> None:
        if _size(page) > self.budget:
            return
        with self._lock:
            if key in self._pages:
                self._drop(key)
            self._pages[key] = (time.monotonic(), page)
            self._size += _size(page)
            while self._size > self.budget:
                self._drop(next(iter(self._pages)))

    def _drop(self, key: PageKey) -> None:
        _, page = self._pages.pop(key)
        self._size -= _size(page)


def _size(page: Page) -> int:
    return sum(len(piece) for piece in page)


def _audit_tail() -> Select[tuple[str]]:
    """The hash of the last audit event: it changes with every change to the data."""
    events = AuditEvent.__table__.c  # a plain table query: no ORM work on every page view
    return select(events.hash).order_by(events.id.desc()).limit(1)


def _cache() -> PageCache | None:
    budget = int(current_app.config.get("CASEMGR_PAGE_CACHE_MB", 0) * 1024 * 1024)
    if budget <= 0:
        return None
    if _EXTENSION not in current_app.extensions:
        current_app.extensions[_EXTENSION] = PageCache(budget)
    return current_app.extensions[_EXTENSION]


def case_page(
    session_: Session, ref: str, viewer: User | None, render: Callable[[Case], str]
) -> str | bytes:
    """The page of case `ref` for `viewer` (NotFound or PermissionDenied as for any read):
    the one rendered at the current audit tail if kept, else `render(case)`, kept for the
    next time. A page showing a flash message is neither served from nor kept."""
    cache = _cache()
    if cache is None or viewer is None or session.get("_flashes"):
        return render(get_case_or_404(session_, ref, viewer))
    # The tail is read before anything the page shows: a change committed in between makes
    # a newer page under an older key, which no later request asks for, whereas the other
    # order could keep an older page under the newer key.
    tail = session_.scalar(_audit_tail())
    key = PageKey(ref, tail or "", viewer.id, viewer.role, viewer.label, viewer.timezone)
    # The forms' CSRF token belongs to the session: the page is kept in the pieces around it,
    # and joined with the token of the session it is served to.
    token = generate_csrf()
    pieces = cache.get(key)
    if pieces is None:
        page = render(get_case_or_404(session_, ref, viewer))
        pieces = tuple(part.encode() for part in page.split(token))
        cache.put(key, pieces)
    return token.encode().join(pieces)
