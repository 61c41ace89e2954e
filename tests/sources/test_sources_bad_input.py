"""Every bad input raises the right InputError subclass with a one-line, specific message."""

from __future__ import annotations

import io
import logging
import struct
import zlib
from pathlib import Path
from typing import Any

import pymupdf as _pymupdf
import pytest
from PIL import Image

from docparse.errors import (
    CorruptInputError,
    EmptyDocumentError,
    ImageTooLargeError,
    InputError,
    InputNotFoundError,
    PasswordError,
    UnsupportedFormatError,
)
from docparse.sources.opener import open_source
from docparse.sources.sniff import describe_unsupported, sniff_format

# pymupdf ships no type hints.
pymupdf: Any = _pymupdf


def one_line(exc: pytest.ExceptionInfo[InputError]) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def raw_pdf(*objects: bytes) -> bytes:
    """A PDF with a correct xref table around ``objects`` (numbered from 1)."""
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"


def pdf_bytes(pages: int = 2, text: str = "hello") -> bytes:
    doc = pymupdf.open()
    for _ in range(pages):
        doc.new_page(width=300, height=300).insert_text((20, 50), text)
    return bytes(doc.tobytes())


def png_with_size(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (the pixel data never gets read)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


# --- missing, directory, empty ------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.pdf"
    with pytest.raises(InputNotFoundError) as err:
        open_source(path)
    assert one_line(err) == f"{path}: no such file"
    assert err.value.path == str(path)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError) as err:
        open_source(str(tmp_path))
    assert one_line(err) == f"{tmp_path}: is a directory, not a file"


def test_empty_file_and_empty_bytes(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(EmptyDocumentError) as err:
        open_source(path)
    assert one_line(err) == f"{path}: empty file (0 bytes)"
    with pytest.raises(EmptyDocumentError, match=r"^<bytes>: empty file"):
        open_source(b"")
    with pytest.raises(EmptyDocumentError, match=r"^upload: empty file"):
        open_source(io.BytesIO(b""), name="upload")


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(pdf_bytes())
    path.chmod(0)
    try:
        if path.open("rb"):  # root can read anything; then there is nothing to test
            pytest.skip("running as root")
    except PermissionError:
        pass
    try:
        with pytest.raises(InputError, match=r"locked\.pdf: cannot read: Permission denied"):
            open_source(path)
    finally:
        path.chmod(0o644)


# --- unsupported content -------------------------------------------------------------


def test_text_named_pdf_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    path.write_text("Meeting notes: nothing here is a PDF\n")
    with pytest.raises(UnsupportedFormatError) as err:
        open_source(path)
    msg = one_line(err)
    assert msg.startswith(f"{path}: not a PDF, PNG, JPEG, BMP, WebP or TIFF file")
    assert "looks like plain text" in msg
    assert "content starts with b'Meeting notes: n'" in msg


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "a GIF image"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive (DOCX, XLSX"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "HTML, XML or SVG text"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "a HEIC image"),
        (b"BM this is not a bitmap header at all", "plain text"),
    ],
)
def test_unsupported_types_say_what_they_look_like(data: bytes, looks_like: str) -> None:
    with pytest.raises(UnsupportedFormatError) as err:
        open_source(data, name="upload.bin")
    msg = one_line(err)
    assert msg.startswith("upload.bin: not a PDF, PNG, JPEG, BMP, WebP or TIFF file")
    assert f"looks like {looks_like}" in msg


def test_binary_garbage_shows_its_first_bytes() -> None:
    with pytest.raises(UnsupportedFormatError) as err:
        open_source(bytes(range(200, 232)))
    assert "content starts with b'\\xc8\\xc9" in one_line(err)
    assert "looks like" not in str(err.value)


def test_sniffing_ignores_names() -> None:
    assert sniff_format(b"junk before\n%PDF-1.4\n") == "pdf"
    assert sniff_format(b"II*\x00\x08\x00") == "tiff"
    assert sniff_format(b"MM\x00*\x00\x00") == "tiff"
    assert sniff_format(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff_format(b"RIFF\x10\x00\x00\x00AVI LIST") is None
    assert describe_unsupported(b"") == "content starts with b''"


def test_mislabelled_image_is_read_by_content_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "scan.pdf"
    buf = io.BytesIO()
    Image.new("RGB", (5, 5)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    with caplog.at_level(logging.INFO, logger="docparse.sources"):
        src = open_source(path)
    src.close()
    assert src.kind == "image"
    assert "content is JPEG despite the .pdf extension" in caplog.text


# --- damaged PDFs --------------------------------------------------------------------


def test_garbage_after_pdf_header_is_corrupt() -> None:
    with pytest.raises(CorruptInputError) as err:
        open_source(b"%PDF-1.7\nthis is not really a pdf", name="broken.pdf")
    assert one_line(err).startswith("broken.pdf: not a readable PDF")


def test_truncated_pdf_is_corrupt(tmp_path: Path) -> None:
    data = pdf_bytes(pages=3)
    path = tmp_path / "download.pdf"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(CorruptInputError) as err:
        open_source(path)
    assert one_line(err) == (f"{path}: truncated PDF (the file ends before its %%EOF marker)")


def test_pdf_cut_right_after_header_is_corrupt() -> None:
    data = pdf_bytes()
    with pytest.raises(CorruptInputError, match=r"^cut\.pdf: not a readable PDF"):
        open_source(data[:40], name="cut.pdf")


def test_repaired_pdf_with_intact_end_still_opens() -> None:
    # Broken xref offsets (common in the wild) are repaired by MuPDF; the file is complete.
    data = pdf_bytes(pages=2).replace(b"startxref\n", b"startxref\n1")
    with open_source(data, name="offsets.pdf") as src:
        assert src.page_count == 2
        page = src.render(1, dpi=72, with_text_layer=False)
    assert page.meta["repaired"] is True
    assert (page.width, page.height) == (300, 300)


def test_page_count_lie_is_corrupt() -> None:
    data = raw_pdf(
        CATALOG,
        b"<< /Type /Pages /Kids [3 0 R] /Count 5 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
    )
    with pytest.raises(CorruptInputError, match=r"^lies\.pdf: not a readable PDF: Invalid number"):
        open_source(data, name="lies.pdf")


def test_damaged_page_names_the_page() -> None:
    data = raw_pdf(
        CATALOG,
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
        b"<< /Foo 3 >>",  # the second page's object is not a page
    )
    with open_source(data, name="mixed.pdf") as src:
        assert src.page_count == 2
        good = src.render(0, dpi=72, with_text_layer=False)
        assert (good.width, good.height) == (100, 100)
        with pytest.raises(CorruptInputError) as err:
            src.render(1, dpi=72, with_text_layer=False)
    assert one_line(err) == "mixed.pdf: page 2 is damaged: its object 4 0 R is not a page"


def test_missing_page_object_names_the_page() -> None:
    data = raw_pdf(CATALOG, b"<< /Type /Pages /Kids [9 0 R] /Count 1 >>")
    with open_source(data, name="gone.pdf") as src, pytest.raises(CorruptInputError) as err:
        src.render(0, dpi=72, with_text_layer=False)
    assert one_line(err) == "gone.pdf: page 1 is damaged: its object 9 0 R does not exist"


def test_page_tree_cycle_names_the_page() -> None:
    data = raw_pdf(
        CATALOG,
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
    )
    with open_source(data, name="loop.pdf") as src, pytest.raises(CorruptInputError) as err:
        src.render(0, dpi=72, with_text_layer=False)
    assert one_line(err) == "loop.pdf: page 1 is damaged: cycle in page tree"


# --- passwords -------------------------------------------------------------------------


def encrypted_pdf() -> bytes:
    doc = pymupdf.open()
    doc.new_page(width=100, height=100)
    return bytes(doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="right", owner_pw="o"))


def test_encrypted_pdf_without_password(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(encrypted_pdf())
    with pytest.raises(PasswordError) as err:
        open_source(path)
    assert one_line(err) == (
        f"{path}: encrypted PDF needs a password (pass --password or DOCPARSE_PASSWORD)"
    )


def test_encrypted_pdf_with_wrong_password() -> None:
    with pytest.raises(PasswordError) as err:
        open_source(encrypted_pdf(), password="wrong", name="locked.pdf")
    assert one_line(err) == "locked.pdf: wrong password for encrypted PDF"


def test_owner_only_encryption_needs_no_password() -> None:
    doc = pymupdf.open()
    doc.new_page(width=100, height=100)
    data = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="")
    with open_source(data) as src:
        assert src.page_count == 1


# --- empty PDF -------------------------------------------------------------------------


def test_zero_page_pdf() -> None:
    data = raw_pdf(CATALOG, b"<< /Type /Pages /Kids [] /Count 0 >>")
    with pytest.raises(EmptyDocumentError) as err:
        open_source(data, name="blank.pdf")
    assert one_line(err) == "blank.pdf: PDF has no pages"


# --- images: corrupt and too large ---------------------------------------------------------


def test_truncated_png_is_corrupt_when_decoded() -> None:
    buf = io.BytesIO()
    Image.effect_noise((200, 200), 50).save(buf, "PNG")
    data = buf.getvalue()
    with open_source(data[: len(data) // 2], name="half.png") as src:
        with pytest.raises(CorruptInputError) as err:
            src.render(0, dpi=144, with_text_layer=False)
    assert one_line(err).startswith("half.png: image cannot be decoded:")
    assert "truncated" in str(err.value)


def test_png_with_broken_header_is_corrupt() -> None:
    with pytest.raises(CorruptInputError, match=r"^bad\.png: cannot decode PNG image"):
        open_source(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDRbroken", name="bad.png")


def test_image_over_twice_pillow_limit() -> None:
    with pytest.raises(ImageTooLargeError) as err:
        open_source(png_with_size(20_000, 20_000), name="bomb.png")
    msg = one_line(err)
    assert msg.startswith("bomb.png: image exceeds Pillow's decompression-bomb limit")
    assert "400000000 pixels" in msg


def test_image_between_pillow_warning_and_error_limits(recwarn: pytest.WarningsRecorder) -> None:
    # 10000 x 9000 = 90 Mpx: above Pillow's 89,478,485 (where it only warns), below 2x.
    with pytest.raises(ImageTooLargeError) as err:
        open_source(png_with_size(10_000, 9_000), name="big.png")
    assert "90000000 pixels" in one_line(err)
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def test_tiff_frame_over_limit_names_the_page(tmp_path: Path) -> None:
    small = Image.new("1", (100, 100), 1)
    huge = Image.new("1", (10_000, 9_000), 1)  # 1-bit: 11 MB in memory, tiny on disk
    path = tmp_path / "mixed.tif"
    small.save(path, save_all=True, append_images=[huge], compression="group4")
    with open_source(path) as src:
        assert src.page_count == 2
        assert src.render(0, dpi=144, with_text_layer=False).image.shape == (100, 100, 3)
        with pytest.raises(ImageTooLargeError) as err:
            src.render(1, dpi=144, with_text_layer=False)
    assert one_line(err) == (
        f"{path}: page 2 is 10000x9000 = 90000000 pixels, over the 89478485 pixel limit"
    )


def test_text_mode_file_object(tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf_bytes())
    with path.open("r", encoding="latin-1") as fh:
        with pytest.raises(InputError, match=r"x\.pdf: file object is in text mode"):
            open_source(fh)  # type: ignore[arg-type]
