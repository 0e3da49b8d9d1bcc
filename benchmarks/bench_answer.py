"""Answer speed, side by side in one run on the same questions: the previous path (whole passages in the prompt, the
model left to run to its token cap), the current one (best-matching sentences, stopped when the answer is done, the
best passage sentence shown first), the current one with the model's sentences first (``evidence_first`` off), and
the raw Ollama call on the current prompt generating the same number of tokens.

    .venv/bin/python benchmarks/bench_answer.py [--questions eval_questions.yaml] [--rounds 1]

Ollama's prompt cache is flushed before every timed call, so each pays prompt evaluation. Prints p50/p95 of the
whole answer and of the first verified words, prompt and completion tokens, and fact recall for each path. Needs the
model server and an ingested seed (`assistant ingest`).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import ollama

from assistant import Assistant
from assistant.config import PROJECT_ROOT, Settings, load_settings
from assistant.eval_metrics import fact_present
from assistant.evaluate import load_questions
from assistant.results import Answer, TextDelta


def p95(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def timed(a: Assistant, question: str) -> tuple[Answer, float]:
    """The answer and the time to its first text."""
    t = time.perf_counter()
    first = None
    for event in a.stream(question):
        if isinstance(event, TextDelta) and first is None:
            first = time.perf_counter() - t
        if isinstance(event, Answer):
            return event, first or event.timings.total
    raise AssertionError("no answer")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--questions", type=Path, default=PROJECT_ROOT / "eval_questions.yaml")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    s = load_settings()
    before_settings: Settings = s.model_copy(update={"answer": s.answer.model_copy(
        update={"prompt_chars": 100_000, "stop_when_done": False, "evidence_first": False})})
    model_first: Settings = s.model_copy(update={"answer": s.answer.model_copy(update={"evidence_first": False})})
    paths = {"before": Assistant.from_settings(before_settings), "model1st": Assistant.from_settings(model_first),
             "now": Assistant.from_settings(s)}
    client = ollama.Client(host=s.ollama.host, timeout=300)
    options = {"temperature": s.ollama.temperature, "seed": s.ollama.seed, "num_ctx": s.ollama.num_ctx}
    questions = [q for q in load_questions(args.questions) if q.answerable and not q.history]
    paths["now"].ask(questions[0].question)  # warm up: model loaded, imports done

    def flush_prompt_cache() -> None:
        client.chat(model=s.ollama.chat_model, messages=[{"role": "user", "content": f"Count to three. {time.time()}"}],
                    options={**options, "num_predict": 1})

    rows: dict[str, dict[str, list[float]]] = {k: {"total": [], "first": [], "prompt": [], "completion": [],
                                                   "facts": []} for k in ("before", "model1st", "now", "raw")}
    answered: list[float] = []  # our totals on the questions the raw call was timed on
    for _ in range(args.rounds):
        for q in questions:
            for name, a in paths.items():
                flush_prompt_cache()
                ans, first = timed(a, q.question)
                r = rows[name]
                r["total"].append(ans.timings.total)
                r["first"].append(first)
                r["prompt"].append(ans.timings.prompt_tokens)
                r["completion"].append(ans.timings.completion_tokens)
                found = sum(fact_present(f, ans.text) for f in q.expected_facts)
                r["facts"].append(found / max(1, len(q.expected_facts)))
                if name == "now" and not ans.refused:
                    exam = a.examine(ans.query, list(ans.passages))
                    prompt, _, _ = a.fit_prompt(ans.query, exam, list(ans.passages))
                    flush_prompt_cache()
                    t = time.perf_counter()
                    raw_first = None
                    for _chunk in client.chat(model=s.ollama.chat_model, stream=True, messages=[
                            {"role": "system", "content": a.prompts.system}, {"role": "user", "content": prompt}],
                            options={**options, "num_predict": max(1, ans.timings.completion_tokens)}):
                        raw_first = raw_first or time.perf_counter() - t
                    rows["raw"]["total"].append(time.perf_counter() - t)
                    answered.append(ans.timings.total)
                    rows["raw"]["first"].append(raw_first or 0.0)
    med = statistics.median
    print(f"{len(questions)} answerable questions x {args.rounds} round(s); model {s.ollama.chat_model}")
    print(f"{'path':8} {'p50 s':>7} {'p95 s':>7} {'first p50':>10} {'prompt tok p50':>15} {'compl tok p50':>14} "
          f"{'fact recall':>12}")
    for name, r in rows.items():
        extra = (f"{med(r['prompt']):15.0f} {med(r['completion']):14.0f} {statistics.mean(r['facts']):12.2f}"
                 if r["prompt"] else f"{'(same prompt and token count as now)':>43}")
        print(f"{name:8} {med(r['total']):7.2f} {p95(r['total']):7.2f} {med(r['first']):10.2f} {extra}")
    print(f"ratio now / before (p50 total): {med(rows['now']['total']) / med(rows['before']['total']):.2f}")
    print(f"ratio now / model's sentences first (p50 first words): "
          f"{med(rows['now']['first']) / med(rows['model1st']['first']):.2f}")
    print(f"ratio now / raw call, same prompt and tokens, answered questions (p50): "
          f"{med(answered) / med(rows['raw']['total']):.2f}")


if __name__ == "__main__":
    main()
