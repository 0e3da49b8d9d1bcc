"""Extraction that reads right: PDF pages with exact offsets and no furniture, HTML without its page frame."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.chunking import chunk_text
from assistant.documents import extract_document, glued_warning
from assistant.errors import IngestError
from assistant.pdf import _page_label
from assistant.text import split_sentences
from tests.pdfs import encrypt_pdf, make_pdf

BODY = [
    ["The first page explains how the pump starts.", "It needs power and a full tank."],
    ["The second page lists the parts of the pump.", "A motor, a valve and a hose."],
    ["The third page says how to clean the filter.", "Rinse it under warm water."],
    ["The fourth page covers storage over winter.", "Keep it dry and above freezing."],
]


def pdf_doc(tmp_path: Path, pages: list[list[str]], name: str = "doc.pdf") -> tuple[str, tuple[int, ...]]:
    p = tmp_path / name
    p.write_bytes(make_pdf(pages))
    doc = extract_document(p, p.read_bytes())
    return doc.text, doc.page_starts


def test_pdf_page_starts_are_exact_offsets_of_each_page(tmp_path: Path) -> None:
    text, starts = pdf_doc(tmp_path, BODY)
    assert len(starts) == len(BODY)
    for page, lines in zip(starts, BODY, strict=True):
        assert text[page:page + len(lines[0])] == lines[0]
    p = tmp_path / "doc.pdf"
    doc = extract_document(p, p.read_bytes())
    assert doc.page_at(text.index("winter")) == 4 and doc.page_at(0) == 1


def test_pdf_chunks_carry_their_page_and_never_straddle_pages(tmp_path: Path) -> None:
    text, starts = pdf_doc(tmp_path, BODY)
    chunks = chunk_text(text, 700, page_starts=starts)  # the whole text would fit in one chunk of 700
    assert [c.page for c in chunks] == [1, 2, 3, 4]
    for c in chunks:
        assert text[c.start:c.end] == c.text
        assert starts[c.page - 1] <= c.start and (c.page == len(starts) or c.end <= starts[c.page])


def test_pdf_page_labels_give_each_passage_the_number_printed_on_its_page(tmp_path: Path) -> None:
    # Front matter numbered i, ii, then the body from 1: the third page of the file is printed "1".
    pages = [["Contents of the manual."], ["Preface of the manual."], ["The pump starts at dawn."],
             ["The valve closes at night."]]
    p = tmp_path / "book.pdf"
    p.write_bytes(make_pdf(pages, roman_front=2))
    doc = extract_document(p, p.read_bytes())
    assert doc.page_labels == ("i", "ii", "1", "2")
    chunks = chunk_text(doc.text, 40, page_starts=doc.page_starts, page_labels=doc.page_labels)
    assert [(c.page, c.page_label) for c in chunks] == [(1, "i"), (2, "ii"), (3, "1"), (4, "2")]
    # Without labels, or with labels that are the pages' own numbers, a passage has none.
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(make_pdf(pages))
    doc = extract_document(plain, plain.read_bytes())
    assert doc.page_labels == ("", "", "", "")
    assert {c.page_label for c in chunk_text(doc.text, 40, page_starts=doc.page_starts,
                                             page_labels=doc.page_labels)} == {None}


class _Labelled:
    """A PDF whose page labels are given (or whose label lookup fails)."""

    def __init__(self, *labels: str | Exception) -> None:
        self.labels = labels

    def get_page_label(self, index: int) -> str:
        label = self.labels[index]
        if isinstance(label, Exception):
            raise label
        return label


def test_a_page_label_is_shown_cleaned_and_only_when_it_says_more_than_the_page_number() -> None:
    import pypdfium2 as pdfium

    pdf = _Labelled("1", "Page 7", " iv\x00 ", "", "A" * 30, pdfium.PdfiumError("broken"), "p. 7")
    assert [_page_label(pdf, i) for i in range(7)] == ["", "7", "iv", "", "", "", ""]  # type: ignore[arg-type]


def test_a_sentence_running_on_to_the_next_page_stays_whole_in_the_passage_where_it_starts(tmp_path: Path) -> None:
    pages = [["Pumps need care. The pump starts when the tank is"], ["half empty. Valves close at night."],
             ["A page of its own."], [], ["After an empty page, the last one."]]
    text, starts = pdf_doc(tmp_path, pages)
    chunks = chunk_text(text, 700, page_starts=starts)
    assert [(c.page, c.text) for c in chunks] == [
        (1, "Pumps need care. The pump starts when the tank is\nhalf empty."), (2, "Valves close at night."),
        (3, "A page of its own."), (5, "After an empty page, the last one.")]


def test_running_heads_and_page_numbers_are_removed(tmp_path: Path) -> None:
    pages = [["Field Guide to Pumps", *lines, f"Page {n} of 4"] for n, lines in enumerate(BODY, 1)]
    text, starts = pdf_doc(tmp_path, pages)
    assert "Field Guide" not in text and "Page 2 of 4" not in text
    assert all(line in text for lines in BODY for line in lines)
    assert text[starts[1]:].startswith(BODY[1][0])


def test_a_two_page_running_head_with_advancing_page_numbers_is_removed(tmp_path: Path) -> None:
    pages = [[*BODY[0], str(7)], [*BODY[1], str(8)], [f"Chapter 3: Care {9}", *BODY[2]], [f"Chapter 3: Care {10}",
                                                                                           *BODY[3]]]
    text, _ = pdf_doc(tmp_path, pages)
    assert "Chapter 3" not in text
    assert "\n7\n" not in f"\n{text}\n" and all(line in text for lines in BODY for line in lines)


def test_a_line_repeated_inside_pages_is_kept(tmp_path: Path) -> None:
    # Only the top and bottom lines of a page can be running heads or feet; the same line mid-page is content.
    pages = [[lines[0], f"Step {n}.", "Press the red button.", lines[1]] for n, lines in enumerate(BODY)]
    text, _ = pdf_doc(tmp_path, pages)
    assert text.count("Press the red button.") == len(BODY)
    assert all(f"Step {n}." in text for n in range(len(BODY)))


def test_dot_leader_lines_of_a_table_of_contents_are_removed(tmp_path: Path) -> None:
    toc = ["Contents", "1 Starting the pump . . . . . . . . . . 2", "2 Parts of the pump.................3",
           "3 Cleaning . . 4"]
    text, _ = pdf_doc(tmp_path, [toc, *BODY])
    assert "Contents" in text
    assert "Starting the pump" not in text and "Parts of the pump." not in text and "Cleaning . ." not in text
    assert "The second page lists the parts of the pump." in text


def test_glued_text_is_reported_and_normal_prose_is_not(tmp_path: Path) -> None:
    glued = ["Thisreferenceisintendedtoprovideabroadoverview ofthesystemforusersandadministrators",
             "Controlofpermissionsfornewlycreatedfiles isdescribedinthesectionbelow"] * 3
    p = tmp_path / "glued.pdf"
    p.write_bytes(make_pdf([glued]))
    warnings = extract_document(p, p.read_bytes()).warnings
    assert len(warnings) == 1 and "glued" in warnings[0]
    text, _ = pdf_doc(tmp_path, BODY, "fine.pdf")
    assert glued_warning(text) == ""
    assert glued_warning("Internationalization and characterization are long words. " * 3 + "Short words. " * 200) == ""
    # One run of letters thousands long is as unsearchable as many glued words.
    assert "glued" in glued_warning("Notes: " + "x" * 30_000)
    assert glued_warning("A checksum: " + "abcdefghijklmnopqrstuvwxyzabcd" + " and then prose follows here." * 20) == ""


def test_encrypted_pdf_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "locked.pdf"
    p.write_bytes(encrypt_pdf(make_pdf(BODY)))
    with pytest.raises(IngestError, match="password-protected"):
        extract_document(p, p.read_bytes())


PAGE = b"""<!doctype html><html><head><title>Pumps</title></head><body>
<header><a href="/">Home</a> <form role="search"><input name="q"> Search</form></header>
<div class="related" role="navigation"><h3>Navigation</h3><ul><li><a href="a.html">previous</a></li>
<li><a href="c.html">next</a></li></ul></div>
<nav><ul><li>Section one</li><li>Section two</li></ul></nav>
<div class="document"><div class="body" role="main">
<article><header><h1>Cleaning the filter<a class="headerlink" href="#cleaning">\xc2\xb6</a></h1></header>
<p>Rinse the filter under warm water.<a href="#fn1">1</a></p>
<aside class="footnote" role="note"><p>1 Never use soap.</p></aside>
</article></div></div>
<div class="sphinxsidebar"><h3>Table of Contents</h3><ul><li>Cleaning</li></ul></div>
<div id="breadcrumbs">Docs &raquo; Pumps</div>
<aside><p>Related links: other pumps</p></aside>
<div class="footer">&copy; Copyright the authors. Created using a generator.</div>
</body></html>"""


def test_html_frame_is_removed_by_markup_and_content_kept(tmp_path: Path) -> None:
    p = tmp_path / "page.html"
    p.write_bytes(PAGE)
    text = extract_document(p, PAGE).text
    assert text.startswith("Cleaning the filter\n")
    assert "Rinse the filter under warm water." in text and "Never use soap." in text
    for frame in ("Home", "Search", "Navigation", "previous", "Section one", "Table of Contents", "Docs",
                  "Related links", "Copyright", "\u00b6"):
        assert frame not in text, frame


def test_a_sidebar_wrapping_the_main_content_is_kept(tmp_path: Path) -> None:
    data = b'<html><body><div class="with-sidebar"><main><p>The content itself.</p></main></div></body></html>'
    p = tmp_path / "wrapped.html"
    p.write_bytes(data)
    assert extract_document(p, data).text == "The content itself."


def test_a_word_broken_at_a_line_end_is_whole_again_and_a_real_hyphen_before_a_capital_stays() -> None:
    from assistant.pdf import _pdf_lines, _words

    # PDFium's U+FFFE marks the line-end hyphen, with or (mostly) without the line end after it.
    raw = "the corre\ufffesponding value is con\ufffe\r\nsidered in S\ufffePlus as well as R\ufffe"
    assert _pdf_lines(raw) == ["the corresponding value is considered in S-Plus as well as R\ufffe"]  # see below
    # A compound the document writes with its hyphen elsewhere keeps it; capitals and digits go as a word does.
    words = _words(["a built-in function", "non-zero values", "a reconsidered plan"])
    assert _pdf_lines("a built\ufffein tool, a non\ufffe \nzero one, INTERNA\ufffeTIONAL, UTF\ufffe8", words) == [
        "a built-in tool, a non-zero one, INTERNATIONAL, UTF-8"]
    # a minus sign set for a hyphen in code reads as the hyphen a user types
    assert _pdf_lines("${parameter:\u2212word} and \u221216") == ["${parameter:-word} and -16"]


def test_a_sentence_running_on_to_the_next_page_is_one_sentence_and_a_word_broken_there_is_whole() -> None:
    from assistant.pdf import pdf_text

    pages = [["Chapter 1: Basics 1", "The shell expands its value if it appears there, and uses the"],
             ["Chapter 1: Basics 2", "expanded value as the name of a file. Pattern substitution per-"],
             ["Chapter 1: Basics 3", "forms the check on a built-"],
             ["Chapter 1: Basics 4", "in word, as a built-in does.", "Last sentence."],
             ["Chapter 1: Basics 5", "New page, new paragraph."],
             ["Chapter 1: Basics 6", "lower case after a closed sentence."]]
    text, starts, *_ = pdf_text(make_pdf(pages))
    assert text == ("The shell expands its value if it appears there, and uses the\nexpanded value as the name of a "
                    "file. Pattern substitution performs the check on a built-in word, as a built-in does.\n"
                    "Last sentence.\n\nNew page, new paragraph.\n\nlower case after a closed sentence.")
    assert [text[s:s + 8] for s in starts] == ["The shel", "expanded", "forms th", "in word,", "New page", "lower ca"]


def test_a_numbered_heading_line_is_not_read_as_the_start_of_the_sentence_under_it() -> None:
    from assistant.pdf import pdf_text

    text, *_ = pdf_text(make_pdf([["The list ends here.", "3.2.6 Coprocesses", "A coprocess is a command.",
                                        "7. Installing", "Run the installer.", "Version 2.1 of the tool",
                                        "was the last. See 4.2 Options,", "Below."]]))
    assert split_sentences(text) == ["The list ends here.", "3.2.6 Coprocesses", "A coprocess is a command.",
                                     "7. Installing", "Run the installer.",
                                     "Version 2.1 of the tool\nwas the last.", "See 4.2 Options,\nBelow."]


def test_a_pdf_whose_pages_hold_little_text_is_reported() -> None:
    from assistant.pdf import textless_warning

    prose = "The pump starts when the tank is full. " * 40
    assert textless_warning([prose] * 10) == ""
    assert textless_warning([prose, "", ""]) == ""  # two empty pages: a cover, a blank page
    assert textless_warning([prose] * 6 + ["", "", ""]).startswith("3 of 9 pages hold no text")
    slides = ["Quarterly results", "Revenue up 4 %", "Questions?", "Thank you", "Agenda"]
    assert "characters of text a page on average" in textless_warning(slides)
    assert "run OCR" in textless_warning(slides)


def test_a_number_set_as_a_superscript_reads_as_an_exponent(tmp_path: Path) -> None:
    from assistant.htmltext import html_text

    text, _ = html_text(b"<p>At most 2<sup>64</sup> rows, 10<sup>-3</sup> s, x<sup>n</sup>, (a+b)<sup>2</sup>; the "
                        b"1<sup>st</sup> and 2<sup>e</sup> rows; see vim<sup>[<a href='#f1'>1</a>]</sup>, "
                        b"Smith<sup>3</sup>, Note<sup><a class='footnote-ref' href='#fn:1'>1</a></sup>, "
                        b"3<a href='#fn:2'><sup>2</sup></a>.</p>")
    assert text == ("At most 2^64 rows, 10^-3 s, x^n, (a+b)^2; the 1st and 2e rows; see vim[1], Smith3, Note1, "
                    "32.")  # ordinals and note references are no exponents


@pytest.mark.parametrize("frame", [
    '<div class="searchmenu"><form>Search Changelog</form></div>',  # one word of two frame names
    '<ul class="docnav top"><li>Prev</li><li>Next</li></ul>',
    '<div class="navheader">Chapter 1. Tutorials Prev Next</div>',  # DocBook's bars
    '<div class="navfooter">Preface Chapter 2</div>',
    '<div id="banner">Download the ebook</div>',
    '<div class="site banner">Download the ebook</div>',
    '<div class="tagline">Small. Fast. Reliable.</div>',
])
def test_frames_named_by_compound_classes_are_left_out(frame: str) -> None:
    from assistant.htmltext import html_text

    text, _ = html_text(f"<body>{frame}<p>The body text.</p><div class='research'>Kept too.</div></body>".encode())
    assert text == "The body text.\n\nKept too."


def test_a_heading_keeps_its_text_whatever_its_link_is_called_and_a_hero_banner_is_content() -> None:
    from assistant.htmltext import html_text

    text, _ = html_text(b'<h2><a class="toc-backref" href="#id1">Installation</a></h2>'
                        b'<div class="hero-banner">The lead paragraph.</div><p>Body.</p>')
    assert text == "Installation\n\nThe lead paragraph.\n\nBody."


def test_a_section_named_after_its_heading_is_text_whatever_words_the_heading_has() -> None:
    from assistant.htmltext import html_text

    # Sphinx names a section by its heading: "search", "menu", "related" there are the text's words, not a frame's
    page = (b'<div role="main"><section id="the-module-search-path"><h3>6.1.2. The Module Search Path'
            b'<a class="headerlink" href="#the-module-search-path">\xc2\xb6</a></h3><p>The path is searched.</p>'
            b'</section><div class="section" id="file-menu"><h4>File menu</h4><p>Open a file.</p></div>'
            b'<section id="search"><h2>Search</h2><p>Find a word.</p></section></div>'
            b'<div id="search"><h3>Search</h3><form>Go</form></div><div id="related-pages"><h3>See also</h3></div>')
    assert html_text(page)[0] == ("6.1.2. The Module Search Path\n\nThe path is searched.\n\nFile menu\n\nOpen a file."
                                  "\n\nSearch\n\nFind a word.")


@pytest.mark.parametrize(("page", "text"), [
    # a heading holding its own id (MkDocs, Pandoc), a numbered duplicate id, an older Sphinx's one-word section
    (b'<h2 id="search-path">Search path</h2><p>Body.</p>', "Search path\n\nBody."),
    (b'<div class="section" id="search-path-1"><h2>Search path</h2><p>Body.</p></div>', "Search path\n\nBody."),
    (b'<div class="section" id="menu"><h2>Menu</h2><p>Body.</p></div>', "Menu\n\nBody."),
    # an API entry's anchor names no frame
    (b'<dl><dt id="m.Message.make_related">make_related()</dt><dd>Convert it.</dd></dl>',
     "make_related(): Convert it."),
    # named after its heading but only a list of links: a frame still
    (b'<div id="related-posts"><h3>Related posts</h3><ul><li><a href="x">Other post</a></li></ul></div><p>Body.</p>',
     "Body."),
    (b'<section><aside><h3>Share this</h3><a href="t">Twitter</a> <a href="f">Facebook</a></aside><p>Body.</p>'
     b'</section>', "Body."),
])
def test_ids_and_asides_tell_a_frame_from_the_text(page: bytes, text: str) -> None:
    from assistant.htmltext import html_text

    assert html_text(page)[0] == text


def test_an_aside_within_the_text_is_text_and_the_pages_own_is_its_frame() -> None:
    from assistant.htmltext import html_text

    page = (b'<aside><p>Other pumps</p></aside><article><h1>Pumps</h1><aside class="topic"><p>Abstract: how pumps '
            b'work.</p></aside><aside class="toc"><p>Contents</p></aside><p>Body.</p></article>')
    assert html_text(page)[0] == "Pumps\n\nAbstract: how pumps work.\n\nBody."
