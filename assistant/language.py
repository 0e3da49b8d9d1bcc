"""Which language a text is in (py3langid's classifier): a question in another language than the documents is read
in theirs when a translation is installed (:func:`other_than`), and refused saying so when not, instead of having its
words listed as missing.

Only the words count (letters, two or more): code strings, numbers and paths say nothing of a language. A text of
fewer than ``MIN_WORDS`` such words, or one the classifier is unsure of, has no language here. The classifier's model
(4.6 MB, xz-compressed in the package) is read on the first call, ~0.8 s, and kept.
"""

from __future__ import annotations

import copy
import functools
import re
import threading
from collections.abc import Collection
from typing import Any

MIN_WORDS = 4
SAMPLE_CHARS = 2000  # characters of the passages' text that tell the documents' language
# The classifier's probability for its first language, normalised over all 97 it knows. On the ~250 English questions
# of the dev files every one came out English (some as low as 0.35: code and names dilute it), the French ones at
# 0.95-1.00 and the Spanish ones at 0.65 and 0.90.
MIN_PROBABILITY = 0.6
# Choosing among a few languages (the documents' and those translated into it), fewer words tell, and a question is
# told in another language only when the documents' gets less than MAX_WRITTEN_SHARE of the probability. On ~300
# English questions and phrases (the dev files', a review's, short keyword phrases) against ~40 Spanish and French
# ones choosing among English, Spanish, French and Portuguese: English keyword phrases came out French with English
# still at 0.11-0.28 ("Configure sources list" 0.28), the Spanish and French questions left English at most 0.002
# (and 0.14 for one of four words, "Que signifie l'acronyme CRAN ?"). From three words on, none came out other than
# English or unsure once English had 0.05 or more.
MIN_WORDS_AMONG = 3
MAX_WRITTEN_SHARE = 0.05
_WORD = re.compile(r"[^\W\d_]{2,}")
_lock = threading.Lock()


@functools.cache
def _identifier(among: frozenset[str] | None = None) -> Any:
    if among:  # a copy of the whole model's, 0.1 s, not a second read of its file
        identifier = copy.deepcopy(_identifier())
        identifier.set_languages(sorted(among))
        return identifier
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def language(text: str) -> str | None:
    """The ISO 639-1 code of ``text``'s language, or None when it has too few words or the classifier is unsure."""
    words = _WORD.findall(text)
    if len(words) < MIN_WORDS:
        return None
    with _lock:  # the first call reads the model; functools.cache alone would let two threads read it
        identifier = _identifier()
    code, probability = identifier.classify(" ".join(words))
    return str(code) if probability >= MIN_PROBABILITY else None


def other_than(text: str, written: str, among: Collection[str]) -> str | None:
    """The language of ``text`` when it is not ``written``, choosing among ``among`` (``written`` with them): a
    short question's probability is then not shared with its language's neighbours (Spanish with Galician), which
    would leave the classifier unsure. None when it is ``written``, may be, or cannot be told."""
    words = _WORD.findall(text)
    if len(words) < MIN_WORDS_AMONG:
        return None
    with _lock:
        identifier = _identifier(frozenset({*among, written}))
    ranked = {str(code): float(p) for code, p in identifier.rank(" ".join(words))}
    code = max(ranked, key=lambda c: ranked[c])
    if code == written or ranked[code] < MIN_PROBABILITY or ranked.get(written, 0.0) >= MAX_WRITTEN_SHARE:
        return None
    return code


def other_language(question: str, documents: str) -> tuple[str, str] | None:
    """(the question's language, the documents') as ISO 639-1 codes, when both can be told and they differ."""
    asked = language(question)
    if asked is None:
        return None
    written = language(documents)
    return (asked, written) if written is not None and written != asked else None
