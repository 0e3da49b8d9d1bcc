"""The gate fit's estimate for documents it was not fitted on: each corpus scored by a fit on the others."""

from __future__ import annotations

import random
from typing import Any

import pytest

from assistant.fit import held_out_corpus_auc


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


def test_a_signal_that_holds_in_every_corpus_separates_held_out_corpora() -> None:
    auc = held_out_corpus_auc(rows({"a": 1, "b": 1, "c": 1}), ["x", "noise"])
    assert auc == pytest.approx(1.0)


def test_a_signal_that_reverses_in_the_held_out_corpus_is_caught() -> None:
    # fitted on a and b, where x rises with the label, and scored on c, where it falls: in-sample AUC would hide it
    auc = held_out_corpus_auc(rows({"a": 1, "b": 1, "c": -1}), ["x"])
    assert auc is not None and auc < 0.8
