"""The UI's HTML: escaping of everything from documents/model/user, citation links, highlight offsets, refusals."""

from __future__ import annotations

from html.parser import HTMLParser

from assistant import ui_render as render
from assistant.results import Answer, Citation, IndexedDocument, Passage, RemovedSentence, Timings
from assistant.ui_render import (
    answer_html,
    citation_id,
    error_html,
    excerpt,
    link_markers,
    marked,
    sources_html,
    span_in_passage,
    status_html,
    streaming_html,
    timings_text,
    user_html,
)

DOC = ("Key Points: Japan and the U.S. plan closer cooperation. "
       "President Biden is scheduled to host Prime Minister Kishida for an official visit to the U.S. on April 10. "
       "The visit is expected to reinforce the global partnership.")
QUOTE = "President Biden is scheduled to host Prime Minister Kishida for an official visit to the U.S. on April 10."
EVIL = "<img src=x onerror=alert(1)><script>window.__xss=1</script>"
# Tags this module writes itself; anything else in the output came from the content and would be live.
OWN_TAGS = {"a", "b", "br", "code", "details", "div", "li", "mark", "p", "q", "section", "span",
            "summary", "ul"}


class Tags(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs in self.tags if t == tag]


def assert_inert(html: str) -> None:
    tags = Tags(html)
    assert {t for t, _ in tags.tags} <= OWN_TAGS
    assert not [name for _, attrs in tags.tags for name in attrs if name.startswith("on")]


def passage(text: str = DOC, start: int = 1000, pid: str = "p1", source: str = "/docs/kishida.txt") -> Passage:
    return Passage(id=pid, text=text, source=source, start=start, end=start + len(text), score=0.61)


def cite(marker: int = 1, p: Passage | None = None, quote: str = QUOTE, pid: str = "p1") -> Citation:
    p = p or passage()
    i = p.text.find(quote)
    start = p.start + i if i >= 0 else p.start + 5
    return Citation(marker=marker, passage_id=pid, source=p.source, start=start, end=start + len(quote), quote=quote)


def answer(**kw: object) -> Answer:
    fields: dict[str, object] = {
        "question": "When will Kishida visit the U.S.?", "query": "When will Kishida visit the U.S.?",
        "text": "Kishida will visit the U.S. on April 10 [1].", "refused": False, "citations": [cite()],
        "passages": [passage()], "mode": "generated",
        "timings": Timings(retrieve=0.05, generate=1.2, verify=0.01, total=1.26, first_token=0.31,
                           prompt_tokens=512, completion_tokens=38),
    }
    fields.update(kw)
    return Answer(**fields)  # type: ignore[arg-type]


def test_answer_text_with_html_is_shown_as_text() -> None:
    html = answer_html(answer(text=f"It says {EVIL} here [1]."), turn=1)
    assert "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;" in html
    assert_inert(html)


def test_each_marker_of_a_citation_becomes_a_link_to_its_card() -> None:
    a = answer(text="Kishida visits on April 10 [1]. Biden hosts him [2].",
               citations=[cite(1), cite(2, quote="Prime Minister Kishida")])
    links = Tags(answer_html(a, turn=3)).named("a")
    cite_links = [x["href"] for x in links if x.get("class") == "ga-cite"]
    assert cite_links == [f"#{citation_id(3, 1)}", f"#{citation_id(3, 2)}"] == ["#ga-c-3-1", "#ga-c-3-2"]


def test_markers_without_a_citation_stay_plain_text() -> None:
    html = answer_html(answer(text="Kishida visits on April 10 [1] [7]."), turn=1)
    assert "[7]" in html
    assert 'href="#ga-c-1-7"' not in html


def test_marker_lookalikes_cannot_break_out_of_the_link() -> None:
    html = link_markers(user_html('[1]" onmouseover="alert(1)'), turn=1)
    assert_inert(html)
    assert html.count("<a ") == 1


def test_streaming_text_links_every_marker_before_citations_arrive() -> None:
    assert 'href="#ga-c-2-1"' in streaming_html("Kishida visits on April 10 [1].", turn=2)


def test_highlight_uses_document_offsets_relative_to_the_passage() -> None:
    p = passage(start=1000)
    c = cite(p=p)
    s, e = span_in_passage(p, c) or (0, 0)
    assert (s, e) == (c.start - 1000, c.end - 1000)
    assert p.text[s:e] == QUOTE


def test_highlight_marks_the_cited_occurrence_when_the_quote_repeats() -> None:
    p = passage(text="April 10. Biden hosts Kishida on April 10.", start=500)
    second = Citation(marker=1, passage_id="p1", source=p.source, start=500 + 33, end=500 + 41, quote="April 10")
    assert span_in_passage(p, second) == (33, 41)


def test_highlight_falls_back_to_the_quote_when_offsets_point_elsewhere() -> None:
    p = passage(start=1000)
    shifted = cite(p=p).model_copy(update={"start": 1003, "end": 1003 + len(QUOTE)})
    assert span_in_passage(p, shifted) == (DOC.find(QUOTE), DOC.find(QUOTE) + len(QUOTE))


def test_citation_outside_the_passage_has_no_span() -> None:
    p = passage(start=1000)
    elsewhere = Citation(marker=1, passage_id="p1", source=p.source, start=9000, end=9050, quote="not in there")
    assert span_in_passage(p, elsewhere) is None


def test_citation_card_marks_the_cited_span_in_its_passage() -> None:
    html = sources_html([answer()])
    card = html[html.index('id="ga-c-1-1"'):]
    marks = card[card.index("<mark>") + 6:card.index("</mark>")]
    assert marks == QUOTE.replace("'", "&#x27;")
    assert "characters 1056–" in card and "kishida.txt" in card


def test_documents_with_html_are_escaped_in_the_sources_panel() -> None:
    evil_text = f"{DOC} {EVIL}"
    p = passage(text=evil_text, source='/docs/<b>x" onmouseover="alert(1).txt')
    html = sources_html([answer(passages=[p], citations=[cite(p=p)])])
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert_inert(html)


def test_refusal_is_styled_as_a_refusal() -> None:
    refusal = answer(text="I can't answer that from the documents I have.", refused=True, citations=[],
                     mode="refused", refusal_reason="no passage scores above 0.25",
                     timings=Timings(retrieve=0.04, total=0.05))
    html = answer_html(refusal, turn=1)
    assert 'class="ga-msg ga-refusal"' in html and "Not in the documents" in html
    assert "no passage scores above 0.25" in html
    assert "ga-refusal" not in answer_html(answer(), turn=1)
    assert "Not in the documents" not in answer_html(answer(), turn=1)


def test_extractive_answers_say_they_quote_the_documents() -> None:
    assert "Quoted from the documents" in answer_html(answer(mode="extractive"), turn=1)
    assert "Quoted from the documents" not in answer_html(answer(), turn=1)


def test_answer_shows_query_and_timings() -> None:
    html = answer_html(answer(query="When will Kishida visit the <U.S.>? (Kishida)"), turn=1)
    assert "Searched: <q>When will Kishida visit the &lt;U.S.&gt;? (Kishida)</q>" in html
    assert "retrieve 0.05 s · generate 1.20 s · verify 0.01 s · total 1.26 s" in html
    html = answer_html(answer(query="When it will visit Kishida the United States?", translated_from="es"), turn=1)
    assert "Searched (translated from es by Apertium): <q>When it will visit Kishida" in html


def test_timings_leave_out_steps_that_did_not_run() -> None:
    assert timings_text(Timings(retrieve=0.04, total=0.05)) == "retrieve 0.04 s · total 0.05 s"
    assert timings_text(Timings(retrieve=0.1, generate=1, verify=0.02, total=1.2, first_token=0.4,
                                prompt_tokens=500, completion_tokens=40)).endswith("first token 0.40 s · 500→40 tokens")


def test_removed_and_flagged_sentences_are_collapsed_and_escaped() -> None:
    removed = [RemovedSentence(text="Tokyo <b>is</b> big.", reason="no passage supports it", flagged=False),
               RemovedSentence(text="Nvidia joins.", reason="weak support", flagged=True)]
    html = answer_html(answer(removed=removed), turn=1)
    assert "<details class=\"ga-removed\"><summary>1 unsupported sentence removed, 1 sentence flagged" in html
    assert "Tokyo &lt;b&gt;is&lt;/b&gt; big." in html and "no passage supports it" in html
    assert "<details" not in answer_html(answer(), turn=1)


def test_a_cited_file_changed_since_indexing_is_named_under_the_answer() -> None:
    html = answer_html(answer(changed_sources=["/docs/<notes>.md"]), turn=1)
    assert '<div class="ga-changed">Changed since it was indexed: ' in html and "&lt;notes&gt;.md" in html
    assert "ga-changed" not in answer_html(answer(), turn=1)


def test_sources_show_every_passage_sent_and_only_the_latest_answer() -> None:
    other = passage(text="The U.S. restricted exports of AI chips to China.", pid="p2", start=5000)
    first = answer()
    second = answer(question="What did the U.S. restrict?", passages=[passage(), other],
                    citations=[Citation(marker=1, passage_id="p2", source=other.source, start=5000, end=5049,
                                        quote=other.text)])
    html = sources_html([first, second])
    sections = Tags(html).named("section")
    assert [s["id"] for s in sections] == ["ga-turn-1", "ga-turn-2"]
    assert [s["class"] for s in sections] == ["ga-turn", "ga-turn ga-current"]
    assert "All 2 passages sent to the model" in html and "score 0.61" in html


def test_passage_list_marks_every_cited_span() -> None:
    assert marked("abcdefgh", [(1, 3), (2, 5), (6, 7)]) == "a<mark>bcde</mark>f<mark>g</mark>h"
    assert marked("<a>", []) == "&lt;a&gt;"


def test_excerpt_cuts_long_passages_at_word_boundaries() -> None:
    text = "word " * 100 + "CITED SPAN" + " more" * 100
    s = text.index("CITED")
    html = excerpt(text, s, s + 10, context=20)
    assert html.startswith("…word") and html.endswith("more…")
    assert "<mark>CITED SPAN</mark>" in html
    assert excerpt("\n  CITED SPAN  \n", 3, 13) == "<mark>CITED SPAN</mark>"


def test_status_line_says_what_is_wrong() -> None:
    ok = status_html({"server_ok": True, "server": "http://127.0.0.1:11434", "chat_model": "smollm2",
                      "embed_model": "minilm", "passages": 7, "problem": None})
    assert "ga-ok" in ok and "reachable at <code>http://127.0.0.1:11434</code>" in ok and "7 passages" in ok
    down = status_html({"server_ok": False, "server": "http://127.0.0.1:11434", "chat_model": "smollm2",
                        "embed_model": "minilm", "passages": 0, "problem": "Ollama is not reachable <now>"})
    assert "ga-down" in down and "not reachable" in down
    assert '<div class="ga-problem">Ollama is not reachable &lt;now&gt;</div>' in down


def test_errors_are_escaped_messages() -> None:
    html = error_html("Model <smollm2> is missing")
    assert "Model &lt;smollm2&gt; is missing" in html and "Could not answer" in html
    assert_inert(html)


def test_a_pdf_citation_and_passage_show_their_page() -> None:
    p = Passage(id="p1", text=DOC, source="/docs/R-intro.pdf", start=0, end=len(DOC), page=12, score=0.5)
    i = DOC.index(QUOTE)
    c = Citation(marker=1, passage_id="p1", source=p.source, start=i, end=i + len(QUOTE), quote=QUOTE, page=12)
    html = sources_html([answer(citations=[c], passages=[p])])
    assert html.count("R-intro.pdf p. 12") == 2  # the citation card and the passage list
    printed = {"page_label": "6"}  # the number printed on the PDF's 12th page
    html = sources_html([answer(citations=[c.model_copy(update=printed)], passages=[p.model_copy(update=printed)])])
    assert html.count("R-intro.pdf p. 6 (PDF p. 12)") == 2
    plain = sources_html([answer()])
    assert " p. " not in plain


def test_documents_panel_lists_file_names_with_their_paths_and_passages_escaped() -> None:
    docs = [IndexedDocument(source="/data/uploads/<b>notes.txt", title="Field <i>notes</i>", passages=3),
            IndexedDocument(source="/data/seed.txt", title="seed.txt", passages=1)]
    html = render.documents_html(docs)
    assert "2 documents, 4 passages" in html
    assert "&lt;b&gt;notes.txt" in html and "Field &lt;i&gt;notes&lt;/i&gt;" in html and "<b>" not in html
    assert 'title="/data/uploads/&lt;b&gt;notes.txt"' in html and "1 passage<" in html
    assert "seed.txt</span> <span" in html  # a title equal to the file name is not repeated
    many = render.documents_html([IndexedDocument(source=f"/d/{i}.txt", passages=1) for i in range(205)])
    assert many.count("<li>") == render.MAX_DOCUMENTS_LISTED and "and 5 more" in many
    assert "No documents" in render.documents_html([])


def test_ingest_report_says_what_happened_to_each_file_escaped() -> None:
    from assistant.ingest import FileIssue, IngestReport

    report = IngestReport(added=("/u/a.txt",), replaced=("/u/b.pdf",), unchanged=("/u/c.md",),
                          failed=(FileIssue("/u/<d>.pdf", "PDF <broken>"),),
                          notes=(FileIssue("/u/a.txt", "decoded as Windows-1252"),))
    html = render.ingest_html(report)
    assert "a.txt</span> added" in html and "b.pdf</span> replaced its earlier version" in html
    assert "c.md</span> was already indexed" in html and "decoded as Windows-1252" in html
    assert "&lt;d&gt;.pdf</span> was not added: PDF &lt;broken&gt;" in html and "<broken>" not in html


def test_the_same_content_under_two_paths_is_listed_under_each_and_counted_once() -> None:
    docs = [IndexedDocument(source="/docs/bad/copy-of-faq.html", passages=60, hash="aa"),
            IndexedDocument(source="/docs/faq.html", passages=60, hash="aa"),
            IndexedDocument(source="/docs/notes.md", passages=4, hash="bb")]
    html = render.documents_html(docs)
    assert "3 documents, 64 passages" in html
    assert html.count("60 passages") == 1 and "same content as copy-of-faq.html" in html
