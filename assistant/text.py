"""The one sentence splitter and word tokeniser every part uses (chunking, grounding, evaluation), and the general
English word lists they share.

Word lists here hold only general English: function words, question words, negators, quantifiers, months and
weekdays. Nothing from any document: paraphrase is the embedding model's job, not a synonym list's.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import snowballstemmer

from assistant.patterns import CITATION_MARKER

_STEMMER = snowballstemmer.stemmer("english")

# Abbreviations that end in a period without ending a sentence (general English and bibliographic ones).
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt vs etc e.g i.e cf al no nos fig figs vol p pp ed eds inc ltd co corp dept est "
    "approx jan feb mar apr jun jul aug sep sept oct nov dec a.m p.m gen gov sen rep rev resp viz ca".split()
)
# Of those, the ones written before a name (titles, and "St." and "Mt." before a place): the capital after their
# period starts the name, not a sentence ("Main St. The …" is the rarer reading).
TITLES = frozenset("mr mrs ms dr prof gen gov sen rep rev st mt".split())
# A sentence ends at a closing mark (with the citations after it), a blank line, a list item, or a footnote's number
# set after a word's full stop, as PDF text has it ("the same.3 There is …").
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?:\s*(?:\[\d+\])+)?(?=\s+|$)|(?<=[a-z]\.)\d{1,2}(?=\s+[A-Z])"
                       r"|\n\s*\n|\n(?=\s*(?:[-*•▪‣◦]|\d{1,3}[.)])\s)")
_TICKS = re.compile(r"`+")
_LOOK_AHEAD = 200  # characters after a full stop searched for the next word
# What follows an address broken at a full stop and a line end: its next part ("org/wiki/Xz", "org)", "2-Mojave.dmg"),
# not a word ("gfortran 10 …"), a capitalised one or a numbered heading ("2.5 How …").
_ADDRESS_PART = re.compile(r"\n[ \t]*(?:[a-z][\w~-]*[/.)]|\d+[^\d\s.])")
_ENUMERATOR = re.compile(r"[ \t]*\d{1,3}(?:\.\d{1,3})*")
# a word; or a number, with a version's ".x" ("3.x": one term), a percent sign or a unit after it
_WORD = re.compile(r"[^\W\d_](?:[\w'’.+-]*[^\W_])?"
                   r"|\d+(?:[.,:]\d+)*(?:\.[xX](?!\w|\.\w)|%|[A-Za-z]{1,3}(?![A-Za-z]))?", re.UNICODE)

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
off on once only or other our ours ourselves out over own same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up very was we were what
when where which while who whom why will with would you your yours yourself yourselves ’s 's among per via
shall may might must let us else yet ever even still much many every
everybody everyone everything somebody someone something anybody anyone anything nobody nothing whoever whatever
""".split())
# Words a user says about the corpus itself ("according to the documents"), never about its subject.
META_WORDS = frozenset("""
document documents text texts passage passages source sources according mention mentioned mentions say says said
state states stated tell told please answer question
""".split())
QUESTION_WORDS = frozenset("who whom whose what which when where why how".split())
NEGATORS = frozenset("not no never none nothing nobody neither nor cannot without n't".split())
QUANTIFIERS = frozenset("""
all every each some any only always never sometimes often usually most few several everybody everyone everything
somebody someone something anybody anyone anything whoever whatever
""".split())
CONDITIONALS = frozenset("if unless provided whether".split())
MONTHS = frozenset("january february march april may june july august september october november december".split())
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
NUMBER_WORDS = frozenset("""
one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred thousand
million billion trillion dozen
""".split())


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def unticked(text: str) -> str:
    """``text`` without the backticks that mark its inline code (`` `Arm` `` → ``Arm``), as a question is embedded:
    the embedding model reads each backtick as a word of its own, which pulls a short question away from the passages
    (extracted text writes the same thing without them)."""
    return _TICKS.sub("", text)


def sentence_spans(text: str) -> list[Span]:
    """Sentences of ``text`` with their character offsets; trailing ``[n]`` markers stay with their sentence.

    Blank lines, list items and a footnote's number after a word's full stop ("the same.3 There") also end a
    sentence; a period after a known abbreviation or a single letter or digit does not, unless the next word starts
    with a capital (then "U.S. Congress" stays one sentence only when lowercase follows — a trade-off any splitter
    without a parser makes) or, after a digit, with a digit (a numbered heading). After a title ("Dr. Mara Lind") or
    a middle initial ("David A. James") it never does, nor inside an address broken at a line end.
    """
    spans: list[Span] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if m.group()[0].isdigit() and not _footnote(text, start, m.start() - 1):
            continue
        if m.group().startswith(".") and (after := _after_abbreviation(text, start, m.start())):
            rest = text[end:end + _LOOK_AHEAD].lstrip()
            nxt = rest[:1]
            # a one-digit number's full stop also ends a sentence before a numbered heading ("UTF-8.⏎7.2 Localization")
            ends = nxt.isupper() or (after.isdigit() and nxt.isdigit())
            if (after in TITLES and nxt.isalpha()) or not nxt or not ends or _initial(text, m.start(), rest):
                continue
        if m.group() == "." and _address_goes_on(text, start, m.start()):
            continue
        if m.group()[0] in "!?" and "[" not in m.group() and not _ends_sentence(text, m.start(), end):
            continue
        if m.group() == "." and _ENUMERATOR.fullmatch(text, text.rfind("\n", 0, m.start()) + 1, m.start()):
            continue  # "7. Installing", "2.1.1. Package configuration": a number opening its line
        _append(spans, text, start, end)
        start = end
    _append(spans, text, start, len(text))
    return spans


def _ends_sentence(text: str, mark: int, end: int) -> bool:
    """A "!" or "?" ends a sentence, except as code ("$!", "$?"), quoted alone ("the reserved word ‘!’", "`!`"), where
    a line starts with it, or before a lower-case word."""
    before = text[mark - 1:mark]
    after = text[end:].lstrip()[:1]
    if not before or before == "\n" or before in "$‘“([{" or after.islower():
        return False
    if before in "`'\"":  # closing a word ("`make`?") or opening the mark alone ("`!`")
        return mark >= 2 and not text[mark - 2].isspace()
    return True


def _after_abbreviation(text: str, start: int, dot: int) -> str:
    """The abbreviation (lowercased) the period at ``dot`` ends, or "" when it ends a plain word."""
    word = re.search(r"([\w.]+)$", text[start:dot])
    if not word:
        return ""
    w = word.group(1).lower()
    return w if w in ABBREVIATIONS or len(w) == 1 or re.fullmatch(r"(?:\w\.)+\w", w) else ""


def _footnote(text: str, start: int, dot: int) -> bool:
    """Is the number after the full stop at ``dot`` a footnote's mark: after a plain word ("the same.3 There"), not
    after an abbreviation ("Fig.3 The") or within a file name or path ("libsatlas.so.3 R_HOME/…")?"""
    word = text[max(text.rfind(" ", start, dot), text.rfind("\n", start, dot), start - 1) + 1:dot]
    return word.isalpha() and len(word) >= 2 and word.lower() not in ABBREVIATIONS


def _address_goes_on(text: str, start: int, dot: int) -> bool:
    """Is the full stop at ``dot`` inside an address or a path broken at the line end after it ("https://www.⏎gnu.org/",
    "…/gfortran-8.⏎2-Mojave.dmg"), as PDF text breaks long ones?"""
    before = text[max(text.rfind(" ", start, dot), start - 1) + 1:dot]  # across line ends: "https://⏎github.com/…"
    return ("://" in before or "www." in before) and not before.endswith((")", "]")) \
        and bool(_ADDRESS_PART.match(text, dot + 1))


def _initial(text: str, dot: int, rest: str) -> bool:
    """Is the capital letter before ``dot`` an initial: before another initial ("B. D. Ripley"), or after a
    capitalised word or an initial and before a capitalised word that is no function word ("David A. James", "W. N.
    Venables"; not "See Appendix A. The …", nor "… in R. Packages …")?"""
    if not re.search(r"(?<![\w.])[A-Z]$", text[max(dot - 2, 0):dot]):
        return False
    if re.match(r"[A-Z]\.\s", rest):
        return True
    after = re.match(r"[A-Z][a-z]+\b", rest)
    if not after or is_function_word(after.group()):
        return False
    return bool(re.search(r"(?<![\w.])(?:[A-Z][a-z]+|[A-Z]\.)\s+[A-Z]$", text[max(dot - 40, 0):dot]))


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
    markers = [int(n) for n in CITATION_MARKER.findall(sentence)]
    return CITATION_MARKER.sub("", sentence).strip(), markers


@dataclass(frozen=True)
class Token:
    text: str  # as written, outer punctuation stripped
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower()


def tokens(text: str) -> list[Token]:
    out = []
    for m in _WORD.finditer(text):
        raw = m.group()
        core = raw.strip(".'’-+")
        if not core:
            continue
        lead = raw.index(core[0])
        out.append(Token(core, m.start() + lead, m.start() + lead + len(core)))
    return out


def hyphen_parts(t: Token) -> list[Token]:
    """A compound of words joined by hyphens ("Kishida-Biden", "Japan-U.S") as its words: each must be held, not
    the compound as written. Other tokens as they are: one with a part not starting with a letter ("Covid-19",
    "x86-64") is one name, and code such as ``--with-x`` is kept whole by ``code_terms``."""
    pieces = t.text.split("-")
    if len(pieces) < 2 or not all(p[:1].isalpha() for p in pieces):
        return [t]
    out, at = [], t.start
    for piece in pieces:
        out.append(Token(piece, at, at + len(piece)))
        at += len(piece) + 1
    return out


def words(text: str) -> list[str]:
    return [t.text for t in tokens(text)]


@functools.cache
def stem(word: str) -> str:
    """Porter2 (Snowball) stem of a lowercased word: "collaboration" and "collaborate" meet."""
    w = word.lower().replace("’", "'").removesuffix("'s").removesuffix("'")
    if any(c.isdigit() for c in w) or not w.isascii():
        return w.replace(",", "")
    return str(_STEMMER.stemWord(w.replace(".", "") if re.fullmatch(r"(?:\w\.)+\w?", w) else w))


_POSSESSIVE = re.compile(r"['’]s$")


def without_possessive(word: str) -> str:
    """``word`` without a possessive "'s" ("Japan's" -> "Japan")."""
    return _POSSESSIVE.sub("", word)


def without_accents(text: str) -> str:
    """``text`` without its accents ("éléonor" -> "eleonor", "naïve" -> "naive"): a question may leave them out."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def as_written(terms: Iterable[str], text: str) -> list[str]:
    """``terms`` (stems of words of ``text``, or terms as they are) as ``text`` writes them, lower-cased and without a
    possessive, each once: a reason shows "override", not its stem "overrid"; a term the text writes as it is stays
    ("run" of "Running `run`")."""
    written: dict[str, str] = {}
    lows: set[str] = set()
    for whole in tokens(text):
        for t in (whole, *hyphen_parts(whole)):
            low = without_possessive(t.low.replace("’", "'"))
            written.setdefault(stem(t.text), low)
            lows.add(low)
    return list(dict.fromkeys(t if t in lows else written.get(t, t) for t in terms))


# The auxiliaries: they open a yes/no question and follow the subject of a which/what question ("which files are …")
AUXILIARIES = frozenset("is are was were do does did will would shall should can could may might must has have had"
                        .split())
AUX = "(?:" + "|".join(sorted(AUXILIARIES)) + ")"  # as a regular expression
# Auxiliaries as they stand before "n't" ("isn't", "can't", "won't"), which users also write without the apostrophe
_NOT_AUX = frozenset("is are was were do does did has have had can could would should must might need ca wo sha ai"
                     .split())
_CONTRACTED = re.compile(r"(\w+)(?:n't|'(?:s|m|re|ve|ll|d))")


def is_function_word(word: str) -> bool:
    low = word.lower().replace("’", "'")
    if low in STOPWORDS or low in QUESTION_WORDS:
        return True
    if m := _CONTRACTED.fullmatch(low):  # "isn't", "I'm", "they're", "you've", "it's"
        return m.group(1) in STOPWORDS or m.group(1) in _NOT_AUX
    return negated_auxiliary(low)


def negated_auxiliary(word: str) -> bool:
    """An auxiliary contracted with "not" and written without its apostrophe ("isnt", "cant", "doesnt")."""
    low = word.lower()
    return low.endswith("nt") and low[:-2] in _NOT_AUX


def _content(word: str) -> bool:
    return not is_function_word(word) and not word.isdigit() and len(word) > 1


_PART = 3  # letters of the shortest word of a compound read apart


def _apart(t: Token) -> list[str]:
    """The words of a hyphenated compound of content words of :data:`_PART` letters or more ("Kishida-Biden"); none
    for any other token ("e-mail", "co-operate", "git-am", "up-to-date", "--with-x")."""
    parts = [p.text for p in hyphen_parts(t)]
    return parts if len(parts) > 1 and all(_content(p) and len(p) >= _PART for p in parts) else []


def content_stems(text: str, apart: bool = False) -> set[str]:
    """Stems of the words that carry meaning: no function words, no bare numbers, no single letters. ``apart``: the
    words of a hyphenated compound of such words of three letters or more instead of the compound ("Kishida-Biden":
    "kishida", "biden"); one with a shorter part or a function word stays whole ("e-mail", "co-operate", "git-am",
    "up-to-date", "--with-x")."""
    ws = [w for t in tokens(text) for w in ((_apart(t) or [t.text]) if apart else [t.text])]
    return {stem(w) for w in ws if _content(w)}


def held_stems(text: str) -> set[str]:
    """:func:`content_stems` of a passage, with the words of its hyphenated compounds too: a question writing "git
    mergetool" or "run time" finds them in "git-mergetool(1)" and "run-time"."""
    return {stem(w) for t in tokens(text) for w in (t.text, *_apart(t)) if _content(w)}


def stems_of(texts: Iterable[str]) -> set[str]:
    """Every word of the texts, stemmed (function words included: a sentence's terms are looked up in it)."""
    return {stem(w) for t in texts for w in words(t)}


def plural(n: int, word: str) -> str:
    """``n`` and the word, with an "s" unless ``n`` is 1: "1 passage", "3 passages"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def is_number(word: str) -> bool:
    return any(c.isdigit() for c in word)


def looks_like_code(word: str) -> bool:
    """Option names, paths, dotted or underscored identifiers, calls: strings a user types exactly."""
    return bool(re.search(r"[_/\\=<>]|\(\)|^-|\w\.\w", word)) and not re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]?", word)
