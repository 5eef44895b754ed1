"""The BOLO ("be on the lookout") sheet: one A4 page on one subject for the security desk
and the protective detail (photo, names, accounts, description, the protectees at risk,
what to do on sight, the handling mark), recorded in the disclosure log like a briefing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from importlib.metadata import version
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from weasyprint import HTML
from weasyprint.document import Document

from casemgr.audit.log import Actor, record_event
from casemgr.auth.models import User
from casemgr.auth.permissions import authorize
from casemgr.briefings.marking import css_class, marks
from casemgr.briefings.models import Briefing, briefing_cases
from casemgr.briefings.operations import ExportSettings, store_bytes
from casemgr.briefings.render import SCHEME, BriefingFetcher, render_html
from casemgr.cases.models import Case, case_subjects
from casemgr.db import utcnow
from casemgr.errors import Conflict
from casemgr.evidence.custody import record_custody
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.store import FileStore, StagedFile
from casemgr.people.models import Account, Subject
from casemgr.people.pages import first_seen_order, linked_cases, opened_after_suspension
from casemgr.validation import Checks

log = logging.getLogger(__name__)

DEFAULT_RECIPIENT = "Security desk and protective detail"
DEFAULT_ON_SIGHT = (
    "Do not approach. Call the security operations centre at once and keep the person in "
    "sight from a safe distance. Note the time, place, clothing, companions and direction of "
    "travel. Keep the protectees away from the area until security clears it. If anyone is "
    "in immediate danger, call the emergency services first."
)
ON_SIGHT_MAX = 500
ON_SIGHT_LINES = 6
# What one page holds; the rest is counted on the sheet ("and 3 more") and kept in the case.
ALIAS_CHARS = 200
MAX_ACCOUNTS = 10
MAX_PROTECTEES = 8
MAX_CASES = 6
DESCRIPTION_CHARS = 600
DESCRIPTION_LINES = 6
STATUS_ORDER = {"active": 0, "suspended": 1, "deleted": 2}


@dataclass
class BoloSnapshot:
    """Everything the sheet shows, as plain data; the template only renders it."""

    subject: dict[str, Any]
    protectees: list[dict[str, Any]]
    more_protectees: int
    cases: list[str]  # the references printed
    more_cases: int
    photo: dict[str, Any] | None
    meta: dict[str, Any]
    case_refs: list[str]  # every case the sheet drew on, for the disclosure log
    case_ids: list[int]  # the same cases, whose disclosure logs list the sheet


def clip(text: str, limit: int, lines: int = 1) -> str:
    """At most `limit` characters on at most `lines` lines, an ellipsis marking a cut."""
    kept = text.strip().splitlines() or [""]
    if len(kept) > lines:
        kept = [*kept[: lines - 1], " ".join(line.strip() for line in kept[lines - 1 :])]
    text = "\n".join(kept)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _account_row(account: Account, reopened: set[int]) -> dict[str, Any]:
    return {
        "platform": clip(account.platform, 20),
        "handle": clip(account.handle, 36),
        "status": account.status,
        "first_seen": account.first_seen,
        "last_seen": account.last_seen,
        "suspended_at": account.suspended_at,
        "after_suspension": account.id in reopened,
    }


def _aliases(names: list[str]) -> list[str]:
    """As many aliases as fit about four lines, each clipped."""
    kept: list[str] = []
    for name in names:
        if sum(len(alias) + 3 for alias in kept) + min(len(name), 40) > ALIAS_CHARS:
            break
        kept.append(clip(name, 40))
    return kept


def _subject_row(subject: Subject) -> dict[str, Any]:
    """Names, aliases and accounts; live accounts first, each group oldest first."""
    reopened = opened_after_suspension(list(subject.accounts))
    accounts = sorted(
        subject.accounts, key=lambda a: (STATUS_ORDER.get(a.status, 9), *first_seen_order(a))
    )
    aliases = _aliases([alias.alias for alias in subject.aliases])
    return {
        "id": subject.id,
        "name": clip(subject.name, 80),
        "kind": subject.kind,
        "affiliation": clip(subject.affiliation.name, 60) if subject.affiliation else "",
        "description": clip(subject.description, DESCRIPTION_CHARS, DESCRIPTION_LINES),
        "aliases": aliases,
        "more_aliases": len(subject.aliases) - len(aliases),
        "accounts": [_account_row(a, reopened) for a in accounts[:MAX_ACCOUNTS]],
        "more_accounts": max(0, len(accounts) - MAX_ACCOUNTS),
    }


def _protectees(cases: list[Case]) -> list[dict[str, Any]]:
    """The protectees of the cases, once each; never their private details."""
    seen: dict[int, dict[str, Any]] = {}
    for case in cases:
        for protectee in case.protectees:
            seen.setdefault(
                protectee.id,
                {
                    "name": clip(protectee.name, 36),
                    "role": clip(
                        " · ".join(filter(None, (protectee.title, protectee.department))), 48
                    ),
                    "all_staff": protectee.all_staff,
                },
            )
    return list(seen.values())


def likeness_photo(
    session: Session, subject: Subject, cases: list[Case], store: FileStore
) -> EvidenceItem | None:
    """The image marked as the subject's likeness on one of `cases` (the ones the user may
    see), not withdrawn and with a printable preview; undoctored and newest first."""
    candidates = session.scalars(
        select(EvidenceItem)
        .where(
            EvidenceItem.likeness_subject_id == subject.id,
            EvidenceItem.case_id.in_([case.id for case in cases]),
            EvidenceItem.withdrawn_at.is_(None),
            EvidenceItem.analysis == "ok",
        )
        .order_by(EvidenceItem.manipulated, EvidenceItem.created_at.desc(), EvidenceItem.id.desc())
    )
    for item in candidates:
        if item.is_image and (store.derived(item.sha256) / "preview.png").exists():
            return item
    return None


def _photo_row(item: EvidenceItem, cases: list[Case]) -> dict[str, Any]:
    ref = next(case.ref for case in cases if case.id == item.case_id)
    return {
        "id": item.id,
        "sha256": item.sha256,
        "case_ref": ref,
        "acquired_at": item.acquired_at or item.created_at,
        "manipulated": item.manipulated,
    }


def build_bolo_snapshot(
    session: Session, subject: Subject, user: User, store: FileStore, meta: dict[str, Any]
) -> BoloSnapshot:
    """The sheet's content as `user` may see it: only the cases linking the subject that
    they may see give protectees and the photo."""
    cases = linked_cases(session, case_subjects.c.subject_id, subject.id, user)
    protectees = _protectees(cases)
    photo = likeness_photo(session, subject, cases, store)
    refs = [case.ref for case in cases]
    return BoloSnapshot(
        subject=_subject_row(subject),
        protectees=protectees[:MAX_PROTECTEES],
        more_protectees=max(0, len(protectees) - MAX_PROTECTEES),
        cases=refs[:MAX_CASES],
        more_cases=max(0, len(refs) - MAX_CASES),
        photo=_photo_row(photo, cases) if photo else None,
        meta=meta,
        case_refs=refs,
        case_ids=[case.id for case in cases],
    )


def _render_document(snapshot: BoloSnapshot, store: FileStore, compact: bool) -> Document:
    images = {snapshot.photo["id"]: snapshot.photo["sha256"]} if snapshot.photo else {}
    html = render_html("bolo.html", {**snapshot.__dict__, "compact": compact})
    fetcher = BriefingFetcher(store, images)
    return HTML(string=html, base_url=SCHEME + "/", url_fetcher=fetcher).render()


def _fewer_rows(snapshot: BoloSnapshot) -> BoloSnapshot | None:
    """The snapshot with two rows fewer (accounts first, then protectees), counted in its
    "and N more"; None when no row is left to spare."""
    subject = snapshot.subject
    if len(subject["accounts"]) > 3:
        accounts = subject["accounts"][:-2]
        more = subject["more_accounts"] + 2
        return replace(snapshot, subject={**subject, "accounts": accounts, "more_accounts": more})
    if len(snapshot.protectees) > 2:
        more = snapshot.more_protectees + 2
        return replace(snapshot, protectees=snapshot.protectees[:-2], more_protectees=more)
    return None


def render_bolo(snapshot: BoloSnapshot, store: FileStore) -> bytes:
    """The one-page PDF. A sheet that overflows is set again more tightly, then with fewer
    rows; the clipping in the snapshot means it should never come to printing one page of
    two, but the desk gets one page regardless."""
    document = _render_document(snapshot, store, compact=False)
    while len(document.pages) > 1:
        document = _render_document(snapshot, store, compact=True)
        if len(document.pages) == 1:
            break
        smaller = _fewer_rows(snapshot)
        if smaller is None:
            log.warning(
                "BOLO of subject %s overflows; printing its first page", snapshot.subject["id"]
            )
            document = document.copy(document.pages[:1])
            break
        snapshot = smaller
    return document.write_pdf()


def check_bolo(subject: Subject, marking: str, on_sight: str, recipient: str, scheme: str) -> None:
    if subject.merged_into_id is not None:
        raise Conflict("This subject was merged into another; make the BOLO sheet there.")
    checks = Checks()
    checks.choice("marking", marking, list(marks(scheme)))
    checks.text("on_sight", on_sight, max_length=ON_SIGHT_MAX, required=True)
    if len(on_sight.strip().splitlines()) > ON_SIGHT_LINES:
        checks.fail("on_sight", f"At most {ON_SIGHT_LINES} lines, please: it must fit the page.")
    checks.text("recipient", recipient, max_length=300, required=True)
    checks.done()


def _meta(
    user: User, marking: str, on_sight: str, recipient: str, settings: ExportSettings
) -> dict[str, Any]:
    generated_at = utcnow()
    return {
        "marking": marking,
        "marking_class": css_class(marking),
        "marking_rule": marks(settings.marking_scheme)[marking],
        "recipient": recipient.strip(),
        "author": user.label,
        "generated_at": generated_at,
        "on_sight": on_sight.strip(),
        "generator": f"casemgr {version('casemgr')}",
    }


def record_bolo(
    session: Session, actor: Actor, snapshot: BoloSnapshot, stored: StagedFile
) -> Briefing:
    """The disclosure-log entry (in the log of every case the sheet drew on), a "briefed"
    custody event on the photo, the audit event."""
    meta, photo = snapshot.meta, snapshot.photo
    briefing = Briefing(
        kind="bolo",
        subject_id=snapshot.subject["id"],
        recipient=meta["recipient"],
        marking=meta["marking"],
        include_private=False,
        options={"on_sight": meta["on_sight"], "case_refs": snapshot.case_refs},
        sha256=stored.sha256,
        size=stored.size,
        created_by_id=actor.user_id,
        created_at=meta["generated_at"],
    )
    session.add(briefing)
    session.flush()
    if snapshot.case_ids:
        links = [{"briefing_id": briefing.id, "case_id": case_id} for case_id in snapshot.case_ids]
        session.execute(insert(briefing_cases), links)
    if photo is not None:
        item = session.get(EvidenceItem, photo["id"])
        briefing.evidence.append(item)
        note = f"Photo of BOLO sheet #{briefing.id} for {meta['recipient']} ({meta['marking']})."
        record_custody(session, actor, item, "briefed", note)
    changes = {
        "subject_id": snapshot.subject["id"],
        "recipient": meta["recipient"],
        "marking": meta["marking"],
        "sha256": stored.sha256,
        "case_refs": snapshot.case_refs,
        "evidence_ids": [photo["id"]] if photo else [],
    }
    record_event(
        session,
        actor,
        "bolo.export",
        "briefing",
        briefing.id,
        {name: {"old": None, "new": value} for name, value in changes.items()},
    )
    return briefing


def export_bolo(
    session: Session,
    actor: Actor,
    user: User,
    subject: Subject,
    marking: str,
    store: FileStore,
    settings: ExportSettings,
    on_sight: str,
    recipient: str = DEFAULT_RECIPIENT,
) -> tuple[Briefing, bytes]:
    """Render, store and log the BOLO sheet of `subject` as `user` may see it.

    PermissionDenied without briefing.export, Conflict for a merged subject, ValidationFailed
    for an unknown mark or a missing or long instruction; a failed render writes nothing."""
    authorize(user, "briefing.export")
    check_bolo(subject, marking, on_sight, recipient, settings.marking_scheme)
    meta = _meta(user, marking, on_sight, recipient, settings)
    snapshot = build_bolo_snapshot(session, subject, user, store, meta)
    pdf = render_bolo(snapshot, store)
    stored = store_bytes(store, pdf)
    return record_bolo(session, actor, snapshot, stored), pdf
