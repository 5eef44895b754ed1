"""The content-addressed store: each file lives under its SHA-256, written once, never
overwritten, never deleted. Uploads are staged in the store's own temp folder (same file
system) so that storing is an atomic link, not a copy."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

CHUNK = 1024 * 1024
TEMP_KEPT_SECONDS = 24 * 3600  # longer than any upload or export takes


@dataclass(frozen=True)
class StagedFile:
    """Bytes received and hashed, waiting in the temp folder to be stored."""

    path: Path
    sha256: str
    size: int


class HashingWriter:
    """A temp file that hashes what is written to it, chunk by chunk, so an upload is
    hashed while it streams to disk and is never held whole in memory."""

    def __init__(self, temp_dir: Path) -> None:
        temp_dir.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=temp_dir, prefix="upload-")
        self._file = os.fdopen(handle, "w+b")
        self.path = Path(name)
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self.size += len(data)
        return self._file.write(data)

    def staged(self) -> StagedFile:
        """Flush to disk and describe what was received."""
        self._file.flush()
        os.fsync(self._file.fileno())
        return StagedFile(self.path, self._digest.hexdigest(), self.size)

    # The file-like surface werkzeug's FileStorage needs.
    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def tell(self) -> int:
        return self._file.tell()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        """Close, and remove the temp file unless it was already stored (linked away)."""
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)

    @property
    def closed(self) -> bool:
        return self._file.closed


def stage_stream(source: IO[bytes], temp_dir: Path) -> HashingWriter:
    """Copy a readable stream into a hashing temp file, chunk by chunk."""
    writer = HashingWriter(temp_dir)
    while chunk := source.read(CHUNK):
        writer.write(chunk)
    return writer


class FileStore:
    def __init__(self, root: Path, durable: bool = True) -> None:
        """The store under `root`. With `durable` False, a stored file's directory entry is
        not synced to disk: for a store filled in bulk (the data generator), which like its
        database is made again when a run is cut short; the sync took longer than the rest
        of storing a small image."""
        self.root = root
        self.objects = root / "store"
        self.temp = root / "tmp"
        self.derived_root = root / "derived"
        self.durable = durable

    def sweep_temp(self, older_than: float = TEMP_KEPT_SECONDS) -> int:
        """Remove what a killed worker left in the temp folder (a request removes its own
        files when it ends): files untouched for `older_than` seconds, so that no upload
        in progress loses its file. How many were removed."""
        if not self.temp.is_dir():
            return 0
        cutoff, swept = time.time() - older_than, 0
        for path in self.temp.iterdir():
            with contextlib.suppress(FileNotFoundError):  # removed meanwhile by its request
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    swept += 1
        return swept

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.objects / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def put(self, staged: StagedFile) -> bool:
        """Store the staged bytes under their hash; False when they were already stored
        (the same bytes are kept once). The stored file is read-only."""
        target = self.path(staged.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged.path, 0o444)
        try:
            os.link(staged.path, target)  # atomic, and never replaces an existing file
        except FileExistsError:
            return False
        if self.durable:
            _fsync_dir(target.parent)
        return True

    def derived(self, sha256: str) -> Path:
        """The folder of files made from a stored file (thumbnail, preview, ELA...)."""
        return self.derived_root / sha256[:2] / sha256

    def hash_of(self, sha256: str) -> str | None:
        """Re-hash a stored file; None when it is missing."""
        path = self.path(sha256)
        if not path.exists():
            return None
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def stored_hashes(self) -> Iterator[str]:
        for path in sorted(self.objects.glob("*/*/*")):
            yield path.name


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
