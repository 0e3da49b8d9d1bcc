"""Fit the extractive baseline's minimum similarity on a dev question set (the threshold that maximises CRAG).

    ASSISTANT_DATA_DIR=... .venv/bin/python benchmarks/fit_extractive.py [--questions eval_questions.yaml]

Needs the model server and an index holding the set's documents. Prints the fitted value beside the default
(``assistant.baselines.EXTRACTIVE_MIN_SIMILARITY``) and the CRAG score of each; asserts nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.baselines import EXTRACTIVE_MIN_SIMILARITY, ExtractivePipeline, fit_min_similarity
from assistant.config import load_settings
from assistant.eval_metrics import crag_score, score_answer
from assistant.evaluate import load_questions
from assistant.retrieval import Retriever


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--questions", type=Path, default=Path("eval_questions.yaml"))
    args = ap.parse_args()
    settings = load_settings()
    retriever = Retriever.from_settings(settings)
    pipeline = ExtractivePipeline(retriever, retriever.embedder)
    points = []
    for q in load_questions(args.questions):
        answer, similarity = pipeline.quote(q.question)
        if similarity is not None:
            points.append((similarity, score_answer(q, answer).crag, crag_score(q.answerable, True, None)))

    def crag(t: float) -> float:
        return sum(a if s >= t else d for s, a, d in points) / len(points)

    fitted = fit_min_similarity(points)
    print(f"{len(points)} questions from {args.questions}")
    print(f"default {EXTRACTIVE_MIN_SIMILARITY:.3f}: CRAG {crag(EXTRACTIVE_MIN_SIMILARITY):+.3f}")
    print(f"fitted  {fitted:.3f}: CRAG {crag(fitted):+.3f}")


if __name__ == "__main__":
    main()
