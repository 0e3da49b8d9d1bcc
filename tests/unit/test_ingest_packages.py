"""Word documents and EPUBs: their text in reading order, their title, exact offsets, and clear errors for damaged
files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest

from assistant.chunking import chunk_text
from assistant.documents import document_title, extract_document
from assistant.errors import IngestError
from tests.packages import PACKAGE, chapter, epub


def word_file(tmp_path: Path, title: str = "") -> Path:
    d = docx.Document()
    d.core_properties.title = title
    d.sections[0].header.paragraphs[0].text = "CONFIDENTIAL DRAFT"
    d.add_heading("Pump manual", level=1)
    d.add_paragraph("The pump starts when the tank is full.")
    table = d.add_table(rows=2, cols=3)
    table.cell(0, 0).text, table.cell(0, 1).text, table.cell(0, 2).text = "Part", "Weight", "Price"
    merged = table.cell(1, 0).merge(table.cell(1, 1))
    merged.text = "Valve"
    table.cell(1, 2).text = "12 euros"
    d.add_paragraph("")
    d.add_paragraph("Rinse the filter under warm water.")
    p = tmp_path / "manual.docx"
    d.save(str(p))
    return p


def test_a_word_document_reads_in_order_with_its_tables_and_without_its_header(tmp_path: Path) -> None:
    p = word_file(tmp_path)
    doc = extract_document(p, p.read_bytes())
    assert doc.text == ("Pump manual\n\nThe pump starts when the tank is full.\n\nPart | Weight | Price\n\n"
                        "Valve | 12 euros\n\nRinse the filter under warm water.")
    assert document_title(p, doc) == "Pump manual"  # no title property: the first Heading 1
    p2 = word_file(tmp_path, title="Pump handbook")
    assert document_title(p2, extract_document(p2, p2.read_bytes())) == "Pump handbook"


def test_word_passages_quote_their_document_exactly(tmp_path: Path) -> None:
    p = word_file(tmp_path)
    text = extract_document(p, p.read_bytes()).text
    chunks = chunk_text(text, chunk_chars=60)
    assert chunks and all(text[c.start:c.end] == c.text for c in chunks)


def test_an_epub_reads_its_spine_in_order_and_only_its_spine(tmp_path: Path) -> None:
    p = tmp_path / "book.epub"
    p.write_bytes(epub({"OEBPS/content.opf": PACKAGE,
                        "OEBPS/nav.xhtml": chapter("Contents", "Chapter one. Chapter two."),
                        "OEBPS/text/chapter 1.xhtml": chapter("Starting", "The pump starts when the tank is full."),
                        "OEBPS/text/two.xhtml": chapter("Cleaning", "Rinse the filter under warm water."),
                        "OEBPS/style.css": "p { color: black }"}))
    doc = extract_document(p, p.read_bytes())
    assert doc.text.index("Cleaning") < doc.text.index("Starting")  # the spine's order, not the manifest's
    assert doc.text.count("Rinse the filter under warm water.") == 1  # listed twice, by fragment: read once
    assert "Contents" not in doc.text
    assert "color" not in doc.text
    assert document_title(p, doc) == "The Pump Book"


@pytest.mark.parametrize(("files", "message"), [
    ({}, "does not hold"),  # the container names a package file that is not there
    ({"OEBPS/content.opf": "<package"}, "not well-formed XML"),
    ({"OEBPS/content.opf": PACKAGE}, "it lists OEBPS/text/two.xhtml, OEBPS/text/chapter 1.xhtml, which it does "
                                     "not hold"),
])
def test_a_damaged_epub_is_a_clear_error(tmp_path: Path, files: dict[str, str], message: str) -> None:
    p = tmp_path / "book.epub"
    p.write_bytes(epub(files))
    with pytest.raises(IngestError, match=message):
        extract_document(p, p.read_bytes())


@pytest.mark.parametrize(("name", "message"), [("book.epub", "not an EPUB"), ("letter.docx", "cannot read the Word")])
def test_a_file_that_is_no_zip_package_is_a_clear_error(tmp_path: Path, name: str, message: str) -> None:
    p = tmp_path / name
    p.write_bytes(b"%PDF-1.4 this is something else entirely")
    with pytest.raises(IngestError, match=message):
        extract_document(p, p.read_bytes())


CHAPTERS = {"OEBPS/content.opf": PACKAGE, "OEBPS/text/chapter 1.xhtml": chapter("Starting", "The pump starts."),
            "OEBPS/text/two.xhtml": chapter("Cleaning", "Rinse the filter.")}


def test_a_chapter_the_book_lacks_is_named_and_the_others_indexed(tmp_path: Path) -> None:
    p = tmp_path / "book.epub"
    p.write_bytes(epub({k: v for k, v in CHAPTERS.items() if "two" not in k}))
    doc = extract_document(p, p.read_bytes())
    assert "The pump starts." in doc.text
    assert doc.warnings == ("1 of the 2 chapters its spine lists are not in the book (OEBPS/text/two.xhtml); the "
                            "others are indexed",)


def test_a_drm_protected_epub_is_refused_and_obfuscated_fonts_are_not_drm(tmp_path: Path) -> None:
    def encryption(uri: str, algorithm: str) -> str:
        return (f'<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
                f'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod '
                f'Algorithm="{algorithm}"/><enc:CipherData><enc:CipherReference URI="{uri}"/></enc:CipherData>'
                f"</enc:EncryptedData></encryption>")

    p = tmp_path / "book.epub"
    p.write_bytes(epub({**CHAPTERS, "META-INF/encryption.xml": encryption(
        "OEBPS/text/two.xhtml", "http://www.w3.org/2001/04/xmlenc#aes128-cbc")}))
    with pytest.raises(IngestError, match=r"DRM-protected \(1 of its 2 chapters"):
        extract_document(p, p.read_bytes())
    p.write_bytes(epub({**CHAPTERS, "META-INF/encryption.xml": encryption(
        "OEBPS/fonts/a.otf", "http://www.idpf.org/2008/embedding")}))
    assert "Rinse the filter." in extract_document(p, p.read_bytes()).text


def test_a_package_that_unpacks_to_too_much_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant import packages

    monkeypatch.setattr(packages, "MAX_UNPACKED_BYTES", 10_000)
    book, letter = tmp_path / "book.epub", word_file(tmp_path)
    book.write_bytes(epub({**CHAPTERS, "OEBPS/filler.xhtml": "x" * 20_000}))
    for p, kind in ((book, "EPUB"), (letter, "Word document")):
        with pytest.raises(IngestError, match=rf"the {kind} unpacks to \d+ MB, more than"):
            extract_document(p, p.read_bytes())
    monkeypatch.setattr(packages, "MAX_MEMBER_BYTES", 100)
    monkeypatch.setattr(packages, "MAX_UNPACKED_BYTES", 10**9)
    with pytest.raises(IngestError, match="inside the EPUB unpacks to"):
        extract_document(book, book.read_bytes())


def test_word_text_in_content_controls_insertions_and_fields_is_read_and_deletions_are_not(tmp_path: Path) -> None:
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = (f'<w:document {w}><w:body>'
            '<w:sdt><w:sdtContent><w:p><w:r><w:t>Cover page text.</w:t></w:r></w:p></w:sdtContent></w:sdt>'
            '<w:p><w:r><w:t xml:space="preserve">Before </w:t></w:r><w:ins><w:r><w:t>inserted</w:t></w:r></w:ins>'
            '<w:del><w:r><w:delText>deleted</w:delText></w:r></w:del><w:r><w:t xml:space="preserve"> after.</w:t>'
            '</w:r></w:p>'
            '<w:p><w:fldSimple w:instr="DATE"><w:r><w:t>1 May 2026</w:t></w:r></w:fldSimple></w:p>'
            '<w:tbl><w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>Valve</w:t></w:r></w:p>'
            '</w:tc><w:tc><w:p><w:r><w:t>12 euros</w:t></w:r></w:p></w:tc></w:tr>'
            '<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc><w:p><w:r><w:t>14 euros</w:t></w:r></w:p>'
            '</w:tc></w:tr></w:tbl><w:sectPr/></w:body></w:document>')
    p = word_file(tmp_path)
    with zipfile.ZipFile(p) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts["word/document.xml"] = body.encode()
    with zipfile.ZipFile(p, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert extract_document(p, p.read_bytes()).text == ("Cover page text.\n\nBefore inserted after.\n\n1 May 2026\n\n"
                                                        "Valve | 12 euros\n\n14 euros")
