"""What the pipeline decides without the model: whether the passages can answer the question (a calibrated score
over general signals), which passage sentences answer it, and which span supports each sentence the model wrote.

The bundled model proposes answers; it cannot attribute them. Every decision here is deterministic given the
embeddings, so a better model only changes which proposals survive, never whether an unsupported claim gets through.

Signals (all general; weights and threshold fitted on the dev splits, see :mod:`assistant.calibration`):

* ``retrieval``: the best passage's cosine similarity to the (condensed) question;
* ``sentence_sim``: the best cosine similarity between the question and one passage sentence (MiniLM);
* ``coverage``: IDF-weighted share of the question's content words held by the best single sentence;
* ``all_coverage``: share of the question's content words found anywhere in the passages;
* ``rare``: share of the question's rare terms (numbers, code strings, names) the passages hold;
* ``typed``: whether a top sentence holds the kind of thing asked for (a date for "what year", a number for "how
  many");
* ``known``: share of the question's terms that occur anywhere in the indexed documents (the BM25 vocabulary).
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from assistant import places
from assistant.calibration import Calibration
from assistant.language import SAMPLE_CHARS, other_language
from assistant.results import Passage
from assistant.text import (
    AUX,
    AUXILIARIES,
    META_WORDS,
    MONTHS,
    NUMBER_WORDS,
    QUESTION_WORDS,
    WEEKDAYS,
    Span,
    Token,
    as_written,
    content_stems,
    held_stems,
    is_function_word,
    is_number,
    sentence_spans,
    stem,
    strip_markers,
    tokens,
    unticked,
    without_accents,
    without_possessive,
)
from assistant.translation import Translator
from assistant.verify import (
    check_window,
    code_terms,
    key_terms,
    mismatched_names,
    missing_terms,
    most_telling,
    names_apart,
    swapped_terms,
)

Embed = Callable[[Sequence[str]], list[list[float]]]
_CACHED_SENTENCES = 50_000  # passage-sentence embeddings kept in memory (float32: ~75 MB at 384 dimensions)
_SHOWN = 160  # characters of a passage sentence quoted in a refusal reason


class AnswerType(StrEnum):
    DATE = "date"
    TIME = "time"
    AMOUNT = "amount"
    PERSON = "person"
    PLACE = "place"
    NAME = "name"
    LIST = "list"
    EXPANSION = "expansion"  # what an abbreviation stands for
    FULL_NAME = "full name"  # someone's first, last or full name (or something's full name)
    REASON = "reason"
    ANY = "any"


# Kinds a sentence is never required to show: anything, and a reason, which can go unmarked ("a strategic move to
# enhance …"). The check on the model's sentences never asks for them; the gate weighs whether a sentence near a
# why-question marks a reason as one signal among others (an unmarked reason lowers the score, it does not refuse).
UNCHECKED = frozenset({AnswerType.ANY, AnswerType.REASON})

# Matched at the question's first question word: "What does dir() do when …" asks for no time.
_LEAD = re.compile(r"\b(?:who|whom|whose|what(?:'?s)?|which|when|where|why|how)\b")
# A question opening with an auxiliary asks yes or no ("Does code run quicker when …", "Did the paper reveal where
# …"): a question word after it opens a clause, not what is asked, unless it asks why ("Is there a reason why …") or
# a verb of telling asks for it ("Can you tell me when …", "Is there a way to find out which …").
_YES_NO = re.compile(rf"^\W*(?:(?:and|but|so|also)\W+)?(?:(?:won|can)['’]t|(?:{AUX}|am)(?:n['’]?t)?)\b(?!.*\bwhy\b)"
                     r"(?!.*\b(?:tell(?:s|ing)?|show(?:s|ing)?|explain(?:s|ing)?|know|say|remind|remember|list|"
                     r"find\s+out|see)\s+(?:(?:me|us)\s+)?(?:who|whom|whose|what|which|when|where|how)\b)")
# a preposition of time before "which"/"what" ("Since which version …", "as of what release …")
_SINCE = re.compile(r"\b(?:since|as\s+of)\s*$")  # not "until which step": a step, not a time
# "How long", "how often": an adjective asking for an amount, which a passage states as one without the word ("Wrap
# lines so that they don't exceed 79 characters" for "How long should lines be?"); not a compound ("how high-level"),
# and "how far/high/deep …" only before an auxiliary or the end ("How deep copy differs …" asks no amount).
_DEGREE = (r"(?:(?:long|big|large|old|often)\b(?![-'’])|"
           rf"(?:far|tall|high|wide|deep|fast|heavy)\b(?=\s+{AUX}\b|\s*[?]|\s*$))")
_TYPE_PATTERNS = [
    (AnswerType.AMOUNT, rf"^how (?:much|many|{_DEGREE})|^(what|which) (number|amount|percentage|size)\b"),
    (AnswerType.DATE, r"^(what|which) (date|day|year|month)\b"),
    (AnswerType.TIME, r"^when\b"),
    (AnswerType.PERSON, r"^(who|whom|whose)\b"),
    (AnswerType.PLACE, r"^where\b"),
    (AnswerType.REASON, r"^why\b"),
]
# "Which companies …", "What steps …": a plural noun after which/what asks for several things; a word followed by
# an article, a determiner, a pronoun or "to" is a verb ("what happens to a file", "what keeps one person …").
_PLURAL_ASK = re.compile(r"^(?:which|what)\s+(\w+)\s+(\w+)(?:\s+(\w+))?")
_AFTER_VERB = frozenset("the a an to it this that these those my your his her its our their me you him us them one "
                        "some any every another many much several".split())
# What can follow the noun a which/what question asks about, never a verb: an auxiliary ("which files are …"), or
# a subject ("which stocks I should buy": "it", "you" follow verbs too).
_AFTER_NOUN = AUXILIARIES | frozenset("be been i we they he she".split())
_ENUMERATION = re.compile(r"[\w.()-]+(?:,\s+[\w.()-]+)+,?\s+(?:and|or)\s+"
                          r"(?!(?:the|a|an|this|that|these|those|it|its|their|they|we|you|he|she)\b)[\w.()-]+")
_PAIR = re.compile(r"([\w.()-]+)\s+(?:and|or)\s+([\w.()-]+)")
# Amounts said in words rather than figures: "twice the size", "thousands of files", "a few milliseconds" (a vague
# count only before a unit: "a few examples" counts nothing). General English and units.
_AMOUNT_WORDS = frozenset("twice thrice dozens hundreds thousands millions billions".split())
_VAGUE_AMOUNT = re.compile(r"\b(?:few|several|couple\s+of)\s+(?:(?:more|extra)\s+)?(?:milli|micro|nano|kilo|mega|giga|"
                           r"tera)?(?:seconds|minutes|hours|days|weeks|months|years|bytes|times|percent|lines|"
                           r"characters|[kmgt]b)\b", re.I)
# The unit a date question asks for ("In which year …", "what month"): a year or a month must be written as one.
_DATE_UNIT = re.compile(r"\b(?:what|which)\s+(year|month)\b")
_YEAR = re.compile(r"[12]\d{3}s?")
# A time may be relative ("in recent months", "two years ago"): general English.
_TEMPORAL = frozenset("""when after before until once while during since whenever today tomorrow yesterday recent
recently ago seconds minute minutes hour hours day days week weeks month months year years decade decades century
centuries""".split())
_CURRENCY = re.compile(r"[$€£¥]\s?\d")
# A question asking what an abbreviation stands for, and the abbreviation: one written in capitals, with full stops
# or in backticks ("What does the abbreviation BLAS stand for …", "what is u.s. short for", "What is `npm` short
# for?"); after "full name of" one in capitals ending the phrase ("the full name of CUPS?", not "of the BBC show"),
# as "the full name of the prime minister" asks for a person's. The words that ask it are no words a passage should
# hold.
_ABBREVIATION = r"(`[A-Za-z.&]{2,16}`|[`'\"“‘]?(?:[A-Za-z&]{2,8}|(?:[A-Za-z]\.){2,8})(?![\w.&])[`'\"”’]?)"
_EXPANSION_ASK = re.compile(rf"(?:^\W*|[,;:]\s*|\b(?:and|but|so|also)\s+)(?i:what(?:'s|’s|s)?)(?:\s+\w+){{0,3}}?\s+"
                            rf"{_ABBREVIATION}\s+(?i:stands?\s+for|short\s+for)\b"
                            rf"|(?i:\b(?:full\s+name|long\s+form|expansion)\s+of)\s+(?:the\s+)?{_ABBREVIATION}"
                            r"(?=\s*[?.,;:!]|\s*$)")
_EXPANSION_FRAME = re.compile(r"\b(?:stands?\s+for|short\s+for|abbreviations?|acronyms?|initialisms?|full\s+name|"
                              r"long\s+form|expansion)\b", re.I)
_LONGEST_ABBREVIATION = 8
_WORD_OR_DOTTED = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W\d_][\w&-]*")
_SAYS_SHORT = re.compile(r"\b(?:short\s+for|stands?\s+for|abbreviat\w*|acronym)\b", re.I)
# Words that mark a reason or a purpose ("since" not as a time: "since version 3.2", "since then"). A reason can go
# unmarked ("a strategic move to enhance …"): ranking prefers a marked sentence only when one of the retrieved
# sentences is marked (see ``Grounder._ranked``), and the gate weighs whether one stands by the question's best
# sentences as one signal among others (``reason_near``).
_CAUSAL = re.compile(r"\b(?:because|so that|so as to|in order to|due to|owing to|as a result|therefore|thus|hence|"
                     r"consequently|reasons?|why|caus(?:e|es|ed|ing)|leads? to|results? in|prevent(?:s|ing)?|"
                     r"avoid(?:s|ing)?)\b|\bsince\b(?! (?:version |v)?\d)(?! (?:then|"
                     + "|".join(sorted(MONTHS)) + r")\b)")
# A sentence opening with one of these states a consequence ("So 64-bit builds run slower"): its reason comes before.
_CONSEQUENCE = re.compile(r"^\W*(?:so(?![-\s]+(?:called|far|long|that|much|many|is|are|was|were|does|did|too|what|"
                          r"and|so)\b)|thus(?!\s+far\b)|therefore|hence|"
                          r"consequently|accordingly|as a result(?!\s+of\b))\b", re.I)
_META_STEMS = frozenset(stem(w) for w in META_WORDS)
# The documents named as such ("the documents", "your sources", "used in this document …", "which source mentions
# …"): a noun of writing after a determiner and before a function word or a mark, or before a verb of saying.
# Otherwise the noun is what is asked about ("Did the paper cite its sources?", "What document will they sign?",
# "How do I open a text file?", "What is the source of the Nile?").
_WRITING_WORDS = r"(?:documents?|texts?|passages?|sources?)"
_WRITING_NOUN = re.compile(rf"(?<![\w./-]){_WRITING_WORDS}\b(?![./-]\w)", re.I)
_NAMES_WRITING = (r"(?=\s*(?:[^\w\s-]|$)|\s+(?:and|or|but|you|i|we|they|it|at|in|on|for|about|by|with|above|below|here|"
                  rf"provided|given|{AUX})\b|\s+\w+ed\b)")
_SAYING = r"(?:say|says|said|state|states|stated|mention|mentions|mentioned|tell|tells|told|cover|covers|covered|" \
          r"describe|describes|described|discuss|discusses|discussed)"
_THE_WRITING = re.compile(
    rf"\b(?:(?:the|this|these|those|that|your|my|our|provided|given|a|an|any|some|each|every)\s+{_WRITING_WORDS}\b"
    rf"{_NAMES_WRITING}"
    rf"|(?:in|from|within|throughout|across)\s+(?:the|this|these|those|your|my|our)\s+{_WRITING_WORDS}\b"
    rf"{_NAMES_WRITING}|{_WRITING_WORDS}(?=\s+{_SAYING}\b))", re.I)
# The unit of time a question asks for ("On which day of the week did …", "in what year was …"): general English;
# followed by a verb, the end or "of the week", not by a noun it qualifies ("what date format …").
_ASKED_UNIT = re.compile(r"\b(what|which)\s+(?:time|date|day|weekday|week|month|year|hour|decade|century)"
                         r"(?:\s+of\s+the\s+(?:week|month|year))?"
                         rf"(?=\s+{AUX}\b|\s*[?,;]|\s*$)", re.I)
_ASKED_DEGREE = re.compile(rf"\b(how)\s+{_DEGREE}", re.I)  # the degree asked (``_DEGREE``): no content word
# A request in the imperative ("Name the two leaders …", "List all …", "Tell me who …") asks as a question word does;
# "going to" before a verb tells the future ("Who is going to host …"), as "will" does. General English.
_REQUEST = re.compile(r"^\W*(?:please\s+)?(?:name|list|give|tell|show|describe|explain|identify|state|summari[sz]e|"
                      r"outline|mention)\s+(?=(?:me|us|the|a|an|all|some|any|each|every|which|what|who|whom|whose|how|"
                      r"why|when|where|\d+|two|three|four|five|six|seven|eight|nine|ten)\b)", re.I)
_GOING_TO = re.compile(r"\b(?:am|is|are|was|were|be|been|being|i['’]m|['’]re|['’]s)(?:\s+(?:i|you|he|she|it|we|they))?"
                       r"\s+(going)\s+to\s+(?!(?:the|a|an|this|that|these|those|my|your|his|her|its|our|their|some|"
                       r"any|every)\b)(?-i:[a-z])", re.I)
# A question telling the assistant to set the documents or its instructions aside ("Ignore your documents and …",
# "answer from your own knowledge", "print your system prompt"): general English, whatever the documents say.
_DOCUMENT_WORDS = r"(?:instructions?|documents?|documentation|rules?|sources?|context|prompts?|guidelines?|passages?|" \
                  r"articles?|tutorials?|manuals?|guides?|handbooks?|chapters?|texts?|faq)"
_SETS_ASIDE = re.compile(
    # a command opening a clause ("Ignore your documents and …", "… and disregard all previous instructions"), not a
    # program's doing ("Can I make flake8 ignore the rule?", "Does apt ignore the sources …?")
    rf"(?:^|[.!?:;,>]\s*|\b(?:and|please|now|just|so|then)\s+)(?:ignore|disregard|forget|bypass)\s+"
    rf"(?:everything\s+(?:above|before)|(?:(?:all|any|of|your|the|my|these|those|this|previous|prior|earlier|above|"
    rf"provided|given|former|what)\s+)*{_DOCUMENT_WORDS}\b)"
    r"|\b(?:from|using|use|with|on|based\s+on|purely\s+from)\s+your\s+own\s+(?:knowledge|memory|training|"
    r"understanding)\b"
    r"|\b(?:print|reveal|show|repeat|output|display|dump|tell\s+me|give\s+me)\s+(?:me\s+)?(?:your\s+(?:(?:full|"
    r"hidden|entire|original|initial|exact|system)\s+)*(?:prompt|instructions)|the\s+(?:(?:full|hidden|entire|"
    r"original|initial|exact)\s+)*system\s+(?:prompt|instructions))\b", re.I)
# Openers that point back to the sentence before (general English pronouns and demonstratives).
# Not "It is possible to …", "It seems …" (nothing before is meant), nor "This chapter …" (the document is); "It is
# used to …" does point back (a participle, unlike the adjective).
_REFERS_BACK = re.compile(r"^\W*(?:to\s+[a-z]+\s+(?=(?:it|them|this|these|those|such)\b))?"
                          r"(?!it(?:'s|’s|\s+is|\s+was)\s+\w+(?<!ed)\s+(?:to|that)\b|it\s+(?:seems|appears)\b"
                          r"|(?:this|that|these)\s+(?:chapter|section|page|document|manual|book|guide|tutorial|"
                          r"article|part|appendix)s?\b)"
                          r"(?:it|its|they|them|their|this|these|that|those|he|she|his|her|such|otherwise|instead(?!\s+of)"
                          r"|in\s+(?:this|that|either|such)\s+cases?|if\s+(?:so|not))\b(?!-)", re.I)
# A question asking for someone's first, last or full name ("What is the first name of W. N. Venables?", "What is
# Rodin's first name?", "And what's his full name?"): general English. Only a name said to be someone's or
# something's (after "of", a possessive or "his"/"her"/"its"/"their") is asked for: "the last name in the list" is
# not.
_NAME_ASK = re.compile(r"\b(?:(first|given|christian|middle|last|family|full)\s+name|(forename|surname))\b", re.I)
_FIRST_NAMES = frozenset("first given christian middle forename".split())
_LAST_NAMES = frozenset("last family surname".split())
_NAME_OF = re.compile(r"\s+of\s+")
# "What is / What's / Which was … name": the name is what is asked ("What year did she change her last name?" asks a
# year).
_NAME_LEAD = re.compile(r"(?:what|which)(?:'s|’s|\s+(?:is|was|are|were)\b)")
_OWNER_PRONOUN = re.compile(r"\b(?:his|her|its|their)\s+$", re.I)
# A sentence saying a name outright ("His first name is Fumio.").
_NAME_IS = re.compile(r"\b(?:(?:first|given|christian|middle|last|family|full)\s+name|forename|surname)\s+(?:is|was)\s+"
                      r"[^\W\d_]", re.I)
# Lower-case words within a name ("Guido van Rossum", "Simone de Beauvoir"): general.
_NAME_PARTICLES = frozenset("van von der den de del della di da du la le bin ibn al".split())
# Titles and honorifics written before a name, no part of it ("Prime Minister Kishida"): general English.
TITLES = frozenset("""mr mrs ms miss mx dr prof professor sir dame lord lady president vice prime minister premier
chancellor secretary senator governor mayor king queen prince princess emperor empress pope saint st rev reverend
father sister brother judge justice general colonel captain commander admiral sergeant lieutenant chief chairman
chairwoman ambassador""".split())
# A question asking which town or city ("In which city will they meet?"): a country or a region does not answer it.
_TOWN_NOUNS = frozenset("city cities town towns village villages".split())
_LETTERS_ONLY = re.compile(r"[^\W\d_]+(?:[.'’][^\W\d_]+)*\.?")
_TOWN_ASK = re.compile(rf"\b(?:which|what)\s+(?:{'|'.join(sorted(_TOWN_NOUNS))})\b(?![-'’])"
                       r"(?:\s+([\w'’]+)(?:\s+([\w'’]+))?)?", re.I)
# Where a place's name stands ("held in Osaka", "flew to the Hague", "visited Hiroshima"): general English
# prepositions, and the verb of a visit.
_AT_PLACE = frozenset("in at to from near outside inside around across throughout within via into toward towards "
                      "visit visits visited visiting".split())
_PART_SPLIT = re.compile(r",?\s+and\s+(?=(?:(?:on|in|at|for|from|to|by|with|of)\s+)?"
                         r"(?:who|whom|which|what|when|where|how|why)\b)", re.I)


def asks_yes_or_no(question: str) -> bool:
    """Is the question answered by yes or no ("Did the paper cite its sources?")?"""
    return _YES_NO.match(question.lower()) is not None


def answer_type(question: str) -> AnswerType:
    if abbreviation_asked(question):
        return AnswerType.EXPANSION
    q = _WHY_FRAME.sub(" why ", question.lower())
    lead = _LEAD.search(q)
    if not lead or _YES_NO.match(q):
        return AnswerType.ANY
    since = _SINCE.search(q[:lead.start()])
    q = q[lead.start():]
    if _NAME_LEAD.match(q) and name_asked(question) is not None:
        return AnswerType.FULL_NAME
    if q.startswith(("which", "what")) and town_asked(q):
        return AnswerType.PLACE
    for kind, pattern in _TYPE_PATTERNS:
        if re.search(pattern, q):
            return kind
    if since and q.startswith(("which", "what")):  # "Since which version …": a time, as "since when"
        return AnswerType.TIME
    m = _PLURAL_ASK.search(q)
    if m:
        words = [w for w in m.groups() if w]
        capitalized = {w.lower() for w in re.findall(r"\b[A-Z]\w*", question)}
        for i, w in enumerate(words[:2]):
            if i == 1 and is_function_word(words[0]):
                break
            # A second word is a plural noun after a number, a name ("which Python modules …") or before an
            # auxiliary or a subject ("which tech companies are …"); else it is the verb of a singular noun
            # ("which command removes untracked …").
            if (i == 1 and words[0] not in NUMBER_WORDS and words[0] not in capitalized and len(words) > 2
                    and words[2] not in _AFTER_NOUN):
                break
            verb = i + 1 < len(words) and words[i + 1] in _AFTER_VERB
            if len(w) > 3 and w.endswith("s") and not w.endswith("ss") and not is_function_word(w) and not verb:
                return AnswerType.LIST
    # "Which option/module/newspaper …" asks for a named thing: a name or a code term
    if re.match(r"which (?!of\b)\w+", q):
        return AnswerType.NAME
    return AnswerType.ANY


@functools.lru_cache(maxsize=64)  # asked again of the same question for every sentence the gate and ranking read
def abbreviation_asked(question: str, as_written: bool = False) -> str:
    """The letters of the abbreviation whose words the question asks for ("What does JSON stand for?", "what is the
    full name of CUPS"), lower-cased ("json", "cups"), or ``as_written`` ("JSON", "u.s."); "" when it asks for
    none."""
    m = _EXPANSION_ASK.search(question)
    written = next((g for g in m.groups() if g), "") if m else ""
    letters = _letters(written)
    # in backticks any word; else one in capitals (two at least: "JSON", "LaTeX") or with full stops ("u.s.")
    bare = written.strip("`'\"“”‘’")
    looks = written.startswith("`") or "." in bare or sum(c.isupper() for c in bare) >= 2
    if not looks or not 2 <= len(letters) <= _LONGEST_ABBREVIATION:
        return ""
    return written if as_written else letters


@functools.lru_cache(maxsize=64)
def name_asked(question: str) -> tuple[str, tuple[str, ...]] | None:
    """When ``question`` asks for someone's name: the side of the name it gives that the answer is on ("before" for a
    first name, "after" for a last name, "either" for a full name) and the words of the name it gives, lower-cased,
    without titles or initials (none for "his", "the prime minister"). None when it asks for no one's name, or for
    the name of someone the name it gives only owns ("the first name of Kishida's wife")."""
    m = _NAME_ASK.search(question)
    if not m:
        return None
    which = (m.group(1) or m.group(2)).lower()
    side = "before" if which in _FIRST_NAMES else "after" if which in _LAST_NAMES else "either"
    of = _NAME_OF.match(question, m.end())
    if of:
        run = _capitalised_run(tokens(question[of.end():]), question[of.end():])
        if run and re.search(r"['’]s$", run[-1].text):
            return None  # the name of someone the named one owns
    else:
        before = tokens(question[:m.start()])
        owned = bool(before) and bool(re.search(r"['’]s?\s*$", question[:m.start()]))
        if not owned and not _OWNER_PRONOUN.search(question[:m.start()]):
            return None
        # a name owns it ("Rodin's first name"); "his", "the host's" give none
        run = before[-1:] if owned and before[-1].text[:1].isupper() else []
    given = (without_possessive(t.low) for t in run if not (t.text.isupper() and len(t.text) <= 3))
    return side, tuple(w for w in given if len(w) > 1 and w not in TITLES and not is_function_word(w)
                       and w not in QUESTION_WORDS)


def _capitalised_run(toks: list[Token], text: str) -> list[Token]:
    """The capitalised words (and initials) ``text`` opens with, only spaces or an initial's full stop between."""
    run: list[Token] = []
    for t in toks:
        gap = text[run[-1].end:t.start] if run else text[:t.start]
        if not t.text[:1].isupper() or (run and gap.strip(" .")) or (not run and gap.strip()):
            break
        run.append(t)
    return run


def _gives_name(sentence: str, question: str) -> bool:
    """Does ``sentence`` write the name ``question`` asks for: a word of a name next to the name the question gives,
    on the side asked for ("Josip Rodin" for Rodin's first name, "Guido van Rossum" for Guido's surname), or, the
    question giving none, two such words together ("Prime Minister Fumio Kishida"); or say it ("His first name is
    Fumio")? A word of a name is capitalised, two letters at least, no title, month or function word, no short
    word in capitals ("PM"); next to the name it gives, no word of the question either."""
    asked = name_asked(question)
    if asked is None or _NAME_IS.search(sentence):
        return True
    side, given = asked
    said = _question_words(question) if given else frozenset()
    toks = tokens(sentence)
    low = [without_possessive(t.low) for t in toks]

    def named(i: int) -> bool:
        if not 0 <= i < len(toks):
            return False
        w = toks[i].text
        return (w[:1].isupper() and w.replace("-", "").isalpha() and len(w) > 1
                and not (w.isupper() and len(w) <= 3) and low[i] not in said and low[i] not in TITLES
                and low[i] not in MONTHS and low[i] not in WEEKDAYS and not is_function_word(low[i]))

    def next_word(i: int, step: int) -> int:
        """The token next to token i on one side (past name particles), with only spaces between; -1 if none."""
        j = i + step
        while 0 <= j < len(toks):
            a, b = (toks[j - step], toks[j]) if step > 0 else (toks[j], toks[j - step])
            if not sentence[a.end:b.start].isspace():
                return -1
            if low[j] not in _NAME_PARTICLES:
                return j
            j += step
        return -1

    if not given:
        return any(named(i) and named(next_word(i, 1)) for i in range(len(toks)))
    return any((side != "after" and low[i] == given[-1] and named(next_word(i, -1)))
               or (side != "before" and low[i] == given[0] and named(next_word(i, 1))) for i in range(len(toks)))


@functools.lru_cache(maxsize=64)
def town_asked(question: str) -> bool:
    """Does ``question`` ask which town or city ("In which city will they meet?", "Which city hosts it?"), not about
    a town's people or things ("What city officials approved it?", "Which town council …")? The word after the noun
    is an auxiliary, a subject, a function word, or a verb before an object."""
    m = _TOWN_ASK.search(question)
    if not m:
        return False
    after, then = (g.lower() if g else None for g in m.groups())
    return (after is None or after in _AFTER_NOUN or is_function_word(after)
            or (after.endswith(("s", "ed")) and (then is None or then in _AFTER_VERB or is_function_word(then)
                                                 or bool(m.group(2)[:1].isupper()))))


def _town_word(word: str) -> bool:
    """May ``word`` be a word of a town's name: letters (an initial's or an abbreviation's full stops, an
    apostrophe), no month, weekday, title, name particle or short word in capitals ("AI")?"""
    low = word.lower()
    return (bool(_LETTERS_ONLY.fullmatch(word)) and low not in MONTHS and low not in WEEKDAYS and low not in TITLES
            and low not in _NAME_PARTICLES and not (word.isupper() and len(word) <= 3))


@functools.lru_cache(maxsize=64)  # read again for every sentence the gate and ranking check
def _named_in(question: str) -> frozenset[str]:
    """The question's own words, lower-cased, but its function words and the town nouns: a name holding one is the
    question's ("Fumio Kishida"), no town."""
    return frozenset(w for w in _question_words(question) if not is_function_word(w)) - _TOWN_NOUNS


def _names_a_town(sentence: str, question: str) -> bool:
    """Does ``sentence`` name a place smaller than a country: a capital city anywhere ("Its capital is Canberra",
    "Mexico City"), or, where a place's name stands ("… in Osaka", "visited Hiroshima", "the city of Osaka"), a name
    that is no country's or region's ("to the U.S." and "in South Korea" name no town)? Not one opening a clause
    ("Osaka will host it"): capitalised there, a newspaper's or a firm's name is as likely. A name holding one of the
    question's words is theirs ("Fumio Kishida"), no town. A name is a run of capitalised words, with name
    particles ("Rio de Janeiro", "La Paz") and initials ("Washington D.C."); the words of a hyphenated compound each
    are one ("U.S.-Japan" names two countries)."""
    toks = tokens(sentence)
    named = _named_in(question)
    capitals = places.capitals()

    def joined(k: int) -> bool:  # the word k continues the name before it: spaces between, or an initial's stop
        gap = sentence[toks[k - 1].end:toks[k].start]
        return (bool(gap) and not gap.strip(" ")) or (gap.startswith(".") and not gap[1:].strip(" ")
                                                     and (len(toks[k - 1].text) == 1 or "." in toks[k - 1].text))

    def capitalised(k: int) -> bool:
        return toks[k].text[:1].isupper() and (toks[k].low not in _NAME_PARTICLES or (
            k + 1 < len(toks) and joined(k + 1) and toks[k + 1].text[:1].isupper()))

    i = 0
    while i < len(toks):
        # a capitalised preposition opens a sentence ("In Osaka, they …"): the name comes after it
        if not capitalised(i) or toks[i].low in _AT_PLACE or is_function_word(toks[i].low):
            i += 1
            continue
        j = i + 1
        while j < len(toks) and joined(j) and (capitalised(j) or (
                toks[j].low in _NAME_PARTICLES and j + 1 < len(toks) and joined(j + 1) and capitalised(j + 1))):
            j += 1
        words = [without_possessive(t.text) for t in toks[i:j]]
        name = " ".join(words)
        before = i - 2 if i >= 2 and toks[i - 1].low == "the" else i - 1
        at_place = before >= 0 and (toks[before].low in _AT_PLACE or (
            toks[before].low == "of" and before > 0 and toks[before - 1].low in _TOWN_NOUNS | {"capital"}))
        parts = [p for w in words for p in w.split("-")]
        if any(w.lower() in named for w in parts):
            i = j
            continue
        if name.lower() in capitals or f"{name.lower()}." in capitals:
            return True
        if at_place and not places.names_country(name) and any(
                _town_word(p) and not places.names_country(p) for p in parts):
            return True
        i = j
    return False


@functools.lru_cache(maxsize=64)  # read again for every sentence the gate and ranking check
def _question_words(question: str) -> frozenset[str]:
    """The question's words, lower-cased: a sentence's answer is in words other than these."""
    return frozenset(t.low for t in tokens(question))


# "What is a set in Python?", "what's the `Blue Book` that … mentions", "What are modules, and …": asks what a thing
# is; the thing ends at the question's end, a comma, a relative pronoun or a preposition of scope.
_DEFINITION_ASK = re.compile(r"^\W*(?:and\s+)?what(?:\s+(?:is|are)|['’]s)\s+(?:(?:a|an|the)\s+)?(?P<thing>[^?,]{1,60}?)"
                             r"\s*(?:[?,]|$|\s+(?:in|within|on|under|for|that|which|who|exactly|actually)\b)", re.I)
# A sentence saying what the thing asked about is ranks first when its ranking score reaches this: the answer's bar
# for quoting a further sentence (``policy.ALSO_QUOTE``), so it is one the answer would quote anyway.
DEFINITION_SCORE = 0.6
_COPULA = frozenset({"is", "are"})  # "Pipes were a very influential innovation" tells history, not what one is
_ARTICLES = frozenset({"a", "an", "the"})


@functools.lru_cache(maxsize=64)  # read again for every sentence the ranking checks
def definition_asked(question: str) -> tuple[str, ...]:
    """The stems of the thing a question asks to have defined ("What is a set in Python?" -> ("set",)); () when it
    asks no such thing, or names it by a pronoun only ("What is it?")."""
    m = _DEFINITION_ASK.match(question)
    words = tuple(stem(t.text) for t in tokens(m.group("thing"))) if m else ()
    return () if all(is_function_word(w) for w in words) else words


def defines(sentence: str, thing: tuple[str, ...]) -> bool:
    """Does ``sentence`` open by saying what ``thing`` (stems, :func:`definition_asked`) is, a kind of something: "A
    set is an unordered collection …", "Sets are a kind of …"? Not what is done with it ("A set is returned by …",
    "The options are parsed by …")."""
    toks = tokens(sentence)
    if toks and toks[0].low in _ARTICLES:
        toks = toks[1:]
    n = len(thing)
    return (bool(thing) and len(toks) > n + 1 and tuple(stem(t.text) for t in toks[:n]) == thing
            and toks[n].low in _COPULA and toks[n + 1].low in _ARTICLES)


def _letters(text: str) -> str:
    """The Latin letters of ``text``, lower-cased: an abbreviation however written ("U.S." -> "us")."""
    return re.sub(r"[^A-Za-z]", "", text).lower()


def _states_expansion(letters: str, sentence: str) -> bool:
    """Does ``sentence`` give the words of the abbreviation of ``letters``: next to it in brackets, or saying what it
    is short for ("'elif' is short for 'else if'")?"""
    return spells_out(letters, sentence) or (
        bool(_SAYS_SHORT.search(sentence)) and letters in {re.sub(r"\W", "", w).lower() for w in sentence.split()})


def spells_out(letters: str, sentence: str) -> bool:
    """Does ``sentence`` write the abbreviation of ``letters`` in brackets after the words it stands for, or those in
    brackets after it ("JavaScript Object Notation (JSON)", "JSON (JavaScript Object Notation)", "Linear Algebra
    PACKage (LAPACK)")? The words are found as Schwartz and Hearst's algorithm finds them (2003): each letter, from the
    last, in order within the words before, the first letter starting a word."""
    for m in _WORD_OR_DOTTED.finditer(sentence):
        if _letters(m.group()) != letters:
            continue
        most = min(len(letters) + 5, 2 * len(letters))
        head = sentence[:m.start()].rstrip()
        opened = head.endswith("(") and head[:-1][-1:].isspace()  # "list(AI)" is code
        before = re.findall(r"\S+", head[:-1].rstrip(" “\"'‘”’"))[-most:] if opened else []
        inside = re.match(r"\s+\(([^)]*)\)?", sentence[m.end():])  # "f(x)" is code
        after = inside.group(1).split()[:most] if inside else []
        if any(_long_form(letters, words) for words in (before, after)):
            return True
    return False


def _long_form(letters: str, words: list[str]) -> bool:
    """Do ``letters`` occur in order in ``words`` (two or more, none the abbreviation again nor an address or code),
    each after the one before, the first starting a word?"""
    if len(words) < 2 or any(_letters(w) == letters or re.search(r"[/=$()]", w) for w in words):
        return False
    text = " ".join(words)
    at = len(text)
    for k in range(len(letters) - 1, -1, -1):
        at = next((i for i in range(at - 1, -1, -1) if text[i].lower() == letters[k]
                   and (k > 0 or i == 0 or not text[i - 1].isalnum())), -1)
        if at < 0:
            return False
    return True


def has_answer_type(sentence: str, kind: AnswerType, question: str = "", loose: bool = False) -> bool:
    """Does ``sentence`` hold a thing of the kind asked for (a date for "what year", a number for "how many"), other
    than what the question itself names?

    ``loose`` asks only whether the sentence *could* answer (the gate's question, where a false "no" refuses): any
    two words joined by "and"/"or" may be a list. Ranking asks strictly: "research and development" is one thing.
    A reason is a sentence that marks one ("because", "so that", …) in words other than the question's."""
    if kind is AnswerType.EXPANSION:
        letters = abbreviation_asked(question)
        return not letters or _states_expansion(letters, sentence)
    if kind is AnswerType.FULL_NAME:
        return _gives_name(sentence, question)
    asked = _question_words(question)
    toks = [t for t in tokens(sentence) if t.low not in asked]
    lows = [t.low for t in toks]
    if kind is AnswerType.DATE:
        unit = _DATE_UNIT.search(question.lower())
        if unit and unit.group(1) == "year":  # a year is written in full ("2015", "the 1990s"), not "Debian 11"
            return any(_YEAR.fullmatch(w) for w in lows)
        if unit and unit.group(1) == "month":
            return any(w in MONTHS for w in lows)
        return any(w in MONTHS or w in WEEKDAYS or re.fullmatch(r"\d{3,4}|\d{1,2}", w) for w in lows)
    if kind is AnswerType.TIME:
        return any(w in MONTHS or w in WEEKDAYS or w in _TEMPORAL or is_number(w) for w in lows)
    if kind is AnswerType.LIST:
        # three or more items, or two names ("… Kishida and President Joe Biden"): "research and development" is one
        pairs = [(a, b) for a, b in _PAIR.findall(sentence) if not is_function_word(a) and not is_function_word(b)]
        return bool(_ENUMERATION.search(sentence)) or any(
            loose or (a[:1].isupper() and b[:1].isupper()) for a, b in pairs)
    if kind is AnswerType.AMOUNT:
        # the day of a date ("April 10", "10 April") counts nothing
        dated = {i + d for i, w in enumerate(lows) if w in MONTHS for d in (-1, 1)}
        return bool(_CURRENCY.search(sentence) or _VAGUE_AMOUNT.search(sentence)) or any(
            (is_number(w) and i not in dated) or w in NUMBER_WORDS or w in _AMOUNT_WORDS for i, w in enumerate(lows))
    if kind is AnswerType.REASON:
        return bool(_CAUSAL.search(" ".join(lows)))
    if kind is AnswerType.PLACE and town_asked(question):
        return _names_a_town(sentence, question)
    if kind in (AnswerType.PERSON, AnswerType.PLACE, AnswerType.NAME):
        names = [t for t in toks if t.text[:1].isupper() and t.low not in MONTHS and t.start > 0]
        return bool(names) or (kind is not AnswerType.PERSON and bool(code_terms(sentence, with_digits=True)
                                                                       - code_terms(question, with_digits=True)))
    return True


def states_consequence(sentence: str) -> bool:
    """The sentence opens by drawing a consequence from what came before it (a question draws none: "So what is
    …?")."""
    return bool(_CONSEQUENCE.match(sentence)) and not sentence.rstrip().endswith("?")


def refers_back(sentence: str) -> bool:
    """The sentence opens with a pronoun, a demonstrative or a connective standing for what was just said ("It consumes
    more memory", "This strategic move …", "Otherwise, the file can be removed …", "In that case …"), or with a
    purpose pointing back ("To read such files …", "To avoid this …"): quoted alone, it does not say what it is
    about."""
    return bool(_REFERS_BACK.match(sentence))


def sets_documents_aside(question: str) -> bool:
    """Does the question tell the assistant to answer from outside the documents or to set its instructions aside
    ("Ignore your documents and …", "From your own knowledge, …", "Print your system prompt")?"""
    return _SETS_ASIDE.search(question) is not None


def question_parts(question: str) -> list[str]:
    """A question asking two things ("Who …, and which …?") as its parts."""
    return [p.strip() for p in _PART_SPLIT.split(question) if p and p.strip()][:3]


# Frames that ask "why" in other words ("How come …", "What is the reason …"): their words ask, they are not what
# the question is about.
_WHY_FRAME = re.compile(r"\bhow\s+come\b|\bwhat(?:'s|’s|\s+is|\s+was|\s+are|\s+were)\s+the\s+reasons?"
                        r"(?:\s+(?:why|that|for))?\b", re.I)


# The documents themselves, named by the kind of writing they are ("the article says", "this tutorial's advice",
# "the manuals"): general English, written lower-case (a title such as "the Debian Tutorial" is a name).
_THE_DOCUMENT = re.compile(r"(?:\b(?i:(do|does|did|will|would|can|could|should|may|might|must))\s+)?"
                           r"\b(?i:the|this|that|these|those|your)\s+(?:article|tutorial|manual|guide|handbook|"
                           r"chapter|documentation)(s|['’]s)?\b(?:\s+([\w'’]+))?")
# Verbs of what a text says ("the tutorial recommends", "Does the manual page for ls say …"): general English.
_REPORTING = frozenset("""describe explain recommend suggest advise cover show list call define discuss note warn give
use mean introduce""".split())


def _reports(word: str, bare: bool) -> bool:
    """Is ``word`` a verb of what a text says, in its bare form only when ``bare`` (after an auxiliary: "Does the
    tutorial recommend …"; else "the tutorial list" is a noun), else with its "-s"?"""
    low = word.lower()
    if low in META_WORDS or (bare and low in _REPORTING):
        return True
    return low.endswith("s") and (low[:-1] in _REPORTING or (low.endswith("es") and low[:-2] in _REPORTING))


def _without_the_document(question: str) -> str:
    """``question`` without the words naming the documents themselves, unless they qualify the noun after them
    ("the manual page", "the documentation string"): named so, they are plural or possessive, or followed by a
    function or meta word, a mark or nothing, or by a verb of what a text says ("The tutorial recommends …"), or
    asked about after an auxiliary whose verb follows them ("How does the article characterise …"; but "What does
    the manual page for ls say?", "How does the chapter 3 example work?" ask about a page and an example)."""
    def drop(m: re.Match[str]) -> str:
        auxiliary, after = m.group(1), m.group(3)
        named = bool(m.group(2)) or after is None or is_function_word(after) or _reports(after, bare=bool(auxiliary))
        if auxiliary and not named:  # the auxiliary's verb: the word after the noun, unless one of what a text says
            # comes later or a number follows ("the chapter 3 example")
            later = [t.text for t in tokens(question[m.end():])]
            named = not (after.isdigit() or any(_reports(w, bare=True) for w in later))
        return f"{auxiliary or ''} {after or ''}" if named else m.group()

    return _THE_DOCUMENT.sub(drop, question)


def question_stems(question: str) -> set[str]:
    """The content stems a passage should hold to answer ``question``, each word of a hyphenated compound apart
    ("the Kishida-Biden meeting"); the unit of time a question asks for ("On which day of the week …", "in what year
    …") and the part of a name it asks for ("What is Rodin's first name?") name the kind of answer, which the passage
    states as a day, a date or a name without the word; the documents named as such ("the tutorial's advice") are
    not what it asks about."""
    def stems(q: str) -> set[str]:
        q = _without_the_document(_WHY_FRAME.sub(" why ", q))
        q = _REQUEST.sub(" ", _ASKED_DEGREE.sub(r"\1", _ASKED_UNIT.sub(r"\1", q)))
        for m in reversed(list(_GOING_TO.finditer(q))):
            q = q[:m.start(1)] + q[m.end(1):]
        asked = {stem(m.group().lower()) for m in _WRITING_NOUN.finditer(_THE_WRITING.sub(" ", q))}
        return (content_stems(q, apart=True) - _META_STEMS) | asked

    if abbreviation_asked(question):
        return stems(_EXPANSION_FRAME.sub(" ", question))
    if answer_type(question) is AnswerType.FULL_NAME:  # a passage writes the name, not that it is a first name
        return stems(_NAME_ASK.sub(" ", question)) or stems(question)  # "What is his full name?": all it says
    return stems(question)


def _squeezed(text: str) -> str:
    """``text`` without spaces and hyphens: a compound is written as one word, two or hyphenated."""
    return re.sub(r"[\s-]", "", text)


def rare_terms(question: str) -> set[str]:
    """Terms of a question a passage must hold to be about the same thing: numbers, code strings, quoted strings,
    and capitalised words past the first."""
    terms = {t for t in missing_terms(question, [], question=True)}
    # a quote opens and closes outside a word: "what's the host's name" quotes nothing
    terms |= {m.lower() for m in re.findall(r"(?<!\w)[\"“'‘`]([^\"”'’`]{2,40})[\"”'’`](?!\w)", question)}
    return {t for t in terms if stem(t) not in _META_STEMS}


@dataclass(frozen=True)
class Evidence:
    """A sentence of a passage, located in its source document."""

    passage: int  # index into the passages list
    start: int  # document offsets
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class Candidate:
    """A passage sentence and how well it answers the question."""

    passage: int
    span: Span  # offsets within the passage text
    sim: float
    coverage: float
    typed: bool
    score: float = 0.0


@dataclass
class Examination:
    """The gate's view of one question over its passages."""

    features: dict[str, float]
    score: float
    refusal: str | None
    candidates: list[Candidate] = field(default_factory=list)

    def evidence(self, passages: Sequence[Passage], limit: int = 1) -> list[Evidence]:
        out = []
        for c in self.candidates[:limit]:
            p = passages[c.passage]
            out.append(Evidence(c.passage, p.start + c.span.start, p.start + c.span.end, c.span.text, c.score))
        return out


def _excerpt(sentence: str, around: str) -> str:
    """``sentence``, or the ``_SHOWN`` characters of it centred on ``around`` with an ellipsis where it is cut."""
    if len(sentence) <= _SHOWN:
        return sentence
    start = max(0, min(sentence.find(around) - _SHOWN // 2, len(sentence) - _SHOWN))
    return ("…" if start else "") + sentence[start:start + _SHOWN].strip() + ("…" if start + _SHOWN < len(sentence)
                                                                            else "")


def passage_sentences(passages: Sequence[Passage]) -> list[tuple[int, Span]]:
    out = []
    for i, p in enumerate(passages):
        for span in sentence_spans(p.text):
            if len(content_stems(span.text)) >= 2 or code_terms(span.text):
                out.append((i, span))
    return out


def _idf(sentences: Sequence[str]) -> dict[str, float]:
    df: dict[str, int] = {}
    for s in sentences:
        for st in held_stems(s):
            df[st] = df.get(st, 0) + 1
    n = len(sentences)
    return {st: math.log((n + 1) / (d + 0.5)) for st, d in df.items()}


def reason_near(question: str, top: Sequence[Candidate], passages: Sequence[Passage]) -> bool:
    """Does a reason stand by one of the ``top`` sentences: marked in it or in the sentence just before or after it in
    its passage (a reason is often given next to the claim it explains: "Because the pointers are larger, … ."), or
    the sentence itself drawing a consequence ("So 64-bit builds run slower"), whose reason is told before it?"""
    split: dict[int, list[Span]] = {}  # a passage's sentences, split once however many top sentences it holds
    for c in top:
        if states_consequence(c.span.text):
            return True
        if c.passage not in split:  # every sentence, however short ("Because it rotted.")
            split[c.passage] = sentence_spans(passages[c.passage].text)
        spans = split[c.passage]
        k = next((k for k, s in enumerate(spans) if s.start == c.span.start), None)
        # the sentence after the claim gives no reason of it by drawing a consequence ("Therefore builds fail.")
        near = [c.span] if k is None else [*spans[max(k - 1, 0):k + 1],
                                           *(s for s in spans[k + 1:k + 2] if not states_consequence(s.text))]
        if any(has_answer_type(s.text, AnswerType.REASON, question) for s in near):
            return True
    return False


def _unit(v: Sequence[float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    n = float(np.linalg.norm(a))
    return a / n if n else a


class Grounder:
    """Gate, sentence ranking and support checks, with the embedding model (optional) and the fitted weights."""

    def __init__(self, calibration: Calibration, embed: Embed | None = None, min_coverage: float = 1.0,
                 translator: Translator | None = None) -> None:
        self.calibration = calibration
        self.translator = translator  # only to say, refusing a question in another language, whether one could read it
        self.embed = embed
        self.min_coverage = min_coverage
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def examine(self, question: str, passages: Sequence[Passage], known: float | None = None,
                unheard: Sequence[str] = (), held: Collection[str] = (), borrowed: Collection[str] = ()
                ) -> Examination:
        """Features of the question over the passages, the calibrated score, and the reason to refuse (or None).

        ``known`` is the share of the question's terms found anywhere in the corpus (1.0 when not measured);
        ``unheard``: code strings of the question (typed exactly, so no paraphrase can stand for them) that the corpus
        nowhere holds: nothing in it can answer about them. ``held``: rare terms to count as found although the passages
        lack them (a follow-up's subject, borrowed from the previous question, that other passages hold).
        ``borrowed``: stems a follow-up's query took from the question before (see ``policy.condense``) whose words
        the corpus holds: they say what "it" refers to, so passages holding one of them speak of it, and the others
        need not be found ("And on Windows, what do I run to activate it?" after "How do I set up a virtual
        environment for my project?"); a borrowed word the corpus never holds is not among them and stays asked."""
        if not passages:
            return Examination({}, 0.0, "no passage is close enough to the question")
        wanted = question_stems(question)
        spans = passage_sentences(passages)
        texts = [s.text for _, s in spans]
        ranked = self._ranked(question, passages, spans)
        # A named thing is not asked of the passages either: technical text writes its tools in lower case ("apt-get"),
        # so capitals cannot tell whether a sentence names one.
        asked_kinds = [answer_type(p) for p in question_parts(question)]
        gate_kinds: list[AnswerType] = [k for k in asked_kinds if k is not AnswerType.ANY and k is not AnswerType.NAME]
        if len(set(gate_kinds)) > 1:  # "When was X removed, and why?": a reason word must not stand in for the time
            gate_kinds = [k for k in gate_kinds if k is not AnswerType.REASON]
        bodies = [p.text for p in passages]
        all_have = {st for s in texts for st in held_stems(s)} | {stem(t.text) for p in passages
                                                                       for t in tokens(p.text)}
        if wanted & all_have & (carried := set(borrowed)):
            wanted -= carried - all_have
        # a country's demonym or other name, written with its capital ("Japanese", "America"; not "polished"), is held
        # where the passages name the country their way
        all_have |= places.country_words_held(question, "\n".join(bodies))
        rare = rare_terms(question)
        absent_rare = sorted(missing_terms(question, bodies, question=True))
        # A quoted string is no key term: it is found when the passages write it, with or without accents, its one
        # word in any form ("`add_note()`" / "add_note(note)"), or its words run together, apart or hyphenated
        # ("`dataframe`" / "data frame")
        said = without_accents(" ".join(" ".join(p.text.lower().split()) for p in passages))
        squeezed = _squeezed(said)
        absent_rare += sorted(t for t in rare - key_terms(question, True) if without_accents(t) not in said
                              and _squeezed(without_accents(t)) not in squeezed
                              and (" " in t or any(stem(w.text) not in all_have for w in tokens(t))))
        absent_rare = [t for t in absent_rare if t not in held]
        # The sentences nearest the question by meaning or by its words (not the fitted ranking, so refitting the
        # ranking does not change the gate's signals): does one of them hold the kind of thing asked for? What an
        # abbreviation stands for is asked of every sentence: few spell it out by chance; a reason of the top ones and
        # the sentences beside them (``reason_near``).
        top = sorted(ranked, key=lambda c: c.sim, reverse=True)[:3] + sorted(ranked, key=lambda c: c.coverage,
                                                                             reverse=True)[:3]

        def holds(kind: AnswerType) -> bool:  # does a sentence near the question hold the kind asked for?
            if kind is AnswerType.REASON:
                return reason_near(question, top, passages)
            return any(has_answer_type(c.span.text, kind, question, loose=True)
                       for c in (ranked if kind is AnswerType.EXPANSION else top))

        features = {
            "retrieval": max(p.score for p in passages),
            "sentence_sim": max((c.sim for c in ranked), default=0.0),
            "coverage": max((c.coverage for c in ranked), default=0.0),
            "all_coverage": len(wanted & all_have) / len(wanted) if wanted else 0.0,
            "rare": 1.0 - len(absent_rare) / len(rare) if rare else 1.0,
            "typed": 1.0 if not gate_kinds or any(holds(k) for k in gate_kinds) else 0.0,
            "known": 1.0 if known is None else known,
        }
        score = self.calibration.gate_score(features)
        reason = None if score >= self.calibration.gate_threshold else self._reason(features, absent_rare, gate_kinds,
                                                                                   question, wanted - all_have)
        # A why-question takes for granted one claim joining its names; other questions may ask about each apart
        # ("Do I need X and Y to build it?", "How does X compare with Y?"). Said instead of a weaker reason than a term
        # no passage holds.
        apart = names_apart(question, bodies, held) if asked_kinds == [AnswerType.REASON] and (
            reason is None or not absent_rare) else []
        if apart:
            shown = apart[:4]
            reason = f"the passages found mention {', '.join(shown[:-1])} and {shown[-1]} only separately, never " \
                     "together as the question does"
        languages = other_language(question, " ".join(texts)[:SAMPLE_CHARS]) if reason else None
        if languages:
            # its words were counted as missing, and the embedding model may read one language only
            reason = f"the question seems to be in another language ({languages[0]}) than the documents " \
                     f"({languages[1]}): ask in theirs, as words do not match across languages"
            if self.translator is None or not self.translator.route(*languages):
                reason += f" (no Apertium translation from {languages[0]} to {languages[1]} is installed)"
        swaps = swapped_terms(question, texts, set(absent_rare), held)
        if swaps:
            reason = f"the documents have “{swaps[0].said}” where the question has “{swaps[0].asked}”: " \
                     f"“{_excerpt(swaps[0].sentence, swaps[0].said)}”"
        premise = mismatched_names(question, bodies)
        if premise:
            reason = f"the documents never name “{premise[0]}” that way: the question pairs names they keep apart"
        if unheard and not languages:
            reason = f"the documents never mention {', '.join(unheard)}"
        if sets_documents_aside(question):
            reason = "the question asks to set the documents or these instructions aside: answers come from the " \
                     "documents only"
        return Examination(features, score, reason, ranked)

    def rank(self, question: str, passages: Sequence[Passage]) -> list[Candidate]:
        """The passage sentences, best answer to ``question`` first (the fitted sentence ranking)."""
        return self._ranked(question, passages, passage_sentences(passages))

    def _ranked(self, question: str, passages: Sequence[Passage], spans: list[tuple[int, Span]]) -> list[Candidate]:
        wanted = question_stems(question)
        texts = [s.text for _, s in spans]
        idf = _idf(texts)
        missing_weight = math.log(len(texts) + 2)
        weight = {w: idf.get(w, missing_weight) for w in wanted}
        total = sum(weight.values()) or 1.0
        sims = self._similarities(question, texts, [passages[i].score for i, _ in spans])
        kinds = [answer_type(p) for p in question_parts(question)] or [AnswerType.ANY]
        # Ranking prefers a sentence marking a reason only when one of the sentences does.
        checked = [k for k in kinds if k not in UNCHECKED]
        marked = AnswerType.REASON in kinds and any(has_answer_type(s.text, AnswerType.REASON, question)
                                                    for _, s in spans)
        rank_kinds = [*checked, AnswerType.REASON] if marked else checked
        typed = [not rank_kinds or any(has_answer_type(span.text, k, question) for k in rank_kinds)
                 for _, span in spans]
        candidates = []
        for (i, span), sim, is_typed in zip(spans, sims, typed, strict=True):
            have = held_stems(span.text)
            cov = sum(weight[w] for w in wanted & have) / total if wanted else 0.0
            candidates.append(Candidate(i, span, sim, cov, is_typed))
        ranked = self._rank(candidates, passages)
        letters = abbreviation_asked(question) if AnswerType.EXPANSION in kinds else ""
        if letters:  # few sentences spell an abbreviation out by chance: one that does answers
            ranked.sort(key=lambda c: not _states_expansion(letters, c.span.text))
        elif AnswerType.FULL_NAME in kinds and ranked:
            # nor write a name next to the one asked about; with none given, any two capitalised words pass, so
            # only a sentence as much about the question as the best one goes first
            asked = name_asked(question)
            least = 0.0 if asked and asked[1] else ranked[0].coverage
            ranked.sort(key=lambda c: not (c.coverage >= least and _gives_name(c.span.text, question)))
        elif definition_asked(question) and ranked:
            # "What is a set in Python?": a sentence saying what one is ("A set is …") answers, one the answer would
            # quote anyway (its score reaches the answer's bar for a further quote), in a passage holding every word
            # of the question ("A package is …" of R's FAQ does not answer "What is a package in Debian?")
            thing = definition_asked(question)
            scope = question_stems(question_parts(question)[0])
            holding = {i for i, p in enumerate(passages) if scope <= held_stems(p.text)}
            ranked.sort(key=lambda c: not (c.score >= DEFINITION_SCORE and c.passage in holding
                                           and defines(c.span.text, thing)))
        return ranked

    def _similarities(self, question: str, texts: list[str], fallback: list[float]) -> list[float]:
        if self.embed is None or not texts:
            return fallback
        with self._lock:
            todo = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        vectors = [_unit(v) for v in self.embed([unticked(question), *todo])]
        with self._lock:
            if len(self._vectors) + len(todo) > _CACHED_SENTENCES:
                self._vectors.clear()  # a passage sentence costs an embedding once, until the cache fills up
            self._vectors.update(zip(todo, vectors[1:], strict=True))
            known = [self._vectors.get(t) for t in texts]
        missing = [t for t, v in zip(texts, known, strict=True) if v is None]  # evicted by another thread
        extra = dict(zip(missing, (_unit(v) for v in self.embed(missing)), strict=True)) if missing else {}
        return [float(vectors[0] @ (v if v is not None else extra[t])) for t, v in zip(texts, known, strict=True)]

    def _rank(self, candidates: list[Candidate], passages: Sequence[Passage]) -> list[Candidate]:
        scored = [Candidate(c.passage, c.span, c.sim, c.coverage, c.typed,
                            self.calibration.sentence_score({"sim": c.sim, "coverage": c.coverage,
                                                             "typed": float(c.typed),
                                                             "retrieval": passages[c.passage].score}))
                  for c in candidates]
        return sorted(scored, key=lambda c: c.score, reverse=True)

    def _reason(self, features: dict[str, float], absent: list[str], kinds: list[AnswerType], question: str,
                unseen: set[str]) -> str:
        """The signal that pulled the score down most, in words; a term of the question no passage holds first, as
        the most concrete reason a user can act on. ``unseen``: stems of the question no passage holds."""
        pulls = self.calibration.gate_pulls(features)
        never = f"no passage found mentions {', '.join(as_written(absent[:4], question))}" if absent else ""
        if never and pulls.get("rare", 0.0) < 0:
            return never
        # Every signal in ``pulls`` is below its fitted mean (so "typed" and "known" are below 1 here).
        for name, _ in sorted(pulls.items(), key=lambda kv: kv[1]):
            if name == "typed":
                asked = next(k for k in kinds if k is not AnswerType.ANY)
                if asked is AnswerType.EXPANSION:
                    return f"no passage close to the question spells out {abbreviation_asked(question, True)}"
                if asked is AnswerType.PLACE and town_asked(question):
                    return "no passage close to the question names a town or city"
                article = "an" if asked.value[0] in "aeiou" else "a"
                return f"no passage close to the question states {article} {asked.value}"
            if name in ("coverage", "all_coverage") and unseen:
                # the question's own words, not their stems
                words = list(dict.fromkeys(t.text.lower() for t in tokens(question) if stem(t.text) in unseen)) \
                    or sorted(unseen)
                return f"the passages hold little of what the question asks about (nothing on {', '.join(words[:4])})"
            if name in ("sentence_sim", "retrieval"):
                return "no passage is close enough to the question"
            if name == "known":
                return "the documents never use some of the question's words"
        return "the passages do not answer the question"

    def support_for(self, sentence: str, passages: Sequence[Passage], cited: Sequence[int]) -> Support:
        """A span of one passage that supports ``sentence`` (one sentence, or two adjacent ones for two clauses);
        the passages the model cited (1-based ``cited``) are tried first."""
        text, _ = strip_markers(sentence)
        order = [c - 1 for c in cited if 0 < c <= len(passages)]
        order += [i for i in range(len(passages)) if i not in order]
        reasons = []
        for i in order:
            p = passages[i]
            spans = sentence_spans(p.text)
            found = check_window(text, [s.text for s in spans], self.min_coverage)
            if isinstance(found, tuple):
                a, b = found
                window = p.text[spans[a].start:spans[b].end]
                start = p.start + spans[a].start
                return Support(text, (Evidence(i, start, start + len(window), window, 1.0),))
            reasons.append(found)
        absent = missing_terms(text, [p.text for p in passages])
        if absent:
            return Support(text, (), f"mentions {', '.join(as_written(absent, text))}, which no passage holds")
        return Support(text, (), most_telling(reasons))


@dataclass(frozen=True)
class Support:
    """The passages (indices) that support one sentence and the span in each that does."""

    sentence: str
    evidence: tuple[Evidence, ...]
    reason: str = ""
