"""HTML → text on markup a real page gets wrong: stray and missing end tags, references, annotations, depth."""

from __future__ import annotations

import pytest

from assistant.errors import IngestError
from assistant.htmltext import html_text


@pytest.mark.parametrize(("html", "text"), [
    # An end tag with no open element of its name is ignored; an unclosed element ends with the page.
    (b"<p>one</div>two</p>three</b><p>four", "onetwo\n\nthree\n\nfour"),
    # Ruby annotations (the reading above the characters) are not the prose.
    (b"<p><ruby>\xe6\xbc\xa2<rp>(</rp><rt>kan</rt><rp>)</rp></ruby> means Han.</p>", "\u6f22 means Han."),
    # CDATA is text; a comment is not, wherever it is.
    (b"<p>x<![CDATA[ raw <b> ]]>y<!-- note --></p>", "x raw <b> y"),
    # Numeric references as the HTML standard maps them (Windows-1252 quote marks, NUL as U+FFFD).
    (b"<p>&#147;quoted&#148; &#0; &amp; &#x41;&#X42; AT&T</p>", "\u201cquoted\u201d \ufffd & AB AT&T"),
    # The declared encoding is honoured.
    (b'<meta charset="windows-1252"><p>caf\xe9 \x93q\x94</p>', "caf\u00e9 \u201cq\u201d"),
    # Line breaks, with an end tag of a void element ("</br>") ignored; <pre> keeps its line ends.
    (b"<pre>a\r\nb</pre><p>c<br>d<br/>e</br>f</p>", "a\nb\n\nc\nd\nef"),
    # A code block keeps its indentation and spacing (not its spaces at line ends); a list item's first paragraph
    # is on the item's line.
    (b"<ul><li>\n <p>Item <b>one</b>.</p><p>More.</p></li></ul><pre>if x:\n\tx = 1\n    y  = 2  \n</pre>",
     "- Item one.\n\nMore.\n\nif x:\n\tx = 1\n    y  = 2"),
    # a code block in an item starts on a line of its own; non-breaking spaces indent code too
    (b"<ul><li><div><pre>    a\n  b</pre></div></li></ul><pre>&nbsp;&nbsp;x<br>  y</pre>",
     "-\n\n    a\n  b\n\n  x\n  y"),
])
def test_markup_real_pages_hold_gives_the_visible_text(html: bytes, text: str) -> None:
    assert html_text(html)[0] == text


def test_a_definition_list_term_opens_the_line_of_its_description() -> None:
    html = (b"<dl><dt>-x</dt><dd><p>When recording the commit, append a line.</p><p>More on it.</p></dd>"
            b"<dt>-v</dt><dt>--verbose:</dt><dd>Be verbose.</dd><dt>lonely</dt></dl><p>After.</p>")
    assert html_text(html)[0] == ("-x: When recording the commit, append a line.\n\nMore on it.\n\n"
                                  "-v, --verbose: Be verbose.\n\nlonely\n\nAfter.")


@pytest.mark.parametrize(("html", "text"), [
    (b"<dl><dt>a</dt><dd></dd><dt>b</dt><dd>Desc of b.</dd></dl>", "a\n\nb: Desc of b."),  # an empty description
    (b"<dl><dt>a</dt></dl><dl><dt>b</dt><dd>Desc.</dd></dl>", "a\n\nb: Desc."),  # two lists
    (b"<dl><dt>XZ: The .xz format.</dt><dd>The default.</dd></dl>", "XZ: The .xz format.\n\nThe default."),
    (b"<dl><dt><p>block term</p></dt><dd>Desc.</dd></dl>", "block term: Desc."),
    (b"<dl><dt>opts</dt><dd><ul><li>one</li><li>two</li></ul></dd></dl>", "opts\n\n- one\n- two"),
    (b"<dl><dt></dt><dd>x</dd></dl>", "x"),
    # the page's own control characters are no markers
    (b'<meta charset="utf-8"><p>and \x03\x04 this</p><dl><dt>t</dt><dd>d</dd></dl>', "and this\n\nt: d"),
])
def test_a_term_joins_only_a_description_of_its_own(html: bytes, text: str) -> None:
    assert html_text(html)[0] == text


def test_title_is_the_title_element_else_the_first_heading() -> None:
    assert html_text(b"<title> A <!-- x --> Title </title><h1>Heading</h1>")[1] == "A Title"
    assert html_text(b"<h1>Heading <em>one</em></h1><h1>Two</h1>")[1] == "Heading one"
    assert html_text(b"<title></title><h1>Heading</h1>")[1] == ""  # an empty title is no title


def test_deeply_nested_markup_is_read_without_recursion() -> None:
    assert html_text(b"<div><span>" * 20000 + b"deep")[0] == "deep"


def test_markup_the_parser_rejects_is_a_clear_error() -> None:
    with pytest.raises(IngestError, match="cannot be parsed"):
        html_text(b"<p>text</p><![unknown[ x ]]>")
