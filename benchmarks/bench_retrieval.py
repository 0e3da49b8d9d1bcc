"""Evidence recall@k of retrieval, dense alone vs hybrid (BM25 + dense, reciprocal rank fusion), on every corpus's
dev questions.

    .venv/bin/python benchmarks/bench_retrieval.py [--workdir DIR] [--questions CORPUS=PATH ...] [--misses]

Evidence recall@k: the share of answerable questions with evidence for which one of the top ``k`` passages holds
an evidence span (whitespace/case-normalised), or 20+ characters of it at one of its edges — the eval's own checker
(:func:`assistant.eval_metrics.evidence_overlaps`). The query is what the assistant searches: the question, a
follow-up condensed with its earlier turns (:meth:`assistant.Assistant.condense`).

Corpora (Debian packages, extracted under ``~/.cache/assistant/corpora/extracted``): the seed article
(``eval_questions.yaml``), the R manuals R-intro, R-FAQ and R-admin (PDF, ``evalsets/r-manuals/dev.yaml``) and the
Python 3.11 tutorial (HTML, ``evalsets/python-tutorial/dev.yaml``). Each corpus is ingested once into ``--workdir``
(embedded Chroma; a re-run re-uses it: unchanged files are skipped). Needs the Ollama server with the embedding model.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

from assistant.assistant import Assistant
from assistant.config import PROJECT_ROOT, Settings, load_settings
from assistant.eval_metrics import evidence_overlaps
from assistant.evaluate import load_questions
from assistant.ingest import run_ingest
from assistant.retrieval import Retriever

EXTRACTED = Path.home() / ".cache/assistant/corpora/extracted"
KS = (4, 20)


@dataclass(frozen=True)
class Corpus:
    name: str
    files: list[Path]
    questions: Path


def corpora(overrides: dict[str, Path]) -> list[Corpus]:
    r_manuals = EXTRACTED / "usr/share/R/doc/manual"
    tutorial = EXTRACTED / "usr/share/doc/python3.11/html/tutorial"
    found = [
        Corpus("seed", sorted((PROJECT_ROOT / "assistant" / "seeds").glob("*.txt")),
               PROJECT_ROOT / "eval_questions.yaml"),
        Corpus("r-manuals", [r_manuals / f"{n}.pdf" for n in ("R-intro", "R-FAQ", "R-admin")],
               PROJECT_ROOT / "evalsets/r-manuals/dev.yaml"),
        Corpus("python-tutorial", sorted(tutorial.glob("*.html")), PROJECT_ROOT / "evalsets/python-tutorial/dev.yaml"),
    ]
    return [Corpus(c.name, c.files, overrides.get(c.name, c.questions)) for c in found]


def recall(settings: Settings, corpus: Corpus, show_misses: bool) -> dict[tuple[str, int], float] | None:
    if not corpus.questions.exists() or not corpus.files or not all(f.exists() for f in corpus.files):
        print(f"  {corpus.name}: skipped (missing {corpus.questions} or corpus files)")
        return None
    report = run_ingest(corpus.files, settings, prune=True, console=None)
    if report.failed:
        print(f"  {corpus.name}: {len(report.failed)} file(s) failed to ingest: {report.failed[:3]}")
    questions = [q for q in load_questions(corpus.questions) if q.answerable and q.evidence]
    out: dict[tuple[str, int], float] = {}
    for mode in ("dense", "hybrid"):
        s = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"mode": mode})})
        retriever = Retriever.from_settings(s)
        hits = dict.fromkeys(KS, 0)
        for q in questions:
            query = Assistant.condense(q.question, [{"role": "user", "content": h} for h in q.history])
            passages = retriever.retrieve(query, k=max(KS))
            rank = next((i for i, p in enumerate(passages)
                         if any(evidence_overlaps(e, p.text) for e in q.evidence)), None)
            for k in KS:
                hits[k] += rank is not None and rank < k
            if show_misses and (rank is None or rank >= KS[0]):
                print(f"    {mode:6} miss@{KS[0]} {q.id} (rank {rank}): {query}")
        retriever.close()
        for k in KS:
            out[(mode, k)] = hits[k] / len(questions)
    print(f"  {corpus.name}: {report.chunks} new chunks, {len(questions)} answerable questions with evidence",
          flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench-retrieval")
    parser.add_argument("--questions", action="append", default=[], metavar="CORPUS=PATH",
                        help="dev question file of a corpus (seed, r-manuals, python-tutorial)")
    parser.add_argument("--misses", action="store_true", help="list the questions missed at k=4")
    parser.add_argument("--only", action="append", default=[], help="measure only these corpora")
    args = parser.parse_args()
    overrides = {name: Path(path) for name, path in (o.split("=", 1) for o in args.questions)}
    rows = []
    for corpus in corpora(overrides):
        if args.only and corpus.name not in args.only:
            continue
        settings = load_settings(data_dir=args.workdir / corpus.name, cache_dir=args.workdir / "cache")
        result = recall(settings, corpus, args.misses)
        if result is not None:
            rows.extend((corpus.name, k, result[("dense", k)], result[("hybrid", k)]) for k in KS)
            print("  " + ", ".join(f"@{k} dense {result[('dense', k)]:.2f} hybrid {result[('hybrid', k)]:.2f}"
                                   for k in KS), flush=True)
    print(f"\n{'corpus':18} {'k':>3} {'dense':>7} {'hybrid':>7}")
    for name, k, dense, hybrid in rows:
        print(f"{name:18} {k:>3} {dense:7.2f} {hybrid:7.2f}")


if __name__ == "__main__":
    main()
