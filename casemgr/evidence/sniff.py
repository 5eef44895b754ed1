"""What a file is, decided from its first bytes against an allow-list: never from its
name or the type the client declared. Anything not recognised is refused."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

HEAD_SIZE = 8192

# Allowed types and the file-name extensions that agree with each.
ALLOWED = {
    "image/jpeg": {".jpg", ".jpeg", ".jpe", ".jfif"},
    "image/png": {".png"},
    "image/gif": {".gif"},
    "image/webp": {".webp"},
    "image/tiff": {".tif", ".tiff"},
    "image/heic": {".heic", ".heif"},
    "application/pdf": {".pdf"},
    "message/rfc822": {".eml", ".msg", ".txt"},
    "text/plain": {".txt", ".text", ".log", ".csv", ".md"},
    "video/mp4": {".mp4", ".m4v"},
    "video/quicktime": {".mov", ".qt"},
}
EXTENSIONS = {mime: sorted(extensions)[0] for mime, extensions in ALLOWED.items()}
EXTENSIONS |= {"image/jpeg": ".jpg", "message/rfc822": ".eml", "text/plain": ".txt"}

_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"M4A ",
    b"dash",
    b"3gp4",
    b"3gp5",
    b"3g2a",
    b"f4v ",
}
_MAIL_HEADER = re.compile(
    rb"^(Received|Return-Path|From|To|Subject|Date|Message-ID|MIME-Version|Delivered-To"
    rb"|Reply-To|Content-Type|X-[A-Za-z-]+|DKIM-Signature|Authentication-Results):",
    re.IGNORECASE | re.MULTILINE,
)
_MARKUP = re.compile(
    rb"^\s*(<!doctype|<html|<\?xml|<svg|<script|<head|<body|<iframe)", re.IGNORECASE
)


def _iso_media(head: bytes) -> str | None:
    if head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in _HEIC_BRANDS:
        return "image/heic"
    if brand == b"qt  ":
        return "video/quicktime"
    if brand in _MP4_BRANDS:
        return "video/mp4"
    return None


def _text(head: bytes) -> str | None:
    if b"\x00" in head or _MARKUP.match(head.lstrip(b"\xef\xbb\xbf")):
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # only a character cut off at the end is fine
            return None
    if len(_MAIL_HEADER.findall(head[:4096])) >= 2 and _MAIL_HEADER.match(head):
        return "message/rfc822"
    return "text/plain"


def sniff(head: bytes) -> str | None:
    """The allowed type the bytes are, or None for anything else (executables, HTML,
    SVG, archives, unknown binaries, empty input)."""
    if not head:
        return None
    signatures = (
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"II*\x00", "image/tiff"),
        (b"MM\x00*", "image/tiff"),
        (b"%PDF-", "application/pdf"),
    )
    for signature, mime in signatures:
        if head.startswith(signature):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return _iso_media(head) or _text(head)


def mismatch(mime: str, filename: str, declared: str) -> str:
    """Why the name or the declared type disagree with the content; empty when they agree."""
    reasons = []
    extension = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if extension and extension not in ALLOWED.get(mime, set()):
        reasons.append(f"the name ends in {extension} but the content is {mime}")
    declared = declared.split(";")[0].strip().lower()
    generic = {"", "application/octet-stream", "binary/octet-stream"}
    if declared not in generic and declared != mime:
        reasons.append(f"it was sent as {declared} but the content is {mime}")
    return "; ".join(reasons)


def describe_refusal(head: bytes) -> str:
    """A plain sentence on why bytes that sniff() refuses are refused."""
    if not head:
        return "The file is empty."
    if head.startswith((b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")):
        return "This is an executable program; only evidence files of the allowed types are kept."
    if _MARKUP.match(head.lstrip(b"\xef\xbb\xbf")):
        return "HTML, SVG and XML files are not accepted; save the page as PDF or a screenshot."
    return "This type of file is not accepted. Allowed: " + ", ".join(sorted(ALLOWED)) + "."
