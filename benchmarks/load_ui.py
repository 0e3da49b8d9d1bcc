"""Several users at once: concurrent sessions through the chat app's ``/chat`` endpoint, against one user alone.

    assistant ui &                                    # or any running app
    .venv/bin/python benchmarks/load_ui.py [--url http://127.0.0.1:7860/] [--sessions 8] [--questions 3]
    .venv/bin/python benchmarks/load_ui.py --slots 1 4   # Ollama request slots side by side

First one session asks every question in turn (the single-user baseline), then ``--sessions`` sessions, each its
own gradio_client ``Client`` (its own history, like a browser tab), start together and ask ``--questions``
questions each. Prints errors (the goal is 0) and p50/p95 latency as ratios of the single-user figures measured in
the same run. Asserts nothing.

With ``--slots``, the script starts, for each slot count in turn, an ``assistant ui`` of its own on free ports with
its own Ollama server (``ASSISTANT_OLLAMA__NUM_PARALLEL``, i.e. ``OLLAMA_NUM_PARALLEL``), measures it as above and
stops both, then prints each slot count's throughput as a ratio of the first one's.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
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
START_TIMEOUT_S = 600.0


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


def rate(run: Run) -> float:
    """Answers per minute of wall time."""
    return 60 * len(run.latencies) / run.wall if run.wall else 0.0


def describe(name: str, run: Run, base: Run | None = None) -> str:
    if not run.latencies:
        return f"{name}: no successful answers, {len(run.errors)} errors"
    p50, top = statistics.median(run.latencies), p95(run.latencies)
    line = (f"{name}: {len(run.latencies)} answers, {len(run.errors)} errors, p50 {p50:.1f} s, p95 {top:.1f} s, "
            f"wall {run.wall:.0f} s, {rate(run):.1f} answers/min")
    if base and base.latencies:
        line += (f"  [p50 ×{p50 / statistics.median(base.latencies):.2f}, p95 ×{top / p95(base.latencies):.2f}, "
                 f"throughput ×{rate(run) / rate(base):.2f} vs single user]")
    return line


def bench(url: str, sessions: int, questions: int, label: str = "") -> tuple[Run, Run]:
    warm = Run()
    ask(Client(url, verbose=False), QUESTIONS[0], warm, threading.Lock())  # loads the models
    if warm.errors:
        raise SystemExit(f"the app at {url} does not answer: {warm.errors[0]}")
    single = measure(url, sessions=1, per_session=len(QUESTIONS))
    print(describe(f"{label}single user", single), flush=True)
    load = measure(url, sessions=sessions, per_session=questions)
    print(describe(f"{label}{sessions} sessions × {questions} questions", load, single), flush=True)
    for e in single.errors + load.errors:
        print("  error:", e)
    return single, load


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(slots: int) -> tuple[subprocess.Popen[bytes], str]:
    """``assistant ui`` on a free port with an Ollama of its own (free port, ``slots`` request slots)."""
    port = free_port()
    env = os.environ | {"ASSISTANT_OLLAMA__HOST": f"http://127.0.0.1:{free_port()}",
                        "ASSISTANT_OLLAMA__NUM_PARALLEL": str(slots)}
    cmd = [sys.executable, "-m", "assistant.cli", "ui", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"`{' '.join(cmd)}` exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc, url
        except OSError:
            time.sleep(1)
    proc.kill()
    raise SystemExit(f"`{' '.join(cmd)}` did not answer within {START_TIMEOUT_S:.0f} s")


def compare_slots(counts: list[int], sessions: int, questions: int) -> None:
    results = []
    for n in counts:
        proc, url = start_app(n)
        try:
            results.append((n, *bench(url, sessions, questions, label=f"{n} slot(s), ")))
        finally:
            proc.send_signal(signal.SIGTERM)  # the app stops the Ollama it started
            proc.wait(timeout=60)
    # A slot count named more than once (--slots 1 4 1 4) is summarised by its median, which a noisy machine needs.
    med = {n: (statistics.median(rate(s) for m, s, _ in results if m == n),
               statistics.median(rate(lo) for m, _, lo in results if m == n),
               sum(len(s.errors) + len(lo.errors) for m, s, lo in results if m == n)) for n in dict.fromkeys(counts)}
    base_single, base_load, _ = med[counts[0]]
    for n, (single, load, errors) in med.items():
        runs = counts.count(n)
        print(f"{n} slot(s), median of {runs} run(s): single user {single:.1f} answers/min "
              f"(×{single / base_single:.2f}), {sessions} sessions {load:.1f} answers/min "
              f"(×{load / base_load:.2f}), errors {errors}"
              f"   [ratios vs {counts[0]} slot(s), same run]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:7860/")
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--questions", type=int, default=3, help="questions per session")
    ap.add_argument("--slots", type=int, nargs="+", help="start an app per Ollama slot count and compare them")
    args = ap.parse_args()
    if args.slots:
        compare_slots(args.slots, args.sessions, args.questions)
    else:
        bench(args.url, args.sessions, args.questions)


if __name__ == "__main__":
    main()
