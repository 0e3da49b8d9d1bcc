"""Words neither the documents nor English know: names the documents cannot answer about.

A question word no indexed document holds, that no English word list holds, and that is no typo, shortening,
prefixed form or compound of a word the documents hold, names something they never mention ("conda", "Podman",
"tomllib"): as for a code string, no paraphrase of theirs can stand for it, so the question is refused naming it.
A word English knows is left to the gate's other signals, as the documents may say it in other words ("curbed" for
"restricted").

The word lists are Debian's ``wamerican-large`` and ``wbritish-large`` (general English, with the names of places and
people; ``make`` installs them; ``answer.word_lists`` names them). Without them nothing is refused for this. Nothing
here names a document's word.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from assistant.text import is_function_word, stem, tokens

MIN_LENGTH = 4  # shorter words are too often abbreviations the lists lack ("ssh", "tmp")
LONG = 8  # a word this long may be a typo two edits from the documents' word (its stem from theirs); a shorter one, one
CLIPPED = 5  # a word longer than this may be a clipped form ending in a letter of its own ("distro")
MIN_PART = 4  # each word of a compound ("dataframe": "data" + "frame"); "pod" + "man" is no compound of "podman"
# General English prefixes: "precompiled", "unpickling", "unfragmented" are words the documents hold, prefixed.
PREFIXES = ("un", "re", "pre", "non", "de", "dis", "in", "im", "il", "ir", "mis", "over", "under", "sub", "super",
            "inter", "multi", "semi", "auto", "co", "anti", "post", "out")
_ENDINGS = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("ly", ""))


def _forms(word: str) -> Iterator[str]:
    """The word and what it may be an inflection of ("regexes" -> "regex", "booleans" -> "boolean")."""
    yield word
    for ending, base in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            yield word[:-len(ending)] + base


class Lexicon:
    """English words, lower-cased: a word list of one word per line (a word with "'s" is the word)."""

    def __init__(self, words: Iterable[str]) -> None:
        self._words = frozenset(w.strip().lower().removesuffix("'s") for w in words)

    @classmethod
    def load(cls, paths: Sequence[str | Path]) -> Lexicon | None:
        """The words of the lists at ``paths`` that can be read; None when none can."""
        words: set[str] = set()
        for path in paths:
            try:
                words.update(Path(path).read_text(encoding="utf-8", errors="replace").splitlines())
            except OSError:
                continue
        return cls(words) if words else None

    def __len__(self) -> int:
        return len(self._words)

    def knows(self, word: str) -> bool:
        return any(form in self._words for form in _forms(word.lower()))


class CorpusTerms:
    """The documents' BM25 terms (stems of words, code strings whole): is a word a typo or a shortening of one?"""

    def __init__(self, terms: Iterable[str]) -> None:
        self._sorted = sorted(set(terms))
        self._terms = frozenset(self._sorted)
        self._by_letter: dict[str, list[str]] = {}
        for t in self._sorted:
            self._by_letter.setdefault(t[:1], []).append(t)

    def holds(self, term: str) -> bool:
        return term in self._terms

    def starts(self, prefix: str) -> bool:
        """Does a term start with ``prefix``?"""
        i = bisect.bisect_left(self._sorted, prefix)
        return i < len(self._sorted) and self._sorted[i].startswith(prefix)

    def near(self, term: str, edits: int) -> bool:
        """Is a term starting with the same letter at most ``edits`` edits (a swap of two letters is one) away?"""
        return process.extractOne(term, self._by_letter.get(term[:1], ()), scorer=OSA.distance,
                                  score_cutoff=edits) is not None


def unknown_words(text: str, lexicon: Lexicon, terms: CorpusTerms) -> list[str]:
    """Words of ``text`` (lower-cased, in order) that neither the documents nor English know."""
    out: list[str] = []
    for t in tokens(text):
        w = t.low
        if (not t.text.isalpha() or len(w) < MIN_LENGTH or w in out or is_function_word(w) or lexicon.knows(w)
                or any(_resembles(form, lexicon, terms) for form in _forms(w))):
            continue
        out.append(w)
    return out


def _resembles(word: str, lexicon: Lexicon, terms: CorpusTerms) -> bool:
    """The documents hold the word, a word it is a typo of, a longer word it shortens ("config", "distro"), the
    word it prefixes ("precompiled"), or each word of a compound it writes as one ("dataframe")."""
    s = stem(word)
    if terms.holds(s) or terms.holds(word) or terms.near(s, 2 if len(word) >= LONG else 1):
        return True
    # a shortening: of a longer word ("config", "repo"), or clipped one letter past where it parts from it ("distro")
    if terms.starts(s) or terms.starts(word) or (len(word) > CLIPPED and terms.starts(word[:-1])):
        return True
    for p in PREFIXES:
        rest = word[len(p):]
        if word.startswith(p) and len(rest) >= 3 and (terms.holds(stem(rest)) or lexicon.knows(rest)):
            return True
    return any(terms.holds(stem(word[:i])) and terms.holds(stem(word[i:]))
               for i in range(MIN_PART, len(word) - MIN_PART + 1))
