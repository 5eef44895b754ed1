"""Exporting a sealed bundle: render the briefing, build and sign the ZIP in the store's temp
folder, store it under its hash and record the disclosure."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.audit.log import Actor
from casemgr.briefings.bundle import build_bundle
from casemgr.briefings.models import Briefing
from casemgr.briefings.operations import ExportSettings, prepare, record_disclosure
from casemgr.briefings.signing import SigningKey
from casemgr.briefings.snapshot import BriefingOptions
from casemgr.cases.models import Case
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.store import CHUNK, FileStore, StagedFile


def _hashed(path: Path) -> StagedFile:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return StagedFile(path, digest.hexdigest(), size)


def export_bundle(
    session: Session,
    actor: Actor,
    case: Case,
    options: BriefingOptions,
    store: FileStore,
    settings: ExportSettings,
    key: SigningKey,
) -> tuple[Briefing, Path]:
    """Build the sealed bundle of `case`, store it and log its disclosure (kind "bundle",
    a "bundled" custody event on each included item); the stored ZIP's path.

    Raises ValidationFailed for bad options and BundleFailed when an evidence file is
    missing or altered; either way nothing is written to the database."""
    # The briefing prints the fingerprint of the key that really signs the bundle.
    signing = {"public_key": key.public_hex, "fingerprint": key.fingerprint}
    pdf, snapshot = prepare(session, case, options, store, replace(settings, signing=signing))
    found = session.scalars(
        select(EvidenceItem).where(EvidenceItem.id.in_(snapshot.evidence_item_ids))
    )
    by_id = {item.id: item for item in found}
    items = [by_id[item_id] for item_id in snapshot.evidence_item_ids]
    store.temp.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=store.temp, prefix="bundle-", suffix=".zip")
    os.close(handle)
    target = Path(name)
    try:
        build_bundle(
            target,
            pdf,
            snapshot,
            items,
            store,
            key,
            case.ref,
            case.version,
            snapshot.meta["generated_at"],
        )
        stored = _hashed(target)
        store.put(stored)
    finally:
        target.unlink(missing_ok=True)  # stored by a hard link, so the store keeps its copy
    briefing = record_disclosure(session, actor, case, options, snapshot, stored, "bundle")
    return briefing, store.path(stored.sha256)
