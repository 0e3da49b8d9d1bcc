"""Ollama built with two sets of C/C++ compiler flags, side by side: build time, chat prompt-eval and decode speed.

    .venv/bin/python benchmarks/bench_build_flags.py [--flags "-O3 -march=native" "-O1 | -O3 -march=native"]

A flag set is the flags for every C/C++ file, or "OTHER | KERNELS": OTHER for every file, KERNELS added for the
CPU kernels (ggml), as `assistant.ollama_build` builds by default.

Each flag set builds the pinned release (`assistant.ollama_build`) into a temporary directory with a cold Go build
cache of its own, so both builds compile everything; then each binary serves the bundled chat model (the models
already in the cache) on a free port, one at a time, and answers the same prompts with the prompt cache defeated.
"-O2 -g" is what cgo uses when no flags are given. Prints each figure and its ratio to the first flag set's,
measured in the same run. Takes two full builds (~10 minutes each on 2 cores). Asserts nothing.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time
from pathlib import Path

import ollama
from bench_serving import seed_passages

from assistant.config import load_settings
from assistant.ollama_build import KERNEL_CFLAGS, OTHER_CFLAGS, _build
from assistant.serving import start_server

PROMPT = ("Answer from the passage in one sentence.\n\nPassage: Japan and the United States plan to announce closer "
          "cooperation in artificial intelligence and semiconductors during a visit on April 10, the Asahi Shimbun "
          "reported on Saturday, citing unnamed government sources.\n\nQuestion: What will the two countries announce?")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def speed(binary: Path, rounds: int) -> tuple[float, float, float]:
    """Median (prompt eval, decode) tokens/s of the bundled chat model served by ``binary``, and passages/s of the
    bundled embedding model (64 seed-sized passages a batch; it runs on llama.cpp's own runner, not the Go engine)."""
    base = load_settings()
    settings = base.model_copy(update={"ollama": base.ollama.model_copy(
        update={"host": f"http://127.0.0.1:{free_port()}"})})
    server = start_server(binary, settings)
    try:
        client = ollama.Client(host=settings.ollama.host, timeout=300)
        model = settings.ollama.chat_model
        client.chat(model=model, messages=[{"role": "user", "content": "hi"}])  # load the model
        pe, dec = [], []
        for i in range(rounds):
            r = client.chat(model=model, messages=[{"role": "user", "content": f"Round {i}. {PROMPT}"}],
                            options={"num_predict": 96, "temperature": 0, "seed": i})
            pe.append(r.prompt_eval_count / (r.prompt_eval_duration / 1e9))
            dec.append(r.eval_count / (r.eval_duration / 1e9))
        passages = seed_passages(64)
        client.embed(model=settings.ollama.embed_model, input=passages[:2])  # load the model
        emb = []
        for i in range(rounds):
            started = time.perf_counter()
            client.embed(model=settings.ollama.embed_model, input=[f"{p} [{i}]" for p in passages])
            emb.append(len(passages) / (time.perf_counter() - started))
        return statistics.median(pe), statistics.median(dec), statistics.median(emb)
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flags", nargs="+", default=[KERNEL_CFLAGS, f"{OTHER_CFLAGS} | {KERNEL_CFLAGS}"])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ollama-flags-") as tmp:
        binaries = []
        for i, flags in enumerate(args.flags):
            target = Path(tmp) / f"build{i}"
            target.mkdir()
            started = time.monotonic()
            other, _, kernels = (part.strip() for part in flags.partition("|"))
            binary = _build(target, target / "bin" / "ollama", lambda m, f=flags: print(f"  [{f}] {m}", flush=True),
                            cflags=other, kernel_cflags=kernels or None,
                            extra_env={"GOCACHE": str(target / "gocache")})
            binaries.append((flags, binary, time.monotonic() - started))
        for flags, binary, built_s in binaries:
            rows.append((flags, built_s, *speed(binary, args.rounds)))
            print(f"{flags!r}: built in {built_s:.0f} s, prompt eval {rows[-1][2]:.0f} tokens/s, "
                  f"decode {rows[-1][3]:.0f} tokens/s, embedding {rows[-1][4]:.1f} passages/s", flush=True)
    _, b0, p0, d0, e0 = rows[0]
    for flags, built_s, pe, dec, emb in rows:
        print(f"{flags!r:24} build ×{built_s / b0:.2f}   prompt eval ×{pe / p0:.2f}   decode ×{dec / d0:.2f}"
              f"   embedding ×{emb / e0:.2f}   [vs {rows[0][0]!r}, same run]")


if __name__ == "__main__":
    main()
