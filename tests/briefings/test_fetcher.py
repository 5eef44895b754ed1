"""The briefing's URL fetcher: it serves this briefing's own images and the print assets,
and refuses (and records) every other URL a template or a hostile text could name."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from casemgr.briefings.render import PRINT_SIZE, REPORTS, BriefingFetcher, FetchRefused, render_pdf
from casemgr.evidence.store import FileStore

IMAGE_ID, OTHER_ID = 7, 8
IMAGE_SHA, OTHER_SHA = "a" * 64, "b" * 64


@pytest.fixture
def fetcher(tmp_path: Path) -> BriefingFetcher:
    """A fetcher allowed one image (item 7); item 8 is stored too, but not in the briefing."""
    store = FileStore(tmp_path)
    for sha256, colour in ((IMAGE_SHA, (200, 30, 30)), (OTHER_SHA, (30, 30, 200))):
        store.derived(sha256).mkdir(parents=True)
        Image.new("RGB", (1600, 1200), colour).save(store.derived(sha256) / "preview.png")
    return BriefingFetcher(store, {IMAGE_ID: IMAGE_SHA})


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/hostname",
        "file:///etc/passwd",
        "http://127.0.0.1/",
        "https://example.org/briefing.css",
        "data:image/png;base64,iVBORw0KGgo=",
        "data:text/css,body{display:none}",
        f"casemgr:evidence/{OTHER_ID}.jpg",
        "casemgr:evidence/../store/aa/aa/" + IMAGE_SHA,
        "casemgr:evidence/7.png",
        "casemgr:assets/../../etc/passwd",
        "casemgr:assets/..%2F..%2Fetc%2Fpasswd",
        "casemgr:assets/missing.css",
        "casemgr:assets/../briefing.html",
        "ftp://127.0.0.1/x",
    ],
)
def test_the_fetcher_refuses_and_records_what_is_not_the_briefings(
    fetcher: BriefingFetcher, url: str
) -> None:
    with pytest.raises(FetchRefused):
        fetcher.fetch(url)
    assert fetcher.refused == [url]
    assert fetcher.served == []


def test_the_fetcher_serves_an_image_of_the_briefing_downscaled(fetcher: BriefingFetcher) -> None:
    url = f"casemgr:evidence/{IMAGE_ID}.jpg"
    response = fetcher.fetch(url)
    assert response.content_type == "image/jpeg"
    with Image.open(io.BytesIO(response.read())) as image:
        assert image.format == "JPEG"
        assert image.width <= PRINT_SIZE[0] and image.height <= PRINT_SIZE[1]
        assert image.getpixel((10, 10))[0] > 150  # item 7's picture, not item 8's
    assert fetcher.served == [url] and fetcher.refused == []
    assert (fetcher.store.derived(IMAGE_SHA) / "print.jpg").exists()


def test_the_fetcher_serves_the_print_stylesheet(fetcher: BriefingFetcher) -> None:
    response = fetcher.fetch("casemgr:assets/briefing.css")
    assert response.content_type == "text/css"
    assert response.read() == (REPORTS / "assets" / "briefing.css").read_bytes()
    assert fetcher.served == ["casemgr:assets/briefing.css"]


def test_markup_that_escaped_the_templates_still_loads_nothing(fetcher: BriefingFetcher) -> None:
    """The second line of defence: even raw tags only reach the fetcher, which refuses."""
    html = (
        '<link rel="stylesheet" href="http://127.0.0.1/">'
        '<img src="file:///etc/hostname"><img src="data:image/png;base64,iVBORw0KGgo=">'
        f'<img src="casemgr:evidence/{OTHER_ID}.jpg"><p>Still printed.</p>'
    )
    pdf = render_pdf(html, fetcher)
    assert pdf.startswith(b"%PDF")
    assert set(fetcher.refused) == {
        "http://127.0.0.1/",
        "file:///etc/hostname",
        "data:image/png;base64,iVBORw0KGgo=",
        f"casemgr:evidence/{OTHER_ID}.jpg",
    }
    assert fetcher.served == []
