"""Evidence recall@k of retrieval, dense alone vs hybrid (BM25 + dense, reciprocal rank fusion), on every corpus's
questions (dev splits by default).

    .venv/bin/python benchmarks/bench_retrieval.py [--corpora evalsets/corpora.yaml] [--split dev|test]
                                                   [--only CORPUS] [--misses]

Evidence recall@k: the share of answerable questions with evidence for which one of the top ``k`` passages (retrieved
with ``retrieval.top_k = k``, as the assistant would) holds
an evidence span (whitespace/case-normalised), or 20+ characters of it at one of its edges — the eval's own checker
(:func:`assistant.eval_metrics.evidence_overlaps`). The query is what the assistant searches
(:meth:`assistant.Assistant.search`): a follow-up condensed with its earlier turns, a question in another language
read in the documents', typos corrected against the passages, a two-part question searched once per part. Each
corpus is indexed as ``assistant eval --corpora`` does (cached under ``<cache_dir>/eval-index``; unchanged files are
skipped). Needs the Ollama server with the embedding model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.assistant import Assistant
from assistant.config import PROJECT_ROOT, Settings, load_settings
from assistant.corpora import Corpus, index_corpus, load_corpora, question_files
from assistant.eval_metrics import evidence_overlaps
from assistant.evaluate import load_questions

KS = (4, 20)


def recall(settings: Settings, corpus: Corpus, questions: list[Path], show_misses: bool
           ) -> tuple[dict[tuple[str, int], float], int]:
    asked = [q for path in questions for q in load_questions(path) if q.answerable and q.evidence]
    out: dict[tuple[str, int], float] = {}
    for mode in ("dense", "hybrid"):
        for k in KS:
            # Each k retrieved as the assistant retrieves with top_k = k: the fused top 4 is not the first 4 of the
            # fused top 20 (each ranking's first passage is kept in any top k). A two-part question gets k + 2
            # passages from the assistant; only its first k count here.
            s = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"mode": mode,
                                                                                               "top_k": k})})
            assistant = Assistant.from_settings(s)
            hits = 0
            for q in asked:
                history = [{"role": "user", "content": h} for h in q.history]
                _, query, passages, _ = assistant.search(q.question, history)
                rank = next((i for i, p in enumerate(passages)
                             if any(evidence_overlaps(e, p.text) for e in q.evidence)), None)
                hits += rank is not None and rank < k
                if show_misses and k == KS[0] and (rank is None or rank >= k):
                    print(f"    {mode:6} miss@{k} {q.id} (rank {rank}): {query}")
            close = getattr(assistant.retriever, "close", None)
            if close:
                close()
            out[(mode, k)] = hits / len(asked) if asked else 0.0
    return out, len(asked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=PROJECT_ROOT / "evalsets" / "corpora.yaml")
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--misses", action="store_true", help="list the questions missed at k=4")
    parser.add_argument("--only", action="append", default=[], help="measure only these corpora")
    args = parser.parse_args()
    spec = args.corpora.resolve()
    settings = load_settings()
    rows: list[tuple[str, int, int, float, float]] = []
    for corpus in load_corpora(spec):
        if args.only and corpus.name not in args.only:
            continue
        s = index_corpus(corpus, spec, settings)
        result, n = recall(s, corpus, question_files(corpus, spec, args.split), args.misses)
        rows.extend((corpus.name, n, k, result[("dense", k)], result[("hybrid", k)]) for k in KS)
        print(f"  {corpus.name} ({n} answerable questions with evidence): " + ", ".join(
            f"@{k} dense {result[('dense', k)]:.2f} hybrid {result[('hybrid', k)]:.2f}" for k in KS), flush=True)
    print(f"\n{'corpus':18} {'questions':>9} {'k':>3} {'dense':>7} {'hybrid':>7}  ({args.split} split)")
    for name, n, k, dense, hybrid in rows:
        print(f"{name:18} {n:>9} {k:>3} {dense:7.2f} {hybrid:7.2f}")


if __name__ == "__main__":
    main()
