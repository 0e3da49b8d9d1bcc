"""Compatibility names for the evaluation while it moves to its own judge: the gate's checks live in
:mod:`assistant.verify`, text handling in :mod:`assistant.text`."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.text import sentence_spans, split_sentences, strip_markers
from assistant.verify import check_span, missing_terms

__all__ = ["find_unsupported_terms", "sentence_spans", "split_sentences", "strip_markers", "supports"]


def supports(sentence: str, passages: Sequence[str], min_coverage: float = 0.7) -> bool:
    text, _ = strip_markers(sentence)
    return any(check_span(text, p, min_coverage) is None for p in passages)


def find_unsupported_terms(text: str, sources: Sequence[str]) -> list[str]:
    return missing_terms(strip_markers(text)[0], list(sources))
