"""``assistant eval --compare``: one question file (or several) through this pipeline and the baselines a user would
otherwise pick, on the same Ollama models and the same Chroma collection, scored by the same code.

    assistant eval --compare                                   # grounded, bare, citation-engine, extractive
    assistant eval --compare grounded grounded:llama3.2:3b bare --questions a.yaml --questions b.yaml

A pipeline is named ``KIND`` or ``KIND:CHAT_MODEL`` (kinds in :mod:`assistant.baselines`); ``extractive:0.4`` sets
the extractive pipeline's minimum similarity instead. Every answer is scored by
:func:`assistant.eval_metrics.score_answer` and every row by :func:`~assistant.eval_metrics.summarize`, plus
"answers cited" (:func:`answer_cited`). A pipeline that raises is scored as a wrong, uncited answer and the error is
recorded. Each pipeline answers every question before the next starts, in the order it asks for (the
CitationQueryEngine groups questions that retrieve the same first passages, so Ollama's prompt cache keeps their
shared opening evaluated); the report keeps the file's order. Writes ``compare.json``, ``compare.md`` (one row per
pipeline and question set, then the questions where the pipelines disagree) and ``compare.png`` (refusal against
fact recall, one point per row).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.baselines import Pipeline, error_answer
from assistant.config import Settings
from assistant.errors import AssistantError, ConfigError
from assistant.eval_metrics import EvalQuestion, EvalSummary, QuestionScores, score_answer, summarize
from assistant.evaluate import conversation_before, load_questions, output_dir
from assistant.results import Answer

PIPELINES = ("grounded", "bare", "citation-engine", "extractive")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class PipelineAnswer(_Frozen):
    pipeline: str
    answer: Answer
    scores: QuestionScores
    error: str | None = Field(None, description="What the pipeline raised; the answer is then scored as wrong.")


class ComparedQuestion(_Frozen):
    id: str
    question_set: str
    question: str
    answerable: bool
    answers: list[PipelineAnswer]

    @property
    def disagree(self) -> bool:
        return len({_outcome(a.scores) for a in self.answers}) > 1


class CompareRow(_Frozen):
    pipeline: str
    question_set: str
    answers_cited: float | None = Field(
        description="Answered questions whose text carries a [n] that resolves to a shown passage.")
    completion_tokens: float = Field(description="Mean generated tokens per question.")
    errors: int
    summary: EvalSummary


class CompareReport(_Frozen):
    rows: list[CompareRow]
    questions: list[ComparedQuestion]
    created: str
    wall_s: float
    complete: bool = Field(True, description="False while a run is in progress, or when it was stopped.")


# -- pipelines -----------------------------------------------------------------------------------------------


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``grounded`` -> (grounded, None); ``bare:llama3.2:3b`` -> (bare, llama3.2:3b)."""
    kind, _, model = spec.partition(":")
    if kind not in PIPELINES or (model == "" and spec.endswith(":")):
        raise ConfigError(f"Unknown pipeline {spec!r}: use one of {', '.join(PIPELINES)}, optionally with "
                          ":CHAT_MODEL (e.g. grounded:llama3.2:3b).")
    if kind == "extractive" and model:
        try:
            float(model)
        except ValueError:
            raise ConfigError(f"{spec!r}: the extractive pipeline uses no chat model; `extractive:0.4` sets its "
                              "minimum cosine similarity.") from None
    return kind, model or None


def build_pipelines(settings: Settings, specs: Sequence[str]) -> list[Pipeline]:
    """One pipeline per spec, sharing one retriever, embedder and Chroma store."""
    from assistant.assistant import Assistant
    from assistant.baselines import (
        EXTRACTIVE_MIN_SIMILARITY,
        BarePipeline,
        CitationEnginePipeline,
        ExtractivePipeline,
        GroundedPipeline,
    )
    from assistant.generation import build_llm
    from assistant.retrieval import Retriever
    from assistant.store import ChunkStore

    parsed = [parse_spec(s) for s in specs]
    if len(set(specs)) != len(specs):
        raise ConfigError(f"A pipeline is named twice in {' '.join(specs)}.")
    retriever = Retriever.from_settings(settings)
    store: ChunkStore | None = None
    out: list[Pipeline] = []
    for spec, (kind, model) in zip(specs, parsed, strict=True):
        s = settings if not model or kind == "extractive" else settings.model_copy(
            update={"ollama": settings.ollama.model_copy(update={"chat_model": model})})
        if kind == "grounded":
            out.append(GroundedPipeline(Assistant.from_settings(s, retriever), spec))
        elif kind == "bare":
            out.append(BarePipeline(build_llm(s), retriever, s.ollama.chat_model, spec))
        elif kind == "citation-engine":
            store = store or ChunkStore.open(settings)
            out.append(CitationEnginePipeline(build_llm(s), retriever.embedder, store, s.retrieval.top_k,
                                              s.ollama.chat_model, spec))
        else:
            threshold = float(model) if model else EXTRACTIVE_MIN_SIMILARITY
            out.append(ExtractivePipeline(retriever, retriever.embedder, threshold, name=spec))
    return out


def answer_cited(answer: Answer) -> bool:
    """The answer's text uses a marker whose citation points to a passage the answer shows."""
    from assistant.text import split_sentences, strip_markers

    used = {m for s in split_sentences(answer.text) for m in strip_markers(s)[1]}
    shown = {p.id for p in answer.passages}
    return any(c.marker in used and c.passage_id in shown for c in answer.citations)


# -- the run -------------------------------------------------------------------------------------------------


def run_compare(settings: Settings, question_paths: Sequence[Path], out_dir: Path,
                specs: Sequence[str] = PIPELINES, console: Console | None = None,
                pipelines: Sequence[Pipeline] | None = None) -> CompareReport:
    """Every question of every file through every pipeline; writes compare.json, compare.md and compare.png."""
    started = time.monotonic()
    sets = {str(p): load_questions(p) for p in question_paths}  # every file checked before any model runs
    console = console or Console()
    out_dir = output_dir(out_dir)
    runs = list(pipelines) if pipelines is not None else build_pipelines(settings, specs)
    if not runs:
        raise ConfigError("No pipeline to compare: name at least one of " + ", ".join(PIPELINES) + ".")

    by_question: dict[tuple[str, str], list[PipelineAnswer]] = {}
    done: list[tuple[str, str]] = []  # (question set, pipeline) finished, in order
    total = sum(len(qs) for qs in sets.values()) * len(runs)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("comparing", total=total)
        for name, questions in sets.items():
            for pipeline in runs:
                row_started = time.monotonic()
                for q in _in_order(pipeline, questions):
                    progress.update(task, description=f"{pipeline.name}: {q.id}")
                    result = _ask(pipeline, q, settings.ollama.chat_model)
                    by_question.setdefault((name, q.id), []).append(result)
                    progress.advance(task)
                done.append((name, pipeline.name))
                # a line per finished row: the bar above is invisible off a terminal (CI logs, `> log`)
                progress.console.print(f"{pipeline.name} on {Path(name).name}: {len(questions)} questions in "
                                       f"{time.monotonic() - row_started:.0f} s ({len(done)} of "
                                       f"{len(sets) * len(runs)} rows)", highlight=False)
                # Written after every row: a long run stopped part way still leaves the rows it finished.
                report = _report(sets, done, by_question, started, complete=len(done) == len(sets) * len(runs))
                write_outputs(report, out_dir)
    console.print(rows_table(report))
    for pipeline in runs:
        errors = [a.error for q in report.questions for a in q.answers if a.pipeline == pipeline.name and a.error]
        if errors:
            console.print(f"[red]{pipeline.name}: {len(errors)} question(s) raised, scored as wrong;[/] first: "
                          f"{escape(errors[0])}", highlight=False)
    return report


def _report(sets: dict[str, list[EvalQuestion]], done: Sequence[tuple[str, str]],
            by_question: dict[tuple[str, str], list[PipelineAnswer]], started: float, complete: bool) -> CompareReport:
    rows = []
    for name, pipeline in done:
        rows.append(_row(pipeline, name, [a for q in sets[name] for a in by_question[(name, q.id)]
                                          if a.pipeline == pipeline]))
    compared = [ComparedQuestion(id=q.id, question_set=name, question=q.question, answerable=q.answerable,
                                 answers=by_question[(name, q.id)]) for name, qs in sets.items() for q in qs
                if (name, q.id) in by_question]
    return CompareReport(rows=rows, questions=compared, created=datetime.now(UTC).isoformat(timespec="seconds"),
                         wall_s=round(time.monotonic() - started, 1), complete=complete)


def _in_order(pipeline: Pipeline, questions: Sequence[EvalQuestion]) -> list[EvalQuestion]:
    """The questions in the order the pipeline asks for (``Pipeline.order``), else as given; the report keeps the
    file's order either way."""
    order = getattr(pipeline, "order", None)
    if order is None:
        return list(questions)
    try:
        indexes = order([q.question for q in questions])
    except AssistantError:
        return list(questions)  # its questions then raise too, each scored and recorded as the run goes on
    if sorted(indexes) != list(range(len(questions))):
        raise ValueError(f"{pipeline.name}: order() must return each question's index once")
    return [questions[i] for i in indexes]


def _ask(pipeline: Pipeline, q: EvalQuestion, model: str) -> PipelineAnswer:
    started = time.perf_counter()
    error = None
    try:
        # the conversation before a follow-up, as this pipeline answered it
        history = conversation_before(pipeline, q.history) if getattr(pipeline, "uses_history", True) else []
        answer = pipeline.ask(q.question, history)
    except Exception as e:  # a failing baseline is a result to report, not a reason to stop the comparison
        error = f"{type(e).__name__}: {e}"
        answer = error_answer(q.question, model, time.perf_counter() - started)
    scores = score_answer(q, answer)
    return PipelineAnswer(pipeline=pipeline.name, answer=answer, scores=scores, error=error)


def _row(pipeline: str, question_set: str, results: Sequence[PipelineAnswer]) -> CompareRow:
    answered = [r for r in results if not r.scores.declined]
    model = next((r.answer.model for r in results if r.answer.model), "")
    return CompareRow(
        pipeline=pipeline, question_set=question_set,
        answers_cited=sum(answer_cited(r.answer) for r in answered) / len(answered) if answered else None,
        completion_tokens=sum(r.scores.completion_tokens for r in results) / len(results) if results else 0.0,
        errors=sum(r.error is not None for r in results),
        summary=summarize([r.scores for r in results], model=model))


def _outcome(s: QuestionScores) -> str:
    return "declined" if s.declined else "correct" if s.crag == 1 else "wrong" if s.crag == -1 else "partial"


# -- outputs -------------------------------------------------------------------------------------------------

# (label, value of a row); the order of the table, the JSON keeps everything.
COLUMNS: list[tuple[str, Any]] = [
    ("fact recall", lambda r: r.summary.fact_recall),
    ("all facts", lambda r: r.summary.all_facts_rate),
    ("refusal of unanswerable", lambda r: r.summary.refusal_rate),
    ("false refusal", lambda r: r.summary.false_refusal_rate),
    ("answers cited", lambda r: r.answers_cited),
    ("citations verbatim", lambda r: r.summary.citation_validity),
    ("citation recall", lambda r: r.summary.citation_recall),
    ("numbers and names not in the sources", lambda r: r.summary.unsupported_entities),
    ("CRAG", lambda r: r.summary.crag_score),
    ("p50 (s)", lambda r: r.summary.latency_p50_s),
    ("p95 (s)", lambda r: r.summary.latency_p95_s),
    ("tokens/answer", lambda r: r.completion_tokens),
    ("answers keeping a sentence of the model", lambda r: r.summary.model_sentence_rate),
    ("errors", lambda r: r.errors),
]


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _set_name(path: str) -> str:
    return Path(path).name


def rows_table(report: CompareReport) -> Table:
    """Metrics down, rows across: fits a terminal for a handful of pipelines."""
    table = Table("metric", *[f"{r.pipeline}\n{_set_name(r.question_set)} ({r.summary.n_questions})"
                              for r in report.rows], title="comparison")
    for label, get in COLUMNS:
        table.add_row(label, *[_fmt(get(r)) for r in report.rows])
    return table


def _cell(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def markdown_table(report: CompareReport) -> str:
    lines = ["| pipeline | questions | " + " | ".join(label for label, _ in COLUMNS) + " |",
             "|---|---|" + "---|" * len(COLUMNS)]
    for r in report.rows:
        lines.append(f"| {r.pipeline} ({r.summary.model}) | {_set_name(r.question_set)} ({r.summary.n_questions}) | "
                     + " | ".join(_fmt(get(r)) for _, get in COLUMNS) + " |")
    return "\n".join(lines)


_MARK = {"correct": "✓", "declined": "–", "wrong": "✗", "partial": "~"}


def markdown_report(report: CompareReport) -> str:
    from assistant import baselines, eval_metrics

    pipelines = list(dict.fromkeys(r.pipeline for r in report.rows))
    lines = ["# Pipelines compared", "",
             f"{report.created}, {report.wall_s:.0f} s wall time"
             + ("" if report.complete else " (**incomplete**: the run stopped before every row was done)")
             + ". Every row is scored by the same code "
             "(`assistant.eval_metrics`); a pipeline that raised counts as a wrong, uncited answer (`errors`).", "",
             markdown_table(report), "", "![refusal against fact recall](compare.png)", "",
             "## Where the pipelines disagree", "",
             "✓ correct (all facts, or an unanswerable question declined), – declined, ✗ wrong.", "",
             "| set | id | answerable | " + " | ".join(pipelines) + " |", "|---|---|---|" + "---|" * len(pipelines)]
    for q in report.questions:
        if not q.disagree:
            continue
        cells = []
        for a in q.answers:
            o = _outcome(a.scores)
            text = a.error or ("" if o == "declined" else a.answer.text)
            cells.append(f"{_MARK[o]} {_cell(text)}".strip())
        lines.append(f"| {_set_name(q.question_set)} | {q.id} | {'yes' if q.answerable else 'no'} | "
                     + " | ".join(cells) + " |")
    n = sum(q.disagree for q in report.questions)
    lines += ["", f"{n} of {len(report.questions)} questions get different outcomes.", "",
              "## The pipelines", "", (baselines.__doc__ or "").strip(), "",
              "## How the metrics are computed", "", (eval_metrics.__doc__ or "").split("\n\n", 1)[-1].strip(), ""]
    return "\n".join(lines)


def plot_compare(report: CompareReport, path: Path) -> None:
    """Refusal of unanswerable questions against fact recall, one point per row: up and right is better."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 5.5), layout="constrained")
    FigureCanvasAgg(fig)  # Agg explicitly: no display, no pyplot global state
    ax = fig.subplots()
    sets = list(dict.fromkeys(r.question_set for r in report.rows))
    pipelines = list(dict.fromkeys(r.pipeline for r in report.rows))
    markers = "osD^v<>p*"
    labels: dict[tuple[float, float], list[str]] = {}  # rows on the same point share one label
    for r in report.rows:
        x, y = r.summary.refusal_rate, r.summary.fact_recall
        if x is None or y is None:
            continue
        ax.scatter([x], [y], s=60, color=f"C{pipelines.index(r.pipeline) % 10}",
                   marker=markers[sets.index(r.question_set) % len(markers)])
        tag = f" [{_set_name(r.question_set)}]" if len(sets) > 1 else ""
        labels.setdefault((x, y), []).append(f"{r.pipeline}{tag}: {r.summary.unsupported_entities} unsupported")
    for (x, y), names in labels.items():
        ax.annotate("\n".join(names), (x, y), xytext=(6, 4), textcoords="offset points", fontsize=8,
                    ha="right" if x > 0.7 else "left")
    ax.set_xlim(-0.05, 1.1)
    ax.set_ylim(-0.05, 1.1)
    ax.set_xlabel("refusal of unanswerable questions")
    ax.set_ylabel("fact recall (answerable questions)")
    ax.set_title("refusal against fact recall (up and right is better)\n"
                 + ", ".join(f"{markers[i % len(markers)]} {_set_name(s)}" for i, s in enumerate(sets)), fontsize=10)
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=110)


def write_outputs(report: CompareReport, out_dir: Path) -> None:
    (out_dir / "compare.json").write_text(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False),
                                          encoding="utf-8")
    (out_dir / "compare.md").write_text(markdown_report(report), encoding="utf-8")
    plot_compare(report, out_dir / "compare.png")
