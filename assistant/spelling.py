"""Typos in a question, corrected against the words of the passages retrieved for it.

A question word the corpus does not know ("compnies", "matricies") is replaced by the passage word one edit away
(two for long words), starting with the same letter, when exactly one such word is nearest. Words the corpus knows,
short words, numbers and code are left alone: the dictionary is the user's own documents, never a word list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

from assistant.text import is_function_word, stem, tokens

MIN_LENGTH = 5  # shorter words have too many neighbours one edit away ("lift" / "list")
LONG = 8  # from this length two edits are allowed


def corrections(question: str, passages: Iterable[str], known: Callable[[str], bool] | None = None
                ) -> dict[str, str]:
    """{misspelt word: correction} for the question's words, lower-cased. ``known(word)`` says whether the corpus
    holds the word anywhere (then it is no typo even when the passages lack it)."""
    vocab: dict[str, set[str]] = {}
    stems: set[str] = set()
    for text in passages:
        for t in tokens(text):
            if t.text.isalpha():
                vocab.setdefault(t.low[0], set()).add(t.low)
                stems.add(stem(t.low))
    out: dict[str, str] = {}
    for t in tokens(question):
        w = t.low
        if (len(w) < MIN_LENGTH or not t.text.isalpha() or w in out or is_function_word(w) or stem(w) in stems
                or (known is not None and known(w))):
            continue
        limit = 2 if len(w) >= LONG else 1
        near = process.extract(w, vocab.get(w[0], ()), scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not near:
            continue
        best = min(d for _, d, _ in near)
        closest = {c for c, d, _ in near if d == best}
        if len(closest) == 1:
            out[w] = closest.pop()
    return out


def apply(text: str, fixes: dict[str, str]) -> str:
    """``text`` with each misspelt word replaced, keeping a leading capital."""
    if not fixes:
        return text

    def swap(m: re.Match[str]) -> str:
        word = m.group()
        fixed = fixes.get(word.lower())
        if fixed is None:
            return word
        return fixed[:1].upper() + fixed[1:] if word[:1].isupper() else fixed

    return re.sub(r"[^\W\d_]+", swap, text)
