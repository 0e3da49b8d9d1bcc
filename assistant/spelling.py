"""Typos in a question, corrected against the words of the passages retrieved for it.

A question word the corpus does not know ("compnies", "matricies") is replaced by the passage word one edit away
(two for long words), starting with the same letter, when exactly one such word is nearest; a shorter word only to
the one question word it has two letters swapped from ("waht" -> "what") or one letter more or less than ("wher" ->
"where"; an English word only as the question's first word, before an auxiliary: "wat is"). A code name
("read.tabel") is corrected only by swapping two adjacent characters back, to a code name of the passages: one
changed character in code is often another real name ("Sys.setenv" / "Sys.getenv"). Words the corpus knows, short
words and numbers are left alone: the dictionary is the user's own documents, never a word list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel

from assistant.text import AUXILIARIES, QUESTION_WORDS, Token, hyphen_parts, is_function_word, stem, tokens

MIN_LENGTH = 5  # shorter words have too many neighbours one edit away ("lift" / "list")
LONG = 8  # from this length two edits are allowed
_CODE = re.compile(r"[^\W\d_][\w.]*[._][\w.]*\w")  # a name with a dot or underscore inside: read.table, max_len


def _one_letter_off(a: str, b: str) -> bool:
    """``b`` is ``a`` with one letter added or dropped, past the first ("wher" / "where", "wich" / "which")."""
    return a[:1] == b[:1] and Indel.distance(a, b) == 1


def _swapped(a: str, b: str) -> bool:
    """``b`` is ``a`` with two adjacent characters swapped."""
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
    return len(a) == len(b) and len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] \
        and a[diff[1]] == b[diff[0]]


def corrections(question: str, passages: Iterable[str], known: Callable[[str], bool] | None = None,
                english: Callable[[str], bool] | None = None) -> dict[str, str]:
    """{misspelt word: correction} for the question's words, lower-cased. ``known(word)`` says whether the corpus
    holds the word anywhere (then it is no typo even when the passages lack it); ``english(word)`` whether English
    does (then a short word is no typo of a question word one letter longer or shorter: "whey", "howl")."""
    vocab: dict[str, set[str]] = {}
    code: set[str] = set()
    stems: set[str] = set()
    for text in passages:
        for t in tokens(text):
            if t.text.isalpha():
                vocab.setdefault(t.low[0], set()).add(t.low)
                stems.add(stem(t.low))
            elif _CODE.fullmatch(t.text):
                code.add(t.low)
    out: dict[str, str] = {}
    code_spans = [m.span() for m in re.finditer(r"`[^`]*`", question)]

    def quoted(t: Token) -> bool:
        return any(a < t.start < b for a, b in code_spans)

    # the words of a hyphenated compound ("Kishda-Biden") each, but not those of an option ("--enable-R-shlib")
    whole_words = tokens(question)
    words = [part for whole in whole_words for part in (
        [whole] if question[max(whole.start - 1, 0):whole.start] in ("-", "/") else hyphen_parts(whole))]
    # the question's first word, before an auxiliary ("wat is", "wen did"), stands where its question word would
    opening = whole_words[0] if len(whole_words) > 1 and whole_words[1].low in AUXILIARIES else None
    for t in words:
        w = t.low
        if w in out or (known is not None and known(w)):
            continue
        if len(w) < MIN_LENGTH:
            # a short word is corrected only to the one question word it has two letters swapped from ("waht") or
            # one letter added to or dropped from ("wher", "wich"): the question word says what kind of answer is
            # asked for, and a short word's other neighbours one edit away are too many ("lift" / "list"; "form" /
            # "from"). Not an acronym ("HWY"), nor a word of the passages
            typed = t.text.isalpha() and len(w) >= 3 and not t.text.isupper() and w not in vocab.get(w[0], ())
            # a letter more or less makes a word of its own or a name as often ("whey", "President Wen", `howl`)
            opens = opening is not None and t.start == opening.start
            loose = typed and not (english is not None and english(w) and not opens) and not quoted(t) \
                and not (t.text[:1].isupper() and question[:t.start].strip())
            swaps = [q for q in QUESTION_WORDS if _swapped(w, q) or (loose and _one_letter_off(w, q))] if typed else []
            if len(swaps) == 1 and not is_function_word(w):
                out[w] = swaps[0]
            continue
        if _CODE.fullmatch(t.text) and w not in code:
            swaps = [c for c in code if _swapped(w, c)]
            if len(swaps) == 1:
                out[w] = swaps[0]
            continue
        if not t.text.isalpha() or is_function_word(w) or stem(w) in stems:
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

    words = "|".join(re.escape(w) for w in sorted(fixes, key=len, reverse=True))
    return re.sub(rf"(?<![\w.])(?:{words})(?!\w|\.\w)", swap, text, flags=re.IGNORECASE)
