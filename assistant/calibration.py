"""Fitted weights of the refusal gate and of the answer-sentence ranking, read from ``calibration.json``.

Both are logistic models over standardised general signals (see :mod:`assistant.grounding`), fitted on the dev
splits of every corpus by ``python -m assistant.fit`` (which writes the weights beside the feature rows they came
from, so a fit can be checked and redone). Nothing here names a document or a word.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError

CALIBRATION_FILE = "calibration.json"
# The signals :meth:`assistant.grounding.Grounder.examine` and the sentence ranking compute, by name.
GATE_FEATURES = ("retrieval", "sentence_sim", "coverage", "all_coverage", "rare", "typed", "known")
SENTENCE_FEATURES = ("sim", "coverage", "typed", "retrieval")


@dataclass(frozen=True)
class Logistic:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Logistic:
        n = len(d["features"])
        for key in ("mean", "scale", "weights"):
            if len(d[key]) != n:
                raise ValueError(f"{key} has {len(d[key])} values for {n} features")
        return cls(tuple(d["features"]), tuple(map(float, d["mean"])), tuple(map(float, d["scale"])),
                   tuple(map(float, d["weights"])), float(d["bias"]))

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
                "weights": list(self.weights), "bias": self.bias}

    def pulls(self, values: Mapping[str, float]) -> dict[str, float]:
        """Each feature's contribution to the logit, relative to the fitted mean (negative pulls toward refusing)."""
        return {f: w * (values.get(f, 0.0) - m) / (s or 1.0)
                for f, m, s, w in zip(self.features, self.mean, self.scale, self.weights, strict=True)}

    def probability(self, values: Mapping[str, float]) -> float:
        z = self.bias + sum(w * (values.get(f, 0.0) - m) / (s or 1.0)
                            for f, m, s, w in zip(self.features, self.mean, self.scale, self.weights, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class Calibration:
    gate: Logistic
    gate_threshold: float
    sentence: Logistic
    provenance: Mapping[str, Any]

    @classmethod
    def load(cls, path: Path | None = None) -> Calibration:
        """The packaged calibration, or the file at ``path`` (a fit of your own, ``ASSISTANT_ANSWER__CALIBRATION``)."""
        try:
            text = path.read_text(encoding="utf-8") if path else \
                resources.files("assistant").joinpath(CALIBRATION_FILE).read_text(encoding="utf-8")
            data = json.loads(text)
            gate, sentence = Logistic.from_dict(data["gate"]), Logistic.from_dict(data["sentence"])
            for model, known in ((gate, GATE_FEATURES), (sentence, SENTENCE_FEATURES)):
                if unknown := [f for f in model.features if f not in known]:
                    raise ValueError(f"it weighs signals this version does not compute ({', '.join(unknown)})")
            return cls(gate, float(data["gate_threshold"]), sentence, data.get("provenance", {}))
        except (OSError, ValueError, KeyError, TypeError) as e:
            where = path or f"assistant/{CALIBRATION_FILE}"
            raise ConfigError(f"The calibration file {where} cannot be used: {e}. Refit it with "
                              "`python -m assistant.fit` or unset ASSISTANT_ANSWER__CALIBRATION.") from e

    def to_dict(self) -> dict[str, Any]:
        return {"gate": self.gate.to_dict(), "gate_threshold": self.gate_threshold,
                "sentence": self.sentence.to_dict(), "provenance": dict(self.provenance)}

    def gate_score(self, features: Mapping[str, float]) -> float:
        return self.gate.probability(features)

    def gate_pulls(self, features: Mapping[str, float]) -> dict[str, float]:
        """The gate's signals that are weaker here than on the rows it was fitted on and pull toward refusing, with
        their pull: only such a signal can be the reason for a refusal (a fitted weight can be negative where signals
        overlap, and a signal stronger than usual is never the reason)."""
        mean = dict(zip(self.gate.features, self.gate.mean, strict=True))
        return {f: pull for f, pull in self.gate.pulls(features).items() if pull < 0 and features.get(f, 0.0) < mean[f]}

    def sentence_score(self, features: Mapping[str, float]) -> float:
        return self.sentence.probability(features)
