"""Rendering a snapshot to PDF: autoescaped, sandboxed Jinja templates from reports/ and
WeasyPrint with a URL fetcher that serves only this briefing's own images and assets."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from PIL import Image
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from casemgr.evidence.derived import PRINT_BOX, PRINT_NAME, save_print_copy
from casemgr.evidence.store import FileStore

log = logging.getLogger(__name__)

REPORTS = Path(__file__).resolve().parents[2] / "reports"
SCHEME = "casemgr:"
PRINT_SIZE = PRINT_BOX  # evidence images are embedded downscaled, so the PDF stays small
ASSET_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


class FetchRefused(ValueError):
    """A URL the briefing may not load; WeasyPrint skips the resource."""


class BriefingFetcher(URLFetcher):
    """Serves `casemgr:evidence/<id>.jpg` for the snapshot's own images and
    `casemgr:assets/<name>` from reports/; refuses and logs every other URL (file:, http(s):,
    data:, other items, paths outside the store)."""

    def __init__(self, store: FileStore, images: dict[int, str]) -> None:
        super().__init__(allowed_protocols=())
        self.store = store
        self.images = images  # evidence id -> sha256: the only images allowed
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        try:
            body, mime = self._resolve(url)
        except FetchRefused:
            self.refused.append(url)
            log.warning("briefing fetch refused: %.200s", url)
            raise
        self.served.append(url)
        return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})

    def _resolve(self, url: str) -> tuple[bytes, str]:
        if not url.startswith(SCHEME):
            raise FetchRefused(f"not a briefing resource: {url[:80]}")
        path = url.removeprefix(SCHEME).lstrip("/")
        kind, _, name = path.partition("/")
        if kind == "assets" and "/" not in name and Path(name).suffix in ASSET_TYPES:
            asset = REPORTS / "assets" / name
            if asset.is_file():
                return asset.read_bytes(), ASSET_TYPES[asset.suffix]
        if kind == "evidence" and name.endswith(".jpg") and name[:-4].isdigit():
            sha256 = self.images.get(int(name[:-4]))
            if sha256 is not None:
                return print_copy(self.store, sha256), "image/jpeg"
        raise FetchRefused(f"not part of this briefing: {url[:80]}")


def print_copy(store: FileStore, sha256: str) -> bytes:
    """The downscaled JPEG of a stored image that briefings embed. The ingest makes it; for
    items stored before it did, it is made here from the stripped preview, once."""
    cached = store.derived(sha256) / PRINT_NAME
    if not cached.exists():
        with Image.open(store.derived(sha256) / "preview.png") as preview:
            save_print_copy(preview, cached)
    return cached.read_bytes()


def utc(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M UTC") -> str:
    return value.astimezone(UTC).strftime(fmt) if value else "—"


def css_string(value: str) -> str:
    """Text safe inside a double-quoted CSS string (then HTML-escaped by autoescape)."""
    return "".join(ch if ch.isalnum() or ch in " :+-_.·" else f"\\{ord(ch):x} " for ch in value)


_environment = SandboxedEnvironment(
    loader=FileSystemLoader(str(REPORTS)), autoescape=select_autoescape(default=True)
)
_environment.filters["utc"] = utc
_environment.filters["css_string"] = css_string


def render_html(template: str, context: dict[str, Any]) -> str:
    """The report's HTML; every value is escaped, templates run sandboxed."""
    return _environment.get_template(template).render(**context)


def render_pdf(html: str, fetcher: BriefingFetcher) -> bytes:
    return HTML(string=html, base_url=SCHEME + "/", url_fetcher=fetcher).write_pdf()
