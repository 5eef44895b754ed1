"""Sealed bundles: what a recipient gets, and that any change to it is caught and named,
by `flask bundle verify`, by `sha256sum -c` and by the OpenSSL command in VERIFY.txt."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from pypdf import PdfReader
from sqlalchemy import func, select

from casemgr.audit.log import Actor
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import User
from casemgr.briefings.bundle import BundleFailed, verify_bundle
from casemgr.briefings.bundles import export_bundle
from casemgr.briefings.models import Briefing
from casemgr.briefings.settings import current_export_settings, current_signing_key
from casemgr.briefings.snapshot import BriefingOptions
from casemgr.cases.models import Case
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.evidence.models import CustodyEvent, EvidenceItem
from casemgr.evidence.store import FileStore
from casemgr.extensions import db
from casemgr.threats.operations import ThreatDetails, log_threat
from tests.briefings.story import put_file
from tests.evidence.photos import jpeg_bytes, photo, png_bytes, with_crosshair

OPENSSL = shutil.which("openssl")
SHA256SUM = shutil.which("sha256sum")
BASH = shutil.which("bash") or "/bin/bash"


@dataclass(frozen=True)
class BundleCase:
    ref: str
    hashes: dict[int, str]  # evidence item id -> SHA-256


def store_of(app: Flask) -> FileStore:
    return FileStore(Path(app.config["CASEMGR_DATA_DIR"]))


def add_evidence(app: Flask, actor: Actor, case: Case, data: bytes, name: str) -> EvidenceItem:
    return put_file(db.session, actor, store_of(app), data, name, case=case)


def make_bundle_case(app: Flask, users: dict[str, User]) -> BundleCase:
    """A case with a threat and three evidence items (a doctored photo, the photo it came
    from, and a note), made through the services."""
    with app.app_context():
        lead = db.session.get(User, users["lead"].id)
        actor = Actor(lead.id, lead.username, "127.0.0.1")
        case = create_case(
            db.session, actor, lead, CaseDetails(title="Threats against Lumina Social leadership")
        )
        log_threat(
            db.session,
            actor,
            case,
            ThreatDetails(
                occurred_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
                channel="public_post",
                text="Every suspended account will come back tenfold.",
                threat_type="veiled",
            ),
        )
        original = photo(seed=7)
        items = [
            add_evidence(app, actor, case, png_bytes(with_crosshair(original)), "crosshair.png"),
            add_evidence(app, actor, case, jpeg_bytes(original), "../../etc/passwd.jpg"),
            add_evidence(app, actor, case, b"Account reopened as @dawn_2.\n", "n.txt"),
        ]
        db.session.commit()
        return BundleCase(case.ref, {item.id: item.sha256 for item in items})


@pytest.fixture
def bundle_case(app: Flask, users: dict[str, User]) -> BundleCase:
    return make_bundle_case(app, users)


def export(runner: FlaskCliRunner, ref: str, output: Path) -> None:
    result = runner.invoke(
        args=[
            "bundle",
            "export",
            ref,
            "--recipient",
            "Counter Terrorism Command, Protective Unit",
            "--tlp",
            "TLP:AMBER",
            "-o",
            str(output),
        ]
    )
    assert result.exit_code == 0, result.output


@pytest.fixture
def bundle(runner: FlaskCliRunner, bundle_case: BundleCase, tmp_path: Path) -> Path:
    path = tmp_path / "bundle.zip"
    export(runner, bundle_case.ref, path)
    return path


def instance_fingerprint(app: Flask) -> str:
    with app.app_context():
        return current_signing_key().fingerprint


def altered(source: Path, target: Path, name: str) -> Path:
    """A copy of the bundle with one byte of entry `name` changed."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = bytearray(old.read(info))
            if info.filename == name:
                data[len(data) // 2] ^= 0x01
            new.writestr(info, bytes(data))
    return target


def extracted(bundle: Path, folder: Path) -> Path:
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    return folder


def manifest_of(bundle: Path) -> dict:
    with zipfile.ZipFile(bundle) as archive:
        return json.loads(archive.read("manifest.json"))


def verify(runner: FlaskCliRunner, bundle: Path, *extra: str) -> tuple[int, list[str]]:
    result = runner.invoke(args=["bundle", "verify", str(bundle), *extra])
    return result.exit_code, result.output.strip().splitlines()


def test_exported_bundle_verifies_with_the_command_and_with_sha256sum(
    app: Flask, runner: FlaskCliRunner, bundle: Path, tmp_path: Path
) -> None:
    fingerprint = instance_fingerprint(app)
    with zipfile.ZipFile(bundle) as archive:
        count = len(archive.namelist())
    assert verify(runner, bundle) == (
        0,
        [f"bundle verified: {count} files, signed by {fingerprint}"],
    )
    assert verify(runner, bundle, "--fingerprint", fingerprint)[0] == 0
    assert verify(runner, bundle, "--fingerprint", fingerprint.replace(":", "").upper())[0] == 0
    assert verify_bundle(bundle, fingerprint) == []
    if SHA256SUM:
        folder = extracted(bundle, tmp_path / "unzipped")
        checked = subprocess.run(  # noqa: S603 - our own command on our own files
            [SHA256SUM, "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert checked.stdout.count(": OK") == count - 2  # all but SHA256SUMS and manifest.sig


def test_one_changed_byte_in_any_file_fails_verification_naming_that_file(
    runner: FlaskCliRunner, bundle: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
    assert len([name for name in names if name.startswith("evidence/")]) == 3
    for name in names:
        changed = altered(bundle, tmp_path / "changed.zip", name)
        code, lines = verify(runner, changed)
        assert code == 1, name
        assert len(lines) == 1 and lines[0].startswith(f"error: {name}: "), (name, lines)
        assert verify_bundle(changed)[0].startswith(f"{name}: ")
    evidence = next(name for name in names if name.endswith(".png"))
    assert verify_bundle(altered(bundle, tmp_path / "changed.zip", evidence)) == [
        f"{evidence}: SHA-256 does not match the manifest"
    ]
    assert verify_bundle(altered(bundle, tmp_path / "changed.zip", "manifest.json"))[0] == (
        "manifest.json: signature does not match"
    )


def test_a_different_signer_than_expected_fails_verification(
    runner: FlaskCliRunner, bundle: Path
) -> None:
    code, lines = verify(runner, bundle, "--fingerprint", "0000:1111:2222:3333")
    assert code == 1
    assert len(lines) == 1 and "not the expected 0000:1111:2222:3333" in lines[0]


def test_missing_unlisted_and_unreadable_files_are_named(bundle: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    evidence = sorted(name for name in entries if name.startswith("evidence/"))[0]
    without = tmp_path / "without.zip"
    with zipfile.ZipFile(without, "w") as archive:
        for name, data in entries.items():
            if name != evidence:
                archive.writestr(name, data)
        archive.writestr("evidence/extra.txt", b"planted")
    assert verify_bundle(without) == [
        f"{evidence}: missing from the bundle",
        "evidence/extra.txt: not listed in the manifest",
    ]
    not_zip = tmp_path / "not.zip"
    not_zip.write_bytes(b"%PDF-1.7 not a zip")
    assert verify_bundle(not_zip) == [f"{not_zip}: not a zip file"]
    unsealed = tmp_path / "unsealed.zip"
    with zipfile.ZipFile(unsealed, "w") as archive:
        archive.writestr("briefing.pdf", entries["briefing.pdf"])
    assert verify_bundle(unsealed) == [
        "manifest.json: missing from the bundle",
        "manifest.sig: missing from the bundle",
    ]


def test_manifest_lists_every_included_item_with_its_hash_and_custody(
    app: Flask, bundle: Path, bundle_case: BundleCase
) -> None:
    manifest = manifest_of(bundle)
    assert manifest["case"]["ref"] == bundle_case.ref
    assert manifest["generator"].startswith("casemgr ")
    assert manifest["signing"]["algorithm"] == "Ed25519"
    assert manifest["signing"]["fingerprint"] == instance_fingerprint(app)
    listed = {
        item["item_id"]: (entry["sha256"], entry["name"], item)
        for entry in manifest["files"]
        for item in entry.get("items", [])
    }
    assert {item_id: sha256 for item_id, (sha256, _, _) in listed.items()} == bundle_case.hashes
    sha256, name, item = listed[min(bundle_case.hashes)]
    assert name == f"evidence/{sha256}.png"
    assert item["original_filename"] == "crosshair.png"
    assert [event["action"] for event in item["custody"]] == ["uploaded"]
    # Original filenames are data: a hostile one names nothing in the zip.
    assert any(i["original_filename"] == "../../etc/passwd.jpg" for _, _, i in listed.values())
    with zipfile.ZipFile(bundle) as archive:
        assert not any(".." in info.filename for info in archive.infolist())
        pdf = archive.read("briefing.pdf")
    assert pdf.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert instance_fingerprint(app) in "".join(text.split())  # the recipient compares them
    assert next(e for e in manifest["files"] if e["name"] == "briefing.pdf")["sha256"] == (
        hashlib.sha256(pdf).hexdigest()
    )


def test_disclosure_log_holds_the_zip_hash_and_each_item_was_bundled(
    app: Flask, bundle: Path, bundle_case: BundleCase
) -> None:
    data = bundle.read_bytes()
    with app.app_context():
        logged = db.session.scalars(select(Briefing)).one()
        assert (logged.kind, logged.sha256, logged.size) == (
            "bundle",
            hashlib.sha256(data).hexdigest(),
            len(data),
        )
        assert logged.marking == "TLP:AMBER"
        assert sorted(item.id for item in logged.evidence) == sorted(bundle_case.hashes)
        assert store_of(app).path(logged.sha256).read_bytes() == data
        bundled = db.session.scalars(
            select(CustodyEvent.evidence_id).where(CustodyEvent.action == "bundled")
        ).all()
        assert sorted(bundled) == sorted(bundle_case.hashes)


@pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
def test_openssl_commands_in_verify_txt_check_the_signature_and_fingerprint(
    app: Flask, bundle: Path, tmp_path: Path
) -> None:
    folder = extracted(bundle, tmp_path / "unzipped")
    lines = [line.strip() for line in (folder / "VERIFY.txt").read_text().splitlines()]
    signature_check = next(line for line in lines if line.startswith("base64 -d"))
    fingerprint_check = next(line for line in lines if line.startswith("openssl pkey"))

    def run(command: str) -> subprocess.CompletedProcess[str]:
        # The lines a recipient pastes, as they are written in VERIFY.txt.
        return subprocess.run(  # noqa: S603
            [BASH, "-c", command], cwd=folder, capture_output=True, text=True
        )

    verified = run(signature_check)
    assert verified.returncode == 0, verified.stderr
    assert "Signature Verified Successfully" in verified.stdout
    digits = run(fingerprint_check).stdout.split()[0][:32]
    assert ":".join(digits[i : i + 4] for i in range(0, 32, 4)) == instance_fingerprint(app)
    manifest = folder / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b"TLP:AMBER", b"TLP:CLEAR"))
    assert run(signature_check).returncode != 0


def test_nothing_is_recorded_when_the_bundle_cannot_be_built(
    app: Flask, bundle_case: BundleCase
) -> None:
    store = store_of(app)
    damaged = store.path(bundle_case.hashes[min(bundle_case.hashes)])
    damaged.chmod(0o644)
    data = bytearray(damaged.read_bytes())
    data[-100] ^= 0x01
    damaged.write_bytes(bytes(data))
    with app.app_context():
        case = db.session.scalars(select(Case)).one()
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        options = BriefingOptions("Protective Unit", "TLP:RED", "lead")
        with pytest.raises(BundleFailed, match="no longer matches its hash"):
            export_bundle(
                db.session,
                Actor(None, "system"),
                case,
                options,
                store,
                current_export_settings(),
                current_signing_key(),
            )
        assert db.session.scalar(select(func.count()).select_from(Briefing)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
        assert not db.session.scalars(
            select(CustodyEvent).where(CustodyEvent.action == "bundled")
        ).all()
    assert not list(store.temp.glob("bundle-*"))
