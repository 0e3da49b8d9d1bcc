"""Documents → text: read .txt, .md, .html and .pdf files into the plain text every offset refers to.

:func:`extract_text` is deterministic for a given file and library version: the citation layer calls it to recompute
a source's text, and ``extract_text(path)[passage.start:passage.end] == passage.text`` always holds for an indexed,
unchanged file. Chunking lives in :mod:`assistant.chunking`.

PDFs are read with PDFium (pypdfium2) page by page; :func:`extract_document` also returns where each page starts
in the text, so every passage knows its page. Running heads and feet (lines repeated at the top or bottom of many
pages, page numbers) and table-of-contents dot leaders ("Title . . . . 12") are left out. HTML navigation, headers,
footers, sidebars and search boxes are left out by their markup (element, role, class or id), never by wording.

Text decoding: UTF-8 (a BOM is dropped), UTF-16 when the file starts with its BOM, and, as a documented fallback for
legacy files, Windows-1252 when the bytes are not UTF-8 but decode cleanly as Windows-1252. Anything else — NUL
bytes, control characters — is refused as binary. Line endings are normalised to ``\\n``.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import IngestError
from assistant.patterns import CONTROL_CHARS as _CONTROL
from assistant.pdf import pdf_text

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

SUFFIX_KINDS = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
                ".pdf": "pdf"}
SUPPORTED = ", ".join(sorted(SUFFIX_KINDS))

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_HTML_DROP = ("script", "style", "noscript", "template", "head", "svg", "iframe", "object")
_HTML_BLOCKS = ("address", "article", "aside", "blockquote", "caption", "dd", "details", "div", "dl", "dt",
                "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
                "header", "hr", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul")


# Self-links next to headings ("¶", "#") and similar symbol-only anchors.
_ANCHOR_SYMBOL = re.compile(r"^[\s¶§#🔗⚓]*$")
# HTML structure that frames a page rather than says something: site navigation, banners, sidebars, search.
_BOILER_TAGS = ("nav", "footer", "aside", "header")
_BOILER_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "complementary"})
_BOILER_NAME = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|navigation|menu|sidebar|sphinxsidebar|related|footer|toc|breadcrumbs?|pager|"
    r"pagination|search|searchbox|skip|skiplink)(?:$|[-_\s]|wrapper|button|box|bar|links?)",
    re.IGNORECASE,
)
_LONG_WORD = re.compile(r"[A-Za-zÀ-ɏ]{18,}")
_WORD = re.compile(r"[A-Za-zÀ-ɏ]{3,}")


@dataclass(frozen=True)
class Extracted:
    """A document's text plus what ingest needs besides: where each PDF page starts, and warnings for the report."""

    text: str
    page_starts: tuple[int, ...] = ()  # offset in ``text`` of page 1, 2, ... (PDFs only)
    warnings: tuple[str, ...] = ()
    title: str = ""  # an HTML page's <title> (else its first <h1>) or a PDF's title, read with the text

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding ``offset``, or None for documents without pages."""
        if not self.page_starts:
            return None
        return max(1, bisect.bisect_right(self.page_starts, offset))


def kind_of(path: Path) -> str | None:
    """The document kind for a file name ("text", "markdown", "html", "pdf"), or None when unsupported."""
    return SUFFIX_KINDS.get(path.suffix.lower())


def content_hash(data: bytes) -> str:
    """The document's content hash: SHA-256 of the file's bytes, hex."""
    return hashlib.sha256(data).hexdigest()


def hash_file(path: Path, block: int = 1 << 20) -> str:
    """:func:`content_hash` of a file, read in blocks so large files do not sit in memory."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def extract_text(path: Path) -> str:
    """The text of the document at ``path`` that chunk offsets refer to. Raises IngestError when unreadable."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise IngestError(f"cannot read {path}: {e.strerror or e}") from e
    return extract_from_bytes(path, data)


def extract_from_bytes(path: Path, data: bytes) -> str:
    """:func:`extract_text` for bytes already read (so the content hash and the text come from the same read)."""
    return extract_document(path, data).text


def extract_document(path: Path, data: bytes) -> Extracted:
    """The text of a file's bytes, with its page starts (PDF) and warnings. Raises IngestError when unreadable."""
    kind = kind_of(path)
    if kind is None:
        raise IngestError(f"unsupported file type '{path.suffix or path.name}' (supported: {SUPPORTED})")
    if not data:
        raise IngestError("empty file, nothing to index")
    pages: tuple[int, ...] = ()
    title = ""
    if kind == "pdf":
        text, pages, title = pdf_text(data)
    elif kind == "html":
        text, title = _html_text(data)
    else:
        text = decode_text(data)
    if not text.strip():
        hint = " (a scanned PDF? run OCR on it first)" if kind == "pdf" else ""
        raise IngestError(f"no text to index{hint}")
    warning = glued_warning(text)
    return Extracted(text, pages, (warning,) if warning else (), title)


def glued_warning(text: str) -> str:
    """A warning when words seem run together ("Thisisintendedtoprovide"): too many words of 18+ letters.

    In English prose well under 1 in 1,000 words has 18 letters or more; text whose spaces were lost in extraction
    has them by the hundred, and neither keyword nor embedding search can find what is in them.
    """
    words = len(_WORD.findall(text))
    long = _LONG_WORD.findall(text)
    if len(long) >= 3 and len(long) >= 0.01 * words:
        sample = ", ".join(dict.fromkeys(w[:40] for w in long[:3]))
        return (f"text looks glued: {len(long)} of {words} words have 18+ letters (e.g. {sample}); words run "
                "together cannot be found by search — try another export of the file, or OCR")
    return ""


def decode_text(data: bytes) -> str:
    """Bytes of a text file → str with ``\\n`` line ends; see the module docstring for the encodings tried."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise IngestError("starts with a UTF-16 byte-order mark but is not valid UTF-16") from e
    elif b"\x00" in data[:8192]:
        raise IngestError("looks like a binary file (it contains NUL bytes), not text")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as utf8_error:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise IngestError(
                    f"not UTF-8 text (invalid byte at offset {utf8_error.start}); convert it, e.g. "
                    "`iconv -f <encoding> -t utf-8`"
                ) from utf8_error
    text = normalize_newlines(text)
    sample = text[:65536]
    if sample and len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise IngestError("looks like a binary file (many control characters), not text")
    return text


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _html_text(data: bytes) -> tuple[str, str]:
    """The page's text and its title."""
    from bs4 import BeautifulSoup, CData, NavigableString

    soup = BeautifulSoup(data, "html.parser")
    heading = soup.find("title") or soup.find("h1")
    title = heading.get_text(" ", strip=True) if heading else ""
    for tag in soup.find_all(_HTML_DROP):
        tag.decompose()
    _drop_boilerplate(soup)
    # Comments, doctypes and processing instructions are NavigableString subclasses that get_text() leaves out;
    # drop them before whitespace is normalised below turns them into plain strings.
    for s in list(soup.find_all(string=True)):
        if type(s) not in (NavigableString, CData):
            s.extract()
        elif s.find_parent("pre") is None:
            s.replace_with(re.sub(r"\s+", " ", str(s)))
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for li in soup.find_all("li"):
        li.insert_before("\n")
        li.insert(0, "- ")
    for tag in soup.find_all(_HTML_BLOCKS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in normalize_newlines(soup.get_text()).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n"), title


def _drop_boilerplate(soup: BeautifulSoup) -> None:
    """Remove the page frame — navigation, banners, sidebars, footers, search boxes, self-link symbols — by markup."""
    from bs4 import Tag

    def frames(tag: Tag) -> bool:
        if tag.name in ("html", "body", "main", "article") or tag.get("role") == "main":
            return False
        role = str(tag.get("role") or "").lower()
        names = " ".join([*(tag.get("class") or []), str(tag.get("id") or "")])
        if role in ("note", "doc-footnote", "doc-endnote") or re.search(r"foot-?note|endnote", names, re.I):
            return False  # footnotes are content, even in an <aside>
        if tag.name == "header" and tag.find_parent(("article", "main", "section")) is not None:
            return False  # an article's own header holds its title
        if not (tag.name in _BOILER_TAGS or role in _BOILER_ROLES or _BOILER_NAME.search(names)):
            return False
        return tag.find(["main", "article"]) is None and tag.find(role="main") is None  # not a wrapper of content

    stack: list[Tag] = [soup]
    while stack:  # top-down, so nothing inside a removed frame is looked at
        for child in list(stack.pop().children):
            if isinstance(child, Tag):
                if frames(child):
                    child.decompose()
                else:
                    stack.append(child)
    for a in soup.find_all("a", href=True):
        if str(a["href"]).startswith("#") and _ANCHOR_SYMBOL.match(a.get_text()) and a.get_text():
            a.decompose()


def document_title(path: Path, doc: Extracted) -> str:
    """A display title: the HTML <title>, the PDF's title, the first Markdown heading, else the file name."""
    title = doc.title
    if kind_of(path) == "markdown":
        m = _MD_HEADING.search(doc.text)
        title = m.group(1) if m else ""
    return " ".join(title.split())[:200] or path.name
