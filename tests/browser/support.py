"""What the browser tests (and the README's screenshots) share: Chromium's launch, the live
server, logging in through the login page, test images, and a `step` that photographs the
pages when it fails.

Playwright is imported lazily: without it the `browser` fixture skips (or fails in CI) with
the reason, instead of every module failing to import.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from PIL import Image
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from casemgr.demo.pictures import doctored, portrait
from tests.factories import TEST_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

# Fictional people of the canonical story.
CEO = "Dana Whitfield"
FOUNDER = "Tomas Reyes"
GROUP = "Crimson Dawn"
ARABIC_CALL = "اقتلوا كل موظفي لومينا سوشيال وإدارتها"
PORTRAIT_SEED = 11
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces: no host but 127.0.0.1 resolves, so no page can reach the network.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# Slow enough for a 2-core machine busy with other work (a form sent while a large instance
# was being generated beside the suite once took over 10 s), quicker than Playwright's 30 s.
ACTION_TIMEOUT_MS = 20_000


@dataclass
class LiveServer:
    """The app served on 127.0.0.1 by a thread of this process."""

    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


class QuietRequestHandler(WSGIRequestHandler):
    """No access log: pytest shows the pages' own errors, not every request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def serve(app: Flask) -> LiveServer:
    """Start serving `app` on a free port of 127.0.0.1, one thread per request."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    live = LiveServer(app, server)
    live.start()
    return live


def new_context(browser: Browser, base_url: str, **options: Any) -> BrowserContext:
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


def log_in_page(context: BrowserContext, username: str) -> Page:
    """A new page of `context`, logged in as `username` through the login form."""
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("button", name="Log out")).to_be_attached()
    return page


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120] or "page"


def screenshot_pages(browser: Browser, folder: Path) -> list[Path]:
    """A full-page screenshot of every open page of every context; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, context in enumerate(browser.contexts, 1):
        for index, page in enumerate(context.pages, 1):
            path = folder / f"context{number}-page{index}-{safe_name(page.url)}.png"
            try:
                page.screenshot(path=str(path), full_page=True, timeout=5_000)
            except Exception as error:  # a crashed or closing page must not hide the failure
                path = path.with_suffix(".txt")
                path.write_text(f"No screenshot of {page.url}: {error}\n")
            written.append(path)
    return written


@dataclass
class Steps:
    """`with steps("name", page):` runs a named step; when it fails, the pages given are
    photographed into `folder` and the step's name and the files are added to the error."""

    folder: Path
    done: list[str] = field(default_factory=list)

    @contextmanager
    def __call__(self, name: str, *pages: Page) -> Iterator[None]:
        try:
            yield
        except BaseException as error:
            self.folder.mkdir(parents=True, exist_ok=True)
            shots = []
            for index, page in enumerate(pages, 1):
                path = self.folder / f"step-{len(self.done) + 1}-{safe_name(name)}-{index}.png"
                try:
                    page.screenshot(path=str(path), full_page=True, timeout=5_000)
                    shots.append(str(path))
                except Exception as shot_error:  # keep the step's own error
                    shots.append(f"(no screenshot: {shot_error})")
            error.add_note(f"Failed step {len(self.done) + 1}: {name}; screenshots: {shots}")
            raise
        self.done.append(name)


def portrait_png() -> bytes:
    """A made-up portrait: the reference photo of a protectee."""
    return _png(portrait(PORTRAIT_SEED, side=480))


def crosshairs_png() -> bytes:
    """The same portrait with red crosshairs drawn on the face: the doctored copy."""
    return _png(doctored(portrait(PORTRAIT_SEED, side=480), seed=7))


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def file_payload(name: str, data: bytes, mime: str = "image/png") -> dict[str, object]:
    """A file for `set_input_files`, made in memory."""
    return {"name": name, "mimeType": mime, "buffer": data}


LogIn = Callable[..., "Page"]
