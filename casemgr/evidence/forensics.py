"""Image forensics for evidence files: safe decoding, EXIF and GPS, perceptual hashes, hash bands.

Pure functions over files on disk, with no database and no Flask: the ingest service calls them
and stores what they return (derived.py makes the images shown in their place). Every image is
opened through `open_image`, which checks the pixel count from the header before decoding and
turns any decoding failure into `ImageRefused`.
"""

from __future__ import annotations

import functools
import math
import re
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import imagehash
from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError

Analysis = Literal["ok", "corrupt", "over_pixel_limit"]

# Pillow format names we decode; anything else (EPS runs Ghostscript, for one) is never tried.
ALLOWED_FORMATS: Final = ("JPEG", "PNG", "GIF", "WEBP", "TIFF", "HEIF")
JPEG_FORMATS: Final = frozenset({"JPEG", "MPO"})
MAX_EXIF_ENTRIES: Final = 100
MAX_EXIF_VALUE: Final = 500
MAX_EXIF_BYTES: Final = 64  # longer binary blobs (MakerNote, thumbnails) are dropped, not hexed
KEY_TAGS: Final = ("Make", "Model", "Software", "DateTime", "DateTimeOriginal", "DateTimeDigitized")
_POINTER_TAGS: Final = frozenset(int(ifd) for ifd in ExifTags.IFD)
_HEX64 = re.compile(r"[0-9a-fA-F]{16}")
_BOMB_MESSAGE = re.compile(r"\((\d+) pixels\) exceeds limit of (\d+)")


@dataclass(frozen=True)
class ImageFindings:
    """What analysing one image found; JSON-safe apart from being a dataclass."""

    analysis: Analysis
    note: str
    width: int | None = None
    height: int | None = None
    image_format: str | None = None
    exif: dict[str, str] = field(default_factory=dict)
    gps: dict[str, float] | None = None
    phash: str | None = None
    dhash: str | None = None

    @property
    def has_gps(self) -> bool:
        return self.gps is not None


class ImageRefused(ValueError):
    """An image that cannot be analysed; `findings` says why ("corrupt" or "over_pixel_limit")."""

    def __init__(self, findings: ImageFindings) -> None:
        super().__init__(findings.note)
        self.findings = findings


@functools.cache
def _open_formats() -> tuple[str, ...]:
    """The allowed formats Pillow can open here, registering the HEIF opener once per process."""
    with suppress(ImportError):
        import pillow_heif

        pillow_heif.register_heif_opener()
    Image.init()
    # Image.open raises KeyError, not UnidentifiedImageError, for a format it does not know.
    return tuple(name for name in ALLOWED_FORMATS if name in Image.OPEN)


def open_image(path: Path, max_pixels: int) -> Image.Image:
    """Open the image at `path` and decode its first frame, refusing what is unsafe or broken.

    The pixel count is read from the header and checked against `max_pixels` (and Pillow's own
    decompression-bomb limit) before any pixel is decoded. Raises ImageRefused, a ValueError,
    for a file that is over the limit, truncated, corrupt, unreadable or of another format;
    nothing else escapes. The caller closes the returned image.
    """
    try:
        image = Image.open(path, formats=_open_formats())
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused(_pillow_bomb_findings(exc)) from None
    except UnidentifiedImageError:
        note = "Not a readable JPEG, PNG, GIF, WebP, TIFF or HEIC image."
        raise ImageRefused(ImageFindings("corrupt", note)) from None
    except Exception as exc:  # OSError for a missing file, anything a plugin's header parser throws
        raise ImageRefused(ImageFindings("corrupt", f"Image cannot be read: {exc}")) from None
    try:
        _check_and_decode(image, max_pixels)
    except BaseException:
        image.close()
        raise
    return image


def _check_and_decode(image: Image.Image, max_pixels: int) -> None:
    header = {"width": image.width, "height": image.height, "image_format": image.format}
    pixels = image.width * image.height
    # Pillow only warned when opening an image between its limit and twice that: treat it as over.
    limit = (
        max_pixels if Image.MAX_IMAGE_PIXELS is None else min(max_pixels, Image.MAX_IMAGE_PIXELS)
    )
    if pixels > limit:
        raise ImageRefused(ImageFindings("over_pixel_limit", _over_note(pixels, limit), **header))
    # WeasyPrint turns truncated-image loading on for the whole process when imported;
    # evidence must be judged strictly, so switch it back off before every decode.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        image.load()
    except Image.DecompressionBombError as exc:  # a GIF frame or TIFF tile larger than the header
        raise ImageRefused(ImageFindings("over_pixel_limit", str(exc), **header)) from None
    except Exception as exc:  # OSError, SyntaxError, zlib.error, EOFError, ... depending on plugin
        # A truncated photo's metadata is still evidence; it sits before the pixel data.
        exif, gps = _read_metadata(image)
        note = f"Image is truncated or corrupt: {exc}"
        raise ImageRefused(ImageFindings("corrupt", note, **header, exif=exif, gps=gps)) from None


def _over_note(pixels: int, limit: int) -> str:
    return f"Image has {pixels:,} pixels, over the limit of {limit:,}; not analysed."


def _pillow_bomb_findings(exc: Exception) -> ImageFindings:
    # Pillow refuses inside Image.open, so the header's size is only left in its message.
    match = _BOMB_MESSAGE.search(str(exc))
    if match is None:
        return ImageFindings("over_pixel_limit", f"Image is too large to analyse: {exc}")
    return ImageFindings("over_pixel_limit", _over_note(int(match[1]), int(match[2])))


def analyse_image(path: Path, max_pixels: int) -> ImageFindings:
    """Analyse the image at `path`: size, format, EXIF, GPS and perceptual hashes.

    Never raises. A file over `max_pixels` is not decoded and gives "over_pixel_limit"; a
    truncated, corrupt or unreadable file gives "corrupt" (with whatever metadata its header
    held). Hashes are taken with EXIF orientation applied, so a copy re-saved upright matches.
    """
    try:
        image = open_image(path, max_pixels)
    except ImageRefused as refused:
        return refused.findings
    with image:
        exif, gps = _read_metadata(image)
        try:
            upright = ImageOps.exif_transpose(image)
            phash = str(imagehash.phash(upright, hash_size=8))
            dhash = str(imagehash.dhash(upright, hash_size=8))
        except Exception as exc:  # a decoded image whose mode or orientation Pillow cannot handle
            note = f"Image is truncated or corrupt: {exc}"
            return ImageFindings(
                "corrupt", note, image.width, image.height, image.format, exif, gps
            )
        note = f"{image.format} image, {image.width} x {image.height} pixels."
        return ImageFindings(
            "ok", note, image.width, image.height, image.format, exif, gps, phash, dhash
        )


def _read_metadata(image: Image.Image) -> tuple[dict[str, str], dict[str, float] | None]:
    try:
        exif = image.getexif()
    except Exception:  # a malformed EXIF block is no reason to lose the image
        return {}, None
    return _exif_strings(exif), _gps_degrees(exif)


def _exif_strings(exif: Image.Exif) -> dict[str, str]:
    entries = list(exif.items())
    with suppress(Exception):
        entries += list(exif.get_ifd(ExifTags.IFD.Exif).items())
    named: dict[str, str] = {}
    for tag, value in entries:
        if tag in _POINTER_TAGS:
            continue
        text = _exif_text(value)
        if text is not None:
            named.setdefault(ExifTags.TAGS.get(tag, f"Tag0x{tag:04X}"), text)
    # Camera and dates first, so a file stuffed with tags cannot push them past the cap.
    ordered = sorted(named.items(), key=lambda item: item[0] not in KEY_TAGS)
    return dict(ordered[:MAX_EXIF_ENTRIES])


def _exif_text(value: object) -> str | None:
    if isinstance(value, bytes) and len(value) > MAX_EXIF_BYTES:
        return None
    if isinstance(value, tuple):
        text = ", ".join(_exif_scalar(part) for part in value[:64])
    else:
        text = _exif_scalar(value)
    text = text.replace("\x00", "").strip()
    return text[:MAX_EXIF_VALUE] or None


def _exif_scalar(value: object) -> str:
    if isinstance(value, bytes):
        return value[:MAX_EXIF_BYTES].hex()
    if isinstance(value, int | str):
        return str(value)
    try:
        return f"{float(value):g}"  # type: ignore[arg-type]  # IFDRational and floats
    except (TypeError, ValueError, ZeroDivisionError):
        return str(value)[:MAX_EXIF_VALUE]


def _gps_degrees(exif: Image.Exif) -> dict[str, float] | None:
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:
        return None
    latitude = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef))
    longitude = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef))
    if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
        return None
    found = {"latitude": latitude, "longitude": longitude}
    altitude = _number(gps.get(ExifTags.GPS.GPSAltitude))
    if altitude is not None:
        below_sea = gps.get(ExifTags.GPS.GPSAltitudeRef) in (1, b"\x01", "1")
        found["altitude"] = -abs(altitude) if below_sea else altitude
    return found


def _degrees(value: object, ref: object) -> float | None:
    """Degrees, minutes, seconds (any of them may be missing) as signed decimal degrees."""
    parts = value if isinstance(value, tuple) else (value,)
    numbers = [_number(part) for part in parts[:3]]
    if not numbers or any(number is None for number in numbers):
        return None
    degrees = sum(abs(n) / 60**i for i, n in enumerate(numbers))  # type: ignore[arg-type]
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    negative = isinstance(ref, str) and ref.strip().upper()[:1] in ("S", "W")
    return round(-degrees if negative else degrees, 7)


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def hash_value(value: str) -> int:
    """A 64-bit hash given as 16 hex digits, as a number; ValueError when it is not one."""
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise ValueError(f"Not a 64-bit hash of 16 hex digits: {value!r}")
    return int(value, 16)


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two 64-bit hashes given as 16 hex digits.

    Raises ValueError when either is not 16 hex digits.
    """
    return (hash_value(a) ^ hash_value(b)).bit_count()


def hash_bands(value: str) -> tuple[int, int, int, int]:
    """A 64-bit hash (16 hex digits) as four 16-bit bands, most significant first.

    The bands serve a multi-index lookup: if two hashes are within Hamming distance T, at least
    one of their four bands is within floor(T / 4), because the four band distances add up to T
    (pigeonhole). Storing the bands and looking each up with `band_neighbours(band, T // 4)`
    therefore finds every hash within T; candidates are then confirmed with `hamming`.
    Raises ValueError when `value` is not 16 hex digits.
    """
    number = hash_value(value)
    return (
        (number >> 48) & 0xFFFF,
        (number >> 32) & 0xFFFF,
        (number >> 16) & 0xFFFF,
        number & 0xFFFF,
    )


def band_neighbours(band: int, radius: int) -> list[int]:
    """Every 16-bit value within Hamming distance `radius` of `band`, sorted (itself included).

    Sizes are 1, 17, 137 and 697 for radius 0 to 3. Raises ValueError when `band` is not a
    16-bit value or `radius` is outside 0..16.
    """
    if not 0 <= band <= 0xFFFF or not 0 <= radius <= 16:
        raise ValueError(f"Band must be 0..65535 and radius 0..16, not {band} and {radius}")
    return sorted(band ^ mask for mask in _flip_masks(radius))


@functools.cache
def _flip_masks(radius: int) -> tuple[int, ...]:
    """Every 16-bit mask with at most `radius` bits set, made once per radius: flipping the
    bits afresh for each band took longer than the database's lookup."""
    return tuple(mask for mask in range(1 << 16) if mask.bit_count() <= radius)
