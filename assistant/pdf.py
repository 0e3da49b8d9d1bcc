"""PDF → text with PDFium (pypdfium2), page by page, without the page furniture.

:func:`pdf_text` returns the text, the offset where each page starts (so every passage knows its page) and the
title. Running heads and feet (lines repeated at the top or bottom of many pages, page numbers) and
table-of-contents dot leaders ("Title . . . . 12") are left out; the rules are about layout, never about wording.
Used by :mod:`assistant.documents`.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from assistant.errors import IngestError
from assistant.patterns import normalize_newlines

if TYPE_CHECKING:
    from pypdfium2 import PdfDocument

# PDF lines that are furniture: a page number alone ("12", "- 12 -", "Page 3 of 9", "xii") or a TOC entry's leader.
_PAGE_NUMBER = re.compile(
    r"^\s*(?:page\s+)?[-–—(\[]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[-–—)\]]?\s*(?:(?:/|of)\s*\d{1,4})?\s*$",
    re.IGNORECASE,
)
_DOT_LEADER = re.compile(r"(?:(?:\.\s){2,}|\.{4,})\s*(?:\d{1,4}|[ivxlcdm]{1,7})?\s*$", re.IGNORECASE)
_HEAD_FOOT_LINES = 2  # lines at each end of a page where running heads and feet sit


def pdf_text(data: bytes) -> tuple[str, tuple[int, ...], str, str]:
    """(text, offset where each page starts, title, warning): pages in order, separated by a blank line, furniture
    left out; the title from the document information ("" when there is none); a warning when many pages hold no
    text (:func:`textless_warning`, else "")."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise IngestError("the PDF is password-protected; save an unencrypted copy to index it") from e
        raise IngestError(f"cannot parse the PDF ({e})") from e
    try:
        title = _title(pdf)
        pages: list[list[str]] = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            raw = textpage.get_text_range()
            textpage.close()
            page.close()
            pages.append(_pdf_lines(raw))
    except pdfium.PdfiumError as e:
        raise IngestError(f"cannot parse the PDF ({e})") from e
    finally:
        pdf.close()
    pages = _drop_furniture(pages)
    starts: list[int] = []
    parts: list[str] = []
    pos = 0
    for lines in pages:
        body = "\n".join(lines)
        if parts:
            pos += 2  # the blank line between pages
        starts.append(pos)
        parts.append(body)
        pos += len(body)
    return "\n\n".join(parts), tuple(starts), title, textless_warning(parts)


# A page of prose holds 1,500-3,000 characters and a slide a few hundred; below this on average, what the pages show
# is mostly not text.
MIN_CHARS_PER_PAGE = 100


def textless_warning(pages: list[str]) -> str:
    """A warning when a PDF's pages hold little text: a quarter of them none at all (and at least 3), or fewer than
    ``MIN_CHARS_PER_PAGE`` characters a page on average over 4 pages or more. Scanned pages, and letters drawn as
    shapes, look like text on screen but give nothing to search or quote."""
    n = len(pages)
    empty = sum(1 for p in pages if not p.strip())
    chars = sum(len(p.strip()) for p in pages)
    if empty >= 3 and empty >= n / 4:
        found = f"{empty} of {n} pages hold no text"
    elif n >= 4 and chars < MIN_CHARS_PER_PAGE * n:
        found = f"its {n} pages hold {chars / n:.0f} characters of text a page on average"
    else:
        return ""
    return (f"{found}: they are probably scanned images or letters drawn as shapes, which cannot be searched or "
            "quoted — run OCR on the file (e.g. `ocrmypdf`) and index the result")


_SOFT_HYPHEN = re.compile(r"\ufffe(?:\r?\n)?(\w)")


def _pdf_lines(raw: str) -> list[str]:
    """A page's text as lines: PDFium's soft hyphen at a line end (U+FFFE) joins the word it broke."""
    # PDFium marks the hyphen at a line end with U+FFFE, mostly without the line end itself ("con\ufffesidered"): the
    # word is whole again, unless a capital follows, which a word broken for the line does not start with
    # ("S\ufffePlus" is "S-Plus").
    raw = _SOFT_HYPHEN.sub(lambda m: ("-" if m.group(1).isupper() else "") + m.group(1), raw).replace("\ufffe", "")
    raw = raw.replace("\x00", "")
    raw = normalize_newlines(raw).replace("\x0c", "\n")
    return [line.rstrip() for line in raw.split("\n") if line.strip()]


def _drop_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Pages without running heads/feet, page numbers and dot-leader (table of contents) lines.

    Running heads and feet sit in the first or last lines of a page. One is recognised when, digits ignored, the
    same line sits there on three pages or more ("Debian Reference 13 / 233"), or on two pages with numbers that
    advance with the page ("Chapter 3: Objects 15", "... 16"), or when the line carries the page's own number
    (the number printed on page ``i`` is ``i + shift`` for a shift most page-number lines agree on).
    """
    edges = [_edge_lines(lines) for lines in pages]
    shifts: dict[str, Counter[int]] = {}
    seen: Counter[str] = Counter()
    for i, lines in enumerate(pages):
        for j in edges[i]:
            k = _furniture_key(lines[j])
            seen[k] += 1
            n = _edge_number(lines[j])
            if n is not None:
                shifts.setdefault(k, Counter())[n - i] += 1
    repeated = {k for k, c in seen.items() if c >= 3 or (k in shifts and shifts[k].most_common(1)[0][1] >= 2)}
    page_shift: Counter[int] = Counter()
    for i, lines in enumerate(pages):
        for j in edges[i]:
            n = _edge_number(lines[j])
            if n is not None and (_PAGE_NUMBER.match(lines[j]) or _furniture_key(lines[j]) in repeated):
                page_shift[n - i] += 1
    shift = page_shift.most_common(1)[0][0] if page_shift and page_shift.most_common(1)[0][1] >= 3 else None
    def furniture(i: int, line: str) -> bool:
        return bool(
            _PAGE_NUMBER.match(line)
            or (_furniture_key(line) in repeated and re.search(r"[^\W\d_]", line))
            or (shift is not None and _edge_number(line) == i + shift and len(line) <= 120)
        )

    out: list[list[str]] = []
    for i, lines in enumerate(pages):
        # Furniture is peeled from the edges inwards: a line is only a head (foot) if every line above (below) is.
        top, bottom = 0, len(lines)
        while top < min(_HEAD_FOOT_LINES, bottom) and furniture(i, lines[top]):
            top += 1
        while bottom > max(top, len(lines) - _HEAD_FOOT_LINES) and furniture(i, lines[bottom - 1]):
            bottom -= 1
        out.append([line for line in lines[top:bottom] if not _DOT_LEADER.search(line)])
    return out


def _edge_lines(lines: list[str]) -> set[int]:
    n = min(_HEAD_FOOT_LINES, len(lines))
    return set(range(n)) | set(range(len(lines) - n, len(lines)))


def _furniture_key(line: str) -> str:
    k = re.sub(r"\d+", "#", " ".join(line.split())).lower()
    return re.sub(r"\b[ivxlcdm]{1,7}$", "#", k)  # roman page numbers of the front matter


def _edge_number(line: str) -> int | None:
    """The number a head or foot line starts or ends with (where page numbers are printed), if any."""
    m = re.search(r"(\d{1,4})\s*(?:/\s*\d{1,4})?\s*$", line) or re.match(r"\s*(\d{1,4})\b", line)
    return int(m.group(1)) if m else None


def _title(pdf: PdfDocument) -> str:
    try:
        return str(pdf.get_metadata_dict().get("Title", ""))
    except Exception:  # the title is cosmetic; a damaged info dictionary must not fail the document
        return ""
