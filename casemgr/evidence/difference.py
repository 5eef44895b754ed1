"""Where a copy of an image differs from its original, as a picture an analyst reads at a glance.

Used when a perceptual hash says a piece of evidence derives from a reference photo: the
difference image shows what was added (crosshairs drawn on a face, text, a pasted object) in red
over a dimmed copy of the original. Pure function over files on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PIL import Image, ImageChops, ImageFilter, ImageOps

from casemgr.evidence.derived import save_png_atomically
from casemgr.evidence.forensics import ImageRefused, open_image

DEFAULT_MAX_PIXELS: Final = 89_478_485  # Pillow's own default limit
CHANGED_COLOUR: Final = (255, 0, 0)


@dataclass(frozen=True)
class DifferenceSummary:
    """How much of the original changed, and where (bbox in the original's pixel coordinates)."""

    changed_fraction: float
    bbox: tuple[int, int, int, int] | None
    width: int
    height: int


def difference_image(
    original: Path,
    copy: Path,
    out: Path,
    threshold: int = 48,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> DifferenceSummary:
    """Write to `out` a PNG of `original` dimmed to grey with the pixels `copy` changed in red.

    Both images are turned upright (EXIF orientation) and the copy is scaled to the original's
    size, so a resized or re-encoded copy lines up. A pixel counts as changed when, after a 3x3
    median filter that removes compression noise, some colour channel differs by `threshold`
    (1..255) or more. Raises ValueError for a threshold out of range or when either image is
    corrupt or over `max_pixels` (the message says which and why); OSError when `out` cannot
    be written.
    """
    if not 1 <= threshold <= 255:
        raise ValueError(f"Threshold must be 1..255, not {threshold}")
    base = _load_upright(original, "original", max_pixels)
    other = _load_upright(copy, "copy", max_pixels)
    if other.size != base.size:
        other = other.resize(base.size, Image.Resampling.LANCZOS)
    mask = _changed_mask(base, other, threshold)
    canvas = _dimmed(base)
    canvas.paste(CHANGED_COLOUR, mask=mask)
    save_png_atomically(canvas, out)
    changed = mask.histogram()[255]
    return DifferenceSummary(
        changed_fraction=changed / (base.width * base.height),
        bbox=mask.getbbox(),
        width=base.width,
        height=base.height,
    )


def _load_upright(path: Path, role: str, max_pixels: int) -> Image.Image:
    try:
        with open_image(path, max_pixels) as image:
            upright = ImageOps.exif_transpose(image)
    except ImageRefused as refused:
        raise ValueError(f"The {role} image cannot be compared: {refused}") from None
    # Transparent areas are compared as white, as a viewer would show them.
    rgba = upright.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _changed_mask(base: Image.Image, other: Image.Image, threshold: int) -> Image.Image:
    """An "L" mask, 255 where the images differ: the largest per-channel difference, denoised."""
    red, green, blue = ImageChops.difference(base, other).split()
    strongest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    # A median keeps strokes two or more pixels wide but drops JPEG ringing and resampling specks.
    smoothed = strongest.filter(ImageFilter.MedianFilter(3))
    return smoothed.point([255 if level >= threshold else 0 for level in range(256)])


def _dimmed(image: Image.Image) -> Image.Image:
    # Grey between 40 and 155: the scene stays readable and nothing in it looks red.
    grey = ImageOps.grayscale(image).point([40 + level * 115 // 255 for level in range(256)])
    return grey.convert("RGB")
