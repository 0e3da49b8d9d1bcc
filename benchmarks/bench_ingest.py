"""Ingest and retrieval figures, each against a baseline measured in the same run.

    .venv/bin/python benchmarks/bench_ingest.py [--chunks 100000] [--rounds 3] [--workdir DIR] [--docs DIR]

Prints:

1. ingest throughput (passages/s) as a ratio of raw batched Ollama embedding throughput on the same passages, the
   two measured alternately so load changes hit both (goal ≥ 0.9); generated text files, or with ``--docs`` a
   folder of real documents, whose text extraction is part of the cost;
2. wall time of the whole ingest command on unchanged files, process start included (goal < 1 s);
3. retrieval latency p50/p95 over a collection of ``--chunks`` chunks (random unit vectors for scale, queries
   embedded for real by Ollama), with the query-embedding part and the search part shown apart (goal p95 ≤ 50 ms).

Needs the Ollama server with the embedding model (``assistant serve-model``). Uses embedded Chroma in a temp dir.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.chunking import CHUNKER_VERSION, chunk_text
from assistant.config import PROJECT_ROOT, Settings, load_settings
from assistant.documents import kind_of
from assistant.embeddings import Embedder
from assistant.errors import IngestError
from assistant.ingest import document_passages, run_ingest
from assistant.manifest import DocEntry, Manifest, index_fingerprint, manifest_path, write_manifest
from assistant.retrieval import Retriever
from assistant.store import ChunkRecord, ChunkStore

QUESTIONS = [
    "When will Prime Minister Kishida visit the United States?",
    "Which companies are part of the AI research framework?",
    "What did the U.S. restrict exporting to China?",
    "What will the joint statement emphasize?",
    "Who reported the planned announcement?",
    "Why does the U.S. want closer cooperation with Japan?",
    "What is the global partnership between Japan and the U.S.?",
    "Which technologies are named in the agreement?",
    "What happens at the meeting between Kishida and Biden?",
    "How do the two countries plan to protect national security?",
]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def make_corpus(folder: Path, documents: int) -> None:
    """Documents of realistic prose: paragraphs built from the seed article's sentences, shuffled per document."""
    seed = (PROJECT_ROOT / "assistant" / "seeds" / "000_9ff6f013cf416a85.txt").read_text(encoding="utf-8")
    sentences = [s.strip() + "." for s in seed.replace("\n", " ").split(". ") if len(s) > 30]
    rng = random.Random(0)
    folder.mkdir(parents=True)
    for d in range(documents):
        paras = []
        for p in range(8):
            words = " ".join(rng.sample(sentences, 4))
            paras.append(f"Report {d}.{p}: {words}")
        (folder / f"doc{d:03d}.txt").write_text("\n\n".join(paras), encoding="utf-8")


def fresh_settings(root: Path, name: str) -> Settings:
    return load_settings(data_dir=root / name, cache_dir=root / "cache")


def bench_throughput(root: Path, rounds: int, docs: Path | None) -> None:
    import ollama

    base = fresh_settings(root, "warm")
    if docs is None:
        corpus = root / "corpus"
        make_corpus(corpus, 40)
        texts = [c.text for f in sorted(corpus.iterdir())
                 for c in chunk_text(f.read_text(), base.retrieval.chunk_chars)]
    else:  # real documents: extracting their text (HTML, PDF) is part of what ingest costs
        corpus = docs
        texts = []
        for f in sorted(f for f in docs.rglob("*") if f.is_file() and kind_of(f) is not None):
            with contextlib.suppress(IngestError):  # ingest reports such a file and goes on
                texts.extend(p.text for p in document_passages(f, base))
    client = ollama.Client(host=base.ollama.host, timeout=base.ollama.request_timeout_s)
    model, bs = base.ollama.embed_model, base.retrieval.embed_batch_size
    print(f"[1] ingest throughput ({len(texts)} passages, batch {bs}, {rounds} alternating rounds)")
    client.embed(model=model, input=texts[:bs])  # load the model
    t = time.perf_counter()
    import chromadb  # noqa: F401 - one-time import cost, paid by the first ingest of a process; shown apart
    import llama_index.embeddings.ollama  # noqa: F401

    print(f"    (one-time imports of chromadb + LlamaIndex: {time.perf_counter() - t:.1f} s, not counted below)")
    raw, ingest, overhead = [], [], []
    embed_time = [0.0]
    original = Embedder.embed_passages

    def timed(self: Embedder, batch: Sequence[str]) -> list[list[float]]:
        t = time.perf_counter()
        try:
            return original(self, batch)
        finally:
            embed_time[0] += time.perf_counter() - t

    Embedder.embed_passages = timed  # type: ignore[method-assign]
    for r in range(rounds):
        t = time.perf_counter()
        for i in range(0, len(texts), bs):
            client.embed(model=model, input=texts[i : i + bs])
        raw.append(len(texts) / (time.perf_counter() - t))
        embed_time[0] = 0.0
        report = run_ingest([corpus], fresh_settings(root, f"round{r}"), prune=False, console=None)
        # a real folder may hold a file ingest cannot read (reported, as the passages above left it out)
        assert (report.ok or docs is not None) and report.chunks == len(texts), report
        ingest.append(report.chunks / report.seconds)
        overhead.append(1 - embed_time[0] / report.seconds)
    Embedder.embed_passages = original  # type: ignore[method-assign]
    ratio = statistics.median(i / r for i, r in zip(ingest, raw, strict=True))
    print(f"    raw batched Ollama embedding: {', '.join(f'{x:.1f}' for x in raw)} passages/s")
    print(f"    ingest (extract, chunk, embed, store, commit): {', '.join(f'{x:.1f}' for x in ingest)} passages/s")
    print(f"    ratio ingest/raw, median of rounds: {ratio:.2f}   (goal >= 0.9)")
    print(f"    share of ingest wall time spent outside embedding calls: "
          f"{', '.join(f'{x:.1%}' for x in overhead)} (what the ratio loses to ingest itself, free of Ollama noise)")

    if docs is not None:
        return
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(root / "round0")}
    cmd, label = [sys.executable, "-m", "assistant.ingest", str(corpus)], "python -m assistant.ingest"
    script = Path(sys.executable).parent / "assistant"
    if script.exists() and subprocess.run([str(script), "ingest", "--help"], capture_output=True).returncode == 0:
        cmd, label = [str(script), "ingest", str(corpus)], "assistant ingest"
    times = []
    for _ in range(7):
        t = time.perf_counter()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        assert out.returncode == 0 and f"{len(list(corpus.iterdir()))} unchanged" in out.stderr + out.stdout, out
    print(f"[2] unchanged re-ingest, `{label}` on {len(list(corpus.iterdir()))} files, whole process:")
    print(f"    median {statistics.median(times):.2f} s, max {max(times):.2f} s over {len(times)} runs   (goal < 1 s)")


def build_big_index(settings: Settings, chunks: int) -> None:
    """``chunks`` random unit vectors spread over 100 live documents, plus the real seed article."""
    store = ChunkStore.open(settings)
    rng = np.random.default_rng(0)
    docs: dict[str, DocEntry] = {}
    per_doc = max(1, chunks // 100)
    batch = 5000
    t = time.perf_counter()
    for start in range(0, chunks, batch):
        n = min(batch, chunks - start)
        vecs = rng.standard_normal((n, 384)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        records = []
        for j in range(n):
            i = start + j
            src, gen = f"/synthetic/doc{i // per_doc}.txt", f"gen{i // per_doc:05d}"
            records.append(ChunkRecord(id=f"{gen}:{i % per_doc}", text=f"synthetic passage {i}", embedding=vecs[j],
                                       source=src, title="", start=0, end=10, chunk_index=i % per_doc,
                                       doc_hash="synthetic", generation=gen))
            docs[src] = DocEntry("synthetic", gen, docs[src].chunks + 1 if src in docs else 1)
        store.add(records)
    print(f"    built {chunks} synthetic chunks in {time.perf_counter() - t:.0f} s")
    store.close()
    path = manifest_path(settings)
    write_manifest(path, Manifest().with_documents(docs, fingerprint=index_fingerprint(settings, CHUNKER_VERSION)))
    report = run_ingest([PROJECT_ROOT / "assistant" / "seeds"], settings, prune=False, console=None)
    assert report.ok, report


def bench_retrieval(root: Path, chunks: int) -> None:
    settings = fresh_settings(root, "big")
    print(f"[3] retrieval over {chunks} chunks (+ the seed article), k={settings.retrieval.top_k}")
    build_big_index(settings, chunks)
    retriever = Retriever.from_settings(settings)
    assert retriever.count() >= chunks
    retriever.retrieve(QUESTIONS[0])  # open the index, load the model
    total, embed, search = [], [], []
    for rep in range(10):
        for q in QUESTIONS:
            q = f"{q} ({rep})" if rep else q  # distinct strings: nothing cached anywhere
            t0 = time.perf_counter()
            passages = retriever.retrieve(q)
            total.append(time.perf_counter() - t0)
            t1 = time.perf_counter()
            vector = retriever.embedder.embed_query(q)
            t2 = time.perf_counter()
            retriever._search(q, vector, settings.retrieval.top_k)
            t3 = time.perf_counter()
            embed.append(t2 - t1)
            search.append(t3 - t2)
            assert passages
    ms = lambda xs, p: percentile(xs, p) * 1000  # noqa: E731
    print(f"    end to end: p50 {ms(total, 50):.1f} ms, p95 {ms(total, 95):.1f} ms over {len(total)} queries"
          "   (goal p95 <= 50 ms)")
    print(f"    of which query embedding (Ollama): p50 {ms(embed, 50):.1f} ms, p95 {ms(embed, 95):.1f} ms")
    print(f"    of which search (LlamaIndex + Chroma + live filter): p50 {ms(search, 50):.1f} ms, "
          f"p95 {ms(search, 95):.1f} ms")
    retriever.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the data here instead of a temp dir")
    parser.add_argument("--skip-retrieval", action="store_true")
    parser.add_argument("--docs", type=Path, default=None,
                        help="measure ingest throughput on this folder of real documents (HTML, PDF, text) instead of "
                             "generated text files; the unchanged re-ingest is then not measured")
    args = parser.parse_args()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    if root.exists() and any(root.iterdir()):
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; data in {root}")
    try:
        bench_throughput(root, args.rounds, args.docs)
        if not args.skip_retrieval:
            bench_retrieval(root, args.chunks)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
