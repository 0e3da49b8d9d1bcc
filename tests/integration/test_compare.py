"""`assistant eval --compare` end to end: the four pipelines on the real Ollama and the Chroma index of the seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.assistant import Assistant
from assistant.config import Settings
from assistant.eval_metrics import EvalSummary
from tests.integration.test_eval_cli import QUESTIONS as EVAL_QUESTIONS
from tests.integration.test_eval_cli import _run

pytestmark = pytest.mark.integration

# The eval CLI's questions (answerable and not) and one more answerable one.
QUESTIONS = EVAL_QUESTIONS + """\
  - id: pm-full-name
    question: "What is the full name of the Japanese prime minister?"
    expected_facts: [["Fumio Kishida"]]
"""
PIPELINES = ["grounded", "bare", "citation-engine", "extractive"]
# Metrics every row must have a value for: the set has answerable and unanswerable questions.
ALWAYS = ["fact_recall", "all_facts_rate", "refusal_rate", "false_refusal_rate", "crag_score", "unsupported_entities",
          "latency_p50_s", "latency_p95_s", "evidence_retrieved_rate", "evidence_hit_rate"]


def test_compare_scores_every_pipeline_with_every_metric(settings: Settings, tmp_path: Path,
                                                         seed_path: Path) -> None:
    questions = tmp_path / "questions.yaml"
    questions.write_text(QUESTIONS, encoding="utf-8")
    out = tmp_path / "out"
    proc = _run(settings, "--compare", *PIPELINES, "--questions", str(questions), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_outputs(out, seed_path.read_text(encoding="utf-8"))
    # The grounded row is this project as a user gets it: the same gate decision and score as Assistant.ask.
    assistant = Assistant.from_settings(settings)
    for q in json.loads((out / "compare.json").read_text(encoding="utf-8"))["questions"]:
        row = next(a["answer"] for a in q["answers"] if a["pipeline"] == "grounded")
        alone = assistant.ask(q["question"])
        assert row["refused"] == alone.refused, q["id"]
        assert row["grounding_score"] == pytest.approx(alone.grounding_score, abs=1e-6), q["id"]


def check_outputs(out: Path, seed: str) -> None:
    """What every `--compare` run on QUESTIONS must write: every row, every metric, checkable citations."""
    data = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert [r["pipeline"] for r in data["rows"]] == PIPELINES
    for row in data["rows"]:
        s = row["summary"]
        assert set(EvalSummary.model_fields) <= set(s), row["pipeline"]
        assert s["n_questions"] == 4 and row["errors"] == 0, row["pipeline"]
        for key in ALWAYS:
            assert s[key] is not None, (row["pipeline"], key)
        assert -1.0 <= s["crag_score"] <= 1.0 and 0.0 < s["latency_p50_s"] <= s["latency_p95_s"]
        answered = s["n_questions"] - s["n_declined"]
        assert (row["answers_cited"] is None) == (answered == 0), row["pipeline"]
        assert (s["citation_recall"] is None) == (answered == 0), row["pipeline"]
    rows = {r["pipeline"]: r for r in data["rows"]}
    assert rows["bare"]["answers_cited"] in (None, 0.0)  # the bare model is given no passages to cite
    for key in ("grounded", "bare", "citation-engine"):
        assert rows[key]["completion_tokens"] > 0, key  # Ollama's token counts reach every generating row

    by_pipeline: dict[str, list[dict]] = {}
    for q in data["questions"]:
        assert [a["pipeline"] for a in q["answers"]] == PIPELINES
        for a in q["answers"]:
            by_pipeline.setdefault(a["pipeline"], []).append(a["answer"])
    # The citation engine's source nodes become passages at their place in the seed, so its quotes can be checked.
    engine_passages = [p for a in by_pipeline["citation-engine"] for p in a["passages"]]
    assert engine_passages and all(seed[p["start"]:p["end"]] == p["text"] for p in engine_passages)
    # Extractive answers quote a passage sentence verbatim at its offsets.
    for a in by_pipeline["extractive"]:
        assert all(seed[c["start"]:c["end"]] == c["quote"] for c in a["citations"])
        assert a["refused"] or len(a["citations"]) == 1

    report = (out / "compare.md").read_text(encoding="utf-8")
    assert all(f"| {p} (" in report for p in PIPELINES)
    assert (out / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
