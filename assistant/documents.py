"""Documents → text: read .txt, .md, .html and .pdf files into the plain text every offset refers to.

:func:`extract_text` is deterministic for a given file and library version: the citation layer calls it to recompute
a source's text, and ``extract_text(path)[passage.start:passage.end] == passage.text`` always holds for an indexed,
unchanged file. Chunking lives in :mod:`assistant.chunking`.

Text decoding: UTF-8 (a BOM is dropped), UTF-16 when the file starts with its BOM, and, as a documented fallback for
legacy files, Windows-1252 when the bytes are not UTF-8 but decode cleanly as Windows-1252. Anything else — NUL
bytes, control characters — is refused as binary. Line endings are normalised to ``\\n``.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
from pathlib import Path

from assistant.errors import IngestError
from assistant.patterns import CONTROL_CHARS as _CONTROL

SUFFIX_KINDS = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
                ".pdf": "pdf"}
SUPPORTED = ", ".join(sorted(SUFFIX_KINDS))

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_HTML_DROP = ("script", "style", "noscript", "template", "head", "svg", "iframe", "object")
_HTML_BLOCKS = ("address", "article", "aside", "blockquote", "caption", "dd", "details", "div", "dl", "dt",
                "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
                "header", "hr", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul")


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
    kind = kind_of(path)
    if kind is None:
        raise IngestError(f"unsupported file type '{path.suffix or path.name}' (supported: {SUPPORTED})")
    if not data:
        raise IngestError("empty file, nothing to index")
    if kind == "pdf":
        text = _pdf_text(data)
    elif kind == "html":
        text = _html_text(data)
    else:
        text = decode_text(data)
    if not text.strip():
        hint = " (a scanned PDF? run OCR on it first)" if kind == "pdf" else ""
        raise IngestError(f"no text to index{hint}")
    return text


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


def _pdf_text(data: bytes) -> str:
    import logging

    from pypdf import PdfReader

    # pypdf logs every recoverable oddity of a malformed file; the result (text or a clear error) is what counts.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("the PDF is password-protected; save an unencrypted copy to index it")
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except Exception as e:  # pypdf raises many exception types for damaged files
        raise IngestError(f"cannot parse the PDF ({type(e).__name__}: {e})") from e
    return normalize_newlines("\n\n".join(p.replace("\x00", "").strip("\n") for p in pages))


def _html_text(data: bytes) -> str:
    from bs4 import BeautifulSoup, CData, NavigableString

    soup = BeautifulSoup(data, "html.parser")
    for tag in soup.find_all(_HTML_DROP):
        tag.decompose()
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
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def document_title(path: Path, data: bytes, text: str) -> str:
    """A display title: the HTML <title>, the PDF's title, the first Markdown heading, else the file name."""
    kind = kind_of(path)
    title = ""
    if kind == "markdown":
        m = _MD_HEADING.search(text)
        title = m.group(1) if m else ""
    elif kind == "html":
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(data, "html.parser")
        tag = soup.find("title") or soup.find("h1")
        title = tag.get_text(" ", strip=True) if tag else ""
    elif kind == "pdf":
        title = _pdf_title(data)
    return " ".join(title.split())[:200] or path.name


def _pdf_title(data: bytes) -> str:
    from pypdf import PdfReader

    try:
        meta = PdfReader(io.BytesIO(data)).metadata
        return str(meta.title or "") if meta else ""
    except Exception:  # the title is cosmetic; a damaged info dictionary must not fail the document
        return ""
