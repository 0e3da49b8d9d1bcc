"""Documents → text: read .txt, .md, .html, .pdf, .docx and .epub files into the plain text every offset refers to.

:func:`extract_text` is deterministic for a given file and library version: the citation layer calls it to recompute
a source's text, and ``extract_text(path)[passage.start:passage.end] == passage.text`` always holds for an indexed,
unchanged file. Chunking lives in :mod:`assistant.chunking`.

PDFs are read with PDFium (pypdfium2) page by page; :func:`extract_document` also returns where each page starts
in the text, so every passage knows its page. Running heads and feet (lines repeated at the top or bottom of many
pages, page numbers) and table-of-contents dot leaders ("Title . . . . 12") are left out. HTML navigation, headers,
footers, sidebars and search boxes are left out by their markup, never by wording (:mod:`assistant.htmltext`).
Word documents and EPUBs are read by :mod:`assistant.packages`.

Text decoding: UTF-8 (a BOM is dropped), UTF-16 when the file starts with its BOM, and, as a documented fallback for
legacy files, Windows-1252 when the bytes are not UTF-8 but decode cleanly as Windows-1252. Anything else — NUL
bytes, control characters — is refused as binary. Line endings are normalised to ``\\n``.
"""

from __future__ import annotations

import bisect
import codecs
import functools
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import IngestError
from assistant.htmltext import html_text
from assistant.packages import docx_text, epub_text
from assistant.patterns import CONTROL_CHARS as _CONTROL
from assistant.patterns import SUFFIX_KINDS, kind_of, normalize_newlines, underlines
from assistant.pdf import pdf_text

SUPPORTED = ", ".join(sorted(SUFFIX_KINDS))

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
# A line and the line under it (an underline, when :func:`~assistant.patterns.underlines` says so).
_UNDERLINED = re.compile(r"^[ \t]*(\S[^\n]*?)[ \t]*\n[ \t]*(\S+)[ \t]*$", re.MULTILINE)
_TITLE_WITHIN = 2000  # characters from a text file's start where its title may stand

_LONG_WORD = re.compile(r"[A-Za-zÀ-ɏ]{18,}")
_WORD = re.compile(r"[A-Za-zÀ-ɏ]{3,}")


@dataclass(frozen=True)
class Extracted:
    """A document's text plus what ingest needs besides: where each PDF page starts, and warnings for the report."""

    text: str
    page_starts: tuple[int, ...] = ()  # offset in ``text`` of page 1, 2, ... (PDFs only)
    warnings: tuple[str, ...] = ()
    title: str = ""  # an HTML page's <title> (else its first <h1>) or a PDF's title, read with the text
    page_labels: tuple[str, ...] = ()  # printed number of page 1, 2, ... where it differs from it, else ""

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding ``offset``, or None for documents without pages."""
        if not self.page_starts:
            return None
        return max(1, bisect.bisect_right(self.page_starts, offset))


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


class FileHashes:
    """Content hashes of files, each computed once per version of the file (its mtime, ctime, size, inode and
    device): what answers check their cited files against."""

    def __init__(self, size: int = 256) -> None:
        self._hash = functools.lru_cache(maxsize=size)(self._compute)

    def changed(self, indexed: dict[str, str]) -> list[str]:
        """The sources of ``{source: content hash when indexed}`` whose file here now has other content. A source
        not found here is left out: the index may have been built on another machine, or the file moved."""
        changed = []
        for source, indexed_hash in indexed.items():
            try:
                st = os.stat(source)
                now = self._hash(source, st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev)
            except OSError:
                continue
            if now != indexed_hash:
                changed.append(source)
        return changed

    @staticmethod
    def _compute(path: str, *version: int) -> str:
        return hash_file(Path(path))


def extract_text(path: str | os.PathLike[str]) -> str:
    """The text of the document at ``path`` (a citation's ``source`` will do) that chunk offsets refer to. Raises
    IngestError when unreadable."""
    path = Path(path)
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
    labels: tuple[str, ...] = ()
    title = ""
    warnings: list[str] = []
    if kind == "pdf":
        text, pages, title, textless, labels = pdf_text(data)
        warnings += [textless] if textless else []
    elif kind == "html":
        text, title = html_text(data)
    elif kind == "docx":
        text, title = docx_text(data)
    elif kind == "epub":
        text, title, missing = epub_text(data)
        warnings += [missing] if missing else []
    else:
        text = decode_text(data)
    if not text.strip():
        hint = " (a scanned PDF? run OCR on it first)" if kind == "pdf" else ""
        raise IngestError(f"no text to index{hint}")
    warnings += [w for w in [glued_warning(text)] if w]
    return Extracted(text, pages, tuple(warnings), title, labels)


def glued_warning(text: str) -> str:
    """A warning when words seem run together ("Thisisintendedtoprovide"): too many words of 18+ letters.

    In English prose well under 1 in 1,000 words has 18 letters or more; text whose spaces were lost in extraction
    has them by the hundred, and neither keyword nor embedding search can find what is in them.
    """
    words = len(_WORD.findall(text))
    long = _LONG_WORD.findall(text)
    # Many long words, or a few very long runs that make up much of the text ("xxxx…" thousands of letters long)
    if (len(long) >= 3 and len(long) >= 0.01 * words) or sum(map(len, long)) >= max(200, len(text) // 4):
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


def document_title(path: Path, doc: Extracted) -> str:
    """A display title: the HTML <title>, the PDF, Word or EPUB title, the first Markdown heading, a text file's
    first underlined line near its start, else the file name."""
    title = doc.title
    if kind_of(path) == "markdown":
        m = _MD_HEADING.search(doc.text)
        title = m.group(1) if m else ""
    if kind_of(path) in ("markdown", "text") and not title:
        title = next((m.group(1) for m in _UNDERLINED.finditer(doc.text[:_TITLE_WITHIN])
                      if underlines(m.group(1), m.group(2))), "")
    return " ".join(title.split())[:200] or path.name
