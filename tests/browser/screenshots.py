"""The README's screenshots, taken of the demo in Chromium: the dashboard, the case, the
evidence match, and a page of the briefing (rendered by pdftoppm).

    python -m tests.browser.screenshots [--out docs/screenshots]

A fresh instance in a temporary folder gets the demo (`flask demo load`) and is served on
127.0.0.1 by this process; the pictures are reduced to a small palette to stay small.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from PIL import Image
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

from casemgr.briefings.models import Briefing
from casemgr.cases.models import Case
from casemgr.evidence.models import EvidenceMatch
from casemgr.evidence.staging import current_store
from casemgr.extensions import db
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, serve
from tests.conftest import build_app

PASSWORD = "screenshots-demo-password"  # noqa: S105 - a throwaway demo instance
VIEWPORT = {"width": 1280, "height": 820}
PDFTOPPM = shutil.which("pdftoppm") or "pdftoppm"  # poppler, on the machine


def demo_app(folder: Path) -> Flask:
    app = build_app(folder / "instance", f"sqlite:///{folder / 'casemgr.db'}")
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(
        args=["demo", "load", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    return app


def shrink(path: Path) -> None:
    """A 128-colour palette: screenshots of pages keep their look at a fraction of the size."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def briefing_page(app: Flask, out: Path) -> Path:
    """The briefing's second page (the threats, after the cover), as its recipient sees it."""
    with app.app_context():
        sha256 = db.session.scalar(select(Briefing.sha256).where(Briefing.kind == "briefing"))
        pdf = current_store().path(sha256)
    stem = out / "briefing"
    subprocess.run(  # noqa: S603 - poppler's pdftoppm on our own file
        [PDFTOPPM, "-png", "-r", "60", "-f", "2", "-l", "2", "-singlefile", str(pdf), str(stem)],
        check=True,
    )
    return stem.with_suffix(".png")


def take(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        app = demo_app(Path(folder))
        with app.app_context():
            ref = db.session.scalar(select(Case.ref).where(Case.title.startswith("Crimson Dawn")))
            doctored = db.session.scalar(select(EvidenceMatch.evidence_id))
        live = serve(app)
        shots = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
                )
                page = browser.new_context(base_url=live.url, viewport=VIEWPORT).new_page()
                log_in(page, "jonah.brandt")
                for name, path in (
                    ("dashboard", "/"),
                    ("case", f"/cases/{ref}"),
                    ("evidence-match", f"/evidence/{doctored}"),
                ):
                    page.goto(path)
                    if name == "evidence-match":  # the match beside the doctored copy
                        matches = page.get_by_role("heading", name="Near matches")
                        matches.scroll_into_view_if_needed()
                        page.mouse.wheel(0, 360)
                    shots.append(out / f"{name}.png")
                    page.screenshot(path=str(shots[-1]))
                browser.close()
            shots.append(briefing_page(app, out))
        finally:
            live.stop()
            with app.app_context():
                db.engine.dispose()
    for path in shots:
        shrink(path)
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    for path in take(parser.parse_args().out):
        print(f"{path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
