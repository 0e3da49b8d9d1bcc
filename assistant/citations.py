"""Sentence splitting, ``[n]`` markers and the deterministic support check every answer sentence goes through.

A passage *supports* a sentence when it holds most of the sentence's content words (light stemming) and every
number, date and named entity of the sentence. The same check scores the evaluation (``assistant eval``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import snowballstemmer

from assistant.patterns import CITATION_MARKER as _MARKER

_STEMMER = snowballstemmer.stemmer("english")

# Abbreviations that end in a period without ending a sentence.
_ABBREV = re.compile(r"(?:\b(?:[A-Z]\.){2,}|\b(?:Mr|Mrs|Ms|Dr|Prof|St|Inc|Ltd|Co|Corp|Jr|Sr|vs|etc|No|Jan|Feb|Mar|Apr"
                     r"|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|a\.m|p\.m)\.)$")
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?:\s*(?:\[\d+\])+)?(?=\s+|$)|\n+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’.-]*[A-Za-z]|[A-Za-z]|\d+(?:[.,]\d+)*%?")

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
off on once only or other our ours ourselves out over own same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up very was we were what
when where which while who whom why will with would you your yours yourself yourselves ’s 's like among others
per via according said says say reported report reports tell told please answer question text document article
passage
""".split())

# Words naming the same place or people as another word of the text (news writing uses them interchangeably).
ALIASES = {
    "united": "us", "states": "us", "america": "us", "american": "us", "americans": "us", "washington": "us",
    "japanese": "japan", "tokyo": "japan", "chinese": "china", "beijing's": "beijing",
    "artificial": "ai", "intelligence": "ai", "semiconductor": "chip", "semiconductors": "chip", "chips": "chip",
}
MONTHS = frozenset("""
january february march april may june july august september october november december
""".split())
WEEKDAYS = frozenset("""
monday tuesday wednesday thursday friday saturday sunday
""".split())
NUMBER_WORDS = frozenset("""
one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred thousand
million billion trillion dozen
""".split())


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def sentence_spans(text: str) -> list[Span]:
    """Sentences of ``text`` with their character offsets; trailing ``[n]`` markers stay with their sentence."""
    spans: list[Span] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if m.group().startswith(".") and _ABBREV.search(text[start:m.start() + 1]):
            # "U.S." followed by a capitalised word may still end a sentence; only keep going on lowercase.
            nxt = text[end:].lstrip()[:1]
            if not nxt or not nxt.isupper():
                continue
        _append(spans, text, start, end)
        start = end
    _append(spans, text, start, len(text))
    return spans


def _append(spans: list[Span], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    trail = len(chunk.rstrip())
    if trail > lead:
        spans.append(Span(start + lead, start + trail, text[start + lead:start + trail]))


def split_sentences(text: str) -> list[str]:
    return [s.text for s in sentence_spans(text)]


def strip_markers(sentence: str) -> tuple[str, list[int]]:
    """``"Foo [1][3]."`` -> ``("Foo.", [1, 3])``."""
    markers = [int(n) for n in _MARKER.findall(sentence)]
    return _MARKER.sub("", sentence).strip(), markers


def words(text: str) -> list[str]:
    return [w.strip(".'’-") for w in _WORD.findall(text)]


@functools.cache
def stem(word: str) -> str:
    """Porter2 (Snowball) stem of a word, after aliases: "collaboration" and "collaborate" meet."""
    w = word.lower().replace("’", "'").removesuffix("'s").replace(".", "")
    w = ALIASES.get(w, w)
    return str(_STEMMER.stemWord(w))


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w.lower() not in STOPWORDS and not w.isdigit() and len(w) > 1}


def key_terms(text: str, question: bool = False) -> set[str]:
    """Numbers, dates and named entities: terms a supporting passage must hold verbatim (aliases aside).

    A question's first word is capitalised by grammar, never a name we must find ("Besides", "Ignore").
    """
    terms: set[str] = set()
    tokens = words(text)
    for i, w in enumerate(tokens):
        if question and i == 0 and not (w.isupper() or "." in w):
            continue
        low = w.lower()
        if any(c.isdigit() for c in w):
            terms.add(w.rstrip("%").replace(",", ""))
        elif question and low in NUMBER_WORDS:
            continue  # "the three firms" asks for a count the passages show by listing, not by the word
        elif low in MONTHS or low in WEEKDAYS or low in NUMBER_WORDS:
            terms.add(low)
        elif w[0].isupper() and low not in STOPWORDS and (i > 0 or w.isupper() or "." in w or _rare_word(w)):
            terms.add(stem(w))
    return terms


def _rare_word(w: str) -> bool:
    # A capitalised first word is a name unless it is an ordinary word that merely starts the sentence.
    return w.lower() not in _COMMON_STARTERS


_COMMON_STARTERS = frozenset("""
the this that these those it its in on at as by for from with after before during while both each every some
many most several what which who when where why how will would could should can may might must is are was were
be been being has have had do does did japan's yes no there here they their we our you your he she his her an
a and but or so if then also however although though because since until unless
""".split())


def stems_of(passages: Iterable[str]) -> set[str]:
    """Every word of the passages, stemmed (stopwords included: a sentence's terms are looked up in it)."""
    return {stem(w) for t in passages for w in words(t)}


def _terms_of(passages: Iterable[str]) -> tuple[set[str], set[str]]:
    passages = list(passages)
    numbers = {w.rstrip("%").replace(",", "") for t in passages for w in words(t) if any(c.isdigit() for c in w)}
    return stems_of(passages), numbers


def missing_terms(sentence: str, passages: Sequence[str], question: bool = False) -> list[str]:
    """Key terms (numbers, dates, names) of ``sentence`` that none of ``passages`` holds."""
    stems, numbers = _terms_of(passages)
    lowered = " ".join(passages).lower()
    missing = []
    for term in sorted(key_terms(sentence, question)):
        if any(c.isdigit() for c in term):
            if term not in numbers:
                missing.append(term)
        elif term not in stems and term not in lowered:
            missing.append(term)
    return missing


def coverage(sentence: str, passages: Sequence[str]) -> float:
    """Share of the sentence's content words found in the passages (1.0 for a sentence with none)."""
    wanted = content_stems(sentence)
    if not wanted:
        return 1.0
    stems, _ = _terms_of(passages)
    return len(wanted & stems) / len(wanted)


def supports(sentence: str, passages: Sequence[str], min_coverage: float = 0.7) -> bool:
    """True when ``passages`` together support ``sentence``: content words covered, every key term present."""
    text, _ = strip_markers(sentence)
    if not passages or (not content_stems(text) and not key_terms(text)):
        return False
    return coverage(text, passages) >= min_coverage and not missing_terms(text, passages)


def find_unsupported_terms(text: str, sources: Sequence[str]) -> list[str]:
    """Numbers and named entities in ``text`` that appear in none of ``sources``."""
    return missing_terms(strip_markers(text)[0], sources)
