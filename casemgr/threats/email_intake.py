"""Taking an e-mail in: the message becomes a threat, the raw .eml and each attachment
become evidence linked to it. HTML bodies are reduced to text and never kept as HTML."""

from __future__ import annotations

import email
import email.policy
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any

from sqlalchemy.orm import Session

from casemgr.audit.log import Actor
from casemgr.cases.models import Case
from casemgr.errors import CaseMgrError
from casemgr.evidence.ingest import Acquisition, IngestSettings, UploadRefused, ingest
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.sniff import HEAD_SIZE, describe_refusal, sniff
from casemgr.evidence.store import FileStore, stage_stream
from casemgr.threats.models import Threat
from casemgr.threats.operations import ThreatDetails, log_threat

METHOD = "received by e-mail"
# The headers an investigator traces a message by; kept, in order, in the threat's notes.
INVESTIGATOR_HEADERS = (
    "Received",
    "Message-ID",
    "Return-Path",
    "Authentication-Results",
    "ARC-Authentication-Results",
    "Received-SPF",
    "DKIM-Signature",
    "Reply-To",
)


class EmailRefused(CaseMgrError):
    """The message cannot be taken in; nothing was written."""

    status = 422
    title = "E-mail refused"


@dataclass(frozen=True)
class RefusedAttachment:
    filename: str
    reason: str


@dataclass
class EmailIntake:
    threat: Threat
    message_item: EvidenceItem
    attachment_items: list[EvidenceItem] = field(default_factory=list)
    refused: list[RefusedAttachment] = field(default_factory=list)


class _TextOfHtml(HTMLParser):
    """The visible text of an HTML body: script and style contents dropped."""

    _HIDDEN = {"script", "style"}
    _BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self.hidden += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text from HTML: tags gone, script/style contents gone, entities unescaped."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in unescape("".join(parser.parts)).splitlines())
    return "\n".join(line for line in lines if line)


def sent_at(message: EmailMessage) -> datetime:
    """The Date header as an aware time (a date without zone is taken as UTC)."""
    raw = message.get("Date")
    if not raw:
        raise EmailRefused("The message has no Date header; its time cannot be known.")
    try:
        when = parsedate_to_datetime(str(raw))
    except (TypeError, ValueError):
        raise EmailRefused(f"The Date header {str(raw)!r} is not a date.") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def body_text(message: EmailMessage) -> str:
    """The text/plain body, else the HTML body reduced to text; empty when neither exists."""
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        return str(plain.get_content()).strip()
    html = message.get_body(preferencelist=("html",))
    return html_to_text(str(html.get_content())) if html is not None else ""


def investigator_notes(message: EmailMessage) -> list[str]:
    """One plain line per kept header, as `Name: value`, in the message's order."""
    wanted = {name.lower() for name in INVESTIGATOR_HEADERS}
    return [
        f"{name}: {' '.join(str(value).split())}"
        for name, value in message.raw_items()
        if name.lower() in wanted
    ]


def parse_message(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise EmailRefused("This is not an e-mail message (no headers were found).")
    return message


def take_in_email(
    session: Session,
    actor: Actor,
    case: Case,
    raw: bytes,
    store: FileStore,
    settings: IngestSettings,
) -> EmailIntake:
    """Log the message in `raw` as an e-mail threat on `case`, with the raw message and each
    attachment as evidence linked to it (flushes, never commits).

    The subject is the first line of the threat's text; the investigator headers are in its
    notes. Raises EmailRefused (no date, not a message), ValidationFailed (the threat's
    rules) or UploadRefused (the .eml itself). A refused attachment is listed in the
    result and the notes, and does not stop the others."""
    message = parse_message(raw)
    occurred = sent_at(message)
    subject = " ".join(str(message.get("Subject", "")).split())
    sender = " ".join(str(message.get("From", "")).split())
    text = "\n\n".join(part for part in (f"Subject: {subject}", body_text(message)) if part)
    notes = investigator_notes(message)
    acquisition = Acquisition(method=METHOD, description=f"E-mail from {sender}"[:5000])
    details = ThreatDetails(
        occurred_at=occurred,
        channel="email",
        text=text,
        threat_type="concerning",
        reported_by=sender[:200],
        notes="\n".join(notes),
    )
    # Types are checked before the threat is logged, so its notes (and its audit event)
    # name every refused attachment from the start.
    attachments, refused = _sorted_attachments(message)
    details.notes = "\n".join(
        [*notes, *(f"Attachment refused: {bad.filename!r}: {bad.reason}" for bad in refused)]
    )[:20000]
    threat = log_threat(session, actor, case, details)
    common = {"settings": settings, "acquisition": acquisition, "case": case, "threat": threat}
    message_item = _ingest_bytes(
        session, actor, store, raw, f"{subject or 'message'}.eml", "message/rfc822", common
    )
    intake = EmailIntake(threat, message_item, refused=refused)
    for name, mime, data in attachments:
        try:
            with session.begin_nested():
                item = _ingest_bytes(session, actor, store, data, name, mime, common)
        except UploadRefused as error:  # the sniff above should have caught it
            intake.refused.append(RefusedAttachment(name, error.detail))
        else:
            intake.attachment_items.append(item)
    return intake


def _sorted_attachments(
    message: EmailMessage,
) -> tuple[list[tuple[str, str, bytes]], list[RefusedAttachment]]:
    """(name, declared type, bytes) of each attachment whose type is allowed, and the rest."""
    allowed, refused = [], []
    for part in message.iter_attachments():
        name = str(part.get_filename() or "attachment")
        data = part.get_payload(decode=True) or b""
        if not isinstance(data, bytes):
            data = b""
        head = data[:HEAD_SIZE]
        if sniff(head) is None:
            refused.append(RefusedAttachment(name, describe_refusal(head)))
        else:
            allowed.append((name, part.get_content_type(), data))
    return allowed, refused


def _ingest_bytes(
    session: Session,
    actor: Actor,
    store: FileStore,
    data: bytes,
    name: str,
    mime: str,
    common: dict[str, Any],
) -> EvidenceItem:
    writer = stage_stream(io.BytesIO(data), store.temp)
    try:
        return ingest(
            session,
            actor,
            store,
            writer.staged(),
            original_filename=name,
            declared_mime=mime,
            **common,
        )
    finally:
        writer.close()  # removes the temp file; the stored copy is a separate link
