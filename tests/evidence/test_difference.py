"""The difference image: what a doctored copy changed, painted red over the dimmed original."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from casemgr.evidence.difference import difference_image
from tests.evidence.test_forensics import Photos, draw_crosshairs, save_photo_set


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Photos:
    return save_photo_set(tmp_path_factory.mktemp("photos"))


def red_pixels(path: Path) -> np.ndarray:
    with Image.open(path) as picture:
        pixels = np.asarray(picture.convert("RGB"))
    return np.all(pixels == (255, 0, 0), axis=-1)


def crosshair_strokes(size: tuple[int, int], margin: int = 0) -> np.ndarray:
    """Where the crosshairs were drawn, widened by `margin` pixels on every side."""
    strokes = draw_crosshairs(Image.new("L", size), fill=255)
    if margin:
        strokes = strokes.filter(ImageFilter.MaxFilter(2 * margin + 1))
    return np.asarray(strokes) > 0


@pytest.mark.parametrize("copy_format", ["PNG", "JPEG"])
def test_crosshairs_are_painted_red_and_little_else(
    photos: Photos, tmp_path: Path, copy_format: str
) -> None:
    copy = tmp_path / f"copy.{copy_format.lower()}"
    with Image.open(photos.crosshairs) as doctored:
        doctored.save(copy, format=copy_format, quality=90)
    summary = difference_image(photos.original, copy, tmp_path / "difference.png")

    red = red_pixels(tmp_path / "difference.png")
    assert red.shape == (600, 800)
    on_strokes = red[crosshair_strokes((800, 600))]
    away = red[~crosshair_strokes((800, 600), margin=4)]
    assert on_strokes.mean() > 0.8
    assert away.mean() < 0.03
    assert 0.005 < summary.changed_fraction < 0.05
    assert (summary.width, summary.height) == (800, 600)


def test_bbox_covers_the_crosshairs(photos: Photos, tmp_path: Path) -> None:
    summary = difference_image(photos.original, photos.crosshairs, tmp_path / "difference.png")
    assert summary.bbox is not None
    left, top, right, bottom = summary.bbox
    # Lines run 130 px from the centre (400, 300), strokes 5 px wide.
    assert 260 <= left <= 272 and 160 <= top <= 172
    assert 528 <= right <= 540 and 428 <= bottom <= 440


def test_a_resized_reencoded_copy_shows_almost_no_change(photos: Photos, tmp_path: Path) -> None:
    summary = difference_image(photos.original, photos.reencoded, tmp_path / "difference.png")
    assert summary.changed_fraction < 0.01
    with Image.open(tmp_path / "difference.png") as picture:
        assert picture.size == (800, 600)


def test_a_copy_identical_to_its_original_has_no_bbox(photos: Photos, tmp_path: Path) -> None:
    summary = difference_image(photos.original, photos.original, tmp_path / "difference.png")
    assert summary.changed_fraction == 0 and summary.bbox is None
    assert not red_pixels(tmp_path / "difference.png").any()


def test_a_corrupt_copy_is_a_value_error(photos: Photos, tmp_path: Path) -> None:
    data = photos.reencoded.read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="copy image cannot be compared: Image is truncated"):
        difference_image(photos.original, tmp_path / "truncated.jpg", tmp_path / "out.png")
    assert not (tmp_path / "out.png").exists()


def test_an_empty_original_is_a_value_error(photos: Photos, tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ValueError, match="original image cannot be compared"):
        difference_image(tmp_path / "empty.png", photos.crosshairs, tmp_path / "out.png")


def test_a_threshold_out_of_range_is_a_value_error(photos: Photos, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Threshold"):
        difference_image(photos.original, photos.crosshairs, tmp_path / "out.png", threshold=0)
