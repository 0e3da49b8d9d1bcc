"""The CitationQueryEngine row of ``assistant eval --compare``, side by side in one run: its questions asked in the
file's order (as before) against the order ``CitationEnginePipeline.order`` gives (grouped by the passages retrieved,
so consecutive prompts share their opening passages, which Ollama's prompt cache keeps evaluated).

    .venv/bin/python benchmarks/bench_compare_order.py [--questions evalsets/seed/test.yaml] [--rounds 1] [--limit N]

Each round runs both orders, alternating which goes first. Prints each pass's wall time (the grouped one with the
retrieval that orders it), the ratio of the medians, and how many answers' texts differ between the two orders.
Needs the model server and an ingested seed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from assistant.baselines import CitationEnginePipeline
from assistant.compare import build_pipelines
from assistant.config import PROJECT_ROOT, load_settings
from assistant.evaluate import load_questions


def run(ce: CitationEnginePipeline, questions: list[str], order: list[int]) -> tuple[float, dict[int, str]]:
    """(wall seconds, answer text by question index) for one pass in the given order."""
    started = time.perf_counter()
    texts = {i: ce.ask(questions[i]).text for i in order}
    return time.perf_counter() - started, texts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--questions", type=Path, default=PROJECT_ROOT / "evalsets" / "seed" / "test.yaml")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--limit", type=int, default=None, help="Only the first N questions of the file.")
    args = ap.parse_args()
    [ce] = build_pipelines(load_settings(), ["citation-engine"])
    assert isinstance(ce, CitationEnginePipeline)
    questions = [q.question for q in load_questions(args.questions)][:args.limit]
    ce.ask(questions[0])  # warm up: model loaded, imports done
    started = time.perf_counter()
    orders = {"file": list(range(len(questions))), "grouped": ce.order(questions)}
    ordering = time.perf_counter() - started  # the grouped pass pays for it: added to its time
    walls: dict[str, list[float]] = {name: [] for name in orders}
    texts: dict[str, dict[int, str]] = {}
    for r in range(args.rounds):
        for name in (list(orders) if r % 2 == 0 else list(orders)[::-1]):
            wall, texts[name] = run(ce, questions, orders[name])
            wall += ordering if name == "grouped" else 0.0
            walls[name].append(wall)
            print(f"round {r + 1} {name:8s} {len(questions)} questions in {wall:6.1f} s", flush=True)
    file_s, grouped_s = statistics.median(walls["file"]), statistics.median(walls["grouped"])
    differ = sum(texts["file"][i] != texts["grouped"][i] for i in range(len(questions)))
    print(f"grouped / file wall time: x{grouped_s / file_s:.2f} ({grouped_s:.0f} s against {file_s:.0f} s, medians "
          f"of {args.rounds}); answers whose text differs between the orders (last round): {differ} of "
          f"{len(questions)}")


if __name__ == "__main__":
    main()
