"""`flask --app app ...` commands: the audit-chain and store checks, briefing and bundle
export and verification, feed and e-mail intake, backups and the demo (users and tokens are in
casemgr/auth/cli.py).

Each command commits once at its end; a refusal prints one line and exits non-zero
(casemgr/commands.py).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from casemgr.assessments.catalogue import current_catalogue
from casemgr.assessments.views import DEFAULT_RUBRIC
from casemgr.audit.log import SYSTEM, verify_audit_chain
from casemgr.auth.cli import user_cli
from casemgr.backup.manifest import BackupRefused
from casemgr.backup.restore import restore_backup, verified_manifest
from casemgr.backup.snapshot import create_backup
from casemgr.briefings.bundle import check_bundle
from casemgr.briefings.bundles import export_bundle
from casemgr.briefings.models import Briefing
from casemgr.briefings.operations import export_briefing
from casemgr.briefings.settings import current_export_settings, current_signing_key
from casemgr.briefings.snapshot import SECTIONS, BriefingOptions
from casemgr.cases.models import Case
from casemgr.commands import describe, fail, new_password
from casemgr.demo.story import load_demo
from casemgr.errors import CaseMgrError
from casemgr.evidence.operations import verify_store
from casemgr.evidence.staging import current_store, ingest_settings
from casemgr.extensions import db
from casemgr.threats.email_intake import take_in_email
from casemgr.threats.feed_files import FeedRefused, decode_feed, detect_format, read_rows
from casemgr.threats.feeds import import_threats

audit_cli = AppGroup("audit", help="Check the audit log.")
evidence_cli = AppGroup("evidence", help="Check the evidence store.")
briefing_cli = AppGroup("briefing", help="Export briefings.")
bundle_cli = AppGroup("bundle", help="Export and verify sealed evidence bundles.")
threats_cli = AppGroup("threats", help="Import threats from monitoring feeds and e-mail.")
demo_cli = AppGroup("demo", help="Load the demo story.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Re-hash the audit chain; exit 1 naming the first broken link."""
    broken = verify_audit_chain(db.session)
    if broken is not None:
        fail(f"audit chain broken at {broken}")
    click.echo("audit chain intact")


@evidence_cli.command("verify")
def evidence_verify_command() -> None:
    """Re-hash every stored evidence file; exit 1 listing any missing or altered one."""
    problems = verify_store(db.session, current_store())
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo("evidence store intact")


def _case(ref: str) -> Case:
    case = db.session.scalar(select(Case).where(Case.ref == ref.strip().upper()))
    if case is None:
        fail(f"no case {ref!r}")
    return case


def export_options(function: Callable[..., None]) -> Callable[..., None]:
    """The options `briefing export` and `bundle export` share."""
    for decorator in reversed(
        (
            click.argument("case_ref"),
            click.option("--recipient", required=True, help="Who receives it."),
            click.option("--tlp", "marking", required=True, help="The handling mark."),
            click.option("--include-private", is_flag=True, help="Show protectees' details."),
            click.option(
                "--section",
                "sections",
                multiple=True,
                help=f"Repeat to choose sections (default all): {', '.join(SECTIONS)}.",
            ),
            click.option("-o", "--output", required=True, type=click.Path(path_type=Path)),
        )
    ):
        function = decorator(function)
    return function


def _options(
    recipient: str, marking: str, include_private: bool, sections: tuple[str, ...]
) -> BriefingOptions:
    return BriefingOptions(
        recipient=recipient,
        marking=marking.strip(),
        author=SYSTEM.username,
        sections=tuple(sections) or tuple(SECTIONS),
        include_private=include_private,
    )


def _exported(output: Path, export: Callable[[], tuple[Briefing, bytes | Path]]) -> Briefing:
    """Run an export, write what it made to `output` (the PDF's bytes, or a copy of the
    stored bundle) and commit its disclosure; exit 1 with one line when either fails."""
    try:
        briefing, made = export()
        if isinstance(made, Path):
            shutil.copyfile(made, output)
        else:
            output.write_bytes(made)
    except CaseMgrError as error:
        fail(describe(error))
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror}")
    db.session.commit()
    return briefing


@briefing_cli.command("export")
@export_options
def briefing_export_command(
    case_ref: str,
    recipient: str,
    marking: str,
    include_private: bool,
    sections: tuple[str, ...],
    output: Path,
) -> None:
    """Write the PDF briefing on CASE_REF and record its disclosure."""
    case = _case(case_ref)
    options = _options(recipient, marking, include_private, sections)
    briefing = _exported(
        output,
        lambda: export_briefing(
            db.session, SYSTEM, case, options, current_store(), current_export_settings()
        ),
    )
    click.echo(
        f"briefing #{briefing.id} on {case.ref} written to {output} (sha256 {briefing.sha256})"
    )


@bundle_cli.command("export")
@export_options
def bundle_export_command(
    case_ref: str,
    recipient: str,
    marking: str,
    include_private: bool,
    sections: tuple[str, ...],
    output: Path,
) -> None:
    """Write the sealed bundle (ZIP) on CASE_REF and record its disclosure."""
    case = _case(case_ref)
    options = _options(recipient, marking, include_private, sections)
    key = current_signing_key()
    briefing = _exported(
        output,
        lambda: export_bundle(
            db.session, SYSTEM, case, options, current_store(), current_export_settings(), key
        ),
    )
    click.echo(
        f"bundle #{briefing.id} on {case.ref} written to {output} (sha256 {briefing.sha256}), "
        f"signed by {key.fingerprint}"
    )


@bundle_cli.command("verify")
@click.argument("file")
@click.option("--fingerprint", default=None, help="The signer's expected key fingerprint.")
def bundle_verify_command(file: str, fingerprint: str | None) -> None:
    """Check a bundle offline: signature, signer, every file's SHA-256; exit 1 naming the
    first problem."""
    check = check_bundle(Path(file), fingerprint)
    if check.problems:
        fail(check.problems[0])
    click.echo(f"bundle verified: {check.files} files, signed by {check.fingerprint}")


@threats_cli.command("import")
@click.argument("case_ref")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good rows and list the bad ones.")
def threats_import_command(case_ref: str, file: Path, skip_bad: bool) -> None:
    """Import FILE (CSV or JSON Lines, UTF-8) as threats on CASE_REF; all or nothing."""
    case = _case(case_ref)
    try:
        text = decode_feed(file.read_bytes())
        rows = read_rows(text, detect_format(file.name, text))
        report = import_threats(db.session, SYSTEM, case, rows, skip_bad)
    except FeedRefused as error:
        more = len(error.extra.get("rows", [])) - 1
        fail(error.detail + (f" (and {more} more problems)" if more > 0 else ""))
    except CaseMgrError as error:
        fail(describe(error))
    db.session.commit()
    click.echo(f"created {report.created}, skipped {report.skipped_duplicates} duplicates")
    for bad in report.errors:
        click.echo(f"bad row: line {bad.line}, field {bad.field}: {bad.message}")


@threats_cli.command("email")
@click.argument("case_ref")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def threats_email_command(case_ref: str, file: Path) -> None:
    """Take FILE (an .eml message) in as a threat on CASE_REF, with its attachments."""
    case = _case(case_ref)
    try:
        intake = take_in_email(
            db.session, SYSTEM, case, file.read_bytes(), current_store(), ingest_settings()
        )
    except CaseMgrError as error:
        fail(describe(error))
    db.session.commit()
    evidence = [intake.message_item.id, *(item.id for item in intake.attachment_items)]
    click.echo(f"threat {intake.threat.id}, evidence {', '.join(map(str, evidence))}")
    for bad in intake.refused:
        click.echo(f"attachment refused: {bad.filename}: {bad.reason}")


backup_cli = AppGroup("backup", help="Back up, verify and restore the whole instance.")


@backup_cli.command("create")
@click.argument("folder", type=click.Path(path_type=Path))
def backup_create_command(folder: Path) -> None:
    """Write a consistent backup (database, evidence store files, instance keys, manifest)
    into FOLDER, new or empty; the app may keep running. It holds secrets: keep it safe."""
    instance = Path(current_app.instance_path)
    try:
        manifest = create_backup(folder, db.engine, current_store(), instance)
    except BackupRefused as error:
        fail(error.detail)
    except OSError as error:
        fail(f"cannot back up into {error.filename or folder}: {error.strerror}")
    database = manifest.database
    click.echo(
        f"backup written to {folder}: {len(manifest.files)} files, {database.kind} database "
        f"at revision {database.alembic_revision} with {sum(database.row_counts.values())} rows"
    )
    click.echo("it holds the instance's secret keys (mode 600): keep it as safe as the server")


@backup_cli.command("verify")
@click.argument("folder", type=click.Path(path_type=Path))
def backup_verify_command(folder: Path) -> None:
    """Check every file of the backup in FOLDER against its manifest, without restoring;
    exit 1 naming the first problem."""
    try:
        manifest = verified_manifest(folder)
    except BackupRefused as error:
        fail(error.detail)
    database = manifest.database
    click.echo(
        f"backup verified: {len(manifest.files)} files, {database.kind} database at revision "
        f"{database.alembic_revision}, made {manifest.created_at.isoformat()}"
    )


@backup_cli.command("restore")
@click.argument("folder", type=click.Path(path_type=Path))
def backup_restore_command(folder: Path) -> None:
    """Restore the backup in FOLDER into this instance, which must be empty (stop the app
    first); then check row counts, the audit chain and every evidence file."""
    instance = Path(current_app.instance_path)
    try:
        report = restore_backup(db.session, current_store(), instance, folder)
    except BackupRefused as error:
        fail(error.detail)
    except OSError as error:
        fail(f"cannot restore {error.filename or folder}: {error.strerror}")
    keys = ", ".join(report.instance_files) or "no instance files"
    click.echo(
        f"restored {report.rows} rows, {report.store_files} store files and {keys} "
        f"from {folder}; audit chain and evidence store intact"
    )


@demo_cli.command("load")
@click.option(
    "--password-stdin", is_flag=True, help="Read the demo users' password from standard input."
)
def demo_load_command(password_stdin: bool) -> None:
    """Load the demo story into an instance with no cases: a fictional company's cases with
    months of history, and two users (without --password-stdin, random passwords are printed
    once)."""
    password = new_password(from_stdin=True) if password_stdin else None
    rubric = current_catalogue().get(DEFAULT_RUBRIC)
    if rubric is None:
        fail(f"the rubric {DEFAULT_RUBRIC} is not in the catalogue")
    try:
        users = load_demo(
            db.session,
            current_store(),
            ingest_settings(),
            current_export_settings(),
            rubric,
            password,
        )
    except CaseMgrError as error:
        fail(describe(error))
    db.session.commit()
    click.echo("Demo loaded: Lumina Social and the Crimson Dawn campaign.")
    for user in users:
        shown = "(from standard input)" if password_stdin else user.password
        click.echo(f"  {user.role:<8} {user.username}  password: {shown}")


def register(app: Flask) -> None:
    app.cli.add_command(user_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(evidence_cli)
    app.cli.add_command(briefing_cli)
    app.cli.add_command(bundle_cli)
    app.cli.add_command(threats_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(backup_cli)
