"""`flask briefing export`, `flask bundle export` and `flask bundle verify` from the command
line: what they write and record, and one error line with exit 1 for bad input."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from pypdf import PdfReader
from sqlalchemy import func, select

from casemgr.auth.models import User
from casemgr.briefings.models import Briefing
from casemgr.evidence.models import CustodyEvent
from casemgr.extensions import db
from tests.briefings.test_bundles import BundleCase, make_bundle_case

RECIPIENT = "Counter Terrorism Command, Protective Unit"


@pytest.fixture
def bundle_case(app: Flask, users: dict[str, User]) -> BundleCase:
    return make_bundle_case(app, users)


def export_args(command: str, ref: str, output: Path, *extra: str) -> list[str]:
    return [command, "export", ref, "--recipient", RECIPIENT, "-o", str(output), *extra]


def logged(app: Flask) -> list[Briefing]:
    with app.app_context():
        briefings = list(db.session.scalars(select(Briefing)))
        for briefing in briefings:
            db.session.expunge(briefing)
        return briefings


def test_briefing_export_writes_a_pdf_with_the_reference_and_mark_and_records_it(
    app: Flask, runner: FlaskCliRunner, bundle_case: BundleCase, tmp_path: Path
) -> None:
    output = tmp_path / "briefing.pdf"
    result = runner.invoke(
        args=export_args("briefing", bundle_case.ref.lower(), output, "--tlp", "TLP:AMBER+STRICT")
    )
    assert result.exit_code == 0, result.output
    data = output.read_bytes()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert bundle_case.ref in text
    assert "TLP:AMBER+STRICT" in text
    [briefing] = logged(app)
    assert (briefing.kind, briefing.recipient, briefing.marking) == (
        "briefing",
        RECIPIENT,
        "TLP:AMBER+STRICT",
    )
    assert (briefing.sha256, briefing.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert briefing.sha256 in result.output
    with app.app_context():
        briefed = db.session.scalars(
            select(CustodyEvent.evidence_id).where(CustodyEvent.action == "briefed")
        ).all()
    assert sorted(briefed) == sorted(bundle_case.hashes)


def test_briefing_export_keeps_to_the_chosen_sections(
    runner: FlaskCliRunner, bundle_case: BundleCase, tmp_path: Path
) -> None:
    output = tmp_path / "summary.pdf"
    args = export_args("briefing", bundle_case.ref, output, "--tlp", "TLP:RED")
    result = runner.invoke(args=[*args, "--section", "summary", "--section", "threats"])
    assert result.exit_code == 0, result.output
    text = "\n".join(page.extract_text() for page in PdfReader(output).pages)
    assert "Threat chronology" in text
    assert "Appendix: chain of custody" not in text


@pytest.mark.parametrize("command", ["briefing", "bundle"])
@pytest.mark.parametrize(
    ("case", "extra", "output", "message"),
    [
        ("TA-1999-0001", ("--tlp", "TLP:RED"), "out", "no case 'TA-1999-0001'"),
        (None, ("--tlp", "TOP SECRET"), "out", "tlp:"),
        (None, ("--tlp", "TLP:RED", "--section", "gossip"), "out", "sections:"),
        (None, ("--tlp", "TLP:RED"), "missing/folder/out", "cannot write"),
    ],
    ids=["unknown-case", "bad-mark", "bad-section", "unwritable-output"],
)
def test_export_refuses_bad_input_with_one_error_line_and_records_nothing(
    app: Flask,
    runner: FlaskCliRunner,
    bundle_case: BundleCase,
    tmp_path: Path,
    command: str,
    case: str | None,
    extra: tuple[str, ...],
    output: str,
    message: str,
) -> None:
    target = tmp_path / output
    result = runner.invoke(args=export_args(command, case or bundle_case.ref, target, *extra))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not target.exists()
    assert logged(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CustodyEvent)) == len(
            bundle_case.hashes
        )  # only the "uploaded" events


def test_bundle_export_writes_the_stored_zip_and_reports_its_hash(
    app: Flask, runner: FlaskCliRunner, bundle_case: BundleCase, tmp_path: Path
) -> None:
    output = tmp_path / "bundle.zip"
    result = runner.invoke(args=export_args("bundle", bundle_case.ref, output, "--tlp", "TLP:RED"))
    assert result.exit_code == 0, result.output
    [briefing] = logged(app)
    assert briefing.kind == "bundle"
    assert hashlib.sha256(output.read_bytes()).hexdigest() == briefing.sha256
    assert briefing.sha256 in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), (b"just some text\n", "not a zip file")],
    ids=["missing", "not-a-zip"],
)
def test_bundle_verify_of_something_not_a_bundle_gives_one_error_line(
    runner: FlaskCliRunner, tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "bundle.zip"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(args=["bundle", "verify", str(path)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"error: {path}: {message}"]
