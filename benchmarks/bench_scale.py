"""Scale: the whole Python 3.11 documentation (Debian ``python3.11-doc``, ~530 HTML pages) ingested and searched.

    nice .venv/bin/python benchmarks/bench_scale.py [--docs DIR] [--workdir DIR] [--sample 512] [--queries 40]

Prints, each against a baseline measured in the same run:

1. ingest as a whole command (``python -m assistant.ingest DIR`` in a subprocess): chunks, wall time, chunks/s,
   peak memory (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``); raw batched Ollama embedding throughput on a
   sample of the same corpus's passages, measured just before and just after the ingest; the ratio
   ingest / raw in passages/s and in tokens/s (goal >= 0.9: embedding cost grows with a passage's tokens, so the
   second is the fair one when the sample's passages are shorter or longer than the corpus's on average) and peak
   memory (goal <= 1 GB);
2. retrieval latency p50/p95 (``Retriever.retrieve``, the configured mode, k=4) against one raw query embedding
   + one raw Chroma query for the same question, measured alternately (goal p95 <= 1.2 x raw);
3. unchanged re-ingest as a whole command (goal <= 2 s).

Long on 2 cores (20+ minutes): run it in the background with ``nice``. Needs the Ollama server with the embedding
model. Uses embedded Chroma in ``--workdir`` (deleted first).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.config import load_settings
from assistant.ingest import document_passages
from assistant.manifest import manifest_path, read_manifest
from assistant.retrieval import Retriever
from assistant.store import ChunkStore
from assistant.tokens import token_counter

DOCS = Path.home() / ".cache/assistant/corpora/extracted/usr/share/doc/python3.11/html"
QUESTIONS = [
    "How do I remove a prefix from a string?", "What does str.removeprefix return?",
    "How do I read a file line by line?", "What is a list comprehension?", "How do I sort a dictionary by value?",
    "What does the with statement do?", "How do I create a virtual environment?", "What is the GIL?",
    "How do I parse command line arguments?", "What does functools.lru_cache do?",
    "How do I format a date with strftime?", "What is the difference between a tuple and a list?",
    "How do I catch several exceptions in one except clause?", "What does asyncio.gather do?",
    "How do I write a CSV file?", "What is a generator expression?", "How does super() work?",
    "What does the -m option of the interpreter do?", "How do I join paths with os.path.join?",
    "What is PYTHONPATH used for?", "How are default argument values evaluated?", "What is a dataclass?",
    "How do I start a subprocess and read its output?", "What does json.dumps do with indent?",
    "How do I use a regular expression to find all matches?", "What is the walrus operator?",
    "How do I make a class iterable?", "What does typing.Optional mean?", "How do I log to a file?",
    "What is the purpose of __init__.py?", "How do I measure execution time with timeit?",
    "What does enumerate return?", "How do I copy a list deeply?", "What is a context manager?",
    "How do I open a URL with urllib.request?", "What does zip do with unequal lengths?",
    "How do I define an abstract base class?", "What is sys.argv?", "How do I round a float to two decimals?",
    "What does the pathlib module provide?",
]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def raw_throughput(client: object, model: str, texts: list[str], batch: int) -> float:
    t = time.perf_counter()
    for i in range(0, len(texts), batch):
        client.embed(model=model, input=texts[i : i + batch])  # type: ignore[attr-defined]
    return len(texts) / (time.perf_counter() - t)


def main() -> None:
    import ollama

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=Path, default=DOCS)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench-scale")
    parser.add_argument("--sample", type=int, default=512, help="passages in the raw-embedding sample")
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    settings = load_settings(data_dir=args.workdir / "data", cache_dir=args.workdir / "cache")
    files = sorted(args.docs.rglob("*.html"))
    print(f"corpus: {len(files)} HTML files, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB, "
          f"retrieval mode {settings.retrieval.mode}, batch {settings.retrieval.embed_batch_size}", flush=True)

    rng = random.Random(0)
    sample: list[str] = []
    for f in rng.sample(files, min(30, len(files))):
        sample.extend(p.text for p in document_passages(f, settings))
    sample = rng.sample(sample, min(args.sample, len(sample)))
    client = ollama.Client(host=settings.ollama.host, timeout=settings.ollama.request_timeout_s)
    model, bs = settings.ollama.embed_model, settings.retrieval.embed_batch_size
    client.embed(model=model, input=sample[:bs])  # the model is loaded before anything is timed
    raw_before = raw_throughput(client, model, sample, bs)
    print(f"[1] raw batched embedding before ingest: {raw_before:.1f} passages/s ({len(sample)} sampled passages)",
          flush=True)

    env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_CACHE_DIR": str(settings.cache_dir)}
    cmd = [sys.executable, "-m", "assistant.ingest", str(args.docs)]
    t = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    summary = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else ""
    m = re.search(r"(\d+) chunks in ([\d.]+) s", summary)
    if out.returncode not in (0, 1) or m is None:
        sys.exit(f"ingest failed ({out.returncode}): {out.stderr[-3000:]}")
    chunks, seconds = int(m.group(1)), float(m.group(2))
    raw_after = raw_throughput(client, model, sample, bs)
    raw = (raw_before + raw_after) / 2
    print(f"    ingest: {summary}")
    print(f"    whole command {wall:.0f} s; {chunks / seconds:.1f} chunks/s; "
          f"peak memory {peak_mb:.0f} MB (goal <= 1024)")
    # Embedding cost grows with a passage's tokens, and the sample's passages need not be as long as the corpus's
    # on average: the ratio in tokens per second is the fair one.
    counter = token_counter(settings)
    stored = ChunkStore.open(settings)
    _, texts = stored.texts(read_manifest(manifest_path(settings)).chunk_ids())
    stored.close()
    corpus_tokens = sum(sum(counter.count(texts[i : i + 256])) for i in range(0, len(texts), 256))
    sample_mean = sum(counter.count(sample)) / len(sample)
    print(f"    raw batched embedding after ingest: {raw_after:.1f} passages/s; "
          f"ingest / raw = {chunks / seconds / raw:.2f} in passages/s", flush=True)
    print(f"    passages average {corpus_tokens / len(texts):.0f} tokens in the corpus, {sample_mean:.0f} in the "
          f"sample: ingest / raw = {corpus_tokens / seconds / (raw * sample_mean):.2f} in tokens/s (goal >= 0.9)",
          flush=True)
    failed = [line for line in out.stderr.splitlines() if line.startswith("failed")]
    if failed:
        print(f"    {len(failed)} file(s) failed, e.g. {failed[0][:200]}")

    retriever = Retriever.from_settings(settings)
    questions = (QUESTIONS * (args.queries // len(QUESTIONS) + 1))[: args.queries]
    t = time.perf_counter()
    retriever.retrieve("warm-up question about lists", k=4)
    cold = time.perf_counter() - t
    store = ChunkStore.open(settings)
    ours, base = [], []
    for q in questions:
        t = time.perf_counter()
        vector = client.embed(model=model, input=q)["embeddings"][0]
        store.collection.query(query_embeddings=[vector], n_results=4, include=["documents", "metadatas", "distances"])
        base.append(time.perf_counter() - t)
        t = time.perf_counter()
        retriever.retrieve(q, k=4)
        ours.append(time.perf_counter() - t)
    print(f"[2] retrieval over {chunks} chunks ({len(questions)} questions, first query {cold * 1000:.0f} ms "
          "incl. loading the indexes):")
    print(f"    ours  p50 {pct(ours, 50) * 1000:.1f} ms, p95 {pct(ours, 95) * 1000:.1f} ms")
    print(f"    raw   p50 {pct(base, 50) * 1000:.1f} ms, p95 {pct(base, 95) * 1000:.1f} ms "
          "(one query embedding + one Chroma query)")
    print(f"    ratio p50 {pct(ours, 50) / pct(base, 50):.2f}, p95 {pct(ours, 95) / pct(base, 95):.2f} (goal <= 1.2)",
          flush=True)
    retriever.close()

    times = []
    for _ in range(5):
        t = time.perf_counter()
        again = subprocess.run(cmd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        assert again.returncode in (0, 1) and " 0 added" in again.stderr, again.stderr[-2000:]
    print(f"[3] unchanged re-ingest, whole command: median {statistics.median(times):.2f} s, max {max(times):.2f} s "
          "(goal <= 2 s)")


if __name__ == "__main__":
    main()
