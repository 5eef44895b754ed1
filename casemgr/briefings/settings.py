"""The export settings of the running app: its marking scheme and its signing key."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from casemgr.briefings.operations import ExportSettings
from casemgr.briefings.signing import SigningKey, instance_key


def current_signing_key() -> SigningKey:
    return instance_key(Path(current_app.instance_path))


def current_export_settings() -> ExportSettings:
    key = current_signing_key()
    return ExportSettings(
        marking_scheme=current_app.config["CASEMGR_MARKING_SCHEME"],
        signing={"public_key": key.public_hex, "fingerprint": key.fingerprint},
    )
