"""Baselines every later speed goal is a ratio of: chat prompt-eval and decode tokens/s, embedding throughput.

    .venv/bin/python benchmarks/bench_serving.py [--passages 64] [--rounds 3]

Needs the model server with the bundled models (`assistant serve-model`). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import ollama

from assistant.config import load_settings
from assistant.text import sentence_spans


def seed_passages(n: int) -> list[str]:
    """n passages of seed size (~3 sentences each), cycling through the seed's sentences."""
    text = next((Path(__file__).parent.parent / "assistant" / "seeds").glob("*.txt")).read_text()
    sentences = [s.text for s in sentence_spans(text) if len(s.text) > 40]
    return [" ".join(sentences[(i + j) % len(sentences)] for j in range(3)) + f" ({i})" for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--passages", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    s = load_settings()
    client = ollama.Client(host=s.ollama.host, timeout=300)
    passages = seed_passages(args.passages)
    prompt = "Summarise in two sentences:\n\n" + "\n\n".join(passages[:4])

    client.chat(model=s.ollama.chat_model, messages=[{"role": "user", "content": "hi"}])  # load the model
    client.embed(model=s.ollama.embed_model, input=["warm up"])
    pe, dec = [], []
    for i in range(args.rounds):
        # A different first line each round defeats Ollama's prompt cache, so prompt eval is measured for real.
        r = client.chat(model=s.ollama.chat_model, messages=[{"role": "user", "content": f"Round {i}. {prompt}"}],
                        options={"num_predict": 128})
        pe.append(r.prompt_eval_count / (r.prompt_eval_duration / 1e9))
        dec.append(r.eval_count / (r.eval_duration / 1e9))
    single, batched = [], []
    for _ in range(args.rounds):
        t = time.perf_counter()
        for p in passages:
            client.embed(model=s.ollama.embed_model, input=[p])
        single.append(len(passages) / (time.perf_counter() - t))
        t = time.perf_counter()
        client.embed(model=s.ollama.embed_model, input=passages)
        batched.append(len(passages) / (time.perf_counter() - t))

    med = statistics.median
    print(f"model server: {s.ollama.host}; chat {s.ollama.chat_model}; embeddings {s.ollama.embed_model}")
    print(f"chat prompt eval     {med(pe):8.1f} tokens/s   (median of {args.rounds})")
    print(f"chat decode          {med(dec):8.1f} tokens/s")
    print(f"embeddings, single   {med(single):8.1f} passages/s ({len(passages)} seed-sized passages)")
    print(f"embeddings, batched  {med(batched):8.1f} passages/s")
    print(f"batched / single     {med(batched) / med(single):8.2f} x")


if __name__ == "__main__":
    main()
