"""The question file (validation and its error messages) and a whole run_eval with a scripted fake Assistant."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from assistant.config import PROJECT_ROOT, Settings, load_settings
from assistant.errors import AssistantError, ConfigError, ServerUnavailableError
from assistant.evaluate import EvalFileError, load_questions, run_eval
from assistant.results import Answer, Citation, Passage, Timings

HOST = "President Biden is scheduled to host Prime Minister Kishida for an official visit to the U.S. on April 10."
PAPER = "The Asahi Shimbun newspaper reported the development on Saturday."
P_HOST = Passage(id="host", text=HOST, source="seed.txt", start=0, end=len(HOST), score=0.7)
P_PAPER = Passage(id="paper", text=PAPER, source="seed.txt", start=200, end=200 + len(PAPER), score=0.4)

QUESTIONS = """\
questions:
  - id: visit-date
    question: "When will Kishida visit the United States?"
    expected_facts:
      - ["April 10", "10 April"]
    evidence:
      - "official visit to the U.S. on April 10"
    tags: [date]
  - id: news-source
    question: "Which newspaper reported it?"
    answerable: true
    expected_facts: [["Asahi"]]
    evidence: ["The Asahi Shimbun newspaper reported"]
  - id: budget
    question: "How much funding will the framework receive?"
    answerable: false
"""

SUMMARY_KEYS = {"citation_validity", "citation_recall", "citation_precision", "fact_recall", "all_facts_rate",
                "refusal_rate", "false_refusal_rate", "crag_score", "unsupported_entities", "latency_p50_s",
                "latency_p95_s", "n_questions", "evidence_hit_rate", "tokens_per_s", "model"}


class ScriptedAssistant:
    """Answers each question with the Answer scripted for it, and remembers what it was asked."""

    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def ask(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Answer:
        self.asked.append(question)
        return self.answers[question]


def _answer(question: str, text: str, citations: list[Citation], refused: bool = False) -> Answer:
    return Answer(question=question, query=question, text=text, refused=refused, citations=citations,
                  passages=[P_HOST, P_PAPER], model="scripted-model",
                  timings=Timings(total=0.5, generate=0.25, completion_tokens=5))


def _cite(marker: int, p: Passage) -> Citation:
    return Citation(marker=marker, passage_id=p.id, source=p.source, start=p.start, end=p.end, quote=p.text)


GOOD = {
    "When will Kishida visit the United States?": _answer(
        "When will Kishida visit the United States?", "Kishida will visit the U.S. on April 10 [1].",
        [_cite(1, P_HOST)]),
    "Which newspaper reported it?": _answer(
        "Which newspaper reported it?", "The Asahi Shimbun reported it on Saturday [1].", [_cite(1, P_PAPER)]),
    "How much funding will the framework receive?": _answer(
        "How much funding will the framework receive?", "I can't answer that from the documents.", [], refused=True),
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "questions.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the question file ---------------------------------------------------------------------------------------


def test_question_file_validates_into_models_with_defaults(tmp_path: Path) -> None:
    questions = load_questions(write(tmp_path, QUESTIONS))
    assert [q.id for q in questions] == ["visit-date", "news-source", "budget"]
    assert questions[0].answerable is True and questions[0].expected_facts == [["April 10", "10 April"]]
    assert questions[2].answerable is False and questions[2].expected_facts == [] and questions[2].tags == []


def test_the_shipped_question_set_is_valid() -> None:
    questions = load_questions(PROJECT_ROOT / "eval_questions.yaml")
    assert any(q.answerable for q in questions) and any(not q.answerable for q in questions)


@pytest.mark.parametrize(("text", "expected"), [
    ("questions:\n  - id: a\n    question: q: r\n", "is not valid YAML (line 3, column 16)"),
    ("questions:\n  - id: a\n    question: q\n  - id: b\n    answerable: false\n",
     "entry 2 (id 'b', line 4): field 'question': Field required"),
    ("questions:\n  - id: a\n    question: q\n  - id: a\n    question: r\n",
     "entry 2 (id 'a', line 4): field 'id': duplicate of entry 1"),
    ("questions:\n  - id: a\n    question: q\n    expected_facts: April 10\n",
     "entry 1 (id 'a', line 2): field 'expected_facts': Input should be a valid list"),
    ("questions:\n  - id: a\n    question: q\n    expected_facts: [[2024]]\n",
     "field 'expected_facts.0.0': Input should be a valid string"),
    ("questions:\n  - id: a\n    question: q\n    answerable: maybe\n", "field 'answerable'"),
    ("questions:\n  - id: a\n    question: q\n    answerble: false\n", "field 'answerble': unknown field"),
    ("questions:\n  - id: a\n    question: q\n    answerable: false\n    expected_facts: [[x]]\n",
     "field 'expected_facts': an unanswerable question"),
    ("questions:\n  - id: a\n    question: q\n    expected_facts: [[]]\n", "field 'expected_facts.0'"),
    ("questions:\n  - just a string\n", "entry 1 (id None, line 2): must be a mapping"),
    ("questions: []\n", "non-empty `questions:` list"),
    ("- id: a\n  question: q\n", "must be a mapping with a non-empty `questions:` list"),
    ("", "must be a mapping"),
])
def test_malformed_question_file_names_the_entry_and_field(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(EvalFileError) as info:
        load_questions(write(tmp_path, text))
    assert expected in str(info.value)
    assert isinstance(info.value, ConfigError) and isinstance(info.value, AssistantError)


def test_every_problem_of_the_file_is_reported_at_once(tmp_path: Path) -> None:
    text = "questions:\n  - id: a\n  - id: b\n    question: q\n    tags: nope\n"
    with pytest.raises(EvalFileError, match="2 problem") as info:
        load_questions(write(tmp_path, text))
    assert "entry 1 (id 'a'" in str(info.value) and "entry 2 (id 'b'" in str(info.value)


def test_missing_question_file_is_an_eval_file_error(tmp_path: Path) -> None:
    with pytest.raises(EvalFileError, match="Cannot read the question file"):
        load_questions(tmp_path / "nope.yaml")


# -- run_eval ------------------------------------------------------------------------------------------------


def test_run_eval_writes_results_report_and_plot(tmp_path: Path, settings: Settings) -> None:
    fake = ScriptedAssistant(GOOD)
    out = io.StringIO()
    report = run_eval(settings, write(tmp_path, QUESTIONS), tmp_path / "out", console=Console(file=out, width=120),
                      assistant=fake)
    assert fake.asked == list(GOOD)
    assert report.passed and report.failed_thresholds == []

    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    summary = results["summary"]
    assert set(summary) >= SUMMARY_KEYS
    assert summary["n_questions"] == 3 and summary["model"] == "scripted-model"
    assert (summary["citation_recall"], summary["fact_recall"], summary["crag_score"]) == (1.0, 1.0, 1.0)
    assert summary["refusal_rate"] == 1.0 and summary["false_refusal_rate"] == 0.0
    first = results["questions"][0]
    assert first["id"] == "visit-date" and first["answer"]["text"].endswith("[1].")
    assert first["answer"]["citations"][0]["passage_id"] == "host" and first["scores"]["crag"] == 1

    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert all(f"| {qid} |" in md for qid in ("visit-date", "news-source", "budget"))
    assert "Result: **passed**" in md and "How the metrics are computed" in md
    assert (tmp_path / "out" / "metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "citation recall (ALCE)" in out.getvalue()


def test_run_eval_lists_the_thresholds_missed(tmp_path: Path, settings: Settings) -> None:
    answers = dict(GOOD)
    budget = "How much funding will the framework receive?"
    answers[budget] = _answer(budget, "The framework will receive funding [1].", [_cite(1, P_HOST)])
    out = io.StringIO()
    report = run_eval(settings, write(tmp_path, QUESTIONS), tmp_path / "out", console=Console(file=out, width=120),
                      assistant=ScriptedAssistant(answers))
    assert not report.passed
    assert any(line.startswith("refusal_rate = 0 <") for line in report.failed_thresholds)
    assert report.summary.crag_score == pytest.approx(1 / 3)
    saved = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert saved["failed_thresholds"] == report.failed_thresholds
    assert "below threshold" in out.getvalue()
    assert "Result: **failed**" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_a_bad_question_file_fails_before_any_question_is_asked(tmp_path: Path, settings: Settings) -> None:
    fake = ScriptedAssistant(GOOD)
    with pytest.raises(EvalFileError):
        run_eval(settings, write(tmp_path, "questions:\n  - id: a\n"), tmp_path / "out", assistant=fake,
                 console=Console(file=io.StringIO()))
    assert fake.asked == [] and not (tmp_path / "out").exists()


def test_an_assistant_error_stops_the_run_and_names_the_question(tmp_path: Path, settings: Settings) -> None:
    class Down(ScriptedAssistant):
        def ask(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Answer:
            if question.startswith("Which"):
                raise ServerUnavailableError("Ollama is not reachable")
            return super().ask(question, history)

    out = io.StringIO()
    with pytest.raises(ServerUnavailableError):
        run_eval(settings, write(tmp_path, QUESTIONS), tmp_path / "out", assistant=Down(GOOD),
                 console=Console(file=out, width=120))
    assert "news-source" in out.getvalue()


def test_model_option_overrides_the_chat_model_without_touching_the_given_settings(
        tmp_path: Path, settings: Settings) -> None:
    answers = {q: a.model_copy(update={"model": ""}) for q, a in GOOD.items()}
    report = run_eval(settings, write(tmp_path, QUESTIONS), tmp_path / "out", model="other-model",
                      assistant=ScriptedAssistant(answers), console=Console(file=io.StringIO()))
    assert report.summary.model == "other-model"
    assert settings.ollama.chat_model != "other-model"
