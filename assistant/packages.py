"""Word (.docx) and EPUB files → text: both are zip packages of XML.

- A Word document is opened with python-docx and its body walked in reading order: a paragraph a block (every run's
  text, in content controls, tracked insertions, fields and text boxes too; tracked deletions left out), a table row
  a line of its cells joined by " | " (a merged cell once). Headers, footers, footnotes and comments are other parts,
  left out. The title is the document's title property, else its first Title or Heading 1 paragraph.
- An EPUB is read with the standard library: its container names the package file, whose spine lists the book's
  XHTML files in reading order; each is read as HTML (:func:`assistant.htmltext.html_text`). The title is the
  package's ``dc:title``. Chapters the spine lists but the book lacks are named in a warning; a book whose chapters
  are encrypted (DRM) is refused. (The maintained EPUB reader, EbookLib, is AGPL; the part used here is the container
  and spine format, a few lines.)

Blocks are separated by a blank line, as paragraphs are in the other kinds, so chunking treats them alike.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

from assistant.errors import IngestError
from assistant.htmltext import html_text

# A package member bigger than this unpacked is not prose (or is a zip bomb): refused, not read; so is a package
# whose members add up to more than MAX_UNPACKED_BYTES.
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_OPF = "{http://www.idpf.org/2007/opf}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_XHTML = ("application/xhtml+xml", "text/html")
_XMLENC = "{http://www.w3.org/2001/04/xmlenc#}"
_FONT_OBFUSCATION = ("http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC")


def docx_text(data: bytes) -> tuple[str, str]:
    """A Word document's text and title."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    _check_unpacked_size(data, "Word document")
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError, zlib.error) as e:
        raise IngestError(f"cannot read the Word document ({e or type(e).__name__}); is it a .docx saved by Word, "
                          "LibreOffice or another office suite? (an old .doc must be saved as .docx first)") from e
    styles = {s.style_id: s.name for s in document.styles}
    blocks: list[str] = []
    heading = ""
    for element in _docx_blocks(document.element.body):
        if element.tag == _W + "tbl":
            blocks += [line for row in element.iterchildren(_W + "tr") if (line := _docx_row(row))]
            continue
        text = _docx_paragraph(element).strip()
        if not text:
            continue
        blocks.append(text)
        style = element.find(f"{_W}pPr/{_W}pStyle")
        if not heading and style is not None and styles.get(style.get(_W + "val")) in ("Title", "Heading 1"):
            heading = text
    return "\n\n".join(blocks), (document.core_properties.title or "").strip() or heading


def _docx_blocks(parent: Any) -> Iterator[Any]:
    """The body's paragraphs and tables in reading order, those inside content controls (``w:sdt``) included."""
    for child in parent.iterchildren():
        if child.tag in (_W + "p", _W + "tbl"):
            yield child
        elif child.tag in (_W + "sdt", _W + "sdtContent", _W + "customXml"):
            yield from _docx_blocks(child)


def _docx_paragraph(p: Any) -> str:
    """Every run's text of the paragraph, in insertions, fields, smart tags and hyperlinks too (deleted text is
    ``w:delText``, left out); tabs and line breaks as such."""
    parts = []
    for e in p.iter(_W + "t", _W + "tab", _W + "br", _W + "cr"):
        parts.append(e.text or "" if e.tag == _W + "t" else "\t" if e.tag == _W + "tab" else "\n")
    return "".join(parts)


def _docx_row(row: Any) -> str:
    """A table row as a line: its cells' text joined by " | "; a cell merged with the one above (``w:vMerge``
    without "restart") is that cell, listed there; a nested table's text stays in its cell."""
    cells = []
    for tc in row.iterchildren(_W + "tc"):
        merge = tc.find(f"{_W}tcPr/{_W}vMerge")
        if merge is not None and merge.get(_W + "val") != "restart":
            continue
        cells.append(" ".join(" ".join(_docx_paragraph(p) for p in tc.iter(_W + "p")).split()))
    return " | ".join(c for c in cells if c)


def epub_text(data: bytes) -> tuple[str, str, str]:
    """An EPUB's text, its spine's documents in reading order; its title; a warning naming the documents the spine
    lists but the book lacks ("" when none)."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise IngestError("not an EPUB: the file is not a zip archive") from e
    with book:
        _check_unpacked_size(data, "EPUB", book)
        container = _xml(book, "META-INF/container.xml")
        rootfile = container.find(f".//{_CONTAINER}rootfile")
        opf_path = rootfile.get("full-path") if rootfile is not None else None
        if not opf_path:
            raise IngestError("not an EPUB: META-INF/container.xml names no package file")
        package = _xml(book, opf_path)
        title = " ".join((package.findtext(f".//{_DC}title") or "").split())
        base = posixpath.dirname(opf_path)
        items = {i.get("id"): i for i in package.iterfind(f".//{_OPF}manifest/{_OPF}item")}
        spine: list[str] = []
        for ref in package.iterfind(f".//{_OPF}spine/{_OPF}itemref"):
            item = items.get(ref.get("idref"))
            if item is None or item.get("media-type") not in _XHTML or not item.get("href"):
                continue
            # Some books give a file with a fragment ("ch1.xhtml#s2"), and list it again for the next fragment.
            href = posixpath.normpath(posixpath.join(base, unquote(item.get("href", "").split("#")[0])))
            if href not in spine:
                spine.append(href)
        locked = _encrypted(book) & set(spine)
        if locked:
            raise IngestError(f"the EPUB is DRM-protected ({len(locked)} of its {len(spine)} chapters are "
                              "encrypted): only a copy without DRM can be indexed")
        parts, missing = [], []
        for href in spine:
            if href not in book.NameToInfo:
                missing.append(href)
                continue
            text, _ = html_text(_member(book, href))
            if text.strip():
                parts.append(text.strip())
    if missing and not parts:
        raise IngestError(f"not a complete EPUB: it lists {', '.join(missing[:3])}, which it does not hold")
    warning = (f"{len(missing)} of the {len(spine)} chapters its spine lists are not in the book "
               f"({', '.join(missing[:3])}); the others are indexed") if missing else ""
    return "\n\n".join(parts), title, warning


def _encrypted(book: zipfile.ZipFile) -> set[str]:
    """The members META-INF/encryption.xml says are encrypted, font obfuscation aside (fonts are no text)."""
    if "META-INF/encryption.xml" not in book.NameToInfo:
        return set()
    found = set()
    for data in _xml(book, "META-INF/encryption.xml").iter(f"{_XMLENC}EncryptedData"):
        method = data.find(f"{_XMLENC}EncryptionMethod")
        reference = data.find(f".//{_XMLENC}CipherReference")
        if reference is not None and (method is None or method.get("Algorithm") not in _FONT_OBFUSCATION):
            found.add(posixpath.normpath(unquote(reference.get("URI", ""))))
    return found


def _check_unpacked_size(data: bytes, kind: str, book: zipfile.ZipFile | None = None) -> None:
    """Refuse a package whose members add up to more than ``MAX_UNPACKED_BYTES`` (a zip bomb reads as text no
    better than it fits in memory)."""
    try:
        package = book or zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return  # not a zip: the reader says so in its own words
    total = sum(i.file_size for i in package.infolist())
    if total > MAX_UNPACKED_BYTES:
        raise IngestError(f"the {kind} unpacks to {total / 1e6:.0f} MB, more than the {MAX_UNPACKED_BYTES / 1e6:.0f} "
                          "MB read from one file")


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
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as e:
        raise IngestError(f"{name} inside the EPUB is damaged ({e})") from e


def _xml(book: zipfile.ZipFile, name: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(_member(book, name))
    except ElementTree.ParseError as e:
        raise IngestError(f"not an EPUB: {name} is not well-formed XML ({e})") from e
