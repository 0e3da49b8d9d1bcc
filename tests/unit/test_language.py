"""Telling a text's language, for the reason a question in another language than the documents is refused."""

from __future__ import annotations

import pytest

from assistant.language import language, other_language

ENGLISH = "The package manager installs the files of a package and runs its configuration scripts."


@pytest.mark.parametrize(("text", "code"), [
    (ENGLISH, "en"),
    ("Quel journal a rapporté cette information sur la coopération ?", "fr"),
    ("¿Qué presidente de Estados Unidos recibirá a Kishida?", "es"),
    ("Wann besucht der Premierminister die Vereinigten Staaten?", "de"),
    # too few words to tell, whatever the letters
    ("tasksel?", None),
    ("Was ist R?", None),
    # code strings and numbers are no words; names and commands leave the classifier unsure, which tells nothing
    ("What does `sudo tune2fs -c 50 /dev/hda1` do?", None),
    ("How do I run python -m venv .venv on Windows?", None),
    ("How do I create a virtual environment with venv on Windows?", "en"),
])
def test_language_of_a_text(text: str, code: str | None) -> None:
    assert language(text) == code


def test_other_language_names_both_only_when_they_differ() -> None:
    assert other_language("¿Qué presidente de Estados Unidos recibirá a Kishida?", ENGLISH) == ("es", "en")
    assert other_language("Which script configures the package after it is installed?", ENGLISH) is None
    assert other_language("Was ist R?", ENGLISH) is None  # the question's language cannot be told


def test_choosing_among_fewer_languages_tells_a_short_question() -> None:
    short = "Que signifie l'acronyme CRAN ?"
    assert language(short) is None  # its probability shared with French's neighbours
    assert language(short, {"en", "es", "fr"}) == "fr"
    assert language("Which packages does the tutorial install?", {"en", "es", "fr"}) == "en"
    assert language("¿Qué es CRAN?") is None  # three words: too few among all languages, enough among a few
    assert language("¿Qué es CRAN?", {"en", "es", "fr"}) == "es"
