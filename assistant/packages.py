"""Word (.docx) and EPUB files → text: both are zip packages of XML.

- A Word document is read with python-docx: the body's paragraphs and tables in reading order, a paragraph a block,
  a table row a line of its cells joined by " | " (a merged cell once). Headers, footers, comments and text boxes
  are left out. The title is the document's title property, else its first Title or Heading 1 paragraph.
- An EPUB is read with the standard library: its container names the package file, whose spine lists the book's
  XHTML files in reading order; each is read as HTML (:func:`assistant.htmltext.html_text`). The title is the
  package's ``dc:title``. (The maintained EPUB reader, EbookLib, is AGPL; the part used here is the container and
  spine format, a few lines.)

Blocks are separated by a blank line, as paragraphs are in the other kinds, so chunking treats them alike.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from urllib.parse import unquote
from xml.etree import ElementTree

from assistant.errors import IngestError
from assistant.htmltext import html_text

# A package member bigger than this unpacked is not prose (or is a zip bomb): refused, not read.
MAX_MEMBER_BYTES = 64 * 1024 * 1024
_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_OPF = "{http://www.idpf.org/2007/opf}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_XHTML = ("application/xhtml+xml", "text/html")


def docx_text(data: bytes) -> tuple[str, str]:
    """A Word document's text and title."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from lxml.etree import XMLSyntaxError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError) as e:
        raise IngestError(f"cannot read the Word document ({e or type(e).__name__}); is it a .docx saved by Word, "
                          "LibreOffice or another office suite? (an old .doc must be saved as .docx first)") from e
    blocks: list[str] = []
    title = (document.core_properties.title or "").strip()
    heading = ""
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                seen: set[int] = set()
                cells = []
                for cell in row.cells:
                    if id(cell._tc) not in seen:  # a merged cell is listed once per column it spans
                        seen.add(id(cell._tc))
                        cells.append(" ".join(cell.text.split()))
                line = " | ".join(c for c in cells if c)
                if line:
                    blocks.append(line)
            continue
        text = item.text.strip()
        if not text:
            continue
        blocks.append(text)
        style = item.style.name if item.style is not None else ""
        if not heading and style in ("Title", "Heading 1"):
            heading = text
    return "\n\n".join(blocks), title or heading


def epub_text(data: bytes) -> tuple[str, str]:
    """An EPUB's text, its spine's documents in reading order, and its title."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise IngestError("not an EPUB: the file is not a zip archive") from e
    with book:
        container = _xml(book, "META-INF/container.xml")
        rootfile = container.find(f".//{_CONTAINER}rootfile")
        opf_path = rootfile.get("full-path") if rootfile is not None else None
        if not opf_path:
            raise IngestError("not an EPUB: META-INF/container.xml names no package file")
        package = _xml(book, opf_path)
        title = " ".join((package.findtext(f".//{_DC}title") or "").split())
        base = posixpath.dirname(opf_path)
        items = {i.get("id"): i for i in package.iterfind(f".//{_OPF}manifest/{_OPF}item")}
        parts = []
        read: set[str] = set()
        for ref in package.iterfind(f".//{_OPF}spine/{_OPF}itemref"):
            item = items.get(ref.get("idref"))
            if item is None or item.get("media-type") not in _XHTML or not item.get("href"):
                continue
            # Some books give a file with a fragment ("ch1.xhtml#s2"), and list it again for the next fragment.
            href = posixpath.normpath(posixpath.join(base, unquote(item.get("href", "").split("#")[0])))
            if href in read:
                continue
            read.add(href)
            text, _ = html_text(_member(book, href))
            if text.strip():
                parts.append(text.strip())
    return "\n\n".join(parts), title


def _member(book: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = book.getinfo(name)
    except KeyError as e:
        raise IngestError(f"not a complete EPUB: it lists {name}, which it does not hold") from e
    if info.file_size > MAX_MEMBER_BYTES:
        raise IngestError(f"{name} inside the EPUB unpacks to {info.file_size / 1e6:.0f} MB, more than the "
                          f"{MAX_MEMBER_BYTES / 1e6:.0f} MB read from one file")
    try:
        return book.read(info)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise IngestError(f"{name} inside the EPUB is damaged ({e})") from e


def _xml(book: zipfile.ZipFile, name: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(_member(book, name))
    except ElementTree.ParseError as e:
        raise IngestError(f"not an EPUB: {name} is not well-formed XML ({e})") from e
