"""Photo-like pictures made with Pillow for the benchmarks: gradients, soft shapes, lens
blur and sensor noise (which keeps a JPEG near a real photo's size), and doctored copies."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter

PHOTO_SIZE = (1200, 900)


def photo(seed: int, size: tuple[int, int] = PHOTO_SIZE) -> Image.Image:
    """A photo-like picture; the noise keeps its JPEG near a real photo's size."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not a secret
    ramp = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.ROTATE_180), ramp))
    draw = ImageDraw.Draw(image)
    width, height = size
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        radius = max(2, rng.randrange(20, 250) * width // PHOTO_SIZE[0])
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - radius, y - radius * 0.8, x + radius, y + radius * 0.8), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(4))
    noise = Image.effect_noise(size, 24).convert("RGB")
    return ImageChops.blend(image, noise, 0.12)


def with_crosshair(image: Image.Image) -> Image.Image:
    copy = image.copy()
    draw = ImageDraw.Draw(copy)
    x, y = image.width // 2, image.height // 2
    draw.ellipse((x - 120, y - 120, x + 120, y + 120), outline=(0, 0, 0), width=8)
    draw.line((x - 180, y, x + 180, y), fill=(0, 0, 0), width=8)
    draw.line((x, y - 180, x, y + 180), fill=(0, 0, 0), width=8)
    return copy


def jpeg_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()
