"""Fixtures of the real-browser tests: one headless Chromium per test session, the app served
on 127.0.0.1 per module (a fresh instance and database, migrated by the real migrations, CSRF
on), a new browser context per user, and screenshots of every open page when a test fails.

Without Playwright or Chromium the tests skip, except under CI=true, where that fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from casemgr.extensions import db
from tests.browser.support import (
    ACTION_TIMEOUT_MS,
    CHROMIUM,
    CHROMIUM_ARGS,
    LiveServer,
    LogIn,
    Steps,
    log_in_page,
    new_context,
    safe_name,
    screenshot_pages,
    serve,
)
from tests.conftest import TEST_DATABASE_URL, _truncate_all, build_app, close_app, fresh_database
from tests.factories import make_user

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

# username -> (role, display name): an admin-less team, the lead runs the story.
USERS = {
    "lead": ("lead", "Morgan Avery"),
    "analyst": ("analyst", "Sam Okafor"),
    "analyst2": ("analyst", "Lena Brandt"),
    "viewer": ("viewer", "Ruth Calloway"),
}
BROWSER_KEY = pytest.StashKey["Browser"]()
SCREENSHOTS_KEY = pytest.StashKey[Path]()


def unavailable(reason: str) -> None:
    """Skip, or fail when CI=true: a CI machine without the browser is broken."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def screenshot_dir(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Path:
    folder = tmp_path_factory.getbasetemp() / "browser-screenshots"
    request.config.stash[SCREENSHOTS_KEY] = folder
    return folder


@pytest.fixture(scope="session")
def browser(request: pytest.FixtureRequest, screenshot_dir: Path) -> Iterator[Browser]:
    try:
        from playwright.sync_api import Error, expect, sync_playwright
    except ImportError as error:
        unavailable(f"Playwright for Python is not installed ({error})")
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    if not CHROMIUM.is_file():
        unavailable(f"No Chromium at {CHROMIUM}")
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
    except Error as error:
        playwright.stop()
        unavailable(f"Chromium at {CHROMIUM} does not start: {error.message.splitlines()[0]}")
    request.config.stash[BROWSER_KEY] = launched
    yield launched
    del request.config.stash[BROWSER_KEY]
    launched.close()
    playwright.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """On a failure, a screenshot of every open page, listed in the report and printed."""
    report: pytest.TestReport = yield
    browser = item.config.stash.get(BROWSER_KEY, None)
    if report.failed and report.when in ("setup", "call") and browser is not None:
        folder = item.config.stash[SCREENSHOTS_KEY] / safe_name(item.nodeid)
        shots = screenshot_pages(browser, folder)
        listing = "\n".join(str(path) for path in shots) or "(no page was open)"
        report.sections.append(("browser screenshots", f"{folder}\n{listing}"))
        print(f"\nBrowser screenshots of {item.nodeid}: {folder}")
    return report


@pytest.fixture(scope="module")
def live_server(
    migrated_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The app with CSRF on, served on 127.0.0.1 for one module, on a fresh database holding
    only the users of USERS (all with tests.factories.TEST_PASSWORD)."""
    instance = tmp_path_factory.mktemp("browser-instance")
    url = fresh_database(migrated_database, instance)
    app = build_app(instance / "instance", url, WTF_CSRF_ENABLED=True)
    if TEST_DATABASE_URL:
        _truncate_all(app)  # whatever an interrupted run left behind
    with app.app_context():
        for username, (role, display_name) in USERS.items():
            make_user(db.session, role, username, display_name=display_name)
        db.session.commit()
    live = serve(app)
    yield live
    live.stop()
    close_app(app)  # the next tests expect an empty database, as `app` leaves it


@pytest.fixture
def log_in(browser: Browser, live_server: LiveServer) -> Iterator[LogIn]:
    """`log_in("analyst")`: a page in a new browser context, logged in through the form."""
    contexts: list[BrowserContext] = []

    def open_as(username: str, **context_options: object) -> object:
        context = new_context(browser, live_server.url, **context_options)
        contexts.append(context)
        return log_in_page(context, username)

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def steps(request: pytest.FixtureRequest, screenshot_dir: Path) -> Steps:
    return Steps(screenshot_dir / safe_name(request.node.nodeid))
