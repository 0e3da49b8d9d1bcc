"""Fit the refusal gate and the answer-sentence ranking on the dev splits of every corpus, and write them out.

    python -m assistant.fit [--corpora evalsets/corpora.yaml] [--out assistant/calibration.json]

The signals do not depend on the fitted weights (the gate's answer-type signal looks at the most *similar*
sentences, not the best-ranked), so one pass over the questions gives the rows for both fits; ``--reuse-rows``
refits on the rows of the last run without recomputing them.

For every dev question the real pipeline runs up to the gate (condense, retrieve, examine): its signals become a row
labelled 1 when the question is answerable and a retrieved passage holds its evidence, 0 otherwise. Every passage
sentence of an answerable question becomes a ranking row labelled 1 when it holds the evidence. Two logistic
regressions (scikit-learn, standardised features, balanced classes) are fitted. ``held_out_corpus_gate_auc`` says
how the gate separates on documents it was not fitted on: each corpus scored by a fit on the other corpora only; the
gate threshold maximises ``TPR + 1.25 * TNR`` on those held-out scores (refusing an answerable question costs less
than answering an unanswerable one), and the pass and refusal rates reported are theirs.
The rows go to ``evalsets/calibration-rows.jsonl`` beside the question files, so the fit can be checked and redone.
Test splits are never read.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from assistant.calibration import GATE_FEATURES, SENTENCE_FEATURES, Calibration, Logistic
from assistant.config import PROJECT_ROOT, load_settings
from assistant.corpora import index_corpus, load_corpora, question_files
from assistant.errors import ConfigError
from assistant.eval_metrics import evidence_overlaps, roc_auc
from assistant.evaluate import load_questions

REFUSAL_WEIGHT = 1.25


def _holds(text: str, evidence: list[str]) -> bool:
    return any(evidence_overlaps(e, text) or evidence_overlaps(text, e, min_chars=40) for e in evidence)


def collect(spec: Path, console: Console) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """(gate rows, sentence rows, question files used) from the dev splits."""
    from assistant.assistant import Assistant

    settings = load_settings()
    gate_rows: list[dict[str, Any]] = []
    sentence_rows: list[dict[str, Any]] = []
    used: list[str] = []
    for corpus in load_corpora(spec):
        s = index_corpus(corpus, spec, settings, console)
        a = Assistant.from_settings(s)
        for path in question_files(corpus, spec, "dev"):
            used.append(_shown(path))
            for q in load_questions(path):
                history = [{"role": "user", "content": t} for t in q.history]
                question, query, passages, asked_in = a.search(q.question, history)
                exam = a.examine(query, passages, question, translated=bool(asked_in))
                retrieved = any(_holds(p.text, q.evidence) for p in passages) if q.evidence else True
                label = int(q.answerable and retrieved)
                gate_rows.append({"corpus": corpus.name, "id": q.id, "answerable": q.answerable,
                                  "evidence_retrieved": retrieved, "label": label, **exam.features})
                if q.answerable and q.evidence:
                    for c in exam.candidates:
                        sentence_rows.append({"corpus": corpus.name, "id": q.id, "sim": c.sim,
                                              "coverage": c.coverage, "typed": float(c.typed),
                                              "retrieval": passages[c.passage].score,
                                              "label": int(_holds(c.span.text, q.evidence))})
        console.print(f"[cyan]•[/] {corpus.name}: {len(gate_rows)} gate rows, {len(sentence_rows)} sentence rows")
    return gate_rows, sentence_rows, used


def fit_logistic(rows: list[dict[str, Any]], features: list[str]) -> Logistic:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.array([[float(r[f]) for f in features] for r in rows])
    y = np.array([r["label"] for r in rows])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit((x - mean) / scale, y)
    return Logistic(tuple(features), tuple(float(v) for v in mean), tuple(float(v) for v in scale),
                    tuple(float(v) for v in model.coef_[0]), float(model.intercept_[0]))


def held_out_scores(rows: list[dict[str, Any]], features: list[str]) -> list[tuple[float, int]]:
    """(score, label) of every row, scored by a fit on the other corpora only: as the gate scores documents it was
    not fitted on."""
    scored = []
    for corpus in sorted({r["corpus"] for r in rows}):
        train = [r for r in rows if r["corpus"] != corpus]
        if len({r["label"] for r in train}) == 2:
            model = fit_logistic(train, features)
            scored += [(model.probability(r), int(r["label"])) for r in rows if r["corpus"] == corpus]
    return scored


def choose_threshold(scored: list[tuple[float, int]]) -> tuple[float, dict[str, float]]:
    """The threshold maximising ``TPR + REFUSAL_WEIGHT * TNR`` over (score, label) pairs, and those rates."""
    pos = sum(1 for _, y in scored if y) or 1
    neg = sum(1 for _, y in scored if not y) or 1
    best: tuple[float, float, dict[str, float]] = (-1.0, 0.5, {})
    for t in sorted({round(p, 4) for p, _ in scored} | {0.5}):
        tpr = sum(1 for p, y in scored if y and p >= t) / pos
        tnr = sum(1 for p, y in scored if not y and p < t) / neg
        value = tpr + REFUSAL_WEIGHT * tnr
        if value > best[0]:
            best = (value, t, {"pass_rate_answerable": tpr, "refusal_rate_unanswerable": tnr})
    return best[1], best[2]


def auc(model: Logistic, rows: list[dict[str, Any]]) -> float | None:
    return roc_auc([(model.probability(r), bool(r["label"])) for r in rows])


def _shown(path: Path) -> str:
    """A file as the provenance names it: relative to the project when inside it."""
    path = path.resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=PROJECT_ROOT / "evalsets" / "corpora.yaml")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "assistant" / "calibration.json")
    parser.add_argument("--rows", type=Path, default=PROJECT_ROOT / "evalsets" / "calibration-rows.jsonl")
    parser.add_argument("--reuse-rows", action="store_true", help="Refit on the rows of the last run.")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    spec = args.corpora.resolve()

    if args.reuse_rows:
        rows = [json.loads(line) for line in args.rows.read_text(encoding="utf-8").splitlines() if line.strip()]
        gate_rows = [r for r in rows if r["kind"] == "gate"]
        sentence_rows = [r for r in rows if r["kind"] == "sentence"]
        corpora = load_corpora(spec)
        held = sorted({r["corpus"] for r in gate_rows})
        if set(held) != {c.name for c in corpora}:
            raise ConfigError(f"{_shown(args.rows)} holds rows of {', '.join(held)}, not of the corpora of "
                              f"{_shown(spec)} ({', '.join(c.name for c in corpora)}): run the fit without "
                              "--reuse-rows, or give the spec the rows came from")
        used = [_shown(path) for corpus in corpora for path in question_files(corpus, spec, "dev")]
    else:
        gate_rows, sentence_rows, used = collect(spec, console)
    sentence = fit_logistic(sentence_rows, list(SENTENCE_FEATURES))
    gate = fit_logistic(gate_rows, list(GATE_FEATURES))
    # The threshold is chosen on each corpus's scores by a fit on the others: in-sample scores are surer of
    # themselves than the gate is of documents it never saw, and their best threshold moved by 0.05 between fits
    # of nearly the same rows.
    held_out = held_out_scores(gate_rows, list(GATE_FEATURES))
    if len(held_out) < len(gate_rows):  # one corpus, or one whose others hold a single label: its own scores
        console.print("[yellow]•[/] some corpora cannot be scored by a fit on the others: the threshold is chosen "
                      "on the rows' own scores, which flatter the gate")
        held_out = [(gate.probability(r), int(r["label"])) for r in gate_rows]
    threshold, rates = choose_threshold(held_out)
    provenance = {
        "fitted_on": used, "fitted": datetime.now(UTC).isoformat(timespec="seconds"),
        "gate_rows": len(gate_rows), "sentence_rows": len(sentence_rows), "rows_file": _shown(args.rows),
        "dev_gate_auc": auc(gate, gate_rows), "dev_sentence_auc": auc(sentence, sentence_rows), **rates,
        "held_out_corpus_gate_auc": roc_auc([(p, bool(y)) for p, y in held_out]),
    }
    result = Calibration(gate, threshold, sentence, provenance)
    args.out.write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
    with args.rows.open("w", encoding="utf-8") as f:
        for r in gate_rows:
            f.write(json.dumps({**r, "kind": "gate"}) + "\n")
        for r in sentence_rows:
            f.write(json.dumps({**r, "kind": "sentence"}) + "\n")
    console.print_json(json.dumps(provenance))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ConfigError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}")
        sys.exit(2)
