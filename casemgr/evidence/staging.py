"""Uploads stream straight into the store's temp folder, hashed on the way in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import Request, Response, current_app, send_file
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from casemgr.audit.log import Actor
from casemgr.errors import ValidationFailed
from casemgr.evidence.custody import record_custody
from casemgr.evidence.ingest import IngestSettings, UploadRefused, checked_acquisition, ingest
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.sniff import EXTENSIONS
from casemgr.evidence.store import FileStore, HashingWriter, StagedFile, stage_stream
from casemgr.extensions import db


def current_store() -> FileStore:
    return FileStore(Path(current_app.config["CASEMGR_DATA_DIR"]))


def ingest_settings() -> IngestSettings:
    return IngestSettings(
        max_pixels=current_app.config["CASEMGR_MAX_IMAGE_PIXELS"],
        match_threshold=current_app.config["CASEMGR_MATCH_THRESHOLD"],
    )


class StreamingRequest(Request):
    """Each uploaded file part is written to a hashing temp file as the body is parsed,
    so nothing is held whole in memory and the hash is ready when parsing ends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every temp file made for this request: a body cut short or over the limit
        # stops parsing before its parts reach `files`, and close() must still remove them.
        self._staging_writers: list[HashingWriter] = []

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        writer = HashingWriter(current_store().temp)
        self._staging_writers.append(writer)
        return writer  # type: ignore[return-value]

    def close(self) -> None:
        """Close every file part and remove its temp file, parsed to the end or not."""
        super().close()
        for writer in self._staging_writers:
            writer.close()


def staged_upload(upload: FileStorage) -> StagedFile:
    """The staged, hashed bytes of an uploaded file part."""
    stream: Any = upload.stream
    if not isinstance(stream, HashingWriter):  # e.g. a request built without our factory
        stream = stage_stream(stream, current_store().temp)
        upload.stream = stream
    return stream.staged()


@dataclass(frozen=True)
class Outcome:
    """What became of one uploaded file: the item, or why it was refused."""

    filename: str
    item: EvidenceItem | None = None
    refusal: str = ""


def take_in(
    session: Session, actor: Actor, uploads: list[FileStorage], **target: Any
) -> list[Outcome]:
    """Ingest each uploaded file in its own savepoint, so one refused file loses none of
    the others. `target` passes case, threat, protectee and acquisition to `ingest`.
    Bad acquisition details concern every file: ValidationFailed, before any is stored."""
    if target.get("acquisition") is not None:
        checked_acquisition(target["acquisition"])
    outcomes = []
    for upload in uploads:
        name = upload.filename or ""
        try:
            with session.begin_nested():
                item = ingest(
                    session,
                    actor,
                    current_store(),
                    staged_upload(upload),
                    original_filename=name,
                    declared_mime=upload.mimetype or "",
                    settings=ingest_settings(),
                    **target,
                )
        except (UploadRefused, ValidationFailed) as error:
            detail = (
                error.detail
                if isinstance(error, UploadRefused)
                else "; ".join(
                    message for messages in error.errors.values() for message in messages
                )
            )
            outcomes.append(Outcome(name, refusal=detail))
        else:
            outcomes.append(Outcome(name, item=item))
    return outcomes


def download_name(item: EvidenceItem) -> str:
    """A safe name from the original one (kept as data, never a path) with the extension
    of the type the content really is."""
    name = secure_filename(item.original_filename) or f"evidence-{item.id}"
    extension = EXTENSIONS.get(item.mime, "")
    return name if name.lower().endswith(extension) else name + extension


def send_original(item: EvidenceItem, actor: Actor, note: str) -> Response:
    """The original bytes as an attachment the browser never renders; the download is a
    link of the chain of custody."""
    record_custody(db.session, actor, item, "downloaded", note)
    response = send_file(
        current_store().path(item.sha256),
        mimetype=item.mime,
        as_attachment=True,
        download_name=download_name(item),
        conditional=False,
    )
    policy = "default-src 'none'; sandbox; frame-ancestors 'none'"
    response.headers["Content-Security-Policy"] = policy
    return response
