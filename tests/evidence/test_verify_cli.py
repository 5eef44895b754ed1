"""`flask evidence verify` re-hashes every stored evidence file: it passes while the store is
intact and exits 1 naming each altered or missing file and the items that point at it."""

from __future__ import annotations

from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.cases.web import open_case
from tests.evidence.photos import jpeg_bytes, part, photo, store_files, stored_items, upload

NOTE = b"Voicemail transcript: 'You will not see Christmas.'\n"


def verify(runner: FlaskCliRunner) -> Result:
    return runner.invoke(args=["evidence", "verify"])


def add_evidence(app: Flask, client_as) -> None:
    analyst = client_as("analyst")
    ref = open_case(analyst)
    sent = [part(jpeg_bytes(photo(seed=1)), "car.jpg"), part(NOTE, "voicemail.txt")]
    assert upload(analyst, ref, *sent).status_code == 302
    # The same transcript on a second case: one file, two items.
    assert upload(analyst, open_case(analyst), part(NOTE, "copy.txt")).status_code == 302


def test_verify_passes_on_a_fresh_instance(runner: FlaskCliRunner) -> None:
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "evidence store intact"


def test_verify_passes_after_uploads(app: Flask, runner: FlaskCliRunner, client_as) -> None:
    add_evidence(app, client_as)
    assert len(store_files(app)) == 2
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "evidence store intact"


def test_verify_names_an_altered_file_and_its_item(
    app: Flask, runner: FlaskCliRunner, client_as
) -> None:
    add_evidence(app, client_as)
    photo_item = next(item for item in stored_items(app) if item.mime == "image/jpeg")
    (stored,) = [path for path in store_files(app) if path.name == photo_item.sha256]
    stored.chmod(0o644)  # stored files are read-only
    altered = bytearray(stored.read_bytes())
    altered[len(altered) // 2] ^= 0xFF
    stored.write_bytes(bytes(altered))

    result = verify(runner)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: {photo_item.sha256} altered (evidence item {photo_item.id})"
    ]


def test_verify_reports_a_missing_file_with_every_item_using_it(
    app: Flask, runner: FlaskCliRunner, client_as
) -> None:
    add_evidence(app, client_as)
    notes = [item for item in stored_items(app) if item.mime == "text/plain"]
    sha256 = notes[0].sha256
    (stored,) = [path for path in store_files(app) if path.name == sha256]
    stored.unlink()

    result = verify(runner)
    assert result.exit_code == 1
    ids = ", ".join(str(item.id) for item in notes)
    assert result.output.strip().splitlines() == [f"error: {sha256} missing (evidence item {ids})"]
