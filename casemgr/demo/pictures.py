"""Generated portraits and their doctored copies, for the demo and the large-data generator:
a face-like oval on a soft background, and the same picture with crosshairs drawn over the
face (the copy the perceptual-hash matching ties back to its original)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter

SIDE = 160  # the drawing's own size; other sides are scaled from it


def _background(rng: random.Random, side: int) -> Image.Image:
    """A smooth field of random colours: pictures differ at low frequencies, where the
    perceptual hash looks, so unrelated pictures do not match one another."""
    grid = Image.frombytes("RGB", (6, 6), rng.randbytes(6 * 6 * 3))
    return grid.resize((side, side), Image.Resampling.BICUBIC)


def portrait(seed: int, side: int = SIDE) -> Image.Image:
    """A protectee's portrait: a face-like oval and shoulders on a soft background."""
    rng = random.Random(seed)  # noqa: S311 - reproducible pictures, not a secret
    image = _background(rng, side)
    draw = ImageDraw.Draw(image)
    scale = side / SIDE
    for _ in range(6):
        x, y = rng.randrange(side), rng.randrange(side)
        radius = rng.randrange(side // 10, side // 3)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - radius, y - radius * 0.8, x + radius, y + radius * 0.8), fill=colour)
    skin = (rng.randrange(120, 240), rng.randrange(90, 200), rng.randrange(60, 170))
    draw.ellipse(_scaled((50, 30, 110, 110), scale), fill=skin)
    clothes = (rng.randrange(80), rng.randrange(80), rng.randrange(120))
    draw.rectangle(_scaled((40, 110, 120, 160), scale), fill=clothes)
    return image.filter(ImageFilter.GaussianBlur(scale))


def doctored(original: Image.Image, seed: int, caption: str | None = None) -> Image.Image:
    """The picture with red crosshairs drawn over the face, a caption when given, and
    re-sized as a re-post would be."""
    rng = random.Random(seed)  # noqa: S311 - reproducible pictures, not a secret
    image = original.copy()
    draw = ImageDraw.Draw(image)
    scale = image.width / SIDE
    x, y = (80 + rng.randrange(-6, 7)) * scale, (70 + rng.randrange(-6, 7)) * scale
    red, width = (rng.randrange(180, 256), 0, 0), max(2, round(2 * scale))
    ring, arm = 22 * scale, 32 * scale
    draw.ellipse((x - ring, y - ring, x + ring, y + ring), outline=red, width=width)
    draw.line((x - arm, y, x + arm, y), fill=red, width=width)
    draw.line((x, y - arm, x, y + arm), fill=red, width=width)
    if caption:
        draw.text((6 * scale, 144 * scale), caption, fill=(255, 255, 255))
    side = round(image.width * rng.choice((0.75, 0.875, 1.0)))
    return image.resize((side, side)) if side != image.width else image


def jpeg(image: Image.Image, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _scaled(box: tuple[int, int, int, int], scale: float) -> tuple[float, ...]:
    return tuple(value * scale for value in box)
