"""Telling a text's language, for the reason a question in another language than the documents is refused."""

from __future__ import annotations

import pytest

from assistant.language import language, other_language, other_than

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


def test_choosing_among_a_few_languages_tells_a_short_question() -> None:
    assert other_than("Que signifie l'acronyme CRAN sur le site ?", "en", {"es", "fr"}) == "fr"
    assert language("¿Qué es CRAN?") is None  # three words: too few among all languages, enough among a few
    assert other_than("¿Qué es CRAN?", "en", {"es", "fr"}) == "es"
    assert other_than("Which packages does the tutorial install?", "en", {"es", "fr"}) is None


@pytest.mark.parametrize("phrase", ["Configure sources list", "Edit sources list", "Compile source code quickly",
                                    "Locale configuration files location"])
def test_an_english_keyword_phrase_told_french_is_not_when_english_keeps_a_share(phrase: str) -> None:
    # French comes first for these, with English still at 0.1-0.3 of the probability
    assert other_than(phrase, "en", {"es", "fr", "pt"}) is None
