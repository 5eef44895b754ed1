"""Image forensics: safe decoding, EXIF and GPS, perceptual hashes, derivatives, hash bands.

Every image is made here with Pillow; none is committed. The builders at the top are also used
by test_difference.py.
"""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFile, ImageFilter
from PIL.TiffImagePlugin import IFDRational

from casemgr.evidence.derived import make_derivatives
from casemgr.evidence.forensics import (
    analyse_image,
    band_neighbours,
    hamming,
    hash_bands,
    open_image,
)

LIMIT = 1_000_000
RED = (255, 0, 0)


def make_photo(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """Something photo-like: a vertical gradient, 25 coloured ellipses, softened by a blur."""
    rng = random.Random(seed)
    width, height = size
    top = [rng.randrange(256) for _ in range(3)]
    bottom = [rng.randrange(256) for _ in range(3)]
    photo = Image.new("RGB", size)
    draw = ImageDraw.Draw(photo)
    for y in range(height):
        share = y / (height - 1)
        colour = tuple(round(a + (b - a) * share) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)
    for _ in range(25):
        x, y = rng.randrange(-50, width), rng.randrange(-50, height)
        box = [x, y, x + rng.randrange(30, 260), y + rng.randrange(30, 260)]
        draw.ellipse(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    return photo.filter(ImageFilter.GaussianBlur(2))


def draw_crosshairs(image: Image.Image, fill: object = RED, width: int = 5) -> Image.Image:
    """`image` with crosshairs drawn over its centre: a circle of radius 90 and two lines."""
    marked = image.copy()
    draw = ImageDraw.Draw(marked)
    cx, cy = image.width // 2, image.height // 2
    draw.ellipse([cx - 90, cy - 90, cx + 90, cy + 90], outline=fill, width=width)
    draw.line([(cx - 130, cy), (cx + 130, cy)], fill=fill, width=width)
    draw.line([(cx, cy - 130), (cx, cy + 130)], fill=fill, width=width)
    return marked


def camera_exif(orientation: int = 1) -> Image.Exif:
    """EXIF as a phone would write it, taken at Westminster (51.5007 N, 0.1246 W, 12.5 m)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "Canon EOS 5D Mark IV"
    exif[ExifTags.Base.Software] = "Adobe Photoshop 25.0"
    exif[ExifTags.Base.DateTime] = "2024:03:05 10:11:12"
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:03:01 09:00:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (IFDRational(51), IFDRational(30), IFDRational(252, 100))
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (IFDRational(0), IFDRational(7), IFDRational(2856, 100))
    gps[ExifTags.GPS.GPSAltitudeRef] = b"\x00"
    gps[ExifTags.GPS.GPSAltitude] = IFDRational(125, 10)
    return exif


def write_blank_png(path: Path, width: int, height: int) -> Path:
    """A valid 1-bit PNG of any size: a few kilobytes on disk, width*height bytes once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = bytes(1 + (width + 7) // 8)  # filter byte, then the packed bits
    compressor = zlib.compressobj(9)
    rows = [compressor.compress(row * min(1000, height - y)) for y in range(0, height, 1000)]
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"".join(rows) + compressor.flush())
        + chunk(b"IEND", b"")
    )
    return path


@dataclass(frozen=True)
class Photos:
    original: Path
    original_jpeg: Path
    crosshairs: Path
    reencoded: Path
    with_exif: Path
    unrelated: tuple[Path, ...]


def save_photo_set(folder: Path) -> Photos:
    photo = make_photo(seed=1)
    photo.save(folder / "original.png")
    photo.save(folder / "original.jpg", quality=95)
    draw_crosshairs(photo).save(folder / "crosshairs.png")
    photo.resize((640, 480), Image.Resampling.LANCZOS).save(folder / "reencoded.jpg", quality=70)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo.save(folder / "exif.jpg", quality=90, exif=camera_exif(), icc_profile=srgb)
    unrelated = []
    for seed in (2, 3, 4):
        make_photo(seed).save(folder / f"unrelated-{seed}.png")
        unrelated.append(folder / f"unrelated-{seed}.png")
    return Photos(
        original=folder / "original.png",
        original_jpeg=folder / "original.jpg",
        crosshairs=folder / "crosshairs.png",
        reencoded=folder / "reencoded.jpg",
        with_exif=folder / "exif.jpg",
        unrelated=tuple(unrelated),
    )


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Photos:
    return save_photo_set(tmp_path_factory.mktemp("photos"))


def phash_distance(first: Path, second: Path) -> int:
    a, b = analyse_image(first, LIMIT), analyse_image(second, LIMIT)
    assert a.phash is not None and b.phash is not None
    return hamming(a.phash, b.phash)


def test_a_clean_photo_is_analysed_with_size_format_and_hashes(photos: Photos) -> None:
    findings = analyse_image(photos.original, LIMIT)
    assert findings.analysis == "ok"
    assert (findings.width, findings.height, findings.image_format) == (800, 600, "PNG")
    for value in (findings.phash, findings.dhash):
        assert value is not None and len(value) == 16 and value == value.lower()
        int(value, 16)
    assert findings.exif == {} and findings.gps is None and not findings.has_gps


def test_crosshairs_drawn_on_a_photo_keep_its_phash_close(photos: Photos) -> None:
    assert phash_distance(photos.original, photos.crosshairs) <= 8


def test_a_resized_reencoded_jpeg_matches_its_original(photos: Photos) -> None:
    assert phash_distance(photos.original, photos.reencoded) <= 6


def test_unrelated_photos_are_far_apart(photos: Photos) -> None:
    for other in photos.unrelated:
        assert phash_distance(photos.original, other) >= 16


@pytest.mark.parametrize("image_format", ["GIF", "WEBP", "TIFF"])
def test_other_formats_are_analysed_and_match_the_same_photo(
    photos: Photos, tmp_path: Path, image_format: str
) -> None:
    path = tmp_path / f"photo.{image_format.lower()}"
    make_photo(seed=1).save(path, format=image_format)
    findings = analyse_image(path, LIMIT)
    assert findings.analysis == "ok" and findings.image_format == image_format
    assert phash_distance(photos.original, path) <= 6


def test_heic_is_analysed_when_pillow_heif_can_write_it(photos: Photos, tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    path = tmp_path / "photo.heic"
    try:
        pillow_heif.from_pillow(make_photo(seed=1)).save(path, quality=90)
    except Exception as exc:  # libheif built without an HEVC encoder
        pytest.skip(f"no HEIC encoder: {exc}")
    findings = analyse_image(path, LIMIT)
    assert findings.analysis == "ok" and findings.image_format == "HEIF"
    assert phash_distance(photos.original, path) <= 6


def test_camera_dates_and_gps_are_read_from_exif(photos: Photos) -> None:
    findings = analyse_image(photos.with_exif, LIMIT)
    assert findings.analysis == "ok"
    assert findings.exif["Make"] == "Canon"
    assert findings.exif["Model"] == "Canon EOS 5D Mark IV"
    assert findings.exif["Software"] == "Adobe Photoshop 25.0"
    assert findings.exif["DateTime"] == "2024:03:05 10:11:12"
    assert findings.exif["DateTimeOriginal"] == "2024:03:01 09:00:00"
    assert "GPSInfo" not in findings.exif and "ExifOffset" not in findings.exif
    assert findings.has_gps and findings.gps is not None
    assert findings.gps["latitude"] == pytest.approx(51.5007, abs=1e-6)
    assert findings.gps["longitude"] == pytest.approx(-0.1246, abs=1e-6)
    assert findings.gps["altitude"] == pytest.approx(12.5)


def test_exif_values_are_short_strings(tmp_path: Path) -> None:
    exif = camera_exif()
    exif[ExifTags.Base.ImageDescription] = "x" * 5000
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.MakerNote] = bytes(4000)
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.ExifVersion] = b"0232"
    make_photo(seed=1, size=(64, 48)).save(tmp_path / "long.jpg", exif=exif)
    findings = analyse_image(tmp_path / "long.jpg", LIMIT)
    assert len(findings.exif["ImageDescription"]) == 500
    assert "MakerNote" not in findings.exif
    assert findings.exif["ExifVersion"] == b"0232".hex()
    assert all(isinstance(value, str) for value in findings.exif.values())


def test_thumb_preview_and_print_copy_carry_no_metadata(photos: Photos, tmp_path: Path) -> None:
    written = make_derivatives(photos.with_exif, tmp_path / "out", LIMIT)
    assert set(written) == {"thumb", "preview", "print", "ela"}
    for name in ("thumb", "preview", "print"):
        with Image.open(written[name]) as derivative:
            assert derivative.format == ("JPEG" if name == "print" else "PNG")
            assert not derivative.getexif()
            assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp"} & set(derivative.info)
        assert analyse_image(written[name], LIMIT).gps is None
    with Image.open(written["thumb"]) as thumb, Image.open(written["preview"]) as preview:
        assert thumb.size == (320, 240) and preview.size == (800, 600)


def test_derivatives_are_turned_upright_before_being_stripped(tmp_path: Path) -> None:
    # Orientation 6: the camera was turned a quarter clockwise; viewers rotate the pixels back.
    make_photo(seed=1).save(tmp_path / "turned.jpg", exif=camera_exif(orientation=6))
    written = make_derivatives(tmp_path / "turned.jpg", tmp_path / "out", LIMIT)
    with Image.open(written["thumb"]) as thumb, Image.open(written["preview"]) as preview:
        assert thumb.size == (240, 320) and preview.size == (600, 800)
    with Image.open(written["ela"]) as ela:
        assert ela.size == (600, 800)


def test_large_images_are_shrunk_to_fit_their_boxes(tmp_path: Path) -> None:
    make_photo(seed=5, size=(2400, 1200)).save(tmp_path / "wide.png")
    written = make_derivatives(tmp_path / "wide.png", tmp_path / "out", 10_000_000)
    with Image.open(written["thumb"]) as thumb, Image.open(written["preview"]) as preview:
        assert thumb.size == (320, 160) and preview.size == (1600, 800)
    with Image.open(written["print"]) as print_copy:
        assert print_copy.size == (900, 450) and print_copy.mode == "RGB"


def test_a_picture_that_fits_the_thumbnail_is_its_own_thumbnail(tmp_path: Path) -> None:
    make_photo(seed=6, size=(160, 120)).save(tmp_path / "small.png")
    written = make_derivatives(tmp_path / "small.png", tmp_path / "out", LIMIT)
    assert written["thumb"].read_bytes() == written["preview"].read_bytes()
    with Image.open(written["thumb"]) as thumb:
        assert thumb.size == (160, 120)
    assert not [p for p in (tmp_path / "out").iterdir() if p.suffix == ".tmp"]


def test_error_level_analysis_is_made_for_jpegs_only(photos: Photos, tmp_path: Path) -> None:
    from_jpeg = make_derivatives(photos.original_jpeg, tmp_path / "jpeg", LIMIT)
    from_png = make_derivatives(photos.original, tmp_path / "png", LIMIT)
    assert set(from_jpeg) == {"thumb", "preview", "print", "ela"}
    assert set(from_png) == {"thumb", "preview", "print"}
    assert not (tmp_path / "png" / "ela.png").exists()
    with Image.open(from_jpeg["ela"]) as ela:
        assert ela.size == (800, 600)
        assert max(high for _, high in ela.getextrema()) == 255  # stretched to full brightness
    assert not [p for p in (tmp_path / "jpeg").iterdir() if p.suffix == ".tmp"]


def test_a_decompression_bomb_is_refused_without_being_decoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = write_blank_png(tmp_path / "bomb.png", 8000, 8000)
    assert bomb.stat().st_size < 100_000
    decoded: list[object] = []
    real_load = ImageFile.ImageFile.load

    def spy_load(image: ImageFile.ImageFile) -> object:
        decoded.append(image)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy_load)
    findings = analyse_image(bomb, LIMIT)
    assert findings.analysis == "over_pixel_limit"
    assert (findings.width, findings.height, findings.image_format) == (8000, 8000, "PNG")
    assert (
        findings.note == "Image has 64,000,000 pixels, over the limit of 1,000,000; not analysed."
    )
    assert findings.phash is None
    assert make_derivatives(bomb, tmp_path / "out", LIMIT) == {}
    assert decoded == []


def test_pillows_own_bomb_guard_counts_as_over_the_limit(tmp_path: Path) -> None:
    # Pillow refuses 20000 x 20000 inside Image.open, whatever limit we pass.
    bomb = write_blank_png(tmp_path / "bomb.png", 20_000, 20_000)
    assert bomb.stat().st_size < 1_000_000
    findings = analyse_image(bomb, 10**12)
    assert findings.analysis == "over_pixel_limit"
    assert "400,000,000 pixels" in findings.note
    with pytest.warns(Image.DecompressionBombWarning):  # Pillow only warns between 1x and 2x
        findings = analyse_image(write_blank_png(tmp_path / "big.png", 10_000, 10_000), 10**12)
    assert findings.analysis == "over_pixel_limit" and findings.width == 10_000


def test_a_truncated_jpeg_is_corrupt_but_keeps_its_exif(photos: Photos, tmp_path: Path) -> None:
    data = photos.with_exif.read_bytes()
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(data[: len(data) // 2])
    findings = analyse_image(truncated, LIMIT)
    assert findings.analysis == "corrupt"
    assert findings.note.startswith("Image is truncated or corrupt:")
    assert (findings.width, findings.height) == (800, 600)
    assert findings.exif["Make"] == "Canon" and findings.has_gps
    assert findings.phash is None
    assert make_derivatives(truncated, tmp_path / "out", LIMIT) == {}
    assert not ImageFile.LOAD_TRUNCATED_IMAGES


@pytest.mark.parametrize("keep", [100, 5000])
def test_a_png_with_garbage_after_a_valid_header_is_corrupt(
    photos: Photos, tmp_path: Path, keep: int
) -> None:
    data = photos.original.read_bytes()
    broken = tmp_path / "broken.png"
    broken.write_bytes(data[:keep] + random.Random(keep).randbytes(len(data) - keep))
    assert analyse_image(broken, LIMIT).analysis == "corrupt"


@pytest.mark.parametrize(
    "content",
    [b"", b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(4096), b"%!PS-Adobe-3.0 EPSF-3.0\n"],
    ids=["empty", "png-signature-then-noise", "eps-header"],
)
def test_files_that_are_not_images_are_corrupt_not_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    findings = analyse_image(path, LIMIT)
    assert findings.analysis == "corrupt" and findings.note
    assert make_derivatives(path, tmp_path / "out", LIMIT) == {}


def test_a_missing_file_is_reported_not_raised(tmp_path: Path) -> None:
    assert analyse_image(tmp_path / "nowhere.jpg", LIMIT).analysis == "corrupt"


def test_open_image_refuses_with_a_value_error(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ValueError, match="Not a readable"):
        open_image(tmp_path / "empty.png", LIMIT)


def test_hamming_counts_differing_bits_and_rejects_non_hashes() -> None:
    assert hamming("0000000000000000", "ffffffffffffffff") == 64
    assert hamming("00000000000000ff", "000000000000000f") == 4
    for bad in ("abc", "0x000000000000ff", "000000000000000g", "00000000_0000000"):
        with pytest.raises(ValueError):
            hamming(bad, "0000000000000000")


def test_hash_bands_split_most_significant_first() -> None:
    assert hash_bands("0123456789abcdef") == (0x0123, 0x4567, 0x89AB, 0xCDEF)


def test_band_neighbours_cover_every_value_within_the_radius() -> None:
    assert [len(band_neighbours(0xBEEF, radius)) for radius in range(4)] == [1, 17, 137, 697]
    neighbours = band_neighbours(0xBEEF, 2)
    assert neighbours == sorted(set(neighbours))
    assert all((value ^ 0xBEEF).bit_count() <= 2 for value in neighbours)
    with pytest.raises(ValueError):
        band_neighbours(0x10000, 1)


@pytest.mark.parametrize("threshold", [4, 8, 10, 12])
def test_hashes_within_a_threshold_share_a_band_within_a_quarter_of_it(threshold: int) -> None:
    rng = random.Random(threshold)
    for _ in range(200):
        a = rng.getrandbits(64)
        flips = rng.sample(range(64), rng.randint(0, threshold))
        b = a ^ sum(1 << bit for bit in flips)
        first, second = f"{a:016x}", f"{b:016x}"
        assert hamming(first, second) <= threshold
        pairs = zip(hash_bands(first), hash_bands(second), strict=True)
        assert any(theirs in band_neighbours(ours, threshold // 4) for ours, theirs in pairs)
