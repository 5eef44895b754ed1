"""Pictures made with Pillow for the evidence tests, and helpers that send files through the
evidence pages the way a browser does (CSRF is off in tests)."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from PIL import ExifTags, Image, ImageDraw, ImageFilter
from sqlalchemy import select

from casemgr.audit.log import SYSTEM
from casemgr.evidence.models import EvidenceItem
from casemgr.extensions import db
from casemgr.people.protectees import ProtecteeDetails, create_protectee

SIZE = (640, 480)
CROSSHAIR_CENTRE = (330, 220)


def photo(seed: int = 1, size: tuple[int, int] = SIZE) -> Image.Image:
    """A photo-like picture: a colour gradient with soft random shapes, blurred like a lens."""
    width, height = size
    ramp = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.ROTATE_180), ramp.rotate(90)))
    draw = ImageDraw.Draw(image)
    rng = random.Random(seed)
    for _ in range(40):
        x, y, radius = rng.randrange(width), rng.randrange(height), rng.randrange(10, 120)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - radius, y - radius * 0.8, x + radius, y + radius * 0.8), fill=colour)
    return image.filter(ImageFilter.GaussianBlur(3))


def with_crosshair(image: Image.Image) -> Image.Image:
    """A doctored copy: crosshairs drawn over the middle of the picture."""
    copy = image.copy()
    draw = ImageDraw.Draw(copy)
    x, y = CROSSHAIR_CENTRE
    draw.ellipse((x - 60, y - 60, x + 60, y + 60), outline=(0, 0, 0), width=5)
    draw.line((x - 90, y, x + 90, y), fill=(0, 0, 0), width=5)
    draw.line((x, y - 90, x, y + 90), fill=(0, 0, 0), width=5)
    return copy


def gps_exif() -> Image.Exif:
    """EXIF naming a camera, with GPS coordinates (51.5 N, 0.125 W) in the GPS IFD (0x8825)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS 5D Mark IV"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (51.0, 30.0, 0.0),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (0.0, 7.0, 30.0),
    }
    return exif


def jpeg_bytes(image: Image.Image, quality: int = 92, exif: Image.Exif | None = None) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, **({"exif": exif} if exif else {}))
    return buffer.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def bomb_png(side: int = 4000) -> bytes:
    """A few kilobytes of PNG that decode to side x side pixels."""
    return png_bytes(Image.new("1", (side, side)))


def truncated_jpeg() -> bytes:
    whole = jpeg_bytes(photo(seed=7))
    return whole[: len(whole) // 2]


def part(data: bytes, filename: str, mimetype: str | None = None) -> tuple[Any, ...]:
    """One file of a multipart form, as the test client takes it."""
    return (io.BytesIO(data), filename) + ((mimetype,) if mimetype else ())


def upload(client: FlaskClient, ref: str, *parts: tuple[Any, ...], **fields: str):
    """Post files (made with `part`) to a case's evidence page."""
    return client.post(
        f"/cases/{ref}/evidence",
        data={"files": list(parts), **fields},
        content_type="multipart/form-data",
    )


def add_protectee(app: Flask, name: str = "Dana Whitfield") -> int:
    with app.app_context():
        protectee = create_protectee(db.session, SYSTEM, ProtecteeDetails(name=name))
        db.session.commit()
        return protectee.id


def add_reference_photo(client: FlaskClient, protectee_id: int, data: bytes, name: str):
    return client.post(
        f"/protectees/{protectee_id}/reference-photos",
        data={"files": [part(data, name)], "description": "Official portrait"},
        content_type="multipart/form-data",
    )


def stored_items(app: Flask) -> list[EvidenceItem]:
    """Every evidence item and reference photo, oldest first, detached from the session."""
    with app.app_context():
        items = list(db.session.scalars(select(EvidenceItem).order_by(EvidenceItem.id)))
        for item in items:
            db.session.expunge(item)
        return items


def data_dir(app: Flask) -> Path:
    return Path(app.config["CASEMGR_DATA_DIR"])


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def store_files(app: Flask) -> list[Path]:
    return files_under(data_dir(app) / "store")


def temp_files(app: Flask) -> list[Path]:
    return files_under(data_dir(app) / "tmp")
