"""The instance's Ed25519 key for sealing bundles: made on first use, kept in the instance
folder (mode 600), its public half printed in every briefing and manifest."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "bundle_signing_key.pem"


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @property
    def public_hex(self) -> str:
        return public_bytes(self.private.public_key()).hex()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_hex)

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public_hex: str) -> str:
    """SHA-256 of the raw public key, the first 32 hex digits in groups of four."""
    digest = hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:32]
    return ":".join(digest[i : i + 4] for i in range(0, 32, 4))


def instance_key(instance: Path) -> SigningKey:
    """The instance's key, created (atomically, once) on first use."""
    path = instance / KEY_FILE
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 key")
    return SigningKey(private)


def signature_valid(public_hex: str, signature: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True
