"""HTML for the chat UI: answers with clickable ``[n]`` citations, the sources panel, the documents panel, the status
line.

Pure functions over the assistant's result types, unit-tested without Gradio (tests/unit/test_ui_render.py).
Everything that comes from a document, the model or the user goes through :func:`esc` before it is placed in
markup: a ``<script>`` or ``<img onerror=...>`` inside a document must show as text and never run. Citation links
are built from the escaped text, so only the markup made here is live.

The links point at element ids in the sources panel (``#ga-c-<turn>-<marker>``); the small script in
``assistant/static/citations.js`` shows and highlights the card a link points at.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from assistant.patterns import CITATION_MARKER
from assistant.results import (
    INGEST_WAIT,
    Answer,
    Citation,
    IndexedDocument,
    Passage,
    RemovedSentence,
    Timings,
    page_name,
    same_content,
    translated_note,
)
from assistant.text import plural

if TYPE_CHECKING:
    from assistant.ingest import IngestReport

CONTEXT_CHARS = 220  # passage text shown either side of the cited span in a citation card
MAX_DOCUMENTS_LISTED = 200  # a larger index lists its first ones by path and says how many more


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def citation_id(turn: int, marker: int) -> str:
    return f"ga-c-{turn}-{marker}"


def turn_id(turn: int) -> str:
    return f"ga-turn-{turn}"


# -- chat messages ---------------------------------------------------------------------------------------------


def link_markers(escaped: str, turn: int, markers: Collection[int] | None = None) -> str:
    """Turn each ``[n]`` of already-escaped text into a link to citation ``n`` of answer ``turn``.

    ``markers`` limits the links to citations that exist; ``None`` links every ``[n]`` (while an answer streams,
    before its citations arrive).
    """

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if markers is not None and n not in markers:
            return m.group(0)
        space = m.group(0)[: m.group(0).index("[")]  # the pattern takes the whitespace before the marker: keep it
        return f'{space}<a class="ga-cite" href="#{citation_id(turn, n)}" title="Show source {n}">[{n}]</a>'

    return CITATION_MARKER.sub(link, escaped)


def text_html(text: str, turn: int, markers: Collection[int] | None = None) -> str:
    return link_markers(esc(text.strip()), turn, markers).replace("\n", "<br>")


def user_html(message: str) -> str:
    return esc(message).replace("\n", "<br>")


def pending_html(ingesting: bool = False) -> str:
    """The answer's place until it streams; when documents are being indexed, why it may take a while."""
    wait = f'<div class="ga-wait">{esc(INGEST_WAIT)}</div>' if ingesting else ""
    return f'<div class="ga-msg ga-pending">Searching the documents…{wait}</div>'


def streaming_html(text: str, turn: int) -> str:
    return (f'<div class="ga-msg ga-answer ga-streaming"><div class="ga-text">{text_html(text, turn)}'
            '<span class="ga-cursor">▍</span></div></div>')


def error_html(message: str, badge: str = "Could not answer") -> str:
    return (f'<div class="ga-msg ga-error"><div class="ga-badge ga-badge-error">{esc(badge)}</div>'
            f'<div class="ga-text">{esc(message)}</div></div>')


def answer_html(answer: Answer, turn: int) -> str:
    """The final chat message of one answer: text with citation links, query, timings, removed sentences."""
    markers = {c.marker for c in answer.citations}
    parts: list[str] = []
    if answer.refused:
        parts.append('<div class="ga-badge ga-badge-refusal">Not in the documents</div>')
    elif answer.mode == "extractive":
        parts.append('<div class="ga-badge" title="None of the model\'s sentences could be verified, so the answer '
                     'quotes the passages instead.">Quoted from the documents</div>')
    parts.append(f'<div class="ga-text">{text_html(answer.text, turn, markers)}</div>')
    if answer.refused and answer.refusal_reason:
        parts.append(f'<div class="ga-reason">Why: {esc(answer.refusal_reason)}</div>')
    parts.append(meta_html(answer, turn))
    if answer.changed_sources:
        names = ", ".join(source_label(None, s) for s in answer.changed_sources)
        parts.append(f'<div class="ga-changed">Changed since it was indexed: {names}. Quotes from it are of the '
                     "indexed text; index it again (`assistant ingest`, or add it here) to refresh it.</div>")
    if answer.removed:
        parts.append(removed_html(answer.removed))
    kind = "ga-refusal" if answer.refused else "ga-answer"
    return f'<div class="ga-msg {kind}">{"".join(parts)}</div>'


def meta_html(answer: Answer, turn: int) -> str:
    n = len(answer.passages)
    shown = f'<a class="ga-show" href="#{turn_id(turn)}">{n} passage{"" if n == 1 else "s"}</a>'
    return (f'<div class="ga-meta"><span class="ga-query">Searched{esc(translated_note(answer))}: '
            f'<q>{esc(answer.query)}</q></span> · {shown}'
            f' · <span class="ga-timings">{esc(timings_text(answer.timings))}</span></div>')


def timings_text(t: Timings) -> str:
    """``retrieve 0.05 s · generate 1.20 s · verify 0.01 s · total 1.26 s · first token 0.31 s · 512→38 tokens``;
    steps that did not run (a refusal never generates) are left out."""
    steps = [f"{name} {seconds:.2f} s" for name, seconds in
             (("retrieve", t.retrieve), ("generate", t.generate), ("verify", t.verify)) if seconds > 0]
    steps.append(f"total {t.total:.2f} s")
    if t.first_token is not None:
        steps.append(f"first token {t.first_token:.2f} s")
    if t.prompt_tokens or t.completion_tokens:
        steps.append(f"{t.prompt_tokens}→{t.completion_tokens} tokens")
    return " · ".join(steps)


def removed_html(removed: Sequence[RemovedSentence]) -> str:
    dropped = sum(not r.flagged for r in removed)
    flagged = len(removed) - dropped
    summary = ", ".join(
        s for s in (f"{dropped} unsupported sentence{'' if dropped == 1 else 's'} removed" if dropped else "",
                    f"{flagged} sentence{'' if flagged == 1 else 's'} flagged as unverified" if flagged else "") if s)
    items = "".join(
        f'<li class="{"ga-flagged" if r.flagged else "ga-dropped"}"><span class="ga-removed-text">{esc(r.text)}'
        f'</span> <span class="ga-reason">— {esc(r.reason)}</span></li>' for r in removed)
    return f'<details class="ga-removed"><summary>{summary}</summary><ul>{items}</ul></details>'


# -- sources panel ---------------------------------------------------------------------------------------------


def span_in_passage(passage: Passage, citation: Citation) -> tuple[int, int] | None:
    """Where the cited span sits in ``passage.text``, or None when it cannot be found.

    Citation offsets are document offsets, like the passage's own ``start``. If they fall outside the passage or
    point at other text than the quote (an index built from another version of the file), the quote is looked up
    instead.
    """
    s, e = citation.start - passage.start, citation.end - passage.start
    in_range = 0 <= s < e <= len(passage.text)
    if in_range and (not citation.quote or passage.text[s:e] == citation.quote):
        return s, e
    found = passage.text.find(citation.quote) if citation.quote else -1
    if found >= 0:
        return found, found + len(citation.quote)
    return (s, e) if in_range else None


def marked(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Escaped ``text`` with each span wrapped in ``<mark>``; overlapping spans are merged."""
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, pos = [], 0
    for s, e in merged:
        out += [esc(text[pos:s]), f"<mark>{esc(text[s:e])}</mark>"]
        pos = e
    out.append(esc(text[pos:]))
    return "".join(out)


def excerpt(text: str, start: int, end: int, context: int = CONTEXT_CHARS) -> str:
    """The span marked, with up to ``context`` characters either side, cut at word boundaries."""
    a, b = max(0, start - context), min(len(text), end + context)
    if a > 0:
        space = text.find(" ", a, start)
        a = space + 1 if space >= 0 else a
    if b < len(text):
        space = text.rfind(" ", end, b)
        b = space if space >= 0 else b
    while a < start and text[a].isspace():  # the card shows text with white-space: pre-wrap
        a += 1
    while b > end and text[b - 1].isspace():
        b -= 1
    body = marked(text[a:b], [(start - a, end - a)])
    return ("…" if text[:a].strip() else "") + body + ("…" if text[b:].strip() else "")


def document_label(source: str) -> str:
    """A document's file name, with its folder when that is all there is."""
    return PurePath(source).name or source


def source_label(passage: Passage | None, source: str, page: int | None = None, page_label: str | None = None
                 ) -> str:
    name = document_label(source)
    title = passage.title.strip() if passage else ""
    label = f"{title} ({name})" if title and title != name else name
    if page is not None:
        label += f" {page_name(page, page_label)}"
    return f'<span class="ga-source" title="{esc(source)}">{esc(label)}</span>'


def citation_card(citation: Citation, passages: Mapping[str, Passage], turn: int) -> str:
    p = passages.get(citation.passage_id)
    span = span_in_passage(p, citation) if p else None
    body = excerpt(p.text, *span) if p and span else f"<mark>{esc(citation.quote)}</mark>"
    return (f'<div class="ga-citation" id="{citation_id(turn, citation.marker)}"><div class="ga-card-head">'
            f'<span class="ga-marker">[{citation.marker}]</span> '
            f'{source_label(p, citation.source, citation.page, citation.page_label)} '
            f'<span class="ga-pos">characters {citation.start}–{citation.end}</span></div>'
            f'<div class="ga-context">{body}</div></div>')


def passage_item(rank: int, passage: Passage, citations: Sequence[Citation], turn: int) -> str:
    own = [c for c in citations if c.passage_id == passage.id]
    spans = [s for c in own if (s := span_in_passage(passage, c)) is not None]
    cited_by = "".join(f'<a class="ga-cite" href="#{citation_id(turn, c.marker)}">[{c.marker}]</a>' for c in own)
    cls = "ga-passage ga-cited-passage" if own else "ga-passage"
    cited = f' <span class="ga-cited-by">cited {cited_by}</span>' if own else ""
    return (f'<div class="{cls}"><div class="ga-card-head"><span class="ga-rank">#{rank}</span> '
            f'{source_label(passage, passage.source, passage.page, passage.page_label)} '
            f'<span class="ga-pos">characters {passage.start}–{passage.end}</span> '
            f'<span class="ga-score">score {passage.score:.2f}</span>{cited}</div>'
            f'<div class="ga-passage-text">{marked(passage.text, spans)}</div></div>')


def turn_html(answer: Answer, turn: int, current: bool) -> str:
    by_id = {p.id: p for p in answer.passages}
    head = (f'<div class="ga-turn-head">Answer {turn}: <q>{esc(answer.question)}</q></div>'
            f'<div class="ga-searched">Searched{esc(translated_note(answer))} for <q>{esc(answer.query)}</q></div>')
    if answer.citations:
        cited = "".join(citation_card(c, by_id, turn) for c in answer.citations)
    elif answer.refused:
        cited = '<p class="ga-none">No citations: the documents do not answer this question.</p>'
    else:
        cited = '<p class="ga-none">No citations.</p>'
    n = len(answer.passages)
    label = (f"{n} passage{'' if n == 1 else 's'} retrieved (none was sent to the model)" if answer.refused
             else f"All {n} passage{'' if n == 1 else 's'} sent to the model")
    items = "".join(passage_item(i, p, answer.citations, turn) for i, p in enumerate(answer.passages, 1))
    dropped = (f'<p class="ga-none">{answer.dropped_passages} more left out to fit the model\'s context window.</p>'
               if answer.dropped_passages else "")
    cls = "ga-turn ga-current" if current else "ga-turn"
    return (f'<section class="{cls}" id="{turn_id(turn)}">{head}<div class="ga-cited">{cited}</div>'
            f'<details class="ga-all"><summary>{label}</summary>{items}{dropped}</details></section>')


def sources_html(answers: Sequence[Answer]) -> str:
    """The sources of every answer in the session; the latest is shown, citation links switch to the others."""
    if not answers:
        return ('<div class="ga-sources ga-empty">The passages behind each answer show up here, with the cited '
                'words highlighted. Click a <b>[n]</b> in an answer to jump to its source.</div>')
    turns = "".join(turn_html(a, i, current=i == len(answers)) for i, a in enumerate(answers, 1))
    return f'<div class="ga-sources">{turns}</div>'


# -- documents panel -------------------------------------------------------------------------------------------


def documents_html(documents: Sequence[IndexedDocument]) -> str:
    """The indexed documents, by file name (the path on hover), with their passages."""
    if not documents:
        return '<div class="ga-documents ga-empty">No documents are indexed yet.</div>'

    twins = same_content(documents)

    def item(d: IndexedDocument) -> str:
        title = (f' <span class="ga-doc-title">{esc(d.title)}</span>'
                 if d.title and d.title != document_label(d.source) else "")
        count = (f"same content as {esc(document_label(twins[d.source]))}" if d.source in twins
                 else plural(d.passages, "passage"))
        return f'<li>{source_label(None, d.source)}{title} <span class="ga-doc-passages">{count}</span></li>'

    total = sum(d.passages for d in documents if d.source not in twins)  # passages of the same content: once
    items = "".join(item(d) for d in documents[:MAX_DOCUMENTS_LISTED])
    more = (f'<li class="ga-more">and {len(documents) - MAX_DOCUMENTS_LISTED} more</li>'
            if len(documents) > MAX_DOCUMENTS_LISTED else "")
    return (f'<div class="ga-documents"><div class="ga-doc-count">{plural(len(documents), "document")}, '
            f'{plural(total, "passage")}</div><ul>{items}{more}</ul></div>')


def ingest_html(report: IngestReport, failed: str = "added") -> str:
    """What adding (or removing) files did, file by file: added, replaced, already indexed, removed, and what
    ``failed`` ("added", "removed") with the reason."""
    rows = [f'<li class="ga-added">{source_label(None, p)} added</li>' for p in report.added]
    rows += [f'<li class="ga-added">{source_label(None, p)} replaced its earlier version</li>' for p in report.replaced]
    rows += [f'<li class="ga-unchanged">{source_label(None, p)} was already indexed</li>' for p in report.unchanged]
    rows += [f'<li class="ga-warning">{source_label(None, i.path)}: {esc(i.reason)}</li>' for i in report.notes]
    rows += [f'<li class="ga-added">{source_label(None, p)} removed from the index</li>' for p in report.pruned]
    rows += [f'<li class="ga-failed">{source_label(None, i.path)} was not {failed}: {esc(i.reason)}</li>'
             for i in report.failed]
    return f'<div class="ga-ingest"><ul>{"".join(rows)}</ul></div>'


# -- status line -----------------------------------------------------------------------------------------------


def status_html(status: Mapping[str, Any]) -> str:
    """One line from ``Assistant.status()``: server, models, index size, and the problem if there is one."""
    server_ok = bool(status.get("server_ok"))
    problem = status.get("problem")
    n = int(status.get("passages") or 0)
    server = (f"Model server reachable at <code>{esc(status.get('server', ''))}</code>" if server_ok
              else f"Model server <b>not reachable</b> at <code>{esc(status.get('server', ''))}</code>")
    items = [server, f"chat model <code>{esc(status.get('chat_model', ''))}</code>",
             f"embeddings <code>{esc(status.get('embed_model', ''))}</code>",
             f"index: {n} passage{'' if n == 1 else 's'}"]
    cls = "ga-status ga-ok" if server_ok and not problem else "ga-status ga-down"
    line = f'<div class="{cls}"><span class="ga-dot"></span> {" · ".join(items)}</div>'
    return line + (f'<div class="ga-problem">{esc(problem)}</div>' if problem else "")
