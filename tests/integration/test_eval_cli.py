"""`assistant eval` end to end: the console script against the real Ollama and Chroma holding the seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings

pytestmark = pytest.mark.integration

QUESTIONS = """\
questions:
  - id: visit-date
    question: "When will Prime Minister Kishida visit the United States?"
    expected_facts: [["April 10", "10 April", "April 10th"]]
    evidence: ["official visit to the U.S. on April 10"]
  - id: news-source
    question: "Which newspaper reported the planned Japan–US cooperation?"
    expected_facts: [["Asahi"]]
    evidence: ["The Asahi Shimbun newspaper reported the development on Saturday"]
  - id: capital-france
    question: "What is the capital of France?"
    answerable: false
"""

RATES = ["citation_validity", "citation_recall", "citation_precision", "fact_recall", "all_facts_rate",
         "refusal_rate", "false_refusal_rate", "evidence_hit_rate"]


def _env(settings: Settings) -> dict[str, str]:
    """The session's settings as ASSISTANT_* variables, so the subprocess uses the same server and index."""
    env = dict(os.environ)

    def put(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                put(f"{prefix}__{k.upper()}" if prefix != "ASSISTANT" else f"ASSISTANT_{k.upper()}", v)
        elif isinstance(value, list):
            env[prefix] = json.dumps(value)  # a list setting is read as JSON ("answer.word_lists")
        elif value is not None:
            env[prefix] = str(value).lower() if isinstance(value, bool) else str(value)

    dumped = settings.model_dump(mode="json", exclude={"ui"})  # ui holds a secret and is not needed
    put("ASSISTANT", dumped)
    return env


def _run(settings: Settings, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "assistant"
    return subprocess.run([str(script), "eval", *args], capture_output=True, text=True, env=_env(settings),
                          cwd=cwd, timeout=900, check=False)


def test_eval_cli_writes_results_report_and_plot(settings: Settings, tmp_path: Path) -> None:
    questions = tmp_path / "questions.yaml"
    questions.write_text(QUESTIONS, encoding="utf-8")
    out = tmp_path / "out"
    proc = _run(settings, "--questions", str(questions), "--out", str(out), "--model", settings.ollama.chat_model,
                cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    summary = results["summary"]
    assert summary["n_questions"] == 3 and summary["model"] == settings.ollama.chat_model
    for key in RATES:
        assert summary[key] is None or 0.0 <= summary[key] <= 1.0, key
    for key in ("fact_recall", "refusal_rate", "false_refusal_rate", "evidence_hit_rate"):
        assert summary[key] is not None, key  # the set has both kinds of question
    all_declined = summary["n_declined"] == 3
    assert (summary["citation_recall"] is None) == all_declined
    assert -1.0 <= summary["crag_score"] <= 1.0
    assert isinstance(summary["unsupported_entities"], int) and summary["unsupported_entities"] >= 0
    assert 0.0 < summary["latency_p50_s"] <= summary["latency_p95_s"]
    assert [q["id"] for q in results["questions"]] == ["visit-date", "news-source", "capital-france"]
    assert all("text" in q["answer"] and "crag" in q["scores"] for q in results["questions"])
    # Exit 1 exactly when a threshold was missed, and the report says which.
    assert (proc.returncode == 1) == bool(results["failed_thresholds"])

    report = (out / "report.md").read_text(encoding="utf-8")
    assert all(f"| {qid} |" in report for qid in ("visit-date", "news-source", "capital-france"))
    assert (out / "metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_cli_rejects_a_malformed_question_file_naming_the_entry(settings: Settings, tmp_path: Path) -> None:
    questions = tmp_path / "broken.yaml"
    questions.write_text('questions:\n  - id: ok\n    question: "Fine?"\n  - id: no-question\n    answerable: true\n',
                         encoding="utf-8")
    proc = _run(settings, "--questions", str(questions), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode not in (0, 1)
    message = " ".join((proc.stdout + proc.stderr).split())
    assert "entry 2 (id 'no-question'" in message and "'question'" in message
    assert not (tmp_path / "out" / "results.json").exists()
