"""``eval --compare`` with scripted fake pipelines: the table, the plot, the disagreement view, errors as wrong answers,
and the baselines' pure parts (refusal detection, marker mapping, the extractive choice)."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from assistant.baselines import (
    ERROR_TEXT,
    ExtractivePipeline,
    declines,
    fit_min_similarity,
    marker_citations,
    source_passage,
)
from assistant.compare import CompareReport, answer_cited, parse_spec, run_compare
from assistant.config import load_settings
from assistant.errors import ConfigError, ServerUnavailableError
from assistant.eval_metrics import EvalQuestion, score_answer
from assistant.results import Answer, Citation, Passage, Timings

OPEN = "The museum opens on Monday at 9 am. Tickets cost 12 euros for adults."
STAFF = "The museum employs forty guides. Its director is Ada Moreau."
P_OPEN = Passage(id="open", text=OPEN, source="guide.txt", start=0, end=len(OPEN), score=0.7)
P_STAFF = Passage(id="staff", text=STAFF, source="guide.txt", start=100, end=100 + len(STAFF), score=0.5)

SET_A = """\
questions:
  - id: opening-day
    question: "When does the museum open?"
    expected_facts: [["Monday"]]
  - id: director
    question: "Who directs the museum?"
    expected_facts: [["Ada Moreau"]]
  - id: parking
    question: "How much does parking cost?"
    answerable: false
"""
SET_B = """\
questions:
  - id: tickets
    question: "How much is an adult ticket?"
    expected_facts: [["12 euros"]]
  - id: cafe
    question: "Does the museum have a cafe?"
    answerable: false
"""
RIGHT = {
    "When does the museum open?": ("The museum opens on Monday [1].", P_OPEN),
    "Who directs the museum?": ("Its director is Ada Moreau [1].", P_STAFF),
    "How much is an adult ticket?": ("Tickets cost 12 euros for adults [1].", P_OPEN),
}


class Scripted:
    """A pipeline answering from a script: cited answers, or uncited ones with invented figures, or raising."""

    def __init__(self, name: str, behaviour: str) -> None:
        self.name = name
        self.behaviour = behaviour
        self.asked: list[str] = []

    def ask(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Answer:
        self.asked.append(question)
        base: dict[str, Any] = {"question": question, "query": question, "passages": [P_OPEN, P_STAFF],
                                "model": f"{self.name}-model",
                                "timings": Timings(total=0.2 if self.name == "right" else 1.5, generate=0.1,
                                                   completion_tokens=8)}
        if self.behaviour == "raise":
            raise ServerUnavailableError("scripted outage")
        if self.behaviour == "talk":
            return Answer(**base, text="It costs 45 dollars according to Brenda Koval.", refused=False)
        if question not in RIGHT:
            return Answer(**base, text="I can't answer that.", refused=True)
        text, p = RIGHT[question]
        quote = text.replace(" [1]", "")
        start = p.text.index(quote.rstrip(".")) + p.start
        cite = Citation(marker=1, passage_id=p.id, source=p.source, start=start, end=start + len(quote) - 1,
                        quote=quote[:-1])
        return Answer(**base, text=text, refused=False, citations=[cite])


@pytest.fixture
def report(tmp_path: Path) -> tuple[CompareReport, Path, list[Scripted]]:
    a, b = tmp_path / "set-a.yaml", tmp_path / "set-b.yaml"
    a.write_text(SET_A, encoding="utf-8")
    b.write_text(SET_B, encoding="utf-8")
    pipelines = [Scripted("right", "script"), Scripted("talker", "talk"), Scripted("broken", "raise")]
    out = tmp_path / "out"
    rep = run_compare(load_settings(data_dir=tmp_path / "data"), [a, b], out, pipelines=pipelines,
                      console=Console(file=io.StringIO(), width=200))
    return rep, out, pipelines


def test_one_row_per_pipeline_and_question_set_scored_by_the_same_metrics(report: Any) -> None:
    rep, _, pipelines = report
    assert [(r.pipeline, Path(r.question_set).name) for r in rep.rows] == [
        ("right", "set-a.yaml"), ("talker", "set-a.yaml"), ("broken", "set-a.yaml"),
        ("right", "set-b.yaml"), ("talker", "set-b.yaml"), ("broken", "set-b.yaml")]
    assert all(len(p.asked) == 5 for p in pipelines)
    right, talker = rep.rows[:2]
    assert (right.summary.fact_recall, right.summary.refusal_rate, right.answers_cited) == (1.0, 1.0, 1.0)
    assert right.summary.unsupported_entities == 0 and right.summary.citation_validity == 1.0
    assert right.summary.crag_score == 1.0 and right.errors == 0
    assert (talker.summary.refusal_rate, talker.answers_cited, talker.summary.fact_recall) == (0.0, 0.0, 0.0)
    # "45", "Brenda" and "Koval" are in no passage: three per answered question.
    assert talker.summary.unsupported_entities == 3 * 3
    assert talker.completion_tokens == 8.0 and talker.summary.latency_p50_s == 1.5


def test_a_pipeline_that_raises_counts_as_wrong_and_uncited_with_the_error_recorded(report: Any) -> None:
    rep, out, _ = report
    broken = rep.rows[2]
    assert broken.errors == 3 and broken.summary.crag_score == -1.0
    assert broken.summary.refusal_rate == 0.0 and broken.summary.false_refusal_rate == 0.0
    assert broken.answers_cited == 0.0 and broken.summary.unsupported_entities == 0
    data = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    errors = [a for q in data["questions"] for a in q["answers"] if a["pipeline"] == "broken"]
    assert all(a["error"] == "ServerUnavailableError: scripted outage" and a["answer"]["text"] == ERROR_TEXT
               for a in errors)
    assert CompareReport.model_validate(data).rows == rep.rows


def test_report_has_the_table_the_disagreements_and_a_png_plot(report: Any) -> None:
    _, out, _ = report
    md = (out / "compare.md").read_text(encoding="utf-8")
    header = next(line for line in md.splitlines() if line.startswith("| pipeline |"))
    for label in ("fact recall", "refusal of unanswerable", "false refusal", "answers cited",
                  "numbers and names not in the sources", "CRAG", "p50 (s)", "p95 (s)", "tokens/answer"):
        assert f"| {label} |" in header
    assert "| right (right-model) | set-a.yaml (3) | 1.00 |" in md
    disagreements = md.split("## Where the pipelines disagree", 1)[1].split("## The pipelines", 1)[0]
    # Every question: right is correct, talker and broken are wrong.
    assert all(f"| {qid} |" in disagreements for qid in ("opening-day", "director", "parking", "tickets", "cafe"))
    assert "✗ ServerUnavailableError: scripted outage" in disagreements
    assert "5 of 5 questions get different outcomes" in md
    png = (out / "compare.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_questions_where_every_pipeline_agrees_are_left_out_of_the_disagreement_view(tmp_path: Path) -> None:
    a = tmp_path / "set-a.yaml"
    a.write_text(SET_A, encoding="utf-8")
    rep = run_compare(load_settings(data_dir=tmp_path / "data"), [a], tmp_path / "out",
                      pipelines=[Scripted("right", "script"), Scripted("again", "script")],
                      console=Console(file=io.StringIO()))
    assert not any(q.disagree for q in rep.questions)
    assert "0 of 3 questions get different outcomes" in (tmp_path / "out" / "compare.md").read_text(encoding="utf-8")


def test_pipeline_names_take_an_optional_chat_model() -> None:
    assert parse_spec("grounded") == ("grounded", None)
    assert parse_spec("bare:llama3.2:3b") == ("bare", "llama3.2:3b")
    assert parse_spec("extractive:0.4") == ("extractive", "0.4")
    for bad in ("grounded-ish", "extractive:llama3.2", "bare:"):
        with pytest.raises(ConfigError):
            parse_spec(bad)


@pytest.mark.parametrize(("text", "declined"), [
    ("I don't know.", True),
    ("I do not know the answer to that [1].", True),
    ("The sources provided do not mention a cafe.", True),
    ("", True),
    ("The museum opens on Monday [1]. I don't know about holidays.", False),
    ("Nobody knows more about guides than the director.", False),
])
def test_a_generated_answer_declines_when_its_first_sentence_says_it_does_not_know(text: str, declined: bool) -> None:
    assert declines(text) is declined


def test_markers_map_to_sources_in_order_and_a_marker_past_the_last_is_left_uncited() -> None:
    text = "The museum opens on Monday [2]. It has forty guides [3]."
    citations = marker_citations(text, [P_STAFF, P_OPEN])
    assert [(c.marker, c.passage_id, c.quote) for c in citations] == [(2, "open", OPEN)]
    answer = Answer(question="q", query="q", text=text, refused=False, citations=citations,
                    passages=[P_STAFF, P_OPEN])
    scores = score_answer(EvalQuestion(id="q", question="q"), answer)
    assert scores.citation_problems == ["[3] in the text has no citation"]
    assert answer_cited(answer)
    assert not answer_cited(answer.model_copy(update={"passages": [P_STAFF]}))


def test_a_citation_engine_source_node_becomes_a_passage_without_its_header() -> None:
    from llama_index.core.schema import NodeWithScore, TextNode

    node = TextNode(text=f"Source 2:\n{STAFF}\n", metadata={"source": "guide.txt", "start": 100, "end": 160,
                                                            "chunk_index": 3})
    p = source_passage(NodeWithScore(node=node, score=math.exp(-0.4)))
    assert (p.text, p.source, p.start, p.end, p.chunk_index) == (STAFF, "guide.txt", 100, 100 + len(STAFF), 3)
    assert p.score == pytest.approx(0.6)


def test_the_citation_engine_asks_questions_that_retrieved_the_same_first_passages_one_after_another() -> None:
    from llama_index.core.schema import NodeWithScore, TextNode

    from assistant.baselines import CitationEnginePipeline

    retrieved = {"q0": "bca", "q1": "abc", "q2": "bcd", "q3": "abd", "q4": "bca"}

    class Engine:
        def retrieve(self, query: Any) -> list[NodeWithScore]:
            return [NodeWithScore(node=TextNode(id_=i, text=i)) for i in retrieved[query.query_str]]

    ce = CitationEnginePipeline.__new__(CitationEnginePipeline)
    ce.engine = Engine()  # type: ignore[assignment]
    order = ce.order(list(retrieved))
    assert [retrieved[f"q{i}"] for i in order] == ["abc", "abd", "bca", "bca", "bcd"]
    assert order[2:4] == [0, 4]  # ties keep the file's order
    # It answers the question alone, so a follow-up's earlier turns are not asked of it.
    assert CitationEnginePipeline.uses_history is False


class FakeRetriever:
    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        return [P_OPEN, P_STAFF]


class FakeEmbedder:
    """Scripted unit vectors: the question points at one sentence."""

    model_name = "fake-embed"

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors
        self.embedded: list[str] = []

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        self.embedded += texts
        return [self.vectors.get(t, [0.0, 0.0, 1.0]) for t in texts]

    def embed_query(self, query: str) -> list[float]:
        return self.vectors[query]


def test_extractive_quotes_the_most_similar_sentence_verbatim_and_refuses_below_the_threshold() -> None:
    embedder = FakeEmbedder({"Who directs the museum?": [0.6, 0.8, 0.0],
                             "Its director is Ada Moreau.": [0.6, 0.8, 0.0],
                             "The museum employs forty guides.": [1.0, 0.0, 0.0],
                             "What about parking?": [0.0, -1.0, 0.0]})
    pipeline = ExtractivePipeline(FakeRetriever(), embedder, min_similarity=0.35)  # type: ignore[arg-type]
    answer = pipeline.ask("Who directs the museum?")
    assert answer.text == "Its director is Ada Moreau [1]." and not answer.refused
    scores = score_answer(EvalQuestion(id="d", question="Who directs the museum?",
                                       expected_facts=[["Ada Moreau"]]), answer)
    assert scores.citation_problems == [] and scores.citation_recall == 1.0 and scores.crag == 1
    n = len(embedder.embedded)
    refused = pipeline.ask("What about parking?")  # every sentence has cosine <= 0 with it
    assert refused.refused and refused.text == "" and refused.citations == []
    assert refused.refusal_reason == "best sentence similarity 0.00 < 0.35"
    assert len(embedder.embedded) == n  # the passages' sentences are embedded once, not per question


def test_the_extractive_threshold_fit_refuses_the_low_similarity_questions_that_would_be_wrong() -> None:
    # (similarity, CRAG if answered, CRAG if declined): two unanswerable questions at 0.2 and 0.3, answerable above.
    points = [(0.2, -1, 1), (0.3, -1, 1), (0.5, 1, 0), (0.6, 1, 0), (0.7, -1, 0)]
    assert fit_min_similarity(points) == pytest.approx(0.4)
    assert fit_min_similarity([(0.5, 1, 0), (0.6, 1, 0)]) == 0.5  # answer everything
    assert fit_min_similarity([(0.5, -1, 1)]) == pytest.approx(0.51)  # refuse everything


class Interrupted(Scripted):
    def ask(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Answer:
        raise KeyboardInterrupt


def test_a_stopped_run_leaves_the_rows_it_finished_marked_incomplete(tmp_path: Path) -> None:
    a = tmp_path / "set-a.yaml"
    a.write_text(SET_A, encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_compare(load_settings(data_dir=tmp_path / "data"), [a], out,
                    pipelines=[Scripted("right", "script"), Interrupted("stopped", "script")],
                    console=Console(file=io.StringIO()))
    saved = CompareReport.model_validate_json((out / "compare.json").read_text(encoding="utf-8"))
    assert [r.pipeline for r in saved.rows] == ["right"] and not saved.complete
    assert "**incomplete**" in (out / "compare.md").read_text(encoding="utf-8")


def test_a_finished_run_is_marked_complete(report: Any) -> None:
    rep, out, _ = report
    assert rep.complete and "incomplete" not in (out / "compare.md").read_text(encoding="utf-8")


FOLLOW_UP = SET_A + """\
  - id: director-follow-up
    history: ["Who directs the museum?"]
    question: "When does the museum open?"
    expected_facts: [["Monday"]]
"""


class Reordering(Scripted):
    """Asks its questions last to first, ignores the conversation."""

    uses_history = False

    def order(self, questions: Sequence[str]) -> list[int]:
        return list(range(len(questions)))[::-1]


def test_a_pipeline_asks_in_its_own_order_and_skips_earlier_turns_it_ignores(tmp_path: Path) -> None:
    a = tmp_path / "set-a.yaml"
    a.write_text(FOLLOW_UP, encoding="utf-8")
    in_file, reordering = Scripted("right", "script"), Reordering("reordering", "script")
    rep = run_compare(load_settings(data_dir=tmp_path / "data"), [a], tmp_path / "out",
                      pipelines=[in_file, reordering], console=Console(file=io.StringIO()))
    questions = ["When does the museum open?", "Who directs the museum?", "How much does parking cost?"]
    # The follow-up's earlier turn is asked first by the pipeline that uses the conversation only.
    assert in_file.asked == [*questions, "Who directs the museum?", "When does the museum open?"]
    assert reordering.asked == ["When does the museum open?", *questions[::-1]]
    # The report keeps the file's order, and each answer stays with its question.
    assert [q.id for q in rep.questions] == ["opening-day", "director", "parking", "director-follow-up"]
    assert all(ans.answer.question == q.question for q in rep.questions for ans in q.answers)
    scored = [(r.summary.fact_recall, r.summary.refusal_rate, r.answers_cited) for r in rep.rows]
    assert scored == [(1.0, 1.0, 1.0)] * 2


class BadOrder(Scripted):
    def order(self, questions: Sequence[str]) -> list[int]:
        return [0, 0, 1]


def test_an_order_that_drops_or_repeats_a_question_is_refused(tmp_path: Path) -> None:
    a = tmp_path / "set-a.yaml"
    a.write_text(SET_A, encoding="utf-8")
    with pytest.raises(ValueError, match="each question's index once"):
        run_compare(load_settings(data_dir=tmp_path / "data"), [a], tmp_path / "out",
                    pipelines=[BadOrder("bad", "script")], console=Console(file=io.StringIO()))


def test_the_citation_engine_sees_a_passage_s_name_and_title_not_the_index_s_bookkeeping() -> None:
    from llama_index.core.schema import MetadataMode, NodeWithScore, TextNode

    from assistant.baselines import _bookkeeping_hidden

    meta = {"start": 100, "generation": "84d2", "title": "Guide", "doc_hash": "c2cd", "source": "/d/guide.txt",
            "end": 160, "chunk_index": 3}
    shuffled = dict(reversed(list(meta.items())))
    shown = [n.node.get_content(metadata_mode=MetadataMode.LLM)
             for n in _bookkeeping_hidden().postprocess_nodes(
                 [NodeWithScore(node=TextNode(text=STAFF, metadata=m)) for m in (meta, shuffled)])]
    assert shown[0] == shown[1] == f"source: /d/guide.txt\ntitle: Guide\n\n{STAFF}"  # one order, whatever Chroma's
