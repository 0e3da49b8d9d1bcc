"""Words neither the documents nor English know: names the documents cannot answer about.

A question word no indexed document holds, that no English word list holds, that is no typo, shortening, prefixed
form or compound of a word the documents hold, and no typo of an English word, names something they never mention
("conda", "Podman", "tomllib"): as for a code string, no paraphrase of theirs can stand for it, so the question is
refused naming it.
A word English knows is left to the gate's other signals, as the documents may say it in other words ("curbed" for
"restricted"). Code strings are left to the code check (a user's own identifiers, "`myfunc`", name nothing of the
documents').

The word lists are Debian's ``wamerican-large`` and ``wbritish-large`` (general English, with the names of places and
people; ``make`` installs them; ``answer.word_lists`` names them). Without them, or when none can be read, nothing
is refused for this. Nothing here names a document's word. Only words in Latin letters are read (others are the
language check's), and only with hybrid retrieval (the default), whose index holds the documents' terms.
"""

from __future__ import annotations

import bisect
import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from assistant.places import in_a_country_name
from assistant.spelling import LONG  # as the corrector: a word this long may be a typo two edits away, a shorter one
from assistant.text import (
    MONTHS,
    QUESTION_WORDS,
    STOPWORDS,
    WEEKDAYS,
    hyphen_parts,
    is_function_word,
    sentence_spans,
    stem,
    tokens,
    without_accents,
    without_possessive,
)
from assistant.translation import without_code

log = logging.getLogger(__name__)

MIN_LENGTH = 4  # shorter words are too often abbreviations the lists lack ("ssh", "tmp")
MAX_LENGTH = 40  # longer runs of letters are no word anyone asks about (and each split of one costs a stem)
MISSPELT = 6  # a shorter word one letter from an English word is as often a name ("conda" / "coda") as a typo
CLIPPED = 5  # a word longer than this may be a clipped form ending in a letter of its own ("distro")
# The words of a compound written as one: each of three letters or more, one of four or more ("cronjob", "webserver";
# "pod" + "man" is no compound of "podman"), or a function word before one ("mylist").
MIN_PART, LONG_PART = 3, 4
# General English prefixes: "precompiled", "unpickling", "unfragmented" are words the documents hold, prefixed.
PREFIXES = ("un", "re", "pre", "non", "de", "dis", "in", "im", "il", "ir", "mis", "over", "under", "sub", "super",
            "inter", "multi", "semi", "auto", "co", "anti", "post", "out")
# Chat shorthand the word lists lack: it says how a question is asked, not what about ("tldr how do I …").
CHAT_WORDS = frozenset("tldr noob noobs newbie newbies imho afaik iirc asap smth howto gonna wanna gotta kinda sorta "
                       "dunno thnx thanx becuz yall aight lotsa".split())
# A question asking how to do something, in any clause: "How do I …", "how to …", "How does one …", "Can I …", "Do
# I need …", "Is it possible to …".
_HOW_TO = re.compile(r"(?:^|[,;:.?!]\s*|\b(?:and|but|so|or)\s+)\W*(?:how\s+(?:(?:do|can|could|should|would|might|does|"
                     r"did)\s+(?:i|we|you|one)|to)|(?:can|could|should|may|do|must)\s+(?:i|we|you|one)"
                     r"|is\s+(?:it|there\s+a\s+way)\s+(?:possible\s+)?to)\b", re.I)
# Adjectives English makes of names ("Gaussian", "Euclidean", "Arabic", "Japanese", "Kafkaesque"): general English.
_ADJECTIVE_ENDINGS = ("ian", "ean", "ic", "ese", "ish", "esque")
_ENDINGS = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("ly", ""))


def _forms(word: str) -> Iterator[str]:
    """The word and what it may be an inflection of ("regexes" -> "regex", "booleans" -> "boolean")."""
    yield word
    for ending, base in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            yield word[:-len(ending)] + base


def _edited(word: str) -> set[str]:
    """The word with one letter added, one dropped or two next to each other swapped, its first letter and last two
    kept."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = {word[:i] + c + word[i:] for i in range(1, len(word) - 1) for c in letters}
    out |= {word[:i] + word[i + 1:] for i in range(1, len(word) - 2)}
    out |= {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(1, len(word) - 3)}
    return out - {word}


def readable(paths: Sequence[str | Path]) -> list[Path]:
    """The word lists at ``paths`` that are files this process may read."""
    return [Path(p) for p in paths if Path(p).is_file() and os.access(p, os.R_OK)]


def _entries(line: str) -> tuple[str, str]:
    """A list's word, and the same without its accents ("zürich", "zurich"): a question's words are looked up
    without theirs."""
    word = line.strip().lower().removesuffix("'s")
    return word, without_accents(word)


class Lexicon:
    """English words, lower-cased, from word lists of one word per line (a word with "'s" is the word), read on
    first use; those the lists write only capitalised are names."""

    def __init__(self, words: Iterable[str] = (), paths: Sequence[Path] = ()) -> None:
        self._given = words
        self._paths = paths
        self._words: frozenset[str] | None = None
        self._names: frozenset[str] = frozenset()  # words the lists hold only capitalised ("seoul", "obama")
        self._lock = threading.Lock()

    @classmethod
    def from_files(cls, paths: Sequence[str | Path]) -> Lexicon | None:
        """The words of the lists at ``paths`` that are readable files; None when none is (read when first asked)."""
        found = readable(paths)
        return cls(paths=found) if found else None

    def _read(self) -> frozenset[str]:
        with self._lock:
            if self._words is None:
                words: set[str] = set()
                capitalised: set[str] = set()
                lower: set[str] = set()

                def add(lines: Iterable[str]) -> None:
                    for line in lines:
                        entries = _entries(line)
                        words.update(entries)
                        (capitalised if line[:1].isupper() else lower).add(entries[0])

                add(self._given)
                for path in self._paths:
                    try:
                        with path.open(encoding="utf-8", errors="replace") as lines:
                            add(lines)
                    except OSError as e:
                        log.warning("English word list %s cannot be read (%s)", path, e)
                words.discard("")
                self._names = frozenset(capitalised - lower - {""})
                if not words:
                    log.warning("no English word list could be read: no question is refused for naming a word "
                                "English does not know")
                self._words = frozenset(words)
            return self._words

    def __len__(self) -> int:
        return len(self._read())

    def knows(self, word: str) -> bool:
        """Is ``word`` English (or an inflection of an English word)? Every word is, when no list could be read."""
        words = self._read()
        return not words or any(form in words for form in _forms(word.lower()))

    def is_name(self, word: str) -> bool:
        """Do the lists hold ``word`` only as a name, capitalised ("Seoul", "Obama"; not "Windows", also "windows")?"""
        self._read()
        return word.lower() in self._names

    def misspells(self, word: str) -> bool:
        """Is ``word`` (lower-case, at least ``MISSPELT`` letters) an English word with one letter dropped, one added
        or two next to each other swapped ("posible", "recomend", "fatser")? Its first letter and last two are
        kept: typing keeps them, and a name often is a word with a letter added at its end ("systemd", "auditd"). A
        letter typed in place of another is not asked: too many names are one such letter from a word ("podman" /
        "potman")."""
        words = self._read()
        return bool(words) and any(_edited(form) & words for form in _forms(word) if len(form) >= MISSPELT)


class CorpusTerms:
    """The documents' BM25 terms (stems of words, code strings whole), also without accents: is a word a typo or a
    shortening of one?"""

    def __init__(self, terms: Iterable[str]) -> None:
        given = set(terms)
        self._sorted = sorted(given | {without_accents(t) for t in given})
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


# Function words: the documents' terms leave them out, and a typo of one ("wich", "thier") is no name.
_FUNCTION_WORDS = CorpusTerms(STOPWORDS | QUESTION_WORDS)


def unknown_words(text: str, lexicon: Lexicon, terms: CorpusTerms) -> list[str]:
    """Words of ``text`` (lower-cased, in order; each word of a hyphenated compound, a possessive without its "'s")
    that neither the documents nor English know, with or without their accents. Code strings are not read."""
    out: list[str] = []
    for whole in tokens(without_code(text)):
        for t in hyphen_parts(whole):
            word = without_possessive(t.low.replace("’", "'"))
            w = without_accents(word)
            # Latin letters only: the word lists are English, and other scripts are the language check's
            if (not (w.isalpha() and w.isascii()) or not MIN_LENGTH <= len(w) <= MAX_LENGTH or word in out
                    or w in CHAT_WORDS or is_function_word(w)
                    or lexicon.knows(w) or _FUNCTION_WORDS.near(w, 1)
                    or any(_resembles(form, lexicon, terms) for form in _forms(w)) or lexicon.misspells(w)):
                continue
            out.append(word)
    return out


def unheard_names(text: str, lexicon: Lexicon, terms: CorpusTerms) -> list[str]:
    """Names ``text`` writes (capitalised, not a sentence's first word) that English knows only as names ("Seoul",
    "Obama") and the documents never hold, nor a typo, shortening or compound of a word of theirs: a place or a
    person they never mention. Not a word of a country's or a region's name or adjective ("America" may stand for
    the "U.S." they name, see :mod:`assistant.places`), an adjective made of a name ("Gaussian", "Arabic"), a month
    or a weekday; nothing in a question asking how to do something ("How do I run it on Ubuntu?", "In Ubuntu, how
    to …"), whose names say where it is done, not what it asks about."""
    out: list[str] = []
    plain = without_code(text)
    if _HOW_TO.search(plain):
        return out
    firsts = {next((t.start for t in tokens(s.text)), -1) + s.start for s in sentence_spans(plain)}
    for t in tokens(plain):
        word = without_possessive(t.text.replace("’", "'"))
        low = word.lower()
        if (not word[:1].isupper() or t.start in firsts or not (word.isalpha() and word.isascii())
                or not MIN_LENGTH <= len(word) <= MAX_LENGTH or low in out or low in MONTHS or low in WEEKDAYS
                or low.endswith(_ADJECTIVE_ENDINGS) or not lexicon.is_name(low) or in_a_country_name(word)
                or any(_resembles(form, lexicon, terms) for form in _forms(low))):
            continue
        out.append(low)
    return out


def _resembles(word: str, lexicon: Lexicon, terms: CorpusTerms) -> bool:
    """The documents hold the word, a word it is a typo of, a longer word it shortens ("config", "distro"), the
    word it prefixes ("precompiled"), or each word of a compound it writes as one ("dataframe", "chipmakers")."""
    s = stem(word)
    if terms.holds(s) or terms.holds(word) or terms.near(s, 2 if len(word) >= LONG else 1):
        return True
    # a shortening: of a longer word ("config", "repo"), or clipped one letter past where it parts from it ("distro")
    if terms.starts(s) or terms.starts(word) or (len(word) > CLIPPED and terms.starts(word[:-1])):
        return True
    for p in PREFIXES:
        rest = word[len(p):]
        if word.startswith(p) and len(rest) >= 3 and terms.holds(stem(rest)):
            return True
    return any(_compound(word[:i], word[i:], lexicon, terms) for i in range(2, len(word) - MIN_PART + 1))


def _compound(left: str, right: str, lexicon: Lexicon, terms: CorpusTerms) -> bool:
    """Two words written as one, one of them the documents' ("cronjob", "chipmakers"), or a function word before
    one of theirs ("mylist")."""
    def theirs(part: str) -> bool:
        return terms.holds(stem(part)) or terms.holds(part)

    if len(right) < MIN_PART or (not theirs(right) and not lexicon.knows(right)):
        return False
    if is_function_word(left):
        return theirs(right)
    return (len(left) >= MIN_PART and max(len(left), len(right)) >= LONG_PART
            and (theirs(left) or lexicon.knows(left)) and (theirs(left) or theirs(right)))
