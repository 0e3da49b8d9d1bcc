"""Several users at once: concurrent sessions through the chat app's ``/chat`` endpoint, against one user alone.

    assistant ui &                                    # or any running app
    .venv/bin/python benchmarks/load_ui.py [--url http://127.0.0.1:7860/] [--sessions 8] [--questions 3]

First one session asks every question in turn (the single-user baseline), then ``--sessions`` sessions, each its
own gradio_client ``Client`` (its own history, like a browser tab), start together and ask ``--questions``
questions each. Prints errors (the goal is 0) and p50/p95 latency as ratios of the single-user figures measured in
the same run. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from gradio_client import Client

QUESTIONS = [
    "When will Kishida visit the U.S.?",
    "Which companies are expected to take part in the joint AI research?",
    "What did the U.S. restrict?",
    "What will the joint statement emphasize?",
]
TIMEOUT_S = 900.0


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0


def ask(client: Client, question: str, run: Run, lock: threading.Lock) -> None:
    started = time.perf_counter()
    try:
        text = client.submit(question, api_name="/chat").result(timeout=TIMEOUT_S)
        problem = "" if isinstance(text, str) and text.strip() else f"empty answer: {text!r}"
    except Exception as e:  # a benchmark counts failures of any kind instead of stopping at the first
        problem = f"{type(e).__name__}: {e}"
    with lock:
        if problem:
            run.errors.append(f"{question!r}: {problem}")
        else:
            run.latencies.append(time.perf_counter() - started)


def session(url: str, questions: list[str], run: Run, lock: threading.Lock, start: threading.Barrier) -> None:
    client = Client(url, verbose=False)
    start.wait()
    for q in questions:
        ask(client, q, run, lock)


def measure(url: str, sessions: int, per_session: int) -> Run:
    run, lock = Run(), threading.Lock()
    start = threading.Barrier(sessions)
    # Each session starts at another question, so the server sees a mix rather than one question eight times.
    plans = [[QUESTIONS[(s + i) % len(QUESTIONS)] for i in range(per_session)] for s in range(sessions)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(sessions) as pool:
        for f in [pool.submit(session, url, plan, run, lock, start) for plan in plans]:
            f.result()
    run.wall = time.perf_counter() - t0
    return run


def p95(xs: list[float]) -> float:
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def describe(name: str, run: Run, base: Run | None = None) -> str:
    if not run.latencies:
        return f"{name}: no successful answers, {len(run.errors)} errors"
    p50, top = statistics.median(run.latencies), p95(run.latencies)
    rate = 60 * len(run.latencies) / run.wall
    line = (f"{name}: {len(run.latencies)} answers, {len(run.errors)} errors, p50 {p50:.1f} s, p95 {top:.1f} s, "
            f"wall {run.wall:.0f} s, {rate:.1f} answers/min")
    if base and base.latencies:
        line += (f"  [p50 ×{p50 / statistics.median(base.latencies):.2f}, p95 ×{top / p95(base.latencies):.2f}, "
                 f"throughput ×{rate / (60 * len(base.latencies) / base.wall):.2f} vs single user]")
    return line


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:7860/")
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--questions", type=int, default=3, help="questions per session")
    args = ap.parse_args()

    warm = Run()
    ask(Client(args.url, verbose=False), QUESTIONS[0], warm, threading.Lock())  # loads the models
    if warm.errors:
        raise SystemExit(f"the app at {args.url} does not answer: {warm.errors[0]}")
    single = measure(args.url, sessions=1, per_session=len(QUESTIONS))
    print(describe("single user", single))
    load = measure(args.url, sessions=args.sessions, per_session=args.questions)
    print(describe(f"{args.sessions} sessions × {args.questions} questions", load, single))
    for e in single.errors + load.errors:
        print("  error:", e)


if __name__ == "__main__":
    main()
