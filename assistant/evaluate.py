"""``assistant eval``: run a question file through the Assistant and score grounding, refusals and speed.

    assistant eval --questions eval_questions.yaml --out eval-out [--model NAME]

Writes ``results.json`` (``summary`` + one entry per question with its Answer and scores), ``report.md`` (a row per
question) and ``metrics.png``, prints a summary table, and exits 1 when a threshold of ``settings.eval`` is missed.
The scoring itself lives in :mod:`assistant.eval_metrics`; the question file format::

    questions:
      - id: visit-date                 # unique
        question: "When will Prime Minister Kishida visit the United States?"
        answerable: true               # default true; false: must be refused
        expected_facts: [["April 10", "10 April"]]   # every fact must appear; any alias counts
        evidence: ["official visit to the U.S. on April 10"]   # verbatim spans of the sources
        history: ["Who hosts the visit?"]   # optional: earlier user turns, for follow-up questions
        tags: [date]                   # optional
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import Field, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant import eval_metrics
from assistant.config import EvalSettings, Settings
from assistant.errors import ConfigError
from assistant.eval_metrics import (
    EvalQuestion,
    EvalSummary,
    QuestionScores,
    check_threshold_names,
    failed_thresholds,
    score_answer,
    summarize,
    threshold_metric,
)
from assistant.results import Answer, _Frozen

__all__ = ["EvalFileError", "EvalQuestion", "EvalReport", "QuestionResult", "load_questions", "run_eval"]


class EvalFileError(ConfigError):
    """The question file is missing, not YAML, or an entry breaks the schema."""


class Asker(Protocol):
    """What the evaluation needs of an Assistant (tests pass a scripted fake)."""

    def ask(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Answer: ...


class QuestionResult(_Frozen):
    id: str
    question: str
    answerable: bool
    tags: list[str]
    answer: Answer
    scores: QuestionScores


class EvalReport(_Frozen):
    """Everything ``results.json`` holds; ``failed_thresholds`` is empty when every threshold is met."""

    summary: EvalSummary
    questions: list[QuestionResult]
    thresholds: EvalSettings
    failed_thresholds: list[str]
    questions_file: str
    created: str = Field(description="UTC time the run finished, ISO 8601.")

    @property
    def passed(self) -> bool:
        return not self.failed_thresholds


# -- the question file ---------------------------------------------------------------------------------------


def _entry_lines(text: str) -> list[int]:
    """1-based line of each entry of ``questions:``, for error messages."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "questions" and isinstance(value, yaml.SequenceNode):
                return [item.start_mark.line + 1 for item in value.value]
    return []


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read and validate a question file; every problem is reported at once, naming the entry and the field."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as e:
        raise EvalFileError(f"Cannot read the question file {name}: {e}") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise EvalFileError(f"{name} is not valid YAML{where}: {getattr(e, 'problem', None) or e}") from e
    entries = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise EvalFileError(f"{name} must be a mapping with a non-empty `questions:` list of entries "
                            "(id, question, answerable, expected_facts, evidence, tags).")
    lines = _entry_lines(text)
    problems: list[str] = []
    questions: list[EvalQuestion] = []
    first_index: dict[str, int] = {}
    for i, entry in enumerate(entries):
        raw_id = entry.get("id") if isinstance(entry, dict) else None
        where = f"entry {i + 1} (id {raw_id!r}" + (f", line {lines[i]})" if i < len(lines) else ")")
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping with at least `id` and `question`")
            continue
        try:
            q = EvalQuestion.model_validate(entry)
        except ValidationError as e:
            problems += [f"{where}: {_describe(err)}" for err in e.errors()]
            continue
        if q.id in first_index:
            problems.append(f"{where}: field 'id': duplicate of entry {first_index[q.id] + 1}")
        first_index.setdefault(q.id, i)
        questions.append(q)
    if problems:
        shown = "\n  - ".join(problems[:20]) + (f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else "")
        raise EvalFileError(f"{name} has {len(problems)} problem(s):\n  - {shown}")
    return questions


def _describe(err: Any) -> str:
    field = ".".join(str(p) for p in err["loc"]) or "(entry)"
    if err["type"] == "extra_forbidden":
        known = ", ".join(EvalQuestion.model_fields)
        return f"field {field!r}: unknown field (known fields: {known})"
    return f"field {field!r}: {err['msg'].removeprefix('Value error, ')}"


# -- the run -------------------------------------------------------------------------------------------------


def run_eval(settings: Settings, questions_path: Path, out_dir: Path, model: str | None = None,
             console: Console | None = None, assistant: Asker | None = None) -> EvalReport:
    """Ask every question, score the answers, write results.json, report.md and metrics.png into ``out_dir``."""
    questions = load_questions(questions_path)
    check_threshold_names(settings.eval)
    console = console or Console()
    out_dir = output_dir(out_dir)
    if model:
        settings = settings.model_copy(update={"ollama": settings.ollama.model_copy(update={"chat_model": model})})
    if assistant is None:
        from assistant.assistant import Assistant

        assistant = Assistant.from_settings(settings)

    results: list[QuestionResult] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("evaluating", total=len(questions))
        for q in questions:
            progress.update(task, description=f"evaluating {q.id}")
            try:
                answer = assistant.ask(q.question, conversation_before(assistant, q.history))
            except Exception:
                console.print(f"[red]evaluation stopped at question {q.id!r}[/]")
                raise
            scores = score_answer(q, answer)
            results.append(QuestionResult(id=q.id, question=q.question, answerable=q.answerable, tags=q.tags,
                                          answer=answer, scores=scores))
            progress.advance(task)

    model_name = next((r.answer.model for r in results if r.answer.model), settings.ollama.chat_model)
    summary = summarize([r.scores for r in results], model=model_name,
                        support_judge_accuracy=eval_metrics.support_judge_accuracy())
    report = EvalReport(summary=summary, questions=results, thresholds=settings.eval,
                        failed_thresholds=failed_thresholds(summary, settings.eval),
                        questions_file=str(questions_path), created=datetime.now(UTC).isoformat(timespec="seconds"))
    write_outputs(report, out_dir)
    console.print(summary_table(report))
    for line in report.failed_thresholds:
        console.print(f"[red]below threshold:[/] {line}")
    return report


def output_dir(path: Path) -> Path:
    """``path``, created if missing; a ConfigError a user can act on when it cannot be."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"Cannot create the output directory {out}: {e}") from e
    return out


def conversation_before(assistant: Asker, turns: Sequence[str]) -> list[dict[str, Any]]:
    """The conversation before a follow-up: each earlier user turn with the answer the assistant gives it."""
    history: list[dict[str, Any]] = []
    for turn in turns:
        reply = assistant.ask(turn, history)
        history += [{"role": "user", "content": turn}, {"role": "assistant", "content": reply.text}]
    return history


# -- outputs -------------------------------------------------------------------------------------------------

# (summary key, label); citation scores sit next to fact recall: neither means much alone.
METRICS: list[tuple[str, str]] = [
    ("fact_recall", "fact recall"),
    ("all_facts_rate", "answers with all facts"),
    ("citation_recall", "citation recall (ALCE)"),
    ("citation_precision", "citation precision (ALCE)"),
    ("correct_and_cited_rate", "all facts and fully cited"),
    ("citation_validity", "citation validity"),
    ("evidence_hit_rate", "evidence hit rate (cited)"),
    ("evidence_retrieved_rate", "evidence retrieved rate"),
    ("refusal_rate", "refusal rate (unanswerable)"),
    ("false_refusal_rate", "false-refusal rate (answerable)"),
    ("crag_score", "CRAG score (-1..1)"),
    ("unsupported_entities", "unsupported numbers/names"),
    ("latency_p50_s", "latency p50 (s)"),
    ("latency_p95_s", "latency p95 (s)"),
    ("tokens_per_s", "tokens/s"),
    ("support_judge_accuracy", "support judge accuracy (labelled pairs)"),
    ("gate_auc", "gate score ROC AUC (answerable vs not)"),
    ("model_sentence_rate", "answers keeping a sentence of the model"),
]


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _limits(thresholds: EvalSettings) -> dict[str, str]:
    out = {}
    for name, limit in thresholds.model_dump().items():
        metric, lower = threshold_metric(name)
        out[metric] = f"{'≥' if lower else '≤'} {limit:g}"
    return out


def _failed_metrics(report: EvalReport) -> set[str]:
    return {line.split(" ", 1)[0] for line in report.failed_thresholds}


def summary_table(report: EvalReport) -> Table:
    s, limits = report.summary, _limits(report.thresholds)
    failed = _failed_metrics(report)
    table = Table("metric", "value", "threshold", "", title=f"{s.model}: {s.n_questions} questions "
                  f"({s.n_answerable} answerable, {s.n_unanswerable} unanswerable, {s.n_declined} declined)")
    for key, label in METRICS:
        mark = "" if key not in limits else "[red]✗[/]" if key in failed else "[green]✓[/]"
        table.add_row(label, _fmt(getattr(s, key)), limits.get(key, ""), mark)
    return table


def write_outputs(report: EvalReport, out_dir: Path) -> None:
    (out_dir / "results.json").write_text(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False),
                                          encoding="utf-8")
    (out_dir / "report.md").write_text(markdown_report(report), encoding="utf-8")
    plot_metrics(report, out_dir / "metrics.png")


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def markdown_report(report: EvalReport) -> str:
    s, limits = report.summary, _limits(report.thresholds)
    verdict = "**passed**" if report.passed else "**failed**: " + "; ".join(report.failed_thresholds)
    lines = [
        "# Evaluation report", "",
        f"Model `{s.model}`, questions `{report.questions_file}`, {report.created}: {s.n_questions} questions "
        f"({s.n_answerable} answerable, {s.n_unanswerable} unanswerable), {s.n_declined} declined.", "",
        f"Result: {verdict}", "", "| metric | value | threshold | met |", "|---|---|---|---|",
    ]
    failed = _failed_metrics(report)
    lines += [f"| {label} | {_fmt(getattr(s, key))} | {limits.get(key, '')} | "
              f"{'' if key not in limits else 'no' if key in failed else 'yes'} |" for key, label in METRICS]
    lines += ["", "![metrics](metrics.png)", "", "## Questions", "",
              "| id | answerable | declined | CRAG | facts | cit. recall | cit. precision | citation problems "
              "| evidence | unsupported | latency (s) | answer |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report.questions:
        c = r.scores
        facts = "n/a" if not c.facts_total else f"{c.facts_found}/{c.facts_total}" + (
            f" (missing {', '.join(c.missing_facts)})" if c.missing_facts else "")
        lines.append("| " + " | ".join([
            _cell(r.id), _fmt(r.answerable), _fmt(c.declined), f"{c.crag:+d}", _cell(facts),
            _fmt(c.citation_recall), _fmt(c.citation_precision), _cell("; ".join(c.citation_problems)) or "none",
            _fmt(c.evidence_hit), _cell(", ".join(c.unsupported_terms)) or "none", f"{c.latency_s:.2f}",
            _cell(r.answer.text)]) + " |")
    lines += ["", "## How the metrics are computed", "", (eval_metrics.__doc__ or "").split("\n\n", 1)[-1].strip(),
              ""]
    return "\n".join(lines)


def plot_metrics(report: EvalReport, path: Path) -> None:
    """Bar chart of the summary rates (threshold marks in black, missed ones red) and each question's latency."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    s, limits = report.summary, report.thresholds.model_dump()
    keys = [k for k, _ in METRICS[:11]]
    values = [getattr(s, k) for k in keys]
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    FigureCanvasAgg(fig)  # Agg explicitly: no display, no pyplot global state
    ax, ax2 = fig.subplots(1, 2, width_ratios=[3, 2])
    failed = _failed_metrics(report)
    ax.bar(range(len(keys)), [v or 0.0 for v in values],
           color=["tab:red" if k in failed else "tab:blue" for k in keys])
    for i, (k, v) in enumerate(zip(keys, values, strict=True)):
        ax.annotate(_fmt(v), (i, max(v or 0.0, 0.0)), ha="center", va="bottom", fontsize=7)
        for name in (f"min_{k}", f"max_{k}"):
            if name in limits:
                ax.hlines(limits[name], i - 0.4, i + 0.4, colors="black", linewidth=2)
    ax.set_xticks(range(len(keys)), [label for _, label in METRICS[:11]], rotation=40, ha="right", fontsize=8)
    ax.set_ylim(min(0.0, s.crag_score) - 0.05, 1.1)
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_title(f"{s.model}: {s.n_questions} questions")
    colors = {1: "tab:green", 0: "tab:gray", -1: "tab:red"}
    lat = [r.scores.latency_s for r in report.questions]
    ax2.bar(range(len(lat)), lat, color=[colors[r.scores.crag] for r in report.questions])
    ax2.set_xticks(range(len(lat)), [r.id for r in report.questions], rotation=90, fontsize=6)
    ax2.set_ylabel("latency (s)")
    ax2.set_title(f"latency per question, p50 {s.latency_p50_s:.2f} s\n(green correct, grey declined, red wrong)",
                  fontsize=10)
    fig.savefig(path, dpi=110)
