"""HTML → the page's text and title, in one pass of the standard library's HTML parser.

The page is parsed into a light tree (elements, text) and its text written out in one walk: scripts, styles and
the like are left out; so is the page frame — navigation, banners, sidebars, footers, search boxes, self-link
symbols beside headings — recognised by markup (element, role, class or id; not an id made from the element's own
heading, nor an aside within the text), never by wording. Whitespace outside ``<pre>`` is collapsed (inside it is
the code's layout, kept), block elements become paragraph breaks, list items lines starting "- " (with their first
paragraph), and a number set as a superscript after a number or a one-letter name an exponent ("2^64"; footnote
references and ordinals stay).

The tree is built by Beautiful Soup's rules for the same parser (void elements, an end tag closes the most recent
open element of its name and is ignored when none is open, character references resolved as it resolves them), and
the text is the one ``BeautifulSoup(data, "html.parser")`` gave the same walk: building its full tree cost three
quarters of the time an ingest of an HTML book spent outside the embedding model.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from html.parser import HTMLParser

from assistant.errors import IngestError
from assistant.patterns import normalize_newlines

_DROP = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object"})
_BLOCKS = frozenset({"address", "article", "aside", "blockquote", "caption", "dd", "details", "div", "dl", "dt",
                     "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
                     "header", "hr", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul"})
_VOID = frozenset({"area", "base", "basefont", "bgsound", "br", "col", "command", "embed", "frame", "hr", "image",
                   "img", "input", "isindex", "keygen", "link", "menuitem", "meta", "nextid", "param", "source",
                   "spacer", "track", "wbr"})
# Elements whose text is not the page's prose: ruby annotations, and the code and templates left out anyway.
_NOT_PROSE = frozenset({"rt", "rp", "style", "script", "template"})

# Self-links next to headings ("¶", "#") and similar symbol-only anchors.
_ANCHOR_SYMBOL = re.compile(r"^[\s¶§#🔗⚓]*$")
# HTML structure that frames a page rather than says something: site navigation, banners, sidebars, search.
_BOILER_TAGS = frozenset({"nav", "footer", "aside", "header"})
_BOILER_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "complementary"})
# A name may be compound: "docnav", "topnav", "searchmenu", "navheader" (DocBook's Prev/Next bars).
_BOILER_NAME = re.compile(
    r"(?:^|[-_\s])(?:doc|site|top|main|page|global)?"
    r"(?:nav|navbar|navigation|menu|sidebar|sphinxsidebar|related|footer|toc|breadcrumbs?|pager|"
    r"pagination|search|searchbox|skip|skiplink|tagline)"
    r"(?:$|[-_\s]|wrapper|button|box|bar|links?|menu|header|footer)",
    re.IGNORECASE,
)
# A superscript number after a number or a one-letter name is an exponent: "2<sup>64</sup>" reads "2^64", not
# "264"; so is a letter after a one-letter name ("x<sup>n</sup>"). After a word it is a footnote ("Smith<sup>3</sup>"),
# after a number a letter is an ordinal ("2<sup>e</sup>").
_POWER = re.compile(r"[-−+]?\d+(?:\.\d+)?")
_BASE_NUMBER = re.compile(r"(?:^|[^\w.])\d+(?:\.\d+)?\)?$")
_BASE_LETTER = re.compile(r"(?:^|[^\w.])[A-Za-z]\)?$")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_FOOTNOTE = re.compile(r"foot-?note|endnote", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_ID_WORDS = re.compile(r"[^\W_]+")


class _Element:
    __slots__ = ("attrs", "children", "name", "parent")

    def __init__(self, name: str, attrs: dict[str, str], parent: _Element | None) -> None:
        self.name = name
        self.attrs = attrs
        self.parent = parent
        self.children: list[_Element | str] = []


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.root = _Element("", {}, None)
        self.open: list[_Element] = [self.root]
        self.open_count: dict[str, int] = {}
        self.open_not_prose = 0  # open elements whose text is not prose (see _NOT_PROSE)
        self.pending: list[str] = []
        self.closed_void: list[str] = []  # void elements opened by a start tag, whose end tag may follow

    def _flush(self) -> None:
        """Adjacent text pieces become one string, in the element open now, like one bs4 NavigableString."""
        if self.pending:
            if not self.open_not_prose:
                self.open[-1].children.append("".join(self.pending))
            self.pending = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=tag in _VOID)
        if tag in _VOID:
            self.closed_void.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=True)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        self._flush()
        parent = self.open[-1]
        element = _Element(tag, {k: v or "" for k, v in attrs}, parent)
        parent.children.append(element)
        if not closed:
            self.open.append(element)
            self.open_count[tag] = self.open_count.get(tag, 0) + 1
            self.open_not_prose += tag in _NOT_PROSE

    def handle_endtag(self, tag: str) -> None:
        if tag in self.closed_void:  # "<br>...</br>": the end of an element already closed ends no text either
            self.closed_void.remove(tag)
            return
        self._flush()
        if not self.open_count.get(tag):
            return
        while True:
            element = self.open.pop()
            self.open_count[element.name] -= 1
            self.open_not_prose -= element.name in _NOT_PROSE
            if element.name == tag:
                return

    def handle_data(self, data: str) -> None:
        self.pending.append(data)

    def handle_charref(self, name: str) -> None:
        """"&#8220;", "&#x41;": the character, mapped as the HTML standard says ("&#147;" is a quote mark, as in
        Windows-1252; out of range is U+FFFD)."""
        from bs4.dammit import UnicodeDammit

        hexadecimal = name[:1] in ("x", "X")
        try:
            code = int(name[1:], 16) if hexadecimal else int(name)
        except ValueError:  # not a number after all: keep it as written
            self.pending.append(f"&#{name}")
            return
        self.pending.append(UnicodeDammit.numeric_character_reference(code)[0])

    def handle_entityref(self, name: str) -> None:
        from bs4.dammit import EntitySubstitution

        self.pending.append(EntitySubstitution.HTML_ENTITY_TO_CHARACTER.get(name) or f"&{name}")

    def unknown_decl(self, data: str) -> None:
        self._flush()
        if data.upper().startswith("CDATA["):  # a CDATA section is text, wherever it is
            self.open[-1].children.append(data[len("CDATA["):])

    # Comments, declarations and processing instructions are not text, but each ends the text before it.
    def handle_comment(self, data: str) -> None:
        self._flush()

    def handle_decl(self, decl: str) -> None:
        self._flush()

    def handle_pi(self, data: str) -> None:
        self._flush()


def html_text(data: bytes) -> tuple[str, str]:
    """The page's text and its title (the ``<title>``, else the first ``<h1>``)."""
    from bs4.dammit import UnicodeDammit

    markup = UnicodeDammit(data, is_html=True).unicode_markup
    if markup is None:
        raise IngestError("cannot decode the page's bytes as text in any known encoding")
    builder = _TreeBuilder()
    try:
        builder.feed(markup)
        builder.close()
    except AssertionError as e:  # the standard library's parser gives up on some malformed declarations
        raise IngestError(f"the page's markup cannot be parsed: {e}") from e
    builder._flush()
    root = builder.root
    return _text(root), _title(root)


def _elements(top: _Element, skip_dropped: bool) -> Iterator[_Element]:
    """Every element under ``top`` in document order (``top`` excluded), without dropped ones if asked."""
    stack = list(reversed(top.children))
    while stack:
        node = stack.pop()
        if isinstance(node, _Element) and not (skip_dropped and node.name in _DROP):
            yield node
            stack.extend(reversed(node.children))


def _title(root: _Element) -> str:
    elements = list(_elements(root, skip_dropped=False))
    for name in ("title", "h1"):
        element = next((e for e in elements if e.name == name), None)
        if element is not None:
            strings = (s.strip() for s in _strings(element, skip=False))
            return " ".join(s for s in strings if s)
    return ""


def _strings(top: _Element, skip: bool = True) -> Iterator[str]:
    """The text strings under ``top`` in document order; dropped elements and frames left out if asked."""
    stack = list(reversed(top.children))
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif not (skip and (node.name in _DROP or _frames(node))):
            stack.extend(reversed(node.children))


def _frames(element: _Element) -> bool:
    """True when the element frames the page (navigation, banner, sidebar, footer, search), by markup alone."""
    name, attrs = element.name, element.attrs
    if name in ("html", "body", "main", "article") or attrs.get("role") == "main":
        return False
    role = attrs.get("role", "").lower()
    names = " ".join([*attrs.get("class", "").split(), attrs.get("id", "")])
    named = _framing(attrs.get("class", "")) or _named_by_id(element)
    if not (name in _BOILER_TAGS or role in _BOILER_ROLES or named):
        return False
    if _inside(element, _HEADINGS):
        return False  # a heading's own parts ("toc-backref" links) are its text
    if role in ("note", "doc-footnote", "doc-endnote") or _FOOTNOTE.search(names):
        return False  # footnotes are content, even in an <aside>
    if name == "header" and _in_content(element):
        return False  # an article's own header holds its title
    if name == "aside" and not named and role not in _BOILER_ROLES and _in_content(element) \
            and not _mostly_links(element):
        return False  # an aside within the text (an abstract, a side note) is the text's; the page's is its frame
    return not any(e.name in ("main", "article") or e.attrs.get("role") == "main"
                   for e in _elements(element, skip_dropped=True))  # not a wrapper of content


def _exponent(sup: _Element, before: str) -> bool:
    """Is the superscript an exponent of what precedes it (see ``_POWER``)? Never one that is, or is inside, a link
    or note reference."""
    if any(e.name == "a" for e in _elements(sup, skip_dropped=True)) or _inside(sup, ("a",)):
        return False
    power = "".join(_strings(sup))
    if power != power.strip():
        return False  # written apart from what it follows: no exponent to mark
    if _POWER.fullmatch(power):
        return bool(_BASE_NUMBER.search(before) or _BASE_LETTER.search(before))
    return len(power) == 1 and power.isalpha() and bool(_BASE_LETTER.search(before))


def _framing(names: str) -> bool:
    """Do class names or an id name a frame ("sphinxsidebar", "docnav top", "banner")?"""
    return bool(_BOILER_NAME.search(names)) or "banner" in names.lower().split()


def _named_by_id(element: _Element) -> bool:
    """Does the element's id name a frame? Not an API entry's anchor ("email.message.EmailMessage.make_related"), nor
    a section's made from its own heading (``_titled_by_id``) that is more than a list of links."""
    element_id = element.attrs.get("id", "")
    if not _framing(element_id) or "." in element_id or element.name in ("dt", "dd"):
        return False
    return not _titled_by_id(element) or _mostly_links(element)


def _titled_by_id(element: _Element) -> bool:
    """Is the element's id its own heading's words ("the-module-search-path" over "The Module Search Path",
    "search-path-1"), as Sphinx, Pandoc, MkDocs and others name a section or a heading? Of one word only for a heading
    or a section: ``<div id="search"><h3>Search</h3>`` is a search box."""
    words = [w for w in _ID_WORDS.findall(element.attrs.get("id", "").lower()) if not w.isdigit()]
    sectioned = element.name in ("section", *_HEADINGS) or "section" in element.attrs.get("class", "").split()
    if not words or (len(words) < 2 and not sectioned):
        return False
    heading = element if element.name in _HEADINGS else _first_element(element)
    return heading is not None and heading.name in _HEADINGS \
        and set(words) <= set(_ID_WORDS.findall("".join(_strings(heading)).lower()))


def _first_element(element: _Element) -> _Element | None:
    """The first child holding text, when no text comes before it (empty anchors are passed over)."""
    for child in element.children:
        if isinstance(child, str):
            if child.strip():
                return None
        elif "".join(_strings(child)).strip():
            return child
    return None


def _mostly_links(element: _Element) -> bool:
    """Is most of the element's text (its headings aside) the text of links: a list of them, as a frame holds?"""
    text = links = 0
    for e in _elements(element, skip_dropped=True):
        if e.name == "a" and not _inside(e, _HEADINGS, below=element):
            links += len("".join(_strings(e)).strip())
    for piece in _strings(element):
        text += len(piece.strip())
    headings = sum(len("".join(_strings(e)).strip()) for e in _elements(element, skip_dropped=True)
                   if e.name in _HEADINGS)
    return links * 2 > max(text - headings, 1)


def _in_content(element: _Element) -> bool:
    """Is the element within the page's text: an article, the main part or a section of it?"""
    parent = element.parent
    while parent is not None:
        if parent.name in ("article", "main", "section") or parent.attrs.get("role") == "main":
            return True
        parent = parent.parent
    return False


def _inside(element: _Element, names: Collection[str], below: _Element | None = None) -> bool:
    """Whether an element of one of ``names`` (under ``below``, when given) encloses ``element``."""
    parent = element.parent
    while parent is not None and parent is not below:
        if parent.name in names:
            return True
        parent = parent.parent
    return False


def _self_link(element: _Element) -> bool:
    """An in-page link whose text is only symbols ("¶", "#"), as Sphinx and others put beside headings."""
    if element.name != "a" or not element.attrs.get("href", "").startswith("#"):
        return False
    text = "".join(_strings(element))
    return bool(text) and _ANCHOR_SYMBOL.match(text) is not None


def _text(root: _Element) -> str:
    out: list[str] = []
    # Work items: a literal to write, a text string (collapsed unless inside <pre>), or an element to open.
    stack: list[tuple[str | _Element, bool, bool]] = [(child, False, False) for child in reversed(root.children)]
    while stack:
        node, in_pre, literal = stack.pop()
        if isinstance(node, str):
            if not literal:  # the page's own control characters could read as the markers below
                node = _MARKS.sub("", node)
            if in_pre and not literal:  # a code block's spaces are its layout ("    import sys"): kept, marked
                node = node.replace(" ", _PRE_SPACE).replace("\u00a0", _PRE_SPACE).replace("\t", _PRE_TAB)
            out.append(node if literal or in_pre else _SPACES.sub(" ", node))
            continue
        name = node.name
        if name in _DROP or _frames(node) or _self_link(node):
            continue
        if name == "br":
            out.append("\n")
            continue
        if name == "sup" and out and _exponent(node, out[-1]):
            out.append("^")
        inner_pre = in_pre or name == "pre"
        children = [(child, inner_pre, False) for child in reversed(node.children)]
        if name in ("dt", "dd"):
            stack.append((_TERM_END if name == "dt" else "\n\n", False, True))
            stack.extend(children)
            out.append("\n\n" + (_TERM_START if name == "dt" else _DESCRIPTION))
        elif name in _BLOCKS:
            stack.append(("\n\n" + _LIST_END if name == "dl" else "\n\n", False, True))
            stack.extend(children)
            # "<li><p>Text": the item's line starts "- Text"
            out.append("" if name == "p" and _opens_item(out) else "\n\n")
        elif name == "li":
            stack.extend(children)
            out.append("\n- ")
        else:
            stack.extend(children)
    text = normalize_newlines(_terms("".join(out)))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip().replace(_PRE_SPACE, " ").replace(_PRE_TAB, "\t").rstrip()
             for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _opens_item(out: list[str]) -> bool:
    """Is the text written so far a list item's mark, and nothing after it but spaces?"""
    for piece in reversed(out):
        if piece == "\n- ":
            return True
        if piece.strip(" "):
            return False
    return False


# A definition list's term opens the line of its description ("-x: When recording the commit, …"), so a sentence
# describing an option, a function or a glossary word names it: alone on a line, it was a paragraph of its own, and
# the description never said what it describes. Marked while walking, joined after.
_TERM_START, _TERM_END, _DESCRIPTION, _LIST_END = "\x02", "\x03", "\x04", "\x05"
_PRE_SPACE, _PRE_TAB = "\x06", "\x07"  # a code block's spaces and tabs, kept through the collapsing of the rest
_MARKS = re.compile("[\x02-\x07]")  # taken out of the page's own text
_TERM_MARKS = re.compile("[\x02-\x05]")
_TERMS = re.compile(r":?[ \t\n]*\x03[ \t\n]*\x02")  # the end of a term, the start of the next one
_DESCRIBED = re.compile(r":?[ \t\n]*\x03[ \t\n]*\x04[ \t\n]*(?=[^\s\x02-\x05])")  # a term, then its description


def _terms(text: str) -> str:
    """The text with each definition list's terms joined ("-v, --verbose"), and a term joined to its description
    ("-x: When recording …") unless the term is empty or a sentence of its own, the description is empty, or it
    opens with a list."""
    text = _TERMS.sub(", ", text)

    def join(m: re.Match[str]) -> str:
        before = m.string[m.start() - 1:m.start()]
        opens_list = m.string.startswith("- ", m.end())
        return "\n\n" if not before or before.isspace() or before in ".!?\x02" or opens_list else ": "

    return _TERM_MARKS.sub("", _DESCRIBED.sub(join, text))
