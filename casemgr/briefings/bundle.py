"""Sealed bundles: a ZIP of the briefing, the original evidence files, a manifest with the
SHA-256 of each, the manifest's Ed25519 signature and plain instructions, so a recipient can
check it offline with sha256sum and OpenSSL, or with `flask bundle verify`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives import serialization

from casemgr.briefings.signing import SigningKey, fingerprint, signature_valid
from casemgr.briefings.snapshot import Snapshot
from casemgr.errors import CaseMgrError
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.sniff import EXTENSIONS
from casemgr.evidence.store import CHUNK, FileStore

BRIEFING = "briefing.pdf"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
SUMS = "SHA256SUMS"
INSTRUCTIONS = "VERIFY.txt"
SEALS = (MANIFEST, SIGNATURE, SUMS)  # the files the manifest cannot list
FORMAT = "casemgr-bundle/1"
# Given to recipients in VERIFY.txt; one line, so that it can be pasted as it is.
OPENSSL_VERIFY = (
    "base64 -d manifest.sig > manifest.sig.bin && openssl pkeyutl -verify -pubin"
    " -inkey public_key.pem -rawin -in manifest.json -sigfile manifest.sig.bin"
)
OPENSSL_FINGERPRINT = "openssl pkey -pubin -in public_key.pem -outform DER | tail -c 32 | sha256sum"


class BundleFailed(CaseMgrError):
    """The bundle cannot be built: an evidence file is missing or altered in the store."""

    status = 500
    title = "Bundle failed"


@dataclass
class BundleCheck:
    """What verifying a bundle found: its problems (first the most telling), the number of
    files in it and the fingerprint of the key that signed it."""

    problems: list[str] = field(default_factory=list)
    files: int = 0
    fingerprint: str = ""


def _entry(name: str, when: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.astimezone(UTC).timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16  # readable when unzipped
    return info


def _write(archive: zipfile.ZipFile, name: str, data: bytes, when: datetime) -> dict[str, Any]:
    archive.writestr(_entry(name, when), data)
    return {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _copy_evidence(
    archive: zipfile.ZipFile, store: FileStore, item: EvidenceItem, name: str, when: datetime
) -> None:
    """Stream a stored file into the archive chunk by chunk, re-hashing it on the way: the
    bundle must hold exactly the bytes the manifest names."""
    info = _entry(name, when)
    source = store.path(item.sha256)
    try:
        info.file_size = source.stat().st_size  # lets zipfile choose ZIP64 for huge files
        digest = hashlib.sha256()
        with source.open("rb") as handle, archive.open(info, "w") as target:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                target.write(chunk)
    except FileNotFoundError:
        raise BundleFailed(f"Evidence item #{item.id}: its stored file is missing.") from None
    if digest.hexdigest() != item.sha256:
        raise BundleFailed(f"Evidence item #{item.id}: its stored file no longer matches its hash.")


def _custody(item: EvidenceItem) -> list[dict[str, str]]:
    return [
        {
            "action": event.action,
            "at": event.at.astimezone(UTC).isoformat(),
            "actor": event.actor.username if event.actor else "system",
        }
        for event in item.custody
    ]


def evidence_name(item: EvidenceItem) -> str:
    return f"evidence/{item.sha256}{EXTENSIONS.get(item.mime, '.bin')}"


def public_pem(key: SigningKey) -> bytes:
    return key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sums_text(files: dict[str, str]) -> bytes:
    """`sha256sum` lines (hash, two spaces, name) for name -> SHA-256, sorted by name."""
    return "".join(f"{files[name]}  {name}\n" for name in sorted(files)).encode()


def build_bundle(
    target: Path,
    pdf: bytes,
    snapshot: Snapshot,
    items: list[EvidenceItem],
    store: FileStore,
    key: SigningKey,
    case_ref: str,
    case_version: int,
    generated_at: datetime,
) -> None:
    """Write the sealed ZIP to `target`. Raises BundleFailed when an evidence file is
    missing or altered in the store; a partly written `target` is removed."""
    try:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            _fill(archive, pdf, snapshot, items, store, key, case_ref, case_version, generated_at)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _fill(
    archive: zipfile.ZipFile,
    pdf: bytes,
    snapshot: Snapshot,
    items: list[EvidenceItem],
    store: FileStore,
    key: SigningKey,
    case_ref: str,
    case_version: int,
    generated_at: datetime,
) -> None:
    files = [_write(archive, BRIEFING, pdf, generated_at) | {"kind": "briefing"}]
    by_name: dict[str, dict[str, Any]] = {}
    for item in items:
        name = evidence_name(item)
        if name not in by_name:  # the same bytes taken in twice are kept once
            _copy_evidence(archive, store, item, name, generated_at)
            by_name[name] = {"name": name, "size": item.size, "sha256": item.sha256}
            by_name[name] |= {"kind": "evidence", "mime": item.mime, "items": []}
        by_name[name]["items"].append(
            {
                "item_id": item.id,
                "original_filename": item.original_filename,
                "description": item.description,
                "custody": _custody(item),
            }
        )
    files += by_name.values()
    generator = f"casemgr {version('casemgr')}"
    instructions = verify_text(case_ref, case_version, generated_at, generator, key.fingerprint)
    files.append(_write(archive, INSTRUCTIONS, instructions, generated_at) | {"kind": "readme"})
    files.append(_write(archive, PUBLIC_KEY, public_pem(key), generated_at) | {"kind": "key"})
    manifest = {
        "format": FORMAT,
        "case": {"ref": case_ref, "version": case_version},
        "recipient": snapshot.meta["recipient"],
        "marking": snapshot.meta["marking"],
        "generated_at": generated_at.astimezone(UTC).isoformat(),
        "generator": generator,
        "files": files,
        "signing": {
            "algorithm": "Ed25519",
            "public_key": key.public_hex,
            "fingerprint": key.fingerprint,
        },
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False).encode()
    sealed = _write(archive, MANIFEST, manifest_bytes, generated_at)
    signature = base64.b64encode(key.sign(manifest_bytes)) + b"\n"
    _write(archive, SIGNATURE, signature, generated_at)
    hashes = {entry["name"]: entry["sha256"] for entry in files} | {MANIFEST: sealed["sha256"]}
    _write(archive, SUMS, sums_text(hashes), generated_at)


def verify_text(
    case_ref: str, case_version: int, generated_at: datetime, generator: str, key_print: str
) -> bytes:
    """VERIFY.txt: how a recipient checks the bundle with common tools."""
    when = generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""\
Sealed evidence bundle: case {case_ref}, version {case_version}, made {when} by {generator}.

  briefing.pdf     the briefing as sent
  evidence/        the original evidence files, each named by its SHA-256
  manifest.json    every file's name, size and SHA-256; each item's custody summary
  manifest.sig     the Ed25519 signature of manifest.json (base64)
  public_key.pem   the public key that made the signature
  SHA256SUMS       the SHA-256 of every file except itself and manifest.sig

Unzip the bundle, then, in the unzipped folder:

1. Check that no file has changed. Every line must end in OK.
     Linux:   sha256sum -c SHA256SUMS
     macOS:   shasum -a 256 -c SHA256SUMS
     Windows: Get-FileHash -Algorithm SHA256 briefing.pdf, evidence\\*
              (PowerShell; compare each hash with its line in SHA256SUMS)

2. Check who sealed it. The signing key's fingerprint is
     {key_print}
   It must be the fingerprint printed in the briefing (and any the sender gave you by
   another channel). To compute it from public_key.pem (take the first 32 hex digits):
     {OPENSSL_FINGERPRINT}

3. Check the signature with OpenSSL 3; it must print "Signature Verified Successfully":
     {OPENSSL_VERIFY}

Or, where casemgr is installed, all three at once:
     flask --app app bundle verify FILE.zip --fingerprint {key_print}
""".encode()


def verify_bundle(path: Path, expected_fingerprint: str | None = None) -> list[str]:
    """The bundle's problems, the first naming what is wrong; empty when it verifies."""
    return check_bundle(path, expected_fingerprint).problems


def check_bundle(path: Path, expected_fingerprint: str | None = None) -> BundleCheck:
    """Verify a bundle offline: the signature over the exact manifest bytes, the signer's
    fingerprint, every file's size and SHA-256, and that nothing is missing or extra."""
    check = BundleCheck()
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        check.problems.append(f"{path}: no such file")
        return check
    except (zipfile.BadZipFile, OSError):
        check.problems.append(f"{path}: not a zip file")
        return check
    with archive:
        names = archive.namelist()
        check.files = len(names)
        for name in sorted(name for name, count in Counter(names).items() if count > 1):
            check.problems.append(f"{name}: appears more than once in the zip")
        missing = [name for name in (MANIFEST, SIGNATURE) if name not in names]
        if missing:
            check.problems += [f"{name}: missing from the bundle" for name in missing]
            return check
        manifest = _check_seal(archive, expected_fingerprint, check)
        if manifest is not None:
            _check_files(archive, manifest, check)
    return check


def _read(archive: zipfile.ZipFile, name: str, check: BundleCheck) -> bytes | None:
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile):
        check.problems.append(f"{name}: damaged in the zip")
        return None


def _manifest_hash_in_sums(archive: zipfile.ZipFile, manifest_bytes: bytes) -> bool:
    """Whether SHA256SUMS agrees with manifest.json: then a bad signature is the
    signature file's fault rather than the manifest's."""
    try:
        sums = archive.read(SUMS).decode()
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError, OSError):
        return False
    line = f"{hashlib.sha256(manifest_bytes).hexdigest()}  {MANIFEST}"
    return line in sums.splitlines()


def _check_seal(
    archive: zipfile.ZipFile, expected: str | None, check: BundleCheck
) -> dict[str, Any] | None:
    """Check the signature and signer; the manifest when it can be read."""
    manifest_bytes = _read(archive, MANIFEST, check)
    signature_text = _read(archive, SIGNATURE, check)
    if manifest_bytes is None or signature_text is None:
        return None
    manifest = _parse(manifest_bytes)
    public_hex = manifest["signing"]["public_key"] if manifest else ""
    signature = _signature(signature_text)
    if signature is None:
        check.problems.append(f"{SIGNATURE}: not a base64 Ed25519 signature")
    elif not signature_valid(public_hex, signature, manifest_bytes):
        if manifest is not None and _manifest_hash_in_sums(archive, manifest_bytes):
            check.problems.append(f"{SIGNATURE}: signature does not match {MANIFEST}")
        else:
            check.problems.append(f"{MANIFEST}: signature does not match")
    if manifest is None:
        check.problems.append(f"{MANIFEST}: not a valid bundle manifest")
        return None
    check.fingerprint = fingerprint(public_hex)
    if manifest["signing"].get("fingerprint") != check.fingerprint:
        check.problems.append(f"{MANIFEST}: its fingerprint is not that of its public key")
    if expected is not None and _plain(expected) != _plain(check.fingerprint):
        check.problems.append(
            f"{MANIFEST}: signed by key {check.fingerprint}, not the expected {expected.strip()}"
        )
    return manifest


def _parse(data: bytes) -> dict[str, Any] | None:
    """The manifest when it has the shape we rely on, else None."""
    try:
        manifest = json.loads(data.decode())
        key = manifest["signing"]["public_key"]
        if len(bytes.fromhex(key)) != 32 or not isinstance(manifest["files"], list):
            return None
        for entry in manifest["files"]:
            if not (
                isinstance(entry["name"], str)
                and isinstance(entry["size"], int)
                and isinstance(entry["sha256"], str)
            ):
                return None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return manifest


def _signature(text: bytes) -> bytes | None:
    """The raw signature, only when the file is exactly its canonical base64 line (so any
    changed byte counts, even in padding bits a lenient decoder would ignore)."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 64 or base64.b64encode(raw) + b"\n" != text:
        return None
    return raw


def _plain(fingerprint_text: str) -> str:
    return "".join(ch for ch in fingerprint_text.lower() if ch in "0123456789abcdef")


def _digest(handle: IO[bytes]) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _check_files(archive: zipfile.ZipFile, manifest: dict[str, Any], check: BundleCheck) -> None:
    listed = {entry["name"]: entry for entry in manifest["files"]}
    names = set(archive.namelist())
    for name, entry in listed.items():
        if name not in names:
            check.problems.append(f"{name}: missing from the bundle")
            continue
        if archive.getinfo(name).file_size != entry["size"]:
            check.problems.append(f"{name}: size does not match the manifest")
            continue
        try:
            with archive.open(name) as handle:
                size, sha256 = _digest(handle)
        except (zipfile.BadZipFile, OSError, EOFError):
            check.problems.append(f"{name}: damaged in the zip")
            continue
        if size != entry["size"]:
            check.problems.append(f"{name}: size does not match the manifest")
        elif sha256 != entry["sha256"]:
            check.problems.append(f"{name}: SHA-256 does not match the manifest")
    folders = {name for name in names if name.endswith("/")}  # added by re-zipping: harmless
    for name in sorted(names - folders - set(listed) - set(SEALS)):
        check.problems.append(f"{name}: not listed in the manifest")
    if SUMS not in names:
        check.problems.append(f"{SUMS}: missing from the bundle")
        return
    expected = {name: entry["sha256"] for name, entry in listed.items()}
    expected[MANIFEST] = hashlib.sha256(archive.read(MANIFEST)).hexdigest()
    sums = _read(archive, SUMS, check)
    if sums is not None and sums != sums_text(expected):
        check.problems.append(f"{SUMS}: does not match the manifest")
