"""Text extraction: deterministic text per format, clear errors for files that cannot be indexed."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.documents import content_hash, document_title, extract_document, extract_text, hash_file
from assistant.errors import IngestError
from tests.pdfs import make_pdf, titled_pdf


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


def test_text_line_endings_are_normalised_and_bom_dropped(tmp_path: Path) -> None:
    p = write(tmp_path, "a.txt", b"\xef\xbb\xbfFirst line.\r\nSecond line.\rThird.")
    assert extract_text(p) == "First line.\nSecond line.\nThird."
    assert extract_text(str(p)) == extract_text(p)  # a citation's source, as the JSON gives it


def test_utf16_with_bom_is_decoded(tmp_path: Path) -> None:
    p = write(tmp_path, "a.txt", "Grüße aus Köln.".encode("utf-16"))
    assert extract_text(p) == "Grüße aus Köln."


def test_windows_1252_text_falls_back_instead_of_failing(tmp_path: Path) -> None:
    p = write(tmp_path, "a.md", "Café “quotes” – déjà vu.".encode("cp1252"))
    assert extract_text(p) == "Café “quotes” – déjà vu."


def test_bytes_that_are_neither_utf8_nor_1252_are_refused_with_a_hint(tmp_path: Path) -> None:
    p = write(tmp_path, "a.txt", b"abc \x81\x8d\x90 def")
    with pytest.raises(IngestError, match=r"not UTF-8.*iconv"):
        extract_text(p)


@pytest.mark.parametrize("data", [b"\x7fELF\x02\x01\x01\x00\x00\x00" * 50, bytes(range(256)) * 4])
def test_binary_content_in_a_txt_file_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(IngestError, match="binary"):
        extract_text(write(tmp_path, "blob.txt", data))


def test_empty_and_blank_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="empty"):
        extract_text(write(tmp_path, "e.txt", b""))
    with pytest.raises(IngestError, match="no text"):
        extract_text(write(tmp_path, "b.md", b"  \n\n\t\n"))


def test_unsupported_extension_is_refused_naming_the_supported_ones(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"unsupported file type '\.odt'.*\.pdf"):
        extract_text(write(tmp_path, "a.odt", b"PK\x03\x04"))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="cannot read"):
        extract_text(tmp_path / "nope.txt")


HTML = b"""<!doctype html><html><head><title>The  Title</title><style>p {color: red}</style>
<script>var x = "not text";</script></head><body><!-- a comment -->
<h1>Heading</h1>
<p>First   paragraph
   spans lines.</p><p>Second <b>bold</b> paragraph.<br>After a break.</p>
<ul><li>one</li><li><p>two</p></li></ul><pre>def f():
    code  kept</pre></body></html>"""


def test_html_keeps_visible_text_in_blocks(tmp_path: Path) -> None:
    p = write(tmp_path, "page.html", HTML)
    text = extract_text(p)
    assert text == (
        "Heading\n\nFirst paragraph spans lines.\n\nSecond bold paragraph.\nAfter a break.\n\n- one\n- two\n\n"
        "def f():\n    code  kept"  # a code block's spaces are its layout; an item's paragraph is on its line
    )
    assert extract_text(p) == text  # deterministic
    assert document_title(p, extract_document(p, HTML)) == "The Title"


def test_pdf_text_is_extracted_page_by_page(tmp_path: Path) -> None:
    p = write(tmp_path, "doc.pdf", make_pdf([["Page one says hello."], ["Page two says goodbye."]]))
    text = extract_text(p)
    assert "Page one says hello." in text and "Page two says goodbye." in text
    assert text.index("hello") < text.index("goodbye")
    assert extract_text(p) == text


@pytest.mark.parametrize("data", [b"%PDF-1.4\nthis is not really a pdf", b"not a pdf at all"])
def test_damaged_pdf_is_a_clear_error(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(IngestError, match=r"not a PDF that can be read: damaged, or not a PDF at all \(PDFium: "):
        extract_text(write(tmp_path, "bad.pdf", data))


def test_pdf_without_text_suggests_ocr(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="OCR"):
        extract_text(write(tmp_path, "scan.pdf", make_pdf([[]])))


def test_a_pdf_title_comes_from_its_document_information(tmp_path: Path) -> None:
    plain = make_pdf([["Some text on a page."]])
    titled = write(tmp_path, "manual.pdf", titled_pdf(plain, "An Introduction to R"))
    assert document_title(titled, extract_document(titled, titled.read_bytes())) == \
        "An Introduction to R"
    untitled = write(tmp_path, "untitled.pdf", plain)
    assert document_title(untitled, extract_document(untitled, plain)) == "untitled.pdf"


def test_a_pdf_without_a_title_in_its_information_is_titled_by_its_largest_lines(tmp_path: Path) -> None:
    body = ["Some text on a page.", "More text after it.", "And a last line."]
    cover = make_pdf([[("Reference", 20), ("Manual", 18), ("A subtitle set smaller", 14), *body], body])
    titled = write(tmp_path, "ref.pdf", cover)
    assert document_title(titled, extract_document(titled, cover)) == "Reference Manual"
    # the information's title wins; one size throughout is no title
    assert document_title(titled, extract_document(titled, titled_pdf(cover, "Given Title"))) == "Given Title"
    flat = make_pdf([body])
    assert document_title(titled, extract_document(titled, flat)) == "ref.pdf"


def test_titles_come_from_markdown_heading_or_file_name(tmp_path: Path) -> None:
    md = write(tmp_path, "notes.md", "intro\n\n## The Real Title ##\n\ntext")
    assert document_title(md, extract_document(md, md.read_bytes())) == "The Real Title"
    txt = write(tmp_path, "plain.txt", "Some text.")
    assert document_title(txt, extract_document(txt, txt.read_bytes())) == "plain.txt"
    # a line underlined near the start (setext, reStructuredText, plain-text manuals); a short rule after a
    # sentence is no underline
    manual = write(tmp_path, "policy.txt", "Debian Policy Manual\n********************\n\nThis manual describes.")
    assert document_title(manual, extract_document(manual, manual.read_bytes())) == "Debian Policy Manual"
    ruled = write(tmp_path, "ruled.txt", "A sentence that ends here.\n---\nMore text.")
    assert document_title(ruled, extract_document(ruled, ruled.read_bytes())) == "ruled.txt"
    # a sentence or a lead-in over a long rule is no title
    for text in ("This is the opening paragraph that ends.\n" + "-" * 72 + "\n", "Results:\n-----\nA table."):
        other = write(tmp_path, "other.txt", text)
        assert document_title(other, extract_document(other, other.read_bytes())) == "other.txt"


def test_file_hash_matches_content_hash_and_changes_with_content(tmp_path: Path) -> None:
    p = write(tmp_path, "a.txt", "x" * 3_000_000)
    assert hash_file(p, block=4096) == content_hash(p.read_bytes())
    before = hash_file(p)
    p.write_text("x" * 2_999_999 + "y")
    assert hash_file(p) != before
