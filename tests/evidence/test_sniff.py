"""What a file is comes from its first bytes, checked against an allow-list; whatever is not
on it is refused with a sentence the analyst can act on."""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from casemgr.evidence.sniff import HEAD_SIZE, describe_refusal, mismatch, sniff
from tests.evidence.photos import photo

EXECUTABLE = "This is an executable program; only evidence files of the allowed types are kept."
MARKUP = "HTML, SVG and XML files are not accepted; save the page as PDF or a screenshot."
NOT_ACCEPTED = "This type of file is not accepted. Allowed: "


def saved(format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    photo(size=(64, 48)).save(buffer, format, **options)
    return buffer.getvalue()


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.jpg", saved("JPEG"))
    return buffer.getvalue()


EML = (
    b"Received: from mail.example.org (mail.example.org [192.0.2.7])\r\n"
    b"\tby mx.example.com with ESMTPS; Tue, 3 Mar 2026 09:12:44 +0000\r\n"
    b"From: Watcher <watcher@example.org>\r\n"
    b"To: ceo@example.com\r\n"
    b"Subject: I know where you park\r\n"
    b"\r\n"
    b"Level 2, bay 14. See you Friday.\r\n"
)

RECOGNISED = {
    "jpeg": (saved("JPEG"), "image/jpeg"),
    "png": (saved("PNG"), "image/png"),
    "gif": (saved("GIF"), "image/gif"),
    "webp": (saved("WEBP"), "image/webp"),
    "tiff": (saved("TIFF"), "image/tiff"),
    "pdf": (saved("PDF"), "application/pdf"),
    "utf-8 text": ("Je sais où tu habites. Bis bald — 🙂\n".encode(), "text/plain"),
    "e-mail": (EML, "message/rfc822"),
    "mp4": (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(64), "video/mp4"),
    "mov": (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + bytes(64), "video/quicktime"),
}

REFUSED = {
    "elf executable": (b"\x7fELF\x02\x01\x01\x00" + bytes(120), EXECUTABLE),
    "windows executable": (b"MZ\x90\x00\x03\x00\x00\x00This program cannot be run", EXECUTABLE),
    "html": (b"<!DOCTYPE html>\n<html><body><script>alert(1)</script>", MARKUP),
    "html after a bom": (b"\xef\xbb\xbf  <html><head><title>x</title>", MARKUP),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', MARKUP),
    "xml": (b'<?xml version="1.0"?>\n<note><to>CEO</to></note>', MARKUP),
    "zip": (zip_archive(), NOT_ACCEPTED),
    "random binary": (random.Random(3).randbytes(4096), NOT_ACCEPTED),
    "empty": (b"", "The file is empty."),
}


@pytest.mark.parametrize("content, mime", RECOGNISED.values(), ids=RECOGNISED.keys())
def test_allowed_types_are_recognised_from_their_bytes(content: bytes, mime: str) -> None:
    assert sniff(content[:HEAD_SIZE]) == mime


@pytest.mark.parametrize("content, sentence", REFUSED.values(), ids=REFUSED.keys())
def test_other_content_is_refused_with_a_sentence_saying_why(content: bytes, sentence: str) -> None:
    head = content[:HEAD_SIZE]
    assert sniff(head) is None
    assert describe_refusal(head).startswith(sentence)


def test_the_generic_refusal_lists_what_is_accepted() -> None:
    refusal = describe_refusal(zip_archive())
    for mime in ("image/jpeg", "application/pdf", "message/rfc822", "video/mp4"):
        assert mime in refusal


def test_a_text_file_cut_mid_character_at_the_head_boundary_is_still_text() -> None:
    content = ("é" * HEAD_SIZE).encode()  # two bytes a character: the head ends mid-way
    assert sniff(content[: HEAD_SIZE - 1]) == "text/plain"


def test_a_png_named_jpg_is_reported_as_a_mismatch() -> None:
    assert mismatch("image/png", "holiday.jpg", "") == (
        "the name ends in .jpg but the content is image/png"
    )


def test_a_jpeg_sent_as_png_is_reported_as_a_mismatch() -> None:
    assert mismatch("image/jpeg", "", "image/png") == (
        "it was sent as image/png but the content is image/jpeg"
    )


def test_a_wrong_name_and_a_wrong_declared_type_are_both_reported() -> None:
    note = mismatch("application/pdf", "invoice.exe", "text/html")
    assert ".exe" in note and "sent as text/html" in note


@pytest.mark.parametrize(
    "mime, filename, declared",
    [
        ("image/jpeg", "IMG_0042.JPEG", "image/jpeg"),
        ("image/jpeg", "scan.jfif", "application/octet-stream"),
        ("image/png", "C:\\Users\\sam\\screenshot.png", "image/png"),
        ("text/plain", "notes.txt", "text/plain; charset=utf-8"),
        ("message/rfc822", "threat.eml", "message/rfc822"),
        ("video/quicktime", "clip.mov", ""),
        ("application/pdf", "no-extension", ""),
    ],
)
def test_agreeing_names_and_declared_types_report_nothing(
    mime: str, filename: str, declared: str
) -> None:
    assert mismatch(mime, filename, declared) == ""
