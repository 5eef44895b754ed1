"""Small generated pictures for the evidence store, made in worker processes.

Reference photos are portrait-like pictures of protectees; evidence is mostly distinct photos
and screenshots, plus doctored copies of a reference photo (crosshairs drawn on, re-saved as
JPEG) that the pHash matching should tie back to the original. Each is drawn, encoded and
staged (written and hashed in the store's temp folder) the way an upload arrives.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFilter

from bench.fiction import seeded
from casemgr.demo.pictures import doctored, portrait
from casemgr.evidence.store import StagedFile

Kind = Literal["reference", "doctored", "photo", "screenshot"]


@dataclass(frozen=True)
class ImageJob:
    """What to draw: `seed` makes the picture; a doctored copy also names its reference's."""

    kind: Kind
    seed: int
    reference_seed: int = 0
    jpeg: bool = True


@dataclass(frozen=True)
class PreparedImage:
    staged: StagedFile
    filename: str
    mime: str


def _background(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A smooth field of random colours (see casemgr.demo.pictures)."""
    grid = Image.frombytes("RGB", (6, 6), rng.randbytes(6 * 6 * 3))
    return grid.resize(size, Image.Resampling.BICUBIC)


def _blobs(
    draw: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int], count: int
) -> None:
    width, height = size
    for _ in range(count):
        x, y = rng.randrange(width), rng.randrange(height)
        radius = rng.randrange(width // 10, width // 3)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - radius, y - radius * 0.8, x + radius, y + radius * 0.8), fill=colour)


def doctored_copy(reference_seed: int, seed: int) -> Image.Image:
    """A protectee's reference photo with crosshairs drawn over the face, sometimes a
    caption."""
    caption = "YOU ARE NEXT" if seeded(seed * 31 + 7).random() < 0.5 else None
    return doctored(portrait(reference_seed), seed, caption)


def _side(rng: random.Random, low: int) -> int:
    """Mostly small, some up to 160 pixels: kept small, the store stays small."""
    return min(160, low + int(rng.expovariate(1 / 24)))


def photo(seed: int) -> Image.Image:
    rng = seeded(seed)
    size = (_side(rng, 64), _side(rng, 64))
    image = _background(rng, size)
    _blobs(ImageDraw.Draw(image), rng, size, rng.randrange(4, 14))
    return image.filter(ImageFilter.GaussianBlur(1))


def screenshot(seed: int) -> Image.Image:
    """A post as captured from a platform: a coloured header, an avatar and lines of text."""
    rng = seeded(seed)
    size = (_side(rng, 96), _side(rng, 64))
    image = _background(rng, size)
    draw = ImageDraw.Draw(image)
    header = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    draw.rectangle((0, 0, size[0], 14), fill=header)
    draw.ellipse((4, 18, 24, 38), fill=(rng.randrange(256), rng.randrange(256), 90))
    for line in range(rng.randrange(2, 6)):
        words = " ".join(
            rng.choice(("we", "know", "where", "you", "live", "pay", "soon", "!")) for _ in range(5)
        )
        draw.text((28, 18 + line * 11), words, fill=(0, 0, 0))
    return image


def draw(job: ImageJob) -> Image.Image:
    if job.kind == "reference":
        return portrait(job.seed)
    if job.kind == "doctored":
        return doctored_copy(job.reference_seed, job.seed)
    return photo(job.seed) if job.kind == "photo" else screenshot(job.seed)


def encode(image: Image.Image, jpeg: bool) -> bytes:
    buffer = io.BytesIO()
    if jpeg:
        image.save(buffer, "JPEG", quality=85)
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def prepare(job: ImageJob, temp_dir: Path) -> PreparedImage:
    """Draw, encode and stage one picture. Staged the way an upload is, into the store's temp
    folder and hashed, but without fsync: a generated instance that
    is cut short is generated again."""
    data = encode(draw(job), job.jpeg)
    handle, name = tempfile.mkstemp(dir=temp_dir, prefix="upload-")
    with os.fdopen(handle, "wb") as staged:
        staged.write(data)
    extension, mime = (".jpg", "image/jpeg") if job.jpeg else (".png", "image/png")
    staged_file = StagedFile(Path(name), hashlib.sha256(data).hexdigest(), len(data))
    return PreparedImage(staged_file, f"{job.kind}-{job.seed}{extension}", mime)
