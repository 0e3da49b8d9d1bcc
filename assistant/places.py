"""A country named by its capital, read as the country where the documents name it only so.

News writes "Washington" for the United States and "Tokyo" for Japan. A capital the question names that the corpus
never holds, while the passages found for the question name its country, is read as the country's name as those
passages write it ("Washington" -> "U.S."): otherwise the question is refused for a name no passage holds,
although they speak of the country. The country data is the ``countryinfo`` package (every country's name and
capital); nothing here names a document's word.

Only a capital written as a name is read (capitalised; a question typed all in lower case shows no names), not
inside a longer one ("George Washington", "Washington Post", "University of Washington", "Mr. Washington"), nor in
code, quotes or a path ("Asia/Tokyo", "df['Tokyo']"). A country counts as named by its name, not inside a longer
one ("Sudan" in "South Sudan"), or by its name's initials with full stops when no other country has the same
("U.S."; not "S.A."); never by a bare code ("AI", "ID", "PS" are words of technical text) or another name of it
("Holland"). A demonym is not read: "Chinese officials", "Swiss cheese" and "in Japanese" are not the country.
Left as they are: a capital in a fixed phrase ("the Paris agreement", "Stockholm syndrome") or a person's first
name ("Victoria", "Sofia") is read as the country when the corpus never writes it and the passages name that
country.

The same data says what names a country or a region rather than a town (``names_country``: "South Korea", "U.S",
"Asian"; not "Mexico City") and which names are capital cities (``capitals``), for a question asking which town
or city, and which words of a question are words of a country's name (``in_a_country_name``: "America"), which
may stand for a country the documents name otherwise; ``names_a_country_named`` says when a demonym or the word a
country's longer name adds ("American", "America") names a country a text writes its own way ("U.S."), and
``is_country_word`` whether a word is one as written ("Polish"), not merely by its stem ("polished").
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterable

from assistant.text import Token, hyphen_parts, is_function_word, stem, tokens, without_possessive

# A capital's trailing abbreviation ("Washington D.C."): the city is also written without it.
_DOTTED_TAIL = re.compile(r",?\s+(?:[A-Z]\.)+$")
_LATIN = re.compile(r"[A-Za-z][A-Za-z .'-]*[A-Za-z]")
# a lower-case word inside a name ("University of Washington", "Universidad de Lima", "Kingston upon Thames")
_JOINS = frozenset("of de del du da upon".split())
_TITLE = re.compile(r"[A-Z][a-z]{0,2}")  # a title or an initial written with a stop: "Mr.", "Dr.", "St.", "J."
_LIST_GOES_ON = re.compile(r"\s*(?:,|(?:and|or)\b)", re.I)  # "Tokyo, Washington and …" lists; "Paris, Texas" names


def _initials(name: str) -> str:
    """A name's initials with full stops ("United States" -> "U.S."), when it has two capitalised words or more."""
    letters = [w[0] for w in name.split() if w[:1].isupper() and w != "The"]
    return "".join(f"{c}." for c in letters) if len(letters) >= 2 else ""


def _forms(info: dict[str, object], shared: set[str]) -> tuple[str, ...]:
    """The country's name in Latin letters, and its initials with full stops ("U.S.") unless another country has
    the same ("S.A.": South Africa, Saudi Arabia). Not its other names: "Republic of China" is also written inside
    "People's Republic of China", "Holland" is a name of people."""
    name = str(info.get("name") or "")
    if not _LATIN.fullmatch(name):
        return ()
    initials = _initials(name)
    return (name, initials) if initials and initials not in shared else (name,)


@functools.cache
def _countries() -> list[tuple[dict[str, object], tuple[str, ...]]]:
    """Every country's data and the forms the documents may write its name in."""
    from countryinfo import CountryInfo

    countries = [dict(info) for info in CountryInfo.all().values()]
    seen: set[str] = set()
    shared: set[str] = set()
    for info in countries:
        initials = _initials(str(info.get("name") or ""))
        (shared if initials in seen else seen).add(initials)
    return [(info, _forms(info, shared)) for info in countries]


@functools.cache
def _capitals() -> dict[str, list[tuple[str, ...]]]:
    """{capital, lower-cased: the forms of each country it is the capital of}."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for info, forms in _countries():
        capitals = info.get("capital")
        for capital in capitals if isinstance(capitals, list) else [capitals]:
            if not forms or not isinstance(capital, str) or not _LATIN.fullmatch(capital.rstrip(".")):
                continue
            for written in dict.fromkeys((capital, _DOTTED_TAIL.sub("", capital))):
                if forms not in out.setdefault(written.lower(), []):
                    out[written.lower()].append(forms)
    return out


@functools.cache
def _pattern() -> re.Pattern[str]:
    names = sorted(_capitals(), key=len, reverse=True)
    # not in code, a path, quotes or a hyphenated compound ("Asia/Tokyo", "df['Tokyo']", "Tokyo()", "Tokyo-3")
    return re.compile(r"(?<![\w./~\\'\"`@#$:-])(?:" + "|".join(re.escape(n) for n in names)
                      + r")(?![\w/\\'\"`(-]|\.\w|:\d)", re.IGNORECASE)


def _written(form: str, text: str) -> int:
    """How often ``text`` writes the country's name ``form`` as it is, not as the end of a longer name ("South
    Sudan", "Papua New Guinea", "Democratic Republic of the Congo"; "The United States" is the name)."""
    count = 0
    for m in re.finditer(rf"(?<![\w.]){re.escape(form)}(?!\w|\.\w)", text):
        before = re.search(r"([\w'’]+)\s+$", text[max(0, m.start() - 40):m.start()])
        count += not (before and before.group(1)[:1].isupper() and not is_function_word(before.group(1).lower()))
    return count


def _name_word(words: list[Token], i: int) -> bool:
    """Is the ``i``-th word capitalised and no function word (a word of a name)?"""
    return 0 <= i < len(words) and words[i].text[:1].isupper() and not is_function_word(words[i].low)


def _in_a_longer_name(question: str, words: list[Token], first: int, end: int, span: tuple[int, int],
                      capital: bool) -> bool:
    """Whether the words ``first``..``end - 1`` of the question (at ``span``) stand next to another word of one name:
    with only spaces between ("George Washington", "Washington Post", "I.M. Pei", "U.S. Navy") or after a title's stop
    ("Mr. Washington", "St. Louis"; not a sentence's, "… NATO. United States troops"); not in a list or after a
    possessive ("Tokyo, Washington and Seoul", "the U.K.'s NHS"). A ``capital`` is also inside a longer name before
    a place it is in ("Paris, Texas", "Rome (Italy)"; a country is not: "the United States, Japan"), after "of"
    ("University of Washington"; a country after it is the country: "President of United States") and next to the
    question's opening word ("George Washington was …"; a country's name is not: "Explain United States policy")."""
    before = False
    if first >= (1 if capital else 2) and _name_word(words, first - 1):
        prior = words[first - 1]
        gap = question[prior.start + len(prior.text):span[0]]
        before = bool(re.fullmatch(r"\s+", gap) or (re.fullmatch(r"\.\s+", gap) and _TITLE.fullmatch(prior.text)))
    after = False
    if _name_word(words, end):
        gap = question[span[1]:words[end].start]
        beyond = question[words[end].start + len(words[end].text):]
        after = bool(re.fullmatch(r"\s+", gap) or (capital and re.fullmatch(r"\s*[,(]\s*", gap)
                                                     and not _LIST_GOES_ON.match(beyond)))
    joined = capital and first >= 2 and words[first - 1].low in _JOINS and _name_word(words, first - 2)
    return before or after or joined


@functools.cache
def _forms_of_name() -> dict[str, list[tuple[str, ...]]]:
    """{a country's name or initials, as written: the forms of each country it names}."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for _, forms in _countries():
        for form in forms:
            if forms not in out.setdefault(form, []):
                out[form].append(forms)
    return out


@functools.cache
def _name_pattern() -> re.Pattern[str]:
    names = sorted(_forms_of_name(), key=len, reverse=True)
    # as a name (capitalised as written), not in code, a path, quotes or a compound ("U.S.-based"), nor opening a
    # longer name ("United States of America")
    return re.compile(r"(?<![\w./~\\'\"`@#$:-])(?:" + "|".join(re.escape(n) for n in names)
                      + r")(?![\w/\\\"`(-]|'(?!s\b|(?<=s')(?!\w))|\.\w|:\d|\s+(?i:of)\s+[A-Z])")


def read(question: str, passages: Iterable[str], never_held: Callable[[str], bool]) -> str:
    """``question`` with each capital it names as a name, that the corpus never holds (``never_held(name)``), in the
    name of its country as the ``passages`` write it most often, when they name that country (and no other country
    whose capital has the same name); and each country it names in a way the passages never write ("United States",
    "U.S.") in the way they do ("U.S.", "United States")."""
    if not any(c.isupper() for c in question):
        return question
    text = "\n".join(passages)
    words = tokens(question)
    starts = [t.start for t in words]
    counted: dict[str, int] = {}

    def written(form: str) -> int:
        if form not in counted:
            counted[form] = _written(form, text)
        return counted[form]

    out, at = [], 0
    matches = sorted([*_pattern().finditer(question), *_name_pattern().finditer(question)], key=lambda m: m.start())
    for m in matches:
        name = m.group()
        if m.start() < at:
            continue
        first, end = bisect.bisect_left(starts, m.start()), bisect.bisect_left(starts, m.end())
        if m.re is _name_pattern():  # the same country, whatever the corpus holds
            # not inside a longer name ("I.M. Pei", "U.S. Navy", "the S.S. Minnow"), unless the word before opens
            # the question ("Explain United States policy")
            if first == end or written(name) or _in_a_longer_name(question, words, first, end, m.span(), False):
                continue
            countries = [tuple(f for f in forms if f != name) for forms in _forms_of_name()[name]]
        else:
            countries = _capitals().get(name.lower(), [])
            if not countries or not name[:1].isupper() or first == end \
                    or _in_a_longer_name(question, words, first, end, m.span(), True) or not never_held(name):
                continue
        found = []
        for forms in countries:
            count, form = max(((written(f), f) for f in forms), default=(0, ""))
            if count:
                found.append(form)
        if len(found) == 1:  # "left Washington." -> "left U.S.", not "U.S.."; "in the U.S. What …" keeps its stop
            form = found[0].removesuffix(".") if question[m.end():m.end() + 1] == "." else found[0]
            ends = name.endswith(".") and not form.endswith(".") and re.match(r"\s+[A-Z]|\s*$", question[m.end():])
            out += [question[at:m.start()], form + "." if ends else form]
            at = m.end()
    return "".join([*out, question[at:]])


@functools.cache
def _country_names() -> tuple[frozenset[str], frozenset[str]]:
    """Every country's and region's name, other names, initials and demonym, lower-cased ("united states", "u.s",
    "united states of america", "american", "asia", "eastern asia"), and every word of them ("america"). Not the
    short codes among the other names ("US", "KOR": "Ken", "Kazan" are no country)."""
    from countryinfo import CountryInfo

    phrases: set[str] = set()
    for info in CountryInfo.all().values():
        alt = info.get("altSpellings")
        for name in [*(info.get(k) for k in ("name", "demonym", "region", "subregion")),
                     *(a for a in (alt if isinstance(alt, list) else []) if isinstance(a, str) and not a.isupper())]:
            if not isinstance(name, str) or not name:
                continue
            phrases.add(" ".join(name.lower().split()))
            initials = _initials(name)
            if initials:
                phrases.update({initials.lower(), initials.lower().rstrip(".")})
    # "Americas" is a region, "America" a name of it
    phrases.update(p[:-1] for p in list(phrases) if p.endswith("as") and " " not in p)
    words = {w for p in phrases for w in (re.findall(r"[^\W\d_]+", p) if " " in p else [p]) if not is_function_word(w)}
    return frozenset(phrases), frozenset(words)


def _others() -> list[tuple[str, tuple[str, ...]]]:
    """(a country's demonym, or the one word its longer name adds after "of" ("America" of "United States of
    America"), the forms of the country). Not a single word of a longer name ("Northern" of "… Northern Ireland",
    "Peace" of "… Abode of Peace"), nor another name standing alone ("Holland" is also a name of people)."""
    out = []
    for info, forms in _countries():
        name, alt = str(info.get("name") or ""), info.get("altSpellings")
        longer = [a.removeprefix(f"{name} of ") for a in (alt if isinstance(alt, list) else [])
                  if isinstance(a, str) and name and a.startswith(f"{name} of ")]
        out += [(other, forms) for other in [info.get("demonym"), *longer]
                if forms and isinstance(other, str) and other.isalpha()]
    return out


@functools.cache
def _other_names() -> dict[str, list[tuple[str, ...]]]:
    """{the stem of a country's demonym ("american") or of the word its longer name adds: the forms of each country
    it names}."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for other, forms in _others():
        if forms not in out.setdefault(stem(other), []):
            out[stem(other)].append(forms)
    return out


@functools.cache
def _other_words() -> frozenset[str]:
    """Those demonyms and words as written, lower-cased, and their plurals ("japanese", "americans")."""
    return frozenset(w for other, _ in _others() for w in (other.lower(), other.lower() + "s"))


def names_a_country_named(word: str, text: str) -> bool:
    """Is ``word`` (as written, or its stem) the demonym of a country, or the word its longer name adds ("America"),
    that ``text`` names its own way ("America", "American", "Americans" where the text writes "U.S." or "United
    States")? English calls a country by more names than a document keeps to."""
    low = _bare(word)
    countries = _other_names().get(low) or _other_names().get(stem(low), [])  # stemmed already, or as written
    return any(_written(form, text) for forms in countries for form in forms)


def country_words_held(text: str, others: str) -> set[str]:
    """Stems of the country words ``text`` writes with their capital (demonyms and the like, "Japanese", "America";
    a compound's parts too, "Polish-made") whose country ``others`` names its own way ("Japanese" where ``others``
    writes "Japan"); not a stem another capitalised word of ``text`` shares without being one ("Polished")."""
    names = [t for whole in tokens(text) for t in (whole, *hyphen_parts(whole)) if t.text[:1].isupper()]
    stems = {stem(t.text) for t in names if is_country_word(t.text)} - {
        stem(t.text) for t in names if not is_country_word(t.text)}
    return {st for st in stems if names_a_country_named(st, others)}


def is_country_word(word: str) -> bool:
    """Is ``word`` as written (any case) a country's demonym or the word its longer name adds, or its plural
    ("Japanese", "Americans"), not merely a word sharing its stem ("polished")?"""
    return _bare(word) in _other_words()


@functools.cache
def capitals() -> frozenset[str]:
    """Every country's capital, lower-cased ("tokyo", "mexico city", "washington d.c.", "washington")."""
    return frozenset(_capitals())


def _bare(name: str) -> str:
    return " ".join(without_possessive(name.lower()).split())


def names_country(name: str) -> bool:
    """Is ``name`` a country or a region, by name, other name, initials or demonym ("Japan", "South Korea", "U.S",
    "American", "Asia"), or a region's adjective ("Asian", "European")? "Mexico City" and "Jersey City" are not."""
    low, (phrases, _) = _bare(name), _country_names()
    return low in phrases or (" " not in low and len(low) >= 5 and any(
        low.endswith(end) and low[:-len(end)] in phrases for end in ("n", "an")))


def in_a_country_name(word: str) -> bool:
    """Is ``word`` a word of a country's or a region's name ("America" of "United States of America", "Korea"), or
    one itself?"""
    return names_country(word) or _bare(word) in _country_names()[1]
