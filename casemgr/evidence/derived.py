"""Images derived from a stored one: the thumbnail, the preview, the print copy briefings
embed and, for JPEGs, the error-level analysis.

Pure functions over files on disk, like forensics.py, which decodes through `open_image`; every
file is written atomically, so no reader ever sees half of one.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Final

from PIL import ExifTags, Image, ImageChops, ImageOps

from casemgr.evidence.forensics import JPEG_FORMATS, ImageRefused, open_image

THUMB_BOX: Final = (320, 320)
PREVIEW_BOX: Final = (1600, 1600)
# The copy briefings embed: small enough that a PDF of fifty images stays a few megabytes.
PRINT_BOX: Final = (900, 900)
PRINT_QUALITY: Final = 78
PRINT_NAME: Final = "print.jpg"
ELA_QUALITY: Final = 90
# Derived PNGs are made during the upload: zlib level 1 encodes them about three times faster
# than the default 6, for files about a quarter larger.
PNG_LEVEL: Final = 1
# The table ImageOps.exif_transpose uses; ELA needs it apart (see _ela_image).
_ORIENTATION: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def make_derivatives(path: Path, out_dir: Path, max_pixels: int) -> dict[str, Path]:
    """Write `thumb.png` (fits 320x320), `preview.png` (fits 1600x1600), `print.jpg` (fits
    900x900, for briefings) and, for JPEGs, `ela.png`.

    Thumb, preview and print copy are upright (EXIF orientation applied) and rebuilt from pixel
    data, so they carry no EXIF, GPS, ICC profile, text chunk or XMP. Files are written
    atomically into `out_dir` (created if missing). Returns the paths written by name ("thumb",
    "preview", "print", "ela"), or {} when the image is corrupt or over `max_pixels`. Raises
    OSError if out_dir is unwritable.
    """
    try:
        image = open_image(path, max_pixels)
    except ImageRefused:
        return {}
    with image:
        upright = _flatten_mode(ImageOps.exif_transpose(image))
        preview = _pixels_only(_fit(upright, PREVIEW_BOX))
        thumb = _fit(preview, THUMB_BOX)
        out_dir.mkdir(parents=True, exist_ok=True)
        preview_path = save_png_atomically(preview, out_dir / "preview.png")
        thumb_path = out_dir / "thumb.png"
        if thumb is preview:  # it fits the thumbnail's box: the same PNG, not encoded again
            _copy_atomically(preview_path, thumb_path)
        else:
            save_png_atomically(_pixels_only(thumb), thumb_path)
        written = {
            "thumb": thumb_path,
            "preview": preview_path,
            # Made here from the preview in memory: made at a briefing's first export, it
            # meant decoding every preview PNG again (a 50-image briefing took 4 s longer).
            "print": save_print_copy(preview, out_dir / PRINT_NAME),
        }
        if image.format in JPEG_FORMATS:
            written["ela"] = save_png_atomically(
                _ela_image(image, preview.size), out_dir / "ela.png"
            )
    return written


def _flatten_mode(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _fit(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    """The image shrunk (never enlarged) to fit inside `box`, keeping its aspect ratio."""
    scale = min(box[0] / image.width, box[1] / image.height)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _pixels_only(image: Image.Image) -> Image.Image:
    # resize() and convert() copy `info` (EXIF, ICC, XMP, text); a fresh image carries none.
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _ela_image(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Error-level analysis: how much each pixel moves when the JPEG is saved at quality 90.

    Areas edited after the last save recompress differently and stand out. It is computed on the
    stored pixel grid, where the JPEG's 8x8 blocks lie, and only then turned upright and scaled;
    brightness is stretched so the largest difference is white.
    """
    stored = image.convert("RGB")
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=ELA_QUALITY)
    buffer.seek(0)
    with Image.open(buffer, formats=["JPEG"]) as resaved:
        errors = ImageChops.difference(stored, resaved.convert("RGB"))
    orientation = 1
    with suppress(Exception):
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    if orientation in _ORIENTATION:
        errors = errors.transpose(_ORIENTATION[orientation])
    errors = errors.resize(size, Image.Resampling.LANCZOS)
    peak = max(high for _, high in errors.getextrema())
    if peak:
        errors = errors.point([min(255, level * 255 // peak) for level in range(256)] * 3)
    return errors


def save_print_copy(preview: Image.Image, path: Path) -> Path:
    """Save the JPEG a briefing embeds, made from a stripped preview: RGB, fitting PRINT_BOX.
    Returns `path`; raises OSError when the folder cannot be written."""
    copy = _fit(preview.convert("RGB"), PRINT_BOX)
    return save_image_atomically(copy, path, "JPEG", quality=PRINT_QUALITY, optimize=True)


def save_png_atomically(image: Image.Image, path: Path) -> Path:
    """Save `image` as a PNG at `path` through a temporary file beside it, so no reader ever
    sees half a file. Returns `path`; raises OSError when the folder cannot be written."""
    return save_image_atomically(image, path, "PNG", compress_level=PNG_LEVEL)


def save_image_atomically(
    image: Image.Image, path: Path, image_format: str, **params: object
) -> Path:
    """Save `image` in `image_format` at `path` through a temporary file beside it, as
    save_png_atomically does."""
    with _atomic_file(path) as stream:
        image.save(stream, format=image_format, **params)
    return path


def _copy_atomically(source: Path, path: Path) -> Path:
    with _atomic_file(path) as stream:
        stream.write(source.read_bytes())
    return path


@contextmanager
def _atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside `path` that replaces it once written (and is removed if
    writing fails). Raises OSError when the folder cannot be written."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
