"""A country named by its capital or its people's name, read as the country where the documents name it only so.

News writes "Washington" for the United States and "the Japanese government" for Japan's. A capital or demonym of
the question that the corpus never holds, while the passages found for the question name its country, is read as
the country's name as those passages write it ("Washington" -> "U.S."): otherwise the question is refused for a
name no passage holds, although they speak of the country. The country data is the ``countryinfo`` package (every
country's name, other names, capital and demonym); nothing here names a document's word.

Only a name the question writes as one (capitalised, or in a question typed all in lower case) is read, and not
inside a longer name ("George Washington", "Washington Post"). A name two countries share whose both countries the
passages name is left as it is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

from assistant.text import Token, is_function_word, tokens

# A capital's trailing abbreviation ("Washington D.C."): the city is also written without it.
_DOTTED_TAIL = re.compile(r",?\s+(?:[A-Z]\.)+$")
_LATIN = re.compile(r"[A-Za-z][A-Za-z .'-]*[A-Za-z.]")


def _forms(info: dict[str, object]) -> tuple[str, ...]:
    """The country's names in Latin letters, its name first; a two-letter code also with full stops ("U.S.")."""
    names = [str(info.get("name") or "")]
    alternatives = info.get("altSpellings")
    names += [str(a) for a in alternatives] if isinstance(alternatives, list) else []
    out: list[str] = []
    for name in names:
        if not _LATIN.fullmatch(name) or len(name) < 2:
            continue
        out.append(name)
        if len(name) == 2 and name.isupper():
            out.append(f"{name[0]}.{name[1]}.")
    return tuple(dict.fromkeys(out))


@functools.cache
def _stand_ins() -> dict[str, list[tuple[str, ...]]]:
    """{capital or demonym, lower-cased: the forms of each country it may stand for}."""
    from countryinfo import CountryInfo

    out: dict[str, list[tuple[str, ...]]] = {}
    for info in CountryInfo.all().values():
        forms = _forms(dict(info))
        if not forms:
            continue
        capitals = info.get("capital")
        names = [*(capitals if isinstance(capitals, list) else [capitals]), info.get("demonym")]
        for name in names:
            if not isinstance(name, str) or not _LATIN.fullmatch(name):
                continue
            for written in dict.fromkeys((name, _DOTTED_TAIL.sub("", name))):
                if forms not in out.setdefault(written.lower(), []):
                    out[written.lower()].append(forms)
    return out


@functools.cache
def _pattern() -> re.Pattern[str]:
    names = sorted(_stand_ins(), key=len, reverse=True)
    return re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w])", re.IGNORECASE)


def _written(form: str, text: str) -> int:
    """How often ``text`` writes the country's name ``form`` as it is (a code in capitals: "US", not "us")."""
    return len(re.findall(rf"(?<![\w.]){re.escape(form)}(?![\w])" + ("" if form.endswith(".") else r"(?!\.\w)"),
                          text))


def _in_a_longer_name(words: list[Token], first: int, last: int, question: str) -> bool:
    """Whether the words ``first``..``last`` of the question stand next to another capitalised word of one name
    ("George Washington", "Washington Post"); a word opening the sentence is no part of it."""
    def named(i: int) -> bool:
        if not 0 <= i < len(words) or is_function_word(words[i].low) or not words[i].text[:1].isupper():
            return False
        before = question[:words[i].start].rstrip(" \"'“‘(")
        return bool(before) and before[-1] not in ".!?:"

    return named(first - 1) or named(last + 1)


def readings(question: str, passages: Iterable[str], never_held: Callable[[str], bool]) -> dict[str, str]:
    """{capital or demonym of ``question``, lower-cased: its country's name as the ``passages`` write it}, for each
    one the corpus never holds (``never_held(name)``) whose country the passages name, most often by that form."""
    text = "\n".join(passages)
    lower_case = not any(c.isupper() for c in question)
    words = tokens(question)
    out: dict[str, str] = {}
    for m in _pattern().finditer(question):
        name = m.group()
        if name.lower() in out or not (lower_case or name[:1].isupper()) or not never_held(name):
            continue
        inside = [i for i, t in enumerate(words) if m.start() <= t.start < m.end()]
        if not inside or _in_a_longer_name(words, inside[0], inside[-1], question):
            continue
        found = []
        for forms in _stand_ins()[name.lower()]:
            count, form = max((_written(f, text), f) for f in forms)
            if count:
                found.append(form)
        if len(found) == 1:
            out[name.lower()] = found[0]
    return out
