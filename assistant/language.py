"""Which language a text is in (py3langid's classifier), so that a question refused because it is in another language
than the documents says so, instead of listing its words as missing.

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
# Choosing among a few languages, fewer words tell: on the ~250 English dev questions and 55 English two- and
# three-word phrases ("Sparse matrices", "Control flow") choosing among English, Spanish, French and Portuguese, none
# of three words or more came out other than English or unsure (one of two words did: "Sparse matrices", Spanish).
MIN_WORDS_AMONG = 3
SAMPLE_CHARS = 2000  # characters of the passages' text that tell the documents' language
# The classifier's probability for its first language, normalised over all 97 it knows. On the ~250 English questions
# of the dev files every one came out English (some as low as 0.35: code and names dilute it), the French ones at
# 0.95-1.00 and the Spanish ones at 0.65 and 0.90.
MIN_PROBABILITY = 0.6
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


def language(text: str, among: Collection[str] | None = None) -> str | None:
    """The ISO 639-1 code of ``text``'s language, or None when it has too few words or the classifier is unsure.
    ``among``: the languages to choose from (else all 97): a short question's probability is not shared with its
    language's neighbours (Spanish with Galician), which would leave the classifier unsure."""
    words = _WORD.findall(text)
    if len(words) < (MIN_WORDS_AMONG if among else MIN_WORDS):
        return None
    with _lock:  # the first call reads the model; functools.cache alone would let two threads read it
        identifier = _identifier(frozenset(among) if among else None)
    code, probability = identifier.classify(" ".join(words))
    return str(code) if probability >= MIN_PROBABILITY else None


def other_language(question: str, documents: str) -> tuple[str, str] | None:
    """(the question's language, the documents') as ISO 639-1 codes, when both can be told and they differ."""
    asked = language(question)
    if asked is None:
        return None
    written = language(documents)
    return (asked, written) if written is not None and written != asked else None
