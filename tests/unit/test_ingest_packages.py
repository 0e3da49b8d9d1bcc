"""Word documents and EPUBs: their text in reading order, their title, exact offsets, and clear errors for damaged
files."""

from __future__ import annotations

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
    ({"OEBPS/content.opf": PACKAGE}, "it lists OEBPS/text/two.xhtml, which it does not hold"),
])
def test_a_damaged_epub_is_a_clear_error(tmp_path: Path, files: dict[str, str], message: str) -> None:
    p = tmp_path / "book.epub"
    p.write_bytes(epub(files))
    with pytest.raises(IngestError, match=message):
        extract_document(p, p.read_bytes())


@pytest.mark.parametrize("name", ["book.epub", "letter.docx"])
def test_a_file_that_is_no_zip_package_is_a_clear_error(tmp_path: Path, name: str) -> None:
    p = tmp_path / name
    p.write_bytes(b"%PDF-1.4 this is something else entirely")
    with pytest.raises(IngestError, match=r"not an EPUB|cannot read the Word document"):
        extract_document(p, p.read_bytes())
