"""A country named by its capital, read as the country where the documents name it only so.

News writes "Washington" for the United States and "Tokyo" for Japan. A capital the question names that the corpus
never holds, while the passages found for the question name its country, is read as the country's name as those
passages write it ("Washington" -> "U.S."): otherwise the question is refused for a name no passage holds,
although they speak of the country. The country data is the ``countryinfo`` package (every country's name and
capital); nothing here names a document's word.

Only a capital written as a name is read (capitalised; a question typed all in lower case shows no names), and not
inside a longer one ("George Washington", "Washington Post", "University of Washington", "Mr. Washington"). A
country counts as named by its name, a longer name of it ("United States of America"), or by the initials of its
name with full stops ("U.S."); never by a bare code ("AI", "ID", "PS" are words of technical text). A demonym is
not read: "Chinese officials", "Swiss cheese" and "in Japanese" are not the country.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

from assistant.text import TITLES, Token, is_function_word, tokens

# A capital's trailing abbreviation ("Washington D.C."): the city is also written without it.
_DOTTED_TAIL = re.compile(r",?\s+(?:[A-Z]\.)+$")
_LATIN = re.compile(r"[A-Za-z][A-Za-z .'-]*[A-Za-z]")
_JOINS = frozenset({"of"})  # a lower-case word inside a name ("University of Washington")


def _forms(info: dict[str, object]) -> tuple[str, ...]:
    """The country's names in Latin letters: its name, then longer names of it; and its name's initials with full
    stops ("U.S."), when the name has two words or more."""
    name = str(info.get("name") or "")
    if not _LATIN.fullmatch(name):
        return ()
    alternatives = info.get("altSpellings")
    longer = [str(a) for a in alternatives if _LATIN.fullmatch(str(a)) and " " in str(a)] \
        if isinstance(alternatives, list) else []
    initials = "".join(f"{w[0]}." for w in name.split() if w[:1].isupper()) if " " in name else ""
    return tuple(dict.fromkeys([name, *longer, *([initials] if len(initials) >= 4 else [])]))


@functools.cache
def _capitals() -> dict[str, list[tuple[str, ...]]]:
    """{capital, lower-cased: the forms of each country it is the capital of}."""
    from countryinfo import CountryInfo

    out: dict[str, list[tuple[str, ...]]] = {}
    for info in CountryInfo.all().values():
        forms = _forms(dict(info))
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
    return re.compile(r"(?<![\w./~])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w/]|\.\w)", re.IGNORECASE)


def _written(form: str, text: str) -> int:
    """How often ``text`` writes the country's name ``form`` as it is."""
    return len(re.findall(rf"(?<![\w.]){re.escape(form)}(?!\w|\.\w)", text))


def _in_a_longer_name(words: list[Token], first: int, last: int, question: str) -> bool:
    """Whether the words ``first``..``last`` of the question stand next to another word of one name ("George
    Washington", "Washington Post", "University of Washington", "Mr. Washington"); a word opening the sentence is
    no part of it."""
    def named(i: int) -> bool:
        if not 0 <= i < len(words) or is_function_word(words[i].low) or not words[i].text[:1].isupper():
            return False
        if words[i].low.rstrip(".") in TITLES:
            return True
        before = question[:words[i].start].rstrip(" \"'“‘(")
        return bool(before) and before[-1] not in ".!?:"

    joined = first >= 2 and words[first - 1].low in _JOINS and named(first - 2)
    return joined or named(first - 1) or (last + 1 < len(words) and (
        named(last + 1) or words[last + 1].low.rstrip(".") in TITLES))


def read(question: str, passages: Iterable[str], never_held: Callable[[str], bool]) -> str:
    """``question`` with each capital it names as a name, that the corpus never holds (``never_held(name)``), in the
    name of its country as the ``passages`` write it most often, when they name that country (and no other country
    whose capital has the same name)."""
    if not any(c.isupper() for c in question):
        return question
    text = "\n".join(passages)
    words = tokens(question)
    counted: dict[str, int] = {}
    out, at = [], 0
    for m in _pattern().finditer(question):
        name = m.group()
        countries = _capitals().get(name.lower())
        if not countries or not name[:1].isupper() or not never_held(name):
            continue
        inside = [i for i, t in enumerate(words) if m.start() <= t.start < m.end()]
        if not inside or _in_a_longer_name(words, inside[0], inside[-1], question):
            continue
        found = []
        for forms in countries:
            for form in forms:
                if form not in counted:
                    counted[form] = _written(form, text)
            count, form = max((counted[f], f) for f in forms)
            if count:
                found.append(form)
        if len(found) == 1:
            out += [question[at:m.start()], found[0]]
            at = m.end()
    return "".join([*out, question[at:]])
