"""Split a document's text into passages that follow its paragraphs and sentences.

Rules, in order:

* Paragraphs are separated by blank lines, or by a line break after a line that ends a sentence (``.!?:``) —
  plain-text files often use one line per paragraph, while PDFs wrap lines mid-sentence.
* A list (``-``, ``*``, ``•``, ``1.``, ``a)`` items) stays together with the line that introduces it (``…:``).
* A paragraph or list that fits in ``chunk_chars`` is one passage. A longer one is split between list items or at
  sentence ends, packing as many whole sentences as fit. A sentence is never cut, unless it is longer than
  ``2 * chunk_chars`` (then it is not prose — a table, a code blob) and is cut at spaces.
* Short neighbours (under a quarter of ``chunk_chars``, e.g. a heading and its paragraph) merge while they fit;
  a Markdown heading always starts a new passage.

* Pages (PDF) are chunked one by one, so a passage knows the page it is on; a sentence that runs on to the next
  page (the page text joins them with a single line end) stays whole in the passage where it starts.
* With a :class:`~assistant.tokens.TokenCounter`, no passage has more tokens than the embedding model takes
  (``counter.limit``): an over-long passage is chunked again with a proportionally smaller size, and what is still
  too long (a table, a URL, text without spaces) is cut where the tokenizer says the bound falls, at a space when
  one is near.

Every chunk is a span of the text: ``text[chunk.start:chunk.end] == chunk.text``, with no leading or trailing
whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.patterns import LIST_ITEM
from assistant.text import sentence_spans

if TYPE_CHECKING:
    from assistant.tokens import TokenCounter

CHUNKER_VERSION = 12  # bump when these rules or text extraction change, so ingest re-reads every document

_MD_HEADING = re.compile(r"\s{0,3}#{1,6}\s")
_LINE_END = re.compile(r"[.!?:][\"'”’)\]]*\s*$")
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9À-Þ])")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt vs etc e.g i.e cf al no nos fig figs vol p pp ed eds inc ltd co corp dept est "
    "approx jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.u a.m p.m gen gov sen rep rev".split()
)


@dataclass(frozen=True)
class Chunk:
    """A passage of a document: ``text == document_text[start:end]``; ``index`` counts from 0 in reading order."""

    text: str
    start: int
    end: int
    index: int
    page: int | None = None  # 1-based page the passage is on, for documents with pages
    page_label: str | None = None  # that page's printed number, when it has one other than ``page``


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str  # "text", "item" (list item), "heading", "list" (lead-in + items)
    parts: tuple[_Span, ...] = ()

    @property
    def size(self) -> int:
        return self.end - self.start


def chunk_text(text: str, chunk_chars: int, counter: TokenCounter | None = None,
               page_starts: Sequence[int] = (), page_labels: Sequence[str] = ()) -> list[Chunk]:
    """Split ``text`` into chunks of about ``chunk_chars`` characters following the rules in the module doc.

    ``page_starts`` are the offsets where pages 1, 2, ... begin, ``page_labels`` their printed numbers ("" where
    a page has none other than its own); ``counter`` bounds every chunk in tokens.
    """
    bounds = [b if n == 0 else _after_run_on(text, b) for n, b in enumerate(page_starts)] or [0]
    bounds = [min(b, bounds[n + 1]) if n + 1 < len(bounds) else b for n, b in enumerate(bounds)]
    spans: list[tuple[int, int, int | None]] = []
    for n, start in enumerate(bounds):
        end = bounds[n + 1] if n + 1 < len(bounds) else len(text)
        page = n + 1 if page_starts else None
        for s, e in _chunk_spans(text[start:end], chunk_chars):
            spans.append((start + s, start + e, page))
    if counter is not None:
        spans = _fit_tokens(text, spans, chunk_chars, counter)
    return [Chunk(text[s:e], s, e, i, page, _label(page_labels, page)) for i, (s, e, page) in enumerate(spans)]


def _label(labels: Sequence[str], page: int | None) -> str | None:
    return (labels[page - 1] or None) if page is not None and page <= len(labels) else None


_RUN_ON_CHARS = 600  # a page's first sentence that ends later than this is not one a page break cut in two


def _after_run_on(text: str, start: int) -> int:
    """Where a page's own text starts: after the end of the sentence the page before runs on with (the page text
    joins such pages with one line end, or none inside a word), else at the page's start."""
    if start < 2 or text[start - 2:start] == "\n\n":
        return start
    spans = sentence_spans(text[start:start + _RUN_ON_CHARS])
    return start + spans[1].start if len(spans) > 1 else start  # none ends in the window: no run-on to skip


def _fit_tokens(text: str, spans: list[tuple[int, int, int | None]], chunk_chars: int,
                counter: TokenCounter) -> list[tuple[int, int, int | None]]:
    """Spans split until each has at most ``counter.limit`` tokens."""
    out: list[tuple[int, int, int | None]] = []
    counts = counter.count([text[s:e] for s, e, _ in spans])
    for (s, e, page), n in zip(spans, counts, strict=True):
        if n <= counter.limit:
            out.append((s, e, page))
            continue
        # Chunk again at the size that would fit were the text as dense throughout; then cut what still exceeds.
        smaller = max(16, int((e - s) * counter.limit / n * 0.9))
        pieces = [(s + a, s + b) for a, b in _chunk_spans(text[s:e], smaller)] if smaller < chunk_chars else []
        if len(pieces) > 1:
            out.extend(_fit_tokens(text, [(a, b, page) for a, b in pieces], smaller, counter))
        else:
            out.extend((a, b, page) for a, b in _cut_tokens(text, s, e, counter))
    return out


def _cut_tokens(text: str, start: int, end: int, counter: TokenCounter) -> list[tuple[int, int]]:
    """Cut text[start:end] into pieces of at most ``counter.limit`` tokens, at a space when one is in the last half."""
    out: list[tuple[int, int]] = []
    while start < end:
        piece = text[start:end]
        if counter.count([piece])[0] <= counter.limit:
            out.append((start, end))
            break
        limit = counter.limit
        while True:
            cut = counter.cut(piece, limit)
            space = max(piece.rfind(" ", cut // 2, cut), piece.rfind("\n", cut // 2, cut))
            if space > 0:
                cut = space
            stop = _rstrip(text, start, start + cut)
            if (stop > start and counter.count([text[start:stop]])[0] <= counter.limit) or limit <= 3:
                break
            limit -= 2  # the prefix tokenized differently at its new end; aim a little lower
        stop = max(stop, start + 1)
        out.append((start, stop))
        start = start + cut
        while start < end and text[start].isspace():
            start += 1
    return out


def _chunk_spans(text: str, chunk_chars: int) -> list[tuple[int, int]]:
    """(start, end) of the passages of ``text`` by the paragraph and sentence rules, before any token bound."""
    pieces: list[_Span] = []
    for block in _group_lists(text, _paragraphs(text)):
        if block.size <= chunk_chars:
            pieces.append(block)
        else:
            pieces.extend(_split_long(text, block, chunk_chars))
    short = chunk_chars // 4
    merged: list[tuple[int, int]] = []
    for p in pieces:
        if merged:
            start, end = merged[-1]
            fits = p.end - start <= chunk_chars and (end - start < short or p.size < short)
            if fits and p.kind != "heading":  # a heading opens a passage; it never trails the previous one
                merged[-1] = (start, p.end)
                continue
        merged.append((p.start, p.end))
    return merged


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-blank line, whitespace trimmed; blank lines as (-1, -1) separators."""
    out: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            out.append((pos + lead, pos + lead + len(stripped)))
        elif out and out[-1] != (-1, -1):
            out.append((-1, -1))
        pos += len(line) + 1
    return out


def _paragraphs(text: str) -> list[_Span]:
    """Paragraphs, list items and headings, in order."""
    spans: list[_Span] = []
    cur: _Span | None = None
    for start, end in _lines(text):
        if start < 0:
            if cur:
                spans.append(cur)
            cur = None
            continue
        line = text[start:end]
        if _MD_HEADING.match(line):
            kind = "heading"
        elif LIST_ITEM.match(line):
            kind = "item"
        else:
            kind = "text"
        continues = (
            cur is not None
            and cur.kind != "heading"
            and kind == "text"
            and not _LINE_END.search(text[cur.start:cur.end])
        )
        if cur is not None and continues:
            cur = _Span(cur.start, end, cur.kind)
        else:
            if cur:
                spans.append(cur)
            cur = _Span(start, end, kind)
    if cur:
        spans.append(cur)
    return spans


def _group_lists(text: str, spans: list[_Span]) -> list[_Span]:
    """Join runs of list items, with the line that introduces them (ending in ":"), into one "list" span."""
    out: list[_Span] = []
    for s in spans:
        prev = out[-1] if out else None
        if s.kind == "item" and prev is not None and prev.kind == "list":
            out[-1] = _Span(prev.start, s.end, "list", (*prev.parts, s))
        elif s.kind == "item" and prev is not None and prev.kind == "text" and _introduces_list(text, prev):
            out[-1] = _Span(prev.start, s.end, "list", (prev, s))
        elif s.kind == "item":
            out.append(_Span(s.start, s.end, "list", (s,)))
        else:
            out.append(s)
    return out


def _introduces_list(text: str, span: _Span) -> bool:
    return span.size < 300 and text[span.start:span.end].rstrip().endswith(":")


def _split_long(text: str, block: _Span, chunk_chars: int) -> list[_Span]:
    """Pack the block's list items or sentences into pieces of at most ``chunk_chars`` characters."""
    units: list[_Span] = []
    for part in block.parts or (block,):
        if part.size <= chunk_chars:
            units.append(part)
        else:
            units.extend(_sentences(text, part.start, part.end, chunk_chars))
    packed: list[_Span] = []
    for u in units:
        if packed and u.end - packed[-1].start <= chunk_chars:
            packed[-1] = _Span(packed[-1].start, u.end, "text")
        else:
            packed.append(u)
    return packed


def _sentences(text: str, start: int, end: int, chunk_chars: int) -> list[_Span]:
    """Sentence spans within text[start:end]; sentences over ``2 * chunk_chars`` are cut at spaces."""
    out: list[_Span] = []
    seg = text[start:end]
    pos = 0
    for m in _SENTENCE_END.finditer(seg):
        if _is_abbreviation(seg, m.start()):
            continue
        out.extend(_hard_split(text, start + pos, start + m.end(), chunk_chars))
        pos = m.end()
        while pos < len(seg) and seg[pos].isspace():
            pos += 1
    if pos < len(seg):
        out.extend(_hard_split(text, start + pos, end, chunk_chars))
    return out


def _is_abbreviation(seg: str, dot: int) -> bool:
    if seg[dot] != ".":
        return False
    word = re.search(r"([\w.]+)$", seg[:dot])
    if not word:
        return False
    w = word.group(1).lower()
    return w in _ABBREVIATIONS or (len(w) == 1 and w.isalpha())


def _hard_split(text: str, start: int, end: int, chunk_chars: int) -> list[_Span]:
    if end - start <= 2 * chunk_chars:
        return [_Span(start, end, "text")]
    out: list[_Span] = []
    while end - start > chunk_chars:
        cut = text.rfind(" ", start + chunk_chars // 2, start + chunk_chars)
        if cut <= start:
            cut = start + chunk_chars
        out.append(_Span(start, _rstrip(text, start, cut), "text"))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        out.append(_Span(start, end, "text"))
    return out


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end
