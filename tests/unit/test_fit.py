"""The gate fit's estimate for documents it was not fitted on: each corpus scored by a fit on the others."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from assistant.calibration import Calibration
from assistant.errors import ConfigError
from assistant.eval_metrics import roc_auc
from assistant.fit import choose_threshold, held_out_scores


def rows(direction: dict[str, int], n: int = 20) -> list[dict[str, Any]]:
    """Rows of three corpora where the signal ``x`` rises with the label (direction 1) or falls (-1)."""
    rng = random.Random(7)
    out = []
    for corpus, sign in direction.items():
        for i in range(n):
            label = i % 2
            out.append({"corpus": corpus, "label": label, "x": sign * (label + rng.uniform(-0.3, 0.3)),
                        "noise": rng.random()})
    return out


def held_out_corpus_auc(rows: list[dict[str, Any]], features: list[str]) -> float | None:
    """ROC AUC of the gate on documents it was not fitted on, as the fit reports it."""
    return roc_auc([(p, bool(y)) for p, y in held_out_scores(rows, features)])


def test_a_signal_that_holds_in_every_corpus_separates_held_out_corpora() -> None:
    auc = held_out_corpus_auc(rows({"a": 1, "b": 1, "c": 1}), ["x", "noise"])
    assert auc == pytest.approx(1.0)


def test_a_signal_that_reverses_in_the_held_out_corpus_is_caught() -> None:
    # fitted on a and b, where x rises with the label, and scored on c, where it falls: in-sample AUC would hide it
    auc = held_out_corpus_auc(rows({"a": 1, "b": 1, "c": -1}), ["x"])
    assert auc is not None and auc < 0.8


def test_the_threshold_weighs_a_refusal_missed_above_an_answer_missed() -> None:
    # answerable (1) and unanswerable (0) scores overlapping between 0.4 and 0.6
    scored = [(0.3, 0), (0.4, 0), (0.45, 1), (0.5, 0), (0.55, 1), (0.6, 0), (0.7, 1), (0.8, 1)]
    threshold, rates = choose_threshold(scored)
    # 0.7 refuses every unanswerable one and passes half the answerable: 0.5 + 1.25 * 1 beats 0.55's 0.75 + 1.25 *
    # 0.75 and 0.45's 1 + 1.25 * 0.5 (counted alike, all three would tie)
    assert threshold == 0.7
    assert rates == {"pass_rate_answerable": 0.5, "refusal_rate_unanswerable": 1.0}


def test_held_out_scores_score_each_corpus_by_a_fit_on_the_others() -> None:
    scored = held_out_scores(rows({"a": 1, "b": 1, "c": -1}), ["x"])
    assert len(scored) == 60
    # c's scores come from a fit on a and b, where x rises with the label: on c they fall with it
    c = scored[40:]
    assert sum(p for p, y in c if y) < sum(p for p, y in c if not y)


def test_a_calibration_weighing_a_signal_no_longer_computed_is_refused(tmp_path: Path) -> None:
    data = Calibration.load().to_dict()
    data["gate"]["features"] = [*data["gate"]["features"][:-1], "sim_margin"]
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="sim_margin"):
        Calibration.load(path)


def test_a_refit_on_the_last_rows_names_the_dev_files_of_the_spec_not_the_packaged_calibrations(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant import fit

    docs = tmp_path / "doc.txt"
    docs.write_text("A passage.", encoding="utf-8")
    for name in ("dev.yaml", "test.yaml"):
        (tmp_path / name).write_text("questions: []\n", encoding="utf-8")
    spec = tmp_path / "corpora.yaml"
    spec.write_text("corpora:\n  - name: c\n    description: d\n    documents: [doc.txt]\n    dev: [dev.yaml]\n"
                    "    test: [test.yaml]\n", encoding="utf-8")
    gate = [{**r, "kind": "gate", **{f: r["x"] for f in fit.GATE_FEATURES}, "corpus": "c"} for r in rows({"a": 1})]
    sentence = [{**r, "kind": "sentence", **{f: r["x"] for f in fit.SENTENCE_FEATURES}} for r in rows({"a": 1})]
    rows_file = tmp_path / "rows.jsonl"
    rows_file.write_text("".join(json.dumps(r) + "\n" for r in gate + sentence), encoding="utf-8")
    # a packaged calibration that could not be read must not matter
    monkeypatch.setattr(fit.Calibration, "load", lambda *a, **k: (_ for _ in ()).throw(ConfigError("stale")))
    out = tmp_path / "calibration.json"
    assert fit.main(["--corpora", str(spec), "--reuse-rows", "--rows", str(rows_file), "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["provenance"]["fitted_on"] == [str(tmp_path / "dev.yaml")]
    # rows of other corpora than the spec's are refused, not named after it
    other = [{**r, "corpus": "other"} for r in gate + sentence]
    rows_file.write_text("".join(json.dumps(r) + "\n" for r in other), encoding="utf-8")
    with pytest.raises(ConfigError, match="rows of other"):
        fit.main(["--corpora", str(spec), "--reuse-rows", "--rows", str(rows_file), "--out", str(out)])
