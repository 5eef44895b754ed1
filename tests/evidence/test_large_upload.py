"""A 300 MB upload streams to disk while it is hashed: it is stored exactly, and the process
never holds it in memory. The body is made on the fly as it is read, never written out
beforehand, so nothing large is committed or kept."""

from __future__ import annotations

import contextlib
import hashlib
import io
import random
import resource
import shutil
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.cases.web import open_case, page_text
from tests.evidence.photos import data_dir, store_files, stored_items, temp_files

MIB = 1024 * 1024
MEGABYTES = 300
MEMORY_BUDGET = 64 * MIB
MP4_HEADER = b"\x00\x00\x00\x18ftypisom"
BOUNDARY = "casemgr-large-upload-6f1d2c"


class GeneratedUpload(io.RawIOBase):
    """A multipart body holding one file: an MP4 header, then `megabytes` of pseudo-random
    bytes made 1 MB at a time (each from its own seed) when read, and hashed as they go out.

    Seekable because the test client measures a stream by seeking to its end; reading goes
    forward only, which lets the hash be taken while the bytes are generated."""

    def __init__(self, megabytes: int, filename: str = "bodycam.mp4") -> None:
        self._head = (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="files"; filename="{filename}"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.file_size = len(MP4_HEADER) + megabytes * MIB
        self.total = len(self._head) + self.file_size + len(self._tail)
        self._position = 0
        self._digest = hashlib.sha256()
        self._hashed = 0
        self._chunk: tuple[int, bytes] = (-1, b"")

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={BOUNDARY}"

    @property
    def sha256(self) -> str:
        """The file's SHA-256, once every byte of it has been read."""
        assert self._hashed == self.file_size, "the file was not read to its end"
        return self._digest.hexdigest()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.total}[whence]
        self._position = base + offset
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        piece = self._piece(self._position, len(buffer))
        buffer[: len(piece)] = piece
        self._position += len(piece)
        return len(piece)

    def _piece(self, position: int, size: int) -> bytes:
        """Up to `size` bytes from `position`, within one part of the body."""
        file_start = len(self._head)
        file_end = file_start + self.file_size
        if position < file_start:
            return self._head[position : min(file_start, position + size)]
        if position >= file_end:
            return self._tail[position - file_end : position - file_end + size]
        offset = position - file_start
        piece = self._file_bytes(offset, min(size, file_end - position))
        if offset == self._hashed:
            self._digest.update(piece)
            self._hashed += len(piece)
        else:
            assert offset + len(piece) <= self._hashed, "the body was read out of order"
        return piece

    def _file_bytes(self, offset: int, size: int) -> bytes:
        if offset < len(MP4_HEADER):
            return MP4_HEADER[offset : offset + size]
        index, within = divmod(offset - len(MP4_HEADER), MIB)
        if self._chunk[0] != index:
            self._chunk = (index, random.Random(index).randbytes(MIB))
        return self._chunk[1][within : within + size]


@pytest.fixture
def roomy_app(app: Flask) -> Iterator[Flask]:
    """The app with a limit above the upload; the 300 MB stored file is removed afterwards."""
    app.config.update(MAX_CONTENT_LENGTH=(MEGABYTES + 10) * MIB, CASEMGR_MAX_UPLOAD_MB=310)
    yield app
    shutil.rmtree(data_dir(app), ignore_errors=True)


def max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def reset_peak_rss() -> None:
    """Bring the peak down to what is resident now (Linux), so that ru_maxrss measures the
    upload rather than the imports and migrations that ran before it."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def test_a_300_mb_upload_is_stored_exactly_without_being_held_in_memory(
    roomy_app: Flask, client_as
) -> None:
    analyst: FlaskClient = client_as("analyst")
    ref = open_case(analyst)
    body = GeneratedUpload(MEGABYTES)

    reset_peak_rss()
    rss_before = max_rss_bytes()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        response = analyst.post(
            f"/cases/{ref}/evidence",
            input_stream=body,
            content_length=body.total,
            content_type=body.content_type,
        )
        seconds = time.perf_counter() - started
        traced_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    rss_growth = max_rss_bytes() - rss_before
    print(
        f"\n300 MB upload: {seconds:.1f} s, tracemalloc peak {traced_peak / MIB:.1f} MiB, "
        f"ru_maxrss {rss_before / MIB:.0f} MiB before, grew by {rss_growth / MIB:.1f} MiB"
    )

    assert response.status_code == 302, page_text(response)
    (item,) = stored_items(roomy_app)
    assert (item.sha256, item.size, item.mime) == (body.sha256, body.file_size, "video/mp4")
    (stored,) = store_files(roomy_app)
    assert stored.name == body.sha256 and stored.stat().st_size == body.file_size
    assert temp_files(roomy_app) == []
    assert traced_peak < MEMORY_BUDGET, f"Python allocations peaked at {traced_peak:,} bytes"
    assert rss_growth < MEMORY_BUDGET, f"resident memory grew by {rss_growth:,} bytes"
