"""The content-addressed store: files kept under their SHA-256, written once by an atomic
link, read-only, never overwritten; and the re-hash that notices a changed byte."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import time
from pathlib import Path

import pytest

from casemgr.evidence.store import FileStore, HashingWriter, StagedFile, stage_stream
from tests.conftest import build_app

STATEMENT = b"Statement of the witness, page 1 of 3.\n" * 1000


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "data")


def staged(store: FileStore, content: bytes) -> tuple[HashingWriter, StagedFile]:
    writer = stage_stream(io.BytesIO(content), store.temp)
    return writer, writer.staged()


def files_in(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def test_staging_hashes_and_counts_the_bytes_as_they_stream_in(store: FileStore) -> None:
    content = os.urandom(3 * 1024 * 1024 + 17)  # more than one chunk
    writer, file = staged(store, content)
    assert file.sha256 == hashlib.sha256(content).hexdigest()
    assert file.size == len(content)
    assert file.path.parent == store.temp and file.path.read_bytes() == content
    writer.close()


def test_a_stored_file_sits_under_its_hash_complete_and_read_only(store: FileStore) -> None:
    writer, file = staged(store, STATEMENT)
    assert store.put(file) is True
    target = store.objects / file.sha256[:2] / file.sha256[2:4] / file.sha256
    assert store.path(file.sha256) == target
    assert target.read_bytes() == STATEMENT
    assert stat.S_IMODE(target.stat().st_mode) & 0o222 == 0
    # Stored by linking the staged file, not copying it: no reader sees half a file.
    assert target.samefile(file.path)
    writer.close()
    assert target.read_bytes() == STATEMENT
    assert files_in(store.temp) == []
    assert files_in(store.objects) == [target]


def test_the_same_bytes_put_twice_are_stored_once(store: FileStore) -> None:
    first_writer, first = staged(store, STATEMENT)
    second_writer, second = staged(store, STATEMENT)
    assert store.put(first) is True
    stored_inode = store.path(first.sha256).stat().st_ino
    assert store.put(second) is False
    assert store.path(first.sha256).stat().st_ino == stored_inode  # never replaced
    first_writer.close()
    second_writer.close()
    assert files_in(store.objects) == [store.path(first.sha256)]
    assert files_in(store.temp) == []
    assert list(store.stored_hashes()) == [first.sha256]


def test_closing_an_unstored_upload_leaves_no_temp_file(store: FileStore) -> None:
    writer, file = staged(store, b"MZ\x90\x00 not wanted")
    writer.close()
    assert not file.path.exists()
    assert files_in(store.temp) == []


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "",
        "ab" * 31,
        "ab" * 33,
        "AB" * 32,
        "g" * 64,
        "0" * 63 + "/",
        "0" * 63 + "\n",
        "../" + "0" * 61,
    ],
)
def test_store_paths_are_made_only_from_hex_digests(store: FileStore, name: str) -> None:
    with pytest.raises(ValueError, match="not a SHA-256 hex digest"):
        store.path(name)


def test_rehashing_notices_one_altered_byte(store: FileStore) -> None:
    writer, file = staged(store, STATEMENT)
    store.put(file)
    writer.close()
    assert store.hash_of(file.sha256) == file.sha256
    target = store.path(file.sha256)
    target.chmod(0o644)
    altered = bytearray(target.read_bytes())
    altered[1000] ^= 0x01
    target.write_bytes(bytes(altered))
    assert store.hash_of(file.sha256) not in (None, file.sha256)


def test_rehashing_a_missing_file_says_so(store: FileStore) -> None:
    assert store.hash_of(hashlib.sha256(b"never stored").hexdigest()) is None


def test_only_a_durable_store_syncs_the_folder_of_each_stored_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr("casemgr.evidence.store._fsync_dir", synced.append)
    durable, bulk = FileStore(tmp_path / "durable"), FileStore(tmp_path / "bulk", durable=False)
    for store in (durable, bulk):
        writer, file = staged(store, STATEMENT)
        assert store.put(file) is True
        writer.close()
    assert synced == [durable.path(file.sha256).parent]


def test_starting_the_app_sweeps_temp_files_a_killed_worker_left_a_day_ago(
    tmp_path: Path,
) -> None:
    store = FileStore(tmp_path / "instance" / "data")
    store.temp.mkdir(parents=True)
    left, in_progress = store.temp / "upload-left", store.temp / "upload-now"
    for path in (left, in_progress):
        path.write_bytes(STATEMENT)
    day_and_a_minute_ago = time.time() - 24 * 3600 - 60
    os.utime(left, (day_and_a_minute_ago, day_and_a_minute_ago))

    build_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'never-opened.db'}")

    assert files_in(store.temp) == [in_progress]
    assert store.sweep_temp(older_than=0) == 1 and files_in(store.temp) == []
