"""PDF → text with PDFium (pypdfium2), page by page, without the page furniture.

:func:`pdf_text` returns the text, the offset where each page starts (so every passage knows its page) and the
title. Running heads and feet (lines repeated at the top or bottom of many pages, page numbers) and
table-of-contents dot leaders ("Title . . . . 12") are left out; the rules are about layout, never about wording.
Used by :mod:`assistant.documents`.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, NamedTuple

from assistant.errors import IngestError
from assistant.patterns import CLOSES as _CLOSES
from assistant.patterns import CONTROL_CHARS as _CONTROL
from assistant.patterns import normalize_newlines
from assistant.text import is_function_word

if TYPE_CHECKING:
    from pypdfium2 import PdfDocument, PdfTextPage

# PDF lines that are furniture: a page number alone ("12", "- 12 -", "Page 3 of 9", "xii") or a TOC entry's leader.
_PAGE_NUMBER = re.compile(
    r"^\s*(?:page\s+)?[-–—(\[]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[-–—)\]]?\s*(?:(?:/|of)\s*\d{1,4})?\s*$",
    re.IGNORECASE,
)
_DOT_LEADER = re.compile(r"(?:(?:\.\s){2,}|\.{4,})\s*(?:\d{1,4}|[ivxlcdm]{1,7})?\s*$", re.IGNORECASE)
_HEAD_FOOT_LINES = 2  # lines at each end of a page where running heads and feet sit
_LABEL_CHARS = 20  # a page label longer than this is not a page number shown to anyone
_PAGE_WORD = re.compile(r"^(?:page|p\.)\s*(?=\S)", re.IGNORECASE)


class PdfText(NamedTuple):
    text: str  # the pages in order, separated by a blank line, furniture left out
    starts: tuple[int, ...]  # offset where each page starts
    title: str  # from the document information, else the first page's largest lines ("" when neither)
    warning: str  # when its pages hold little text (:func:`textless_warning`), else ""
    labels: tuple[str, ...]  # each page's printed number (page label) where it differs from its number, else ""


def pdf_text(data: bytes) -> PdfText:
    """A PDF's text, where each page starts, title, warning and page labels (see :class:`PdfText`)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise IngestError("the PDF is password-protected; save an unencrypted copy to index it") from e
        reason = re.search(r"PDFium: ([^)]*)", str(e))
        raise IngestError("not a PDF that can be read: damaged, or not a PDF at all (PDFium: "
                          f"{reason.group(1) if reason else e})") from e
    try:
        title = _title(pdf)
        raws: list[str] = []
        labels: list[str] = []
        for i in range(len(pdf)):
            labels.append(_page_label(pdf, i))
            page = pdf[i]
            textpage = page.get_textpage()
            raws.append(textpage.get_text_range())
            if i == 0 and not title:
                title = _largest_lines(textpage)
            textpage.close()
            page.close()
    except pdfium.PdfiumError as e:
        raise IngestError(f"cannot parse the PDF ({e})") from e
    finally:
        pdf.close()
    words = _words(raws)
    pages = [_headings_apart(lines) for lines in _drop_furniture([_pdf_lines(raw, words) for raw in raws])]
    # a page foot dropped, a body line ending in a mark is its last
    text, starts = _join_pages(["\n".join([*(x.replace("\ufffe", "") for x in lines[:-1]), *lines[-1:]])
                                for lines in pages], words)
    warning = textless_warning([text[a:b] for a, b in zip(starts, (*starts[1:], len(text)), strict=True)])
    return PdfText(text, starts, title, warning, tuple(labels))


def _page_label(pdf: PdfDocument, index: int) -> str:
    """The page's printed number from the PDF's page labels ("45" on the 51st page of a manual whose front matter
    is numbered i, ii, ...), or "" when it has none or it is the page's own number."""
    import pypdfium2 as pdfium

    try:
        label = " ".join(_CONTROL.sub("", pdf.get_page_label(index)).split())
    except (pdfium.PdfiumError, UnicodeDecodeError, ValueError):
        return ""
    label = _PAGE_WORD.sub("", label)  # a label prefix "Page " says what the citation says already
    return "" if label == str(index + 1) or len(label) > _LABEL_CHARS else label


_HEADING_CHARS = 60  # a numbered line longer than this is an item of a list wrapped at the page's width
# A numbered heading on a line of its own: "3.2.6 Coprocesses", "7. Installing", "A.1 Overview" (no closing mark).
_NUMBERED_HEADING = re.compile(r"(?:\d+(?:\.\d+)+\.?|\d+\.|[A-Z](?:\.\d+)+\.?)[ \t]+[^\W\d_][^\n]{0,80}")


def _headings_apart(lines: list[str]) -> list[str]:
    """A page's lines with a blank one after each numbered heading that a capitalised line follows: PDF text has no
    paragraphs, so the heading would read as the start of the first sentence under it ("3.2.6 Coprocesses A
    coprocess is …")."""
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        after = lines[i + 1].lstrip()[:1] if i + 1 < len(lines) else ""
        words = line.split()
        if (after.isupper() and len(line.strip()) <= _HEADING_CHARS and _NUMBERED_HEADING.fullmatch(line.strip())
                and not line.rstrip().endswith((*_CLOSES, ",", "(")) and not is_function_word(words[-1])):
            out.append("")
    return out


def _join_pages(bodies: list[str], words: set[str]) -> tuple[str, tuple[int, ...]]:
    """The pages' text and where each page starts in it. Pages are apart by a blank line, except where a sentence
    runs on to the next page (no closing mark before the break, a lower-case letter after it): there the break is a
    line end like any other in the sentence, and a word broken at it ("per-" / "forms") is whole again."""
    text = ""
    starts: list[int] = []
    empty = 0  # pages without text since the last with some: they start where the next one does
    for body in bodies:
        if not body:
            empty += 1
            continue
        if text:
            broken = _BROKEN_AT_END.search(text)
            tail = _FIRST_WORD.match(body)
            if _runs_on(text, body) and broken and tail:
                # the hyphen is the page's line end (PDFium marks one inside a page, not at its end)
                whole = _rejoin(broken.group(1), tail.group(0), words)
                text = text[:broken.start()] + whole[:len(whole) - len(tail.group(0))]
            else:
                text = text.removesuffix("\ufffe")
                text += "\n" if _runs_on(text, body) else "\n\n"
        starts.extend([len(text)] * (empty + 1))
        empty = 0
        text += body
    text = text.removesuffix("\ufffe")
    return text, (*starts, *[len(text)] * empty)


_BROKEN_AT_END = re.compile(r"([^\W\d_]+)[\ufffe-]$")
_FIRST_WORD = re.compile(r"[^\W\d_]+")


def _runs_on(before: str, after: str) -> bool:
    """The page after goes on with the sentence the page before ends with: no closing mark before the break, a
    lower-case letter after it, and no footnote ("1 See also …") at the foot of the page before."""
    last = before[before.rfind("\n") + 1:]
    return (bool(before) and bool(after) and after[0].islower() and not before.rstrip().endswith(_CLOSES)
            and not _FOOTNOTE.match(last))


_FOOTNOTE = re.compile(r"\d{1,2}\s+[A-Z]")


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
    ocr = "run OCR on the file (e.g. `ocrmypdf`) and index the result"
    if empty >= 3 and empty >= n / 4:
        return (f"{empty} of {n} pages hold no text: they are probably scanned images or letters drawn as shapes, "
                f"which cannot be searched or quoted — {ocr}")
    if n >= 4 and chars < MIN_CHARS_PER_PAGE * n:
        return (f"its {n} pages hold {chars / n:.0f} characters of text a page on average: if they show more, it is "
                f"scanned or drawn as shapes, which cannot be searched or quoted — {ocr}")
    return ""


# PDFium marks the hyphen at a line end with U+FFFE, mostly without the line end itself ("con\ufffesidered").
_SOFT_HYPHEN = re.compile(r"([^\W\d_]+)\ufffe[ \t]*(?:\r?\n)?[ \t]*([^\W\d_]+)")
_BEFORE_DIGIT = re.compile(r"\ufffe[ \t]*(?:\r?\n)?[ \t]*(?=\d)")
_WORD_RUN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def _words(raws: list[str]) -> set[str]:
    """The document's words, hyphenated compounds whole ("built-in"), lower case: what a broken word is checked
    against."""
    return {w.lower() for raw in raws for w in _WORD_RUN.findall(raw)}


def _pdf_lines(raw: str, words: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """A page's text as lines, each word broken at a line end (U+FFFE) whole again: joined ("corre-sponding" ->
    "corresponding"), or hyphenated where the document writes it so elsewhere and never joined ("built-in"), or
    where a capital follows that does not go on a word in capitals ("S-Plus", but "INTERNATIONAL"); a hyphen before
    a digit stays ("UTF-8")."""

    raw = _SOFT_HYPHEN.sub(lambda m: _rejoin(m.group(1), m.group(2), words), raw)
    raw = _BEFORE_DIGIT.sub("-", raw).replace("\x00", "")  # no word is broken before a digit
    # TeX sets the hyphen-minus of code and options as a minus sign (U+2212): "${parameter:−word}", "−16"; what a
    # user types, searches for and copies is "-"
    raw = raw.replace("\u2212", "-")
    raw = normalize_newlines(raw).replace("\x0c", "\n")
    lines = [line.rstrip() for line in raw.split("\n") if line.strip()]
    # a mark left at the end of the page's last line may break a word the next page finishes (see _join_pages)
    return [line.replace("\ufffe", "") for line in lines[:-1]] + [_unmarked(line) for line in lines[-1:]]


def _unmarked(line: str) -> str:
    """The line without PDFium's hyphen marks, except one ending it."""
    return line[:-1].replace("\ufffe", "") + line[-1]


def _rejoin(head: str, tail: str, words: set[str] | frozenset[str]) -> str:
    """A word broken at a line end, whole: joined, or hyphenated where the document writes it so elsewhere and never
    joined, or where a capital follows that does not go on a word in capitals."""
    joined, hyphenated = (head + tail).lower(), f"{head}-{tail}".lower()
    capital = tail[0].isupper() and not (head.isupper() and tail.isupper() and len(head) > 1)
    keep = (hyphenated in words and joined not in words) or capital
    return f"{head}-{tail}" if keep else head + tail


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


# A title is set larger than the text around it: its lines' largest letters are at least this much larger than the
# first page's median, and a title's later lines (a subtitle is smaller) at least this share of its first line's.
_TITLE_OVER_BODY = 1.2
_TITLE_LINE_SHARE = 0.8


def _largest_lines(textpage: PdfTextPage) -> str:
    """The first page's title by its type size, for a PDF whose document information has none: the first line holding
    the page's largest letters, with the lines after it set nearly as large ("" when the page's letters are all of
    one size, or too few)."""
    import pypdfium2.raw as pdfium_c

    lines: list[tuple[str, float]] = []  # (text, largest letter)
    text: list[str] = []
    largest = 0.0
    for i in range(pdfium_c.FPDFText_CountChars(textpage.raw)):
        char = chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i))
        if char == "\n":
            lines.append(("".join(text), largest))
            text, largest = [], 0.0
            continue
        text.append(char)
        if char.strip():
            largest = max(largest, pdfium_c.FPDFText_GetFontSize(textpage.raw, i))
    lines.append(("".join(text), largest))
    sizes = sorted(size for _, size in lines if size)
    if len(sizes) < 3 or sizes[-1] < _TITLE_OVER_BODY * sizes[len(sizes) // 2]:
        return ""
    first = next(i for i, (_, size) in enumerate(lines) if size == sizes[-1])
    title = [lines[first][0]]
    for line, size in lines[first + 1:]:
        if size < _TITLE_LINE_SHARE * sizes[-1]:
            break
        title.append(line)
    # PDFium gives a hyphen that breaks a word at a line end as a control code, and a minus sign for a hyphen
    joined = " ".join(_CONTROL.sub("", " ".join(title)).replace("\u2212", "-").split())
    return joined if len(joined) <= 200 and sum(c.isalpha() for c in joined) >= 2 else ""


def _title(pdf: PdfDocument) -> str:
    try:
        return str(pdf.get_metadata_dict().get("Title", ""))
    except Exception:  # the title is cosmetic; a damaged info dictionary must not fail the document
        return ""
