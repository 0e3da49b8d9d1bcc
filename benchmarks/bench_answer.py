"""Our end-to-end answer path vs. the bare Ollama call with the same prompt, on the same questions.

    .venv/bin/python benchmarks/bench_answer.py [--rounds 2]

Prints per-step medians, time to first token, and the pipeline overhead (ours − bare) as a ratio and in ms
(goal: ≤ 5 % and ≤ 25 ms at p50). Needs the model server and an ingested seed (`assistant ingest`).
"""

from __future__ import annotations

import argparse
import statistics
import time

import ollama

from assistant import Assistant
from assistant.config import load_settings

QUESTIONS = [
    "When will Kishida visit the U.S.?",
    "Which companies are expected to take part in the joint AI research?",
    "What did the U.S. restrict?",
    "Which newspaper reported the development?",
    "What will the joint statement emphasize?",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    s = load_settings()
    a = Assistant.from_settings(s)
    client = ollama.Client(host=s.ollama.host, timeout=300)
    options = {"temperature": s.ollama.temperature, "seed": s.ollama.seed, "num_ctx": s.ollama.num_ctx,
               "num_predict": s.ollama.max_answer_tokens}
    a.ask(QUESTIONS[0])  # warm up: model loaded, imports done

    def flush_prompt_cache() -> None:
        # Ollama reuses the KV cache of an identical prompt prefix; an unrelated prompt in between makes both
        # timed calls pay full prompt evaluation, so neither gets the other's work for free.
        client.chat(model=s.ollama.chat_model, messages=[{"role": "user", "content": f"Count to three. {time.time()}"}],
                    options={**options, "num_predict": 1})

    ours, bare, overhead, ttft, bare_ttft = [], [], [], [], []
    for _ in range(args.rounds):
        for q in QUESTIONS:
            flush_prompt_cache()
            ans = a.ask(q)
            if ans.refused:
                continue
            prompt = a.prompts.render_answer(ans.query, [p.text for p in ans.passages])
            flush_prompt_cache()
            t = time.perf_counter()
            first = None
            for _chunk in client.chat(model=s.ollama.chat_model, stream=True, options=options, messages=[
                    {"role": "system", "content": a.prompts.system}, {"role": "user", "content": prompt}]):
                first = first or time.perf_counter() - t
            b = time.perf_counter() - t
            ours.append(ans.timings.total)
            bare.append(b)
            overhead.append(ans.timings.total - b)
            ttft.append(ans.timings.first_token or 0.0)
            bare_ttft.append(first or 0.0)
            print(f"  {q[:60]:60} ours {ans.timings.total:6.2f} s  bare {b:6.2f} s  "
                  f"(retrieve {ans.timings.retrieve * 1000:5.0f} ms, verify {ans.timings.verify * 1000:5.1f} ms)")
    med = statistics.median
    print(f"answers timed: {len(ours)} over {args.rounds} rounds; model {s.ollama.chat_model}")
    print(f"p50 end-to-end   ours {med(ours):.3f} s   bare Ollama call {med(bare):.3f} s   "
          f"ratio {med(ours) / med(bare):.3f}")
    print(f"p50 overhead     {med(overhead) * 1000:.0f} ms  ({med(overhead) / med(bare) * 100:.1f} % of the bare call)")
    print(f"p50 first token  ours {med(ttft):.3f} s   bare {med(bare_ttft):.3f} s")


if __name__ == "__main__":
    main()
