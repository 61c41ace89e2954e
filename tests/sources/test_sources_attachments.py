# mypy: disallow-untyped-calls=False
# (pymupdf ships only partial annotations)
"""Files embedded in PDFs (attachments, e-invoice XML), on PDFs built here."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pymupdf
import pytest

import docparse
from docparse.sources.attachments import MAX_TEXT_BYTES, embedded_files
from docparse.sources.pdf import PdfSource

UBL = ("<?xml version='1.0' encoding='UTF-8'?>\n"
       '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
       'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
       "<cbc:ID>INV/2023/03/0008</cbc:ID><cbc:StartDate>2023-03-01</cbc:StartDate>"
       "<cbc:Note>Zahlbar binnen 14 Tagen, ohne Abzug</cbc:Note></Invoice>\n")
CII = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<!-- Factur-X -->\n'
       '<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:'
       'CrossIndustryInvoice:100"><ram:Name>Müller GmbH</ram:Name></rsm:CrossIndustryInvoice>')


def _pdf(files: list[tuple[str, bytes]], *, deflate: bool = True) -> pymupdf.Document:
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=300)
    page.insert_text((40, 120), "Invoice INV/2023/03/0008", fontsize=16)
    page.insert_text((40, 150), "Thank you for your order of 1 March 2023.", fontsize=11)
    for name, data in files:
        doc.embfile_add(name, data, filename=name, desc=f"the {name}")
    return pymupdf.open(stream=doc.tobytes(deflate=deflate), filetype="pdf")


@pytest.mark.parametrize("deflate", [True, False])
def test_an_e_invoice_xml_is_read_whole(deflate: bool) -> None:
    found = embedded_files(_pdf([("factur-x.xml", UBL.encode())], deflate=deflate))
    assert len(found) == 1
    a = found[0]
    assert (a.name, a.filename, a.description) == ("factur-x.xml", "factur-x.xml", "the factur-x.xml")
    assert a.text == UBL
    assert a.format == "ubl-invoice"
    assert a.size == len(UBL.encode())
    assert a.sha256 == hashlib.sha256(UBL.encode()).hexdigest()
    assert a.note is None


def test_a_cross_industry_invoice_in_its_declared_encoding() -> None:
    (a,) = embedded_files(_pdf([("zugferd-invoice.xml", CII.encode("iso-8859-1"))]))
    assert a.format == "cii-invoice"
    assert a.text is not None and "Müller GmbH" in a.text


def test_binary_attachments_are_listed_not_read() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    listed = embedded_files(_pdf([("logo.png", png), ("notes.txt", b"call back on Monday")]))
    assert [(a.name, a.text, a.size) for a in listed] == [
        ("logo.png", None, len(png)), ("notes.txt", "call back on Monday", 19)]


def test_a_file_that_inflates_past_the_cap_is_not_read() -> None:
    # A few kilobytes in the PDF, 5 MiB once inflated: listed with a note, never held whole.
    bomb = b"<a>" + b" " * (MAX_TEXT_BYTES + 1024 * 1024) + b"</a>"
    doc = _pdf([("big.xml", bomb)])
    assert len(doc.tobytes()) < 100_000
    (a,) = embedded_files(doc)
    assert a.text is None and a.size is None
    assert a.note == "not read: over 4 MiB"


def test_a_filter_it_does_not_inflate_is_named_in_the_note() -> None:
    doc = _pdf([("a.xml", UBL.encode())], deflate=False)
    stream = _stream_xref(doc)
    doc.xref_set_key(stream, "Filter", "/LZWDecode")
    (a,) = embedded_files(doc)
    assert a.text is None and a.note == "not read: stored with LZWDecode"


def test_a_file_specification_given_as_a_reference_is_followed() -> None:
    doc = _pdf([("a.xml", UBL.encode())])
    stream = _stream_xref(doc)
    spec = doc.get_new_xref()
    doc.update_object(spec, f"<</Type/Filespec/F(a.xml)/UF(a.xml)/EF<</F {stream} 0 R>>>>")
    doc.xref_set_key(doc.pdf_catalog(), "Names/EmbeddedFiles/Names", f"[(a.xml) {spec} 0 R]")
    (a,) = embedded_files(doc)
    assert a.text == UBL


def _stream_xref(doc: pymupdf.Document) -> int:
    _, names = doc.xref_get_key(doc.pdf_catalog(), "Names/EmbeddedFiles/Names")
    return int(names.split("/EF<</F ")[1].split()[0])


def test_parse_keeps_the_attachments_in_the_json(tmp_path: Path) -> None:
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(_pdf([("factur-x.xml", UBL.encode())]).tobytes())
    doc = docparse.parse(pdf)
    assert [a.format for a in doc.attachments] == ["ubl-invoice"]
    saved = doc.save_to_json(tmp_path / "out")
    again = docparse.load(saved)
    assert again == doc
    assert again.attachments[0].text == UBL
    assert "INV/2023/03/0008" in doc.to_markdown()  # the page itself is read as before


def test_a_pdf_without_attachments_lists_none(tmp_path: Path) -> None:
    pdf = tmp_path / "plain.pdf"
    pdf.write_bytes(_pdf([]).tobytes())
    with PdfSource(pdf, input_path=str(pdf)) as src:
        assert src.attachments() == ()


@pytest.mark.parametrize("array", [
    "[(a.xml) 12 0 R]", "[(unclosed", "[<<", "[<</EF<</F 3 0 R>>", "[(a) <4142 (b)]",
    "[[nested] /Name 1 0 R", "[)]", "[(\\\\) 5 0 R]", "[" + "<<" * 500 + "]",
])
def test_a_damaged_names_array_is_split_without_failing(array: str) -> None:
    from docparse.sources.attachments import _array_items

    items = _array_items(array)
    assert all(item.strip() for item in items)
    if array == "[(a.xml) 12 0 R]":
        assert items == ["(a.xml)", "12 0 R"]


@pytest.mark.parametrize("names", ["[(a.xml) 9999 0 R]", "[(a.xml) (oops)]", "[(a.xml)]",
                                   "[(a.xml) <</EF <</F 1 0 R>> >>]"])
def test_a_damaged_attachment_table_never_fails_the_document(tmp_path: Path, names: str) -> None:
    doc = _pdf([("a.xml", UBL.encode())])
    doc.xref_set_key(doc.pdf_catalog(), "Names/EmbeddedFiles/Names", names)
    pdf = tmp_path / "damaged.pdf"
    pdf.write_bytes(doc.tobytes())
    with PdfSource(pdf, input_path=str(pdf)) as src:
        listed = src.attachments()  # listed or not, but no exception
    assert all(a.text in (None, "") for a in listed)
    assert "INV/2023/03/0008" in docparse.parse(pdf).to_markdown()
