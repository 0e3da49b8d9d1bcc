"""Does a passage span say what an answer sentence claims — with the same structure, not just the same words?

A bag-of-words check passes "Kishida will host President Kishida" against "President Biden is scheduled to host
Prime Minister Kishida": every word is there. Here one passage sentence supports a claim only when

* it holds every content word of the claim (light stemming; ``min_coverage`` of them when set lower) and every
  number, date, name and code string of it;
* each clause of the claim finds its words in the same order in the sentence (who does what to whom: "the file
  name is the module name" is not "the module name is the file name");
* every multi-word name of the claim ("Prime Minister Kishida") appears, in order, inside one name of the sentence
  (a title stays with its name);
* the name right before a claim's verb is the name right before it in the sentence too (the subject is kept; a
  passive "… by X" names it after the verb), and names in different roles keep their order;
* a number goes with the same words: when the sentence holds several, the claim's words next to it are nearest to
  that one;
* negation ("not", "never", "rather than"), quantifiers ("all", "only", "at most") and conditions ("if", "unless")
  in the part of the sentence the claim matches are kept, none added;
* a claim of two clauses may take each from one of two adjacent sentences; facts from further apart are never
  merged into one claim.

Everything here is general English; paraphrase beyond light stemming is left to the extractive fallback (quoting).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import pairwise

from assistant.patterns import operator
from assistant.places import country_words_held
from assistant.text import (
    CONDITIONALS,
    META_WORDS,
    MONTHS,
    NEGATORS,
    NUMBER_WORDS,
    QUANTIFIERS,
    WEEKDAYS,
    Token,
    as_written,
    hyphen_parts,
    is_function_word,
    is_number,
    looks_like_code,
    negated_auxiliary,
    stem,
    stems_of,
    tokens,
)

_CODE = re.compile(r"(?<![\w/-])(?:(?<!\.)--?[A-Za-z][\w-]*|[\w.~-]*/[\w./~-]+|[A-Za-z_]\w*(?:\.\w+)+(?:\(\))?|\w+_\w+"
                   r"|[A-Za-z_]\w*\(\))")
_CLAUSE = re.compile(r";\s+|,\s+(?:and|but|while|whereas)\s+|\s+(?:and|but)\s+(?=(?:it|they|he|she|this|the|a|an)\b)",
                     re.I)
_PHRASE = re.compile(r"[,;:()]\s*|\s+(?:and|or|but|whereas|while)\s+", re.I)
_COORD = frozenset({"and", "or", "&", "nor"})
_CONTRAST = frozenset({"rather", "instead", "unlike"})
_MULTIPLES = frozenset({"once", "twice", "thrice", "half", "double", "triple"})
_LIMITS = frozenset({"least", "most", "more", "less", "fewer", "maximum", "minimum", "exactly", "only"})
# words that make a number a bound or one end of a range ("3.8 or newer", "up to 128", "from 2 to 5")
_BOUNDS = _LIMITS | frozenset("""up newer later older earlier higher lower above below over under onward onwards since
until till between beyond after before within from to""".split())
_META_STEMS = frozenset(stem(w) for w in META_WORDS)
_REACH = 5  # content words between two neighbours of a claim phrase, in the span


def code_terms(text: str, with_digits: bool = False) -> set[str]:
    """Technical strings typed exactly: options, paths, dotted names, calls, operators (``|>``, ``<<-``, ``%in%``;
    not prose dashes or ellipses); those holding digits, such as ``--with-pcre1``, only when asked: elsewhere they
    are checked as numbers."""
    # function words joined by a slash are English ("and/or", "he/she"), no path
    found = {c for c in (m.group().rstrip(".").lower() for m in _CODE.finditer(text))
             if not all(is_function_word(w) for w in c.split("/"))}
    found |= {op for word in text.split() if (op := operator(word))}
    return {c for c in found if not re.fullmatch(r"[\d.,]+", c)} if with_digits else {
        c for c in found if not is_number(c.strip("."))}


def _sentence_start(text: str, t: Token) -> bool:
    before = text[:t.start].rstrip(" \"'“‘([")
    return not before or before[-1] in ".!?:\n"


def _capital(t: Token) -> bool:
    """A word written as a name: capitalised, or a lower-case word with a capital inside ("macOS", "iPhone")."""
    w = t.text
    inner = w[:1].islower() and w.isalpha() and not w.islower()
    return (w[:1].isupper() or inner) and not is_function_word(w) and not is_number(w)


def key_terms(text: str, question: bool = False) -> set[str]:
    """Numbers, dates, counts, names and code strings: terms a supporting span must hold (stemmed; numbers as
    written).

    A capitalised first word may be a name or an ordinary word capitalised by grammar; without a lexicon the two
    look alike, so in a claim it counts (the span must hold it: strict on purpose), in a question it does not, nor
    do number words (a question's "three firms" asks for a list, not for the word).
    """
    terms = set(code_terms(text))
    for t in (part for whole in tokens(text) for part in hyphen_parts(whole)):
        low = t.low
        if is_number(t.text):
            terms.add(t.text.rstrip("%").replace(",", "").lower())
        elif low in MONTHS or low in WEEKDAYS or (not question and (low in NUMBER_WORDS or low in _MULTIPLES)):
            terms.add(low)
        elif _capital(t) and stem(t.text) not in _META_STEMS and (t.start == 0 or not text[t.start - 1].isalnum()) \
                and not (question and _sentence_start(text, t)):
            terms.add(stem(t.text))
    return terms


def missing_terms(text: str, spans: list[str], question: bool = False) -> list[str]:
    """Key terms of ``text`` that none of ``spans`` holds; a demonym or another word for a country, written with its
    capital (and no other capitalised word of its stem that is none), counts as held where the spans name the country
    their own way ("American" where they write "U.S.")."""
    toks = [t for s in spans for t in tokens(s)]
    # a word or number of a compound counts too: "Priority" of "Pin-Priority" (whose stem is no substring of it),
    # "w64" of "MinGW-w64"
    pieces = [w for t in toks for w in {t, *hyphen_parts(t)}]
    have = {stem(w.text) for w in pieces}
    joined = " ".join(spans)
    lowered = joined.lower()
    numbers = {w.text.rstrip("%").replace(",", "").lower() for w in pieces if is_number(w.text)}
    numbers |= {n.removesuffix(".x") for n in numbers}  # "3.x" names version 3
    words = {t.low for t in toks}
    countries = country_words_held(text, joined)
    out = []
    for term in sorted(key_terms(text, question)):
        if is_number(term) and not looks_like_code(term):
            if term not in numbers:
                out.append(term)
        elif term not in have and term not in lowered and not _names_place_of(term, have) \
                and not (question and term.endswith("()") and term[:-2] in words) \
                and term not in countries:
            # a question's function named bare ("system behaves"), a country its own way ("U.S.")
            out.append(term)
    return out


_DEMONYM_ENDINGS = ("ese", "es", "ian", "ean", "an", "ish", "i", "n")  # "es": the stem of "-ese"


def _names_place_of(term: str, stems: set[str]) -> bool:
    """Is ``term`` the adjective or people of a place the text names ("Japanese" of "Japan", "Chinese" of "China",
    "Italian" of "Italy")? English forms these by an ending on the name, sometimes dropping its last letter."""
    for ending in _DEMONYM_ENDINGS:
        root = term[: -len(ending)] if term.endswith(ending) else ""
        if len(root) >= 4 and any(s.startswith(root) and len(s) <= len(root) + 1 for s in stems
                                  if s[:1] == root[:1]):
            return True
    return False


@dataclass(frozen=True)
class _Text:
    """A text as the checks see it: tokens, their stems, which are content words, which are names."""

    raw: str
    toks: list[Token]
    stems: list[str]
    content: list[bool]
    names: list[bool]

    @classmethod
    def of(cls, raw: str, capitals_from: str | None = None) -> _Text:
        toks = tokens(raw)
        stems = [stem(t.text) for t in toks]
        # A capitalised first word is a name only when the other text capitalises it mid-sentence too.
        both = f"{raw}\n{capitals_from or ''}"
        midcaps = {stem(t.text) for t in tokens(both) if _capital(t) and not _sentence_start(both, t)}
        names = []
        for t, s in zip(toks, stems, strict=True):
            single = len(t.text) == 1 and t.text.isalpha() and t.low not in ("a", "i")
            name = (_capital(t) and t.low not in MONTHS and t.low not in WEEKDAYS
                    and (not _sentence_start(raw, t) or s in midcaps)) or single
            names.append(name and s not in _META_STEMS)
        content = [not is_function_word(t.text) and s not in _META_STEMS
                   and (len(t.text) > 1 or names[k] or t.text.isdigit())
                   for k, (t, s) in enumerate(zip(toks, stems, strict=True))]
        return cls(raw, toks, stems, content, names)

    def content_stems(self) -> set[str]:
        return {s for s, c in zip(self.stems, self.content, strict=True) if c and not is_number(s)}


def _phrases(t: _Text) -> list[list[int]]:
    """Content-token indices of each phrase (split at commas, semicolons, brackets, coordination)."""
    bounds = [m.end() for m in _PHRASE.finditer(t.raw)]
    phrases: list[list[int]] = [[]]
    for k, tok in enumerate(t.toks):
        while bounds and tok.start >= bounds[0]:
            bounds.pop(0)
            phrases.append([])
        if t.content[k]:
            phrases[-1].append(k)
    return [p for p in phrases if p]


_claim_phrases = _phrases


def _align(claim: _Text, span: _Text) -> tuple[str | None, tuple[int, int]]:
    """Within each phrase of the claim, every two neighbouring content words appear in the same order in the span,
    at most ``_REACH`` content words apart (a passive phrase, "… by X", is left to the subject check). Returns a
    problem or None, and the span region the claim's words matched."""
    order = [k for k in range(len(span.toks)) if span.content[k]]
    rank = {k: r for r, k in enumerate(order)}
    positions: dict[str, list[int]] = {}
    for k in order:
        positions.setdefault(span.stems[k], []).append(rank[k])
    matched: list[int] = []
    for phrase in _claim_phrases(claim):
        wanted = [claim.stems[k] for k in phrase if claim.stems[k] in positions]
        matched += [positions[w][0] for w in wanted]
        if "by" in {claim.toks[k].low for k in range(phrase[0], phrase[-1] + 1)}:
            continue
        for a, b in pairwise(wanted):
            if a != b and not any(0 < q - p <= _REACH for p in positions[a] for q in positions[b]):
                return f"puts “{a} … {b}” in an order or distance the passage does not", (0, 0)
    span_phrases = [set(p) for p in _phrases(span)]
    for phrase in _claim_phrases(claim):
        words = {claim.stems[k] for k in phrase if not is_number(claim.toks[k].text)}
        if len(words) >= 2 and not any(words <= {span.stems[k] for k in p} for p in span_phrases):
            shown = " ".join(claim.toks[k].text for k in phrase)
            return f"joins in one phrase (“{shown}”) words the passage keeps in different phrases", (0, 0)
    if not matched:
        return None, (0, len(span.toks) - 1)
    return None, (order[min(matched)], order[max(matched)])


def _name_runs(t: _Text) -> list[list[str]]:
    """Runs of adjacent capitalised words (only spaces between them) — a title with its name, a full name."""
    runs: list[list[str]] = []
    current: list[str] = []
    for k, tok in enumerate(t.toks):
        capital = _capital(tok)
        gap = t.raw[t.toks[k - 1].end:tok.start] if k else "\n"
        if capital and current and gap.strip() == "" and "\n" not in gap:
            current.append(t.stems[k])
        else:
            if len(current) >= 2:
                runs.append(current)
            current = [t.stems[k]] if capital else []
    if len(current) >= 2:
        runs.append(current)
    return runs


def _subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def _names_intact(claim: _Text, span: _Text) -> str | None:
    span_runs = _name_runs(span)
    for run in _name_runs(claim):
        if not any(_subsequence(run, big) for big in span_runs):
            return f"pairs words of a name or title ({' '.join(run)}) the passage does not put together"
    return None


def mismatched_names(question: str, passages: Sequence[str]) -> list[str]:
    """Title-and-name or full-name pairings in the question that no passage makes, among names the passages do hold:
    "President Kishida" when they say "Prime Minister Fumio Kishida" and "President Joe Biden" (a false premise)."""
    span_runs = [r for p in passages for r in _name_runs(_Text.of(p))]
    named = {w for r in span_runs for w in r}
    q = _Text.of(question)
    out = []
    for run in _name_runs(q):
        if set(run) <= named and not any(_subsequence(run, big) for big in span_runs):
            # the run as written: where its stems stand together in the question
            k = next(i for i in range(len(q.stems)) if q.stems[i:i + len(run)] == run)
            out.append(q.raw[q.toks[k].start:q.toks[k + len(run) - 1].end])
    return out


def names_apart(question: str, passages: Sequence[str], held: Collection[str] = ()) -> list[str]:
    """Names of the question (as written, adjacent ones together) that the passages hold, but no one passage all of
    them: "Why did the University of Auckland set up the R Foundation?" against passages naming the university and
    the foundation apart. A question about one thing joins there what the documents keep apart. A single letter
    counts with its name ("R Foundation") but not alone (a variable, or the language a corpus is about), nor does a
    ``held`` term (a follow-up's subject, carried over from the question before)."""
    q = _Text.of(question)
    runs: list[list[int]] = []
    for k, tok in enumerate(q.toks):
        if not q.names[k] or tok.low in held or q.stems[k] in held:
            continue
        if runs and runs[-1][-1] == k - 1 and not question[q.toks[k - 1].end:tok.start].strip():
            runs[-1].append(k)
        else:
            runs.append([k])
    have = [stems_of([p]) for p in passages]
    found: dict[str, set[str]] = {}
    for run in runs:
        stems = {q.stems[k] for k in run if len(q.toks[k].text) > 1}
        if stems and any(stems <= h for h in have):
            found.setdefault(question[q.toks[run[0]].start:q.toks[run[-1]].start] + _as_written(q, run[-1]), stems)
    joined = set().union(*found.values()) if found else set()
    if len(found) < 2 or any(joined <= h for h in have):
        return []
    return list(found)


_SLOT_GAP = 3  # content words a passage may hold where the question has one term


@dataclass(frozen=True)
class Swap:
    """A question's term that a passage sentence replaces by another, between the same two words."""

    asked: str  # the question's term, as written
    said: str  # what the sentence has in its place, as written
    sentence: str


def _key(t: _Text, k: int) -> bool:
    """A name, number or code string: a term a question cannot trade for another and mean the same."""
    return t.names[k] or is_number(t.toks[k].text) or looks_like_code(t.toks[k].text)


def swapped_terms(question: str, sentences: Sequence[str], absent: Collection[str],
                  held: Collection[str] = ()) -> list[Swap]:
    """Names, numbers and code strings of the question where a passage sentence has the question's words around them
    and another such term in their place: the documents fill that place with something else (a false premise).

    - A term no passage holds (``absent``, as :func:`missing_terms` gives them): "a visit to Tokyo on April 10" when
      a sentence says "a visit to the U.S. on April 10".
    - A term the passages hold: only when one sentence names it and, in the same clause, gives its place to another
      ("R and S have different defaults, S using Helmert contrasts" against "R uses Helmert contrasts"), and no
      sentence has the question's own term in that frame. A term the question lists with another ("Linux and
      Windows") is left alone: a list's other items fill the same places.
    - ``held``: terms to leave alone (a follow-up's subject, borrowed from the previous question).

    Inside the question the frame is its content words on both sides, in order in the sentence with at most
    ``_SLOT_GAP`` content words between them, none of them the question's own. A term the question starts or ends
    with has neighbours on one side only: there the frame is the two content words on that side, next to each other
    in the sentence, with the same words between them and the place ("closer to Python than Java" against "closer
    to those of Python than C++"). Not a swap: one term the other's initials ("USA", "United States"); a title or
    first name before a name, or the rest of the question's own name after it ("Ms Ardern", "Jacinda Ardern",
    "Guido van Rossum" for "Guido"); a number the sentence gives as a bound or a range ("3.10" against "3.8 or
    newer")."""
    q = _Text.of(question)
    order = [k for k in range(len(q.toks)) if q.content[k]]
    if len(order) < 3:
        return []
    def among(k: int, terms: Collection[str]) -> bool:
        return q.stems[k] in terms or q.toks[k].low in terms

    candidates = []
    for pos, k in enumerate(order):
        if not _key(q, k) or _name_goes_on(q, k) or among(k, held):
            continue
        in_passages = not among(k, absent)
        if not (in_passages and _listed(q, k)):
            candidates.append((pos, k, in_passages))
    if not candidates:  # the common case: no sentence need be parsed
        return []
    # a term the passages hold is looked for only in the sentences naming it
    named = [q.toks[k].low for _, k, in_passages in candidates if in_passages]
    wanted = sentences if len(named) < len(candidates) else [s for s in sentences
                                                             if any(w in s.lower() for w in named)]
    asked_stems = set(q.stems)
    texts = [_Text.of(s) for s in wanted]
    out: list[Swap] = []
    for pos, k, in_passages in candidates:
        if pos == 0:
            frame = _Frame(None, q.stems[order[1]], q.stems[order[2]], _link(q, k, order[1]))
        elif pos == len(order) - 1:
            frame = _Frame(q.stems[order[-3]], q.stems[order[-2]], None, _link(q, order[-2], k))
        else:
            frame = _Frame(q.stems[order[pos - 1]], None, q.stems[order[pos + 1]], ())
        places = [(t, p) for t in texts for p in _places(frame, t)]
        if in_passages and any(t.stems[x] == q.stems[k] for t, p in places for x in p):
            continue  # a sentence says it as the question does
        for t, p in places:
            said = [x for x in p if _key(t, x)]
            if not said or any(t.stems[x] in asked_stems for x in p) or _name_goes_on(t, said[-1]) \
                    or _same_thing(q, k, t, said) or _rest_of_name(t, said[0], q.stems[k]):
                continue
            if in_passages and not _named_in_clause(t, said, q.stems[k]):
                continue
            out.append(Swap(q.toks[k].text, " ".join(_as_written(t, x) for x in said), t.raw))
            break
    return out


def _name_goes_on(t: _Text, k: int) -> bool:
    """Token ``k`` is the first word of a longer name (a title, a first name): a name follows it without a break."""
    return k + 1 < len(t.toks) and t.names[k + 1] and _joined(t, k, k + 1)


def _rest_of_name(t: _Text, k: int, asked: str) -> bool:
    """Token ``k`` continues a name that starts, a few words before it, with the asked term ("Guido van Rossum")."""
    for j in range(k - 1, max(-1, k - 4), -1):
        if not _joined(t, j, j + 1):
            return False
        if t.stems[j] == asked:
            return True
    return False


def _listed(t: _Text, k: int) -> bool:
    """Token ``k`` is an item of a list of names, numbers or code strings ("Linux and Windows", "2, 4 or 8")."""
    for j in (k - 2, k - 1, k + 1, k + 2):
        if 0 <= j < len(t.toks) and _key(t, j):
            between = t.raw[t.toks[min(j, k)].end:t.toks[max(j, k)].start].strip().lower()
            if between in {",", "/", "&", "and", "or", ", and", ", or"}:
                return True
    return False


def _named_in_clause(t: _Text, said: list[int], asked: str) -> bool:
    """The sentence names the asked term outside ``said``, with no clause break (";", ":") between them."""
    for j, stem_ in enumerate(t.stems):
        if stem_ == asked and j not in said:
            a, b = sorted((j, said[0]))
            if not any(c in t.raw[t.toks[a].end:t.toks[b].start] for c in ";:"):
                return True
    return False


@dataclass(frozen=True)
class _Frame:
    """Where a question's term stands: (left, None, right) between two words; (None, a, b) before two adjacent ones;
    (a, b, None) after them, with ``link`` the words between the pair and the term."""

    left: str | None
    middle: str | None
    right: str | None
    link: tuple[str, ...]


def _link(t: _Text, a: int, b: int) -> tuple[str, ...]:
    """The words between tokens ``a`` and ``b``, lower-cased."""
    return tuple(x.low for x in t.toks[a + 1:b])


def _joined(t: _Text, a: int, b: int) -> bool:
    """Nothing but spaces between tokens ``a`` and ``b``: parts of one name."""
    return t.raw[t.toks[a].end:t.toks[b].start].strip() == ""


def _places(frame: _Frame, t: _Text) -> list[list[int]]:
    """The content tokens of ``t`` standing where the frame's term stands, at each place the frame fits."""
    order = [j for j in range(len(t.toks)) if t.content[j]]
    stems = [t.stems[j] for j in order]
    places: list[list[int]] = []
    if frame.middle is None:
        if frame.left == frame.right:
            return []
        for a in (a for a, s in enumerate(stems) if s == frame.left):
            places += [order[a + 1:b] for b in range(a + 2, min(a + 2 + _SLOT_GAP, len(stems)))
                       if stems[b] == frame.right]
        return places
    pair = (frame.middle, frame.right) if frame.left is None else (frame.left, frame.middle)
    for a in range(len(stems) - 1):
        if (stems[a], stems[a + 1]) != pair:
            continue
        if frame.left is None and a > 0 and _link(t, order[a - 1], order[a]) == frame.link:
            places.append([order[a - 1]])
        elif frame.left is not None and a + 2 < len(order) and _link(t, order[a + 1], order[a + 2]) == frame.link:
            places.append([order[a + 2]])
    return places


def _initials(t: _Text, k: int) -> str:
    """The capitals of the name starting at token ``k`` ("United States of America": "USA"); a name written in
    capitals is its own initials."""
    out = ""
    for j in range(k, len(t.toks)):
        word = t.toks[j].text
        if word.replace(".", "").isupper():
            out += word.replace(".", "")
        elif _capital(t.toks[j]):
            out += word[0]
        elif not is_function_word(word) or not out:
            break
    return out


def _same_thing(q: _Text, k: int, t: _Text, said: list[int]) -> bool:
    """``said`` may name what the question's token ``k`` names: one is the other's initials, or a number the sentence
    gives as a bound or range for it."""
    a, b = _initials(q, k), _initials(t, said[0])
    if len(a) >= 2 and len(b) >= 2 and (a.startswith(b) or b.startswith(a)):
        return True
    if is_number(q.toks[k].text):
        near = {x.low for x in t.toks[max(0, said[0] - 3):said[-1] + 4]}
        last, asked = t.toks[said[-1]], q.toks[k].text
        mine, theirs = _version(asked), _version(last.text)
        if "." in asked + last.text and mine and theirs and mine[:len(theirs)] == theirs[:len(mine)]:
            return True  # "3" and "3.6", "3.10" and "3.x": one names a release of the other
        if t.raw[last.end:last.end + 1] == "+":  # "3.8+": that version or a later one; "1,000+": a bound
            return mine >= theirs or "." not in last.text
        return bool(near & _BOUNDS) or not any(is_number(t.toks[x].text) for x in said)
    return False


def _version(number: str) -> tuple[int, ...]:
    """A number as a version's parts, compared part by part ("3.10" after "3.8"; "3.x" is 3; "1,000" is 1000)."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", number):
        return (int(number.replace(",", "")),)
    return tuple(int(p) for p in re.findall(r"\d+", number))


def _as_written(t: _Text, k: int) -> str:
    """The token at ``k`` with the symbols the word pattern leaves off its end: "C++", not "C"; "U.S.", not "U.S"."""
    tok = t.toks[k]
    extra = re.match(r"[+#]*", t.raw[tok.end:])
    dotted = re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]", tok.text) and t.raw[tok.end:tok.end + 1] == "."
    return tok.text + (extra.group() if extra else "") + ("." if dotted else "")


def _subject_of(t: _Text, k: int) -> str | None:
    """The name acting on the content word at ``k``: the nearest name before it in its clause, or the agent after a
    passive "by"."""
    after = t.toks[k + 1:k + 3]
    if after and after[0].low == "by":
        for j in range(k + 2, min(k + 6, len(t.toks))):
            if t.names[j]:
                return t.stems[j]
    for j in range(k - 1, max(-1, k - 9), -1):
        if t.raw[t.toks[j].end:t.toks[j + 1].start].strip() in (";", "."):
            return None
        if t.names[j]:
            return t.stems[j]
    return None


def _next_content(t: _Text, k: int) -> str | None:
    return next((t.stems[j] for j in range(k + 1, len(t.toks)) if t.content[j]), None)


def _group(t: _Text, j: int) -> set[str]:
    """A name and the names coordinated with it ("Japan and the U.S.")."""
    out = {t.stems[j]}
    for step in (-1, 1):
        k = j + step
        while 0 <= k < len(t.toks) and (t.names[k] or t.toks[k].low in _COORD or t.toks[k].low == "the"):
            if t.names[k]:
                out.add(t.stems[k])
            k += step
    return out


def _subjects_kept(claim: _Text, span: _Text, region: tuple[int, int]) -> str | None:
    lo, hi = region
    for k in range(len(claim.toks)):
        if not claim.content[k] or claim.names[k] or is_number(claim.toks[k].text):
            continue
        subject = _subject_of(claim, k)
        if subject is None:
            continue
        spots = [p for p, s in enumerate(span.stems) if s == claim.stems[k] and lo - 3 <= p <= hi + 3]
        if not spots:
            continue
        # Of several occurrences, the one followed by the same word as in the claim is the one the claim restates.
        nxt = _next_content(claim, k)
        same = [p for p in spots if nxt is not None and _next_content(span, p) == nxt]
        spots = same or spots
        agents = [_subject_of(span, p) for p in spots]
        if all(a is not None for a in agents) and not any(
                subject in _group(span, span.stems.index(a)) or a == subject for a in agents if a):
            return f"makes {claim.toks[k].text!r} the act of a different name than the passage does"
        return None  # only the claim's first verb-like word is checked: later ones belong to other clauses
    return None


def _numbers_attached(claim: _Text, span: _Text) -> str | None:
    """With several numbers in the span, each number of the claim must sit nearest to the claim's words around it."""
    span_num = [k for k, t in enumerate(span.toks) if is_number(t.text)]
    if len({span.toks[k].low for k in span_num}) < 2:
        return None
    for i, t in enumerate(claim.toks):
        if not is_number(t.text):
            continue
        near = [claim.stems[k] for k in range(max(0, i - 3), min(len(claim.toks), i + 4))
                if k != i and claim.content[k] and not is_number(claim.toks[k].text)]
        votes = []
        for w in near:
            for p in (k for k, s in enumerate(span.stems) if s == w):
                nearest = min(span_num, key=lambda k, p=p: abs(k - p))  # type: ignore[misc]
                votes.append(span.toks[nearest].low == t.low)
        if votes and sum(votes) * 2 < len(votes):
            return f"attaches {t.text} to words the passage attaches another number to"
    return None


def _negations(t: _Text, lo: int, hi: int) -> list[int]:
    return [k for k in range(lo, hi + 1) if t.toks[k].low in NEGATORS or t.toks[k].low in _CONTRAST
            or t.toks[k].low.endswith(("n't", "n’t")) or negated_auxiliary(t.toks[k].text)]


def _governed(t: _Text, k: int) -> set[str]:
    """Content words a negator at ``k`` scopes over: up to three, within its phrase."""
    out: set[str] = set()
    for j in range(k + 1, min(k + 6, len(t.toks))):
        if re.search(r"[,;:.()]", t.raw[t.toks[j - 1].end:t.toks[j].start]):
            break
        if t.content[j]:
            out.add(t.stems[j])
            if len(out) == 3:
                break
    return out


def _polarity_kept(claim: _Text, span: _Text, region: tuple[int, int]) -> str | None:
    lo, hi = max(0, region[0] - 2), min(len(span.toks) - 1, region[1] + 2)
    claim_neg = _negations(claim, 0, len(claim.toks) - 1)
    span_neg = _negations(span, lo, hi)
    claim_words = claim.content_stems()
    for k in span_neg:
        if _governed(span, k) & claim_words and not claim_neg:
            return "drops a negation the passage has"
    span_words = {span.stems[k] for k in range(lo, hi + 1)}
    for k in claim_neg:
        scope = _governed(claim, k)
        if (scope & span_words or not scope) and not span_neg:
            return "adds a negation the passage does not have"
        if scope & span_words and not any(scope & _governed(span, j) for j in span_neg):
            return "negates something the passage does not"
    start = region[0]
    for j in range(start - 1, max(-1, start - 3), -1):
        if span.toks[j].low in ("that", "whether") and j > 0 and span.content[j - 1] and \
                span.stems[j - 1] not in claim_words:
            return f"leaves out what the passage's “{span.toks[j - 1].text} {span.toks[j].text} …” makes it depend on"
    region_words = {span.toks[k].low for k in range(lo, hi + 1)}
    changed = {t.low for t in claim.toks if t.low in QUANTIFIERS | _LIMITS} - region_words
    if changed:
        return f"says {', '.join(sorted(changed))}, which the passage does not"
    if {t.low for t in span.toks} & CONDITIONALS and not {t.low for t in claim.toks} & CONDITIONALS:
        return "drops the condition the passage states"
    return None


def check_span(sentence: str, span: str, min_coverage: float = 1.0) -> str | None:
    """None when ``span`` (one sentence, or two adjacent) supports ``sentence`` with the same structure;
    otherwise why it does not."""
    claim = _Text.of(sentence, capitals_from=span)
    words = claim.content_stems()
    if not words and not key_terms(sentence):
        return "says nothing checkable"
    span_t = _Text.of(span, capitals_from=sentence)
    have = Counter(span_t.stems)
    if words and len([w for w in words if w in have]) / len(words) < min_coverage:
        absent = sorted(w for w in words if w not in have)
        return f"says {', '.join(as_written(absent[:3], sentence))}, which the passage does not"
    said = Counter(s for s, c in zip(claim.stems, claim.content, strict=True) if c)
    repeated = sorted(w for w, n in said.items() if n > 1 and have[w] and n > have[w])
    if repeated:
        shown = ", ".join(as_written(repeated, sentence))
        return f"says {shown} more often than the passage does (a word in place of another)"
    absent_terms = missing_terms(sentence, [span])
    if absent_terms:
        return f"mentions {', '.join(as_written(absent_terms, sentence))}, which the passage does not"
    problem, region = _align(claim, span_t)
    if problem:
        return problem
    return (_names_intact(claim, span_t) or _subjects_kept(claim, span_t, region) or _numbers_attached(claim, span_t)
            or _polarity_kept(claim, span_t, region))


def clauses(sentence: str) -> list[str]:
    """The independent clauses of a sentence ("A did x; B did y" → two), each with at least two content words."""
    parts = [p.strip(" ,;") for p in _CLAUSE.split(sentence) if p and p.strip(" ,;")]
    if len(parts) < 2 or any(len(_Text.of(p).content_stems()) < 2 for p in parts):
        return [sentence]
    return parts


def check_window(sentence: str, sentences: list[str], min_coverage: float = 1.0) -> tuple[int, int] | str:
    """The (first, last) sentence indices of the span supporting ``sentence``, or the reason none does.

    One sentence, or two adjacent ones when each clause of the claim is supported by one of them.
    """
    reasons: list[str] = []
    for a, s in enumerate(sentences):
        problem = check_span(sentence, s, min_coverage)
        if problem is None:
            return a, a
        reasons.append(problem)
    parts = clauses(sentence)
    if len(parts) > 1:
        for a in range(len(sentences) - 1):
            pair = sentences[a:a + 2]
            if all(any(check_span(p, s, min_coverage) is None for s in pair) for p in parts):
                return a, a + 1
    return most_telling(reasons)


def most_telling(reasons: list[str]) -> str:
    """The reason to show: a structural one beats a missing word (it came closer)."""
    lexical = ("says ", "mentions ")
    structural = [r for r in reasons if not r.startswith(lexical) or r.startswith("says all")]
    if structural:
        return structural[0]
    fallback = reasons[0] if reasons else "no passage sentence says this"
    return next((r for r in reasons if r.startswith("mentions")), fallback)
