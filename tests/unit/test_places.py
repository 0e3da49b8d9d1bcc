"""A capital or demonym the corpus never writes, read as the country the passages name, and nothing else."""

from __future__ import annotations

from assistant.places import readings

PASSAGES = ["The U.S. has restricted the export of chips to China. Japan and the U.S. plan closer cooperation.",
            "The United States and Japan will announce it on April 10."]


def never(name: str) -> bool:
    return True


def test_a_capital_or_demonym_is_read_as_its_country_as_the_passages_write_it_most_often() -> None:
    assert readings("What does Washington gain from deeper ties with Tokyo?", PASSAGES, never) == {
        "washington": "U.S.", "tokyo": "Japan"}
    assert readings("Did the Japanese daily say so?", PASSAGES, never) == {"japanese": "Japan"}
    # the capital written with its trailing abbreviation, whole
    assert readings("Why is Washington D.C. worried?", PASSAGES, never) == {"washington d.c.": "U.S."}
    # a question typed all in lower case writes its names so too
    assert readings("what does washington want from beijing", PASSAGES, never) == {
        "washington": "U.S.", "beijing": "China"}


def test_names_the_corpus_holds_or_whose_country_the_passages_never_name_are_left_alone() -> None:
    assert readings("What does Washington want?", PASSAGES, lambda name: name != "Washington") == {}
    assert readings("What does Paris want from Berlin?", PASSAGES, never) == {}
    # a two-letter code is a country's only when written as one: "us" is a word
    assert readings("What does Washington want?", ["Tell us what the plan is."], never) == {}


def test_a_name_inside_a_longer_name_or_written_as_a_word_is_not_read() -> None:
    for question in ("Did George Washington sign it?", "What did the Washington Post report?",
                     "Is Washington State involved?", "What does washington want from Beijing?"):
        assert "washington" not in readings(question, PASSAGES, never), question
    # opening the sentence, a capitalised word is no part of the name after it
    assert readings("Washington wants what?", PASSAGES, never) == {"washington": "U.S."}


def test_a_name_two_countries_share_is_read_only_when_the_passages_name_one_of_them() -> None:
    # the data gives "American" for the United States and for the Northern Mariana Islands
    assert readings("Is the American plan new?", PASSAGES, never) == {"american": "U.S."}
    assert readings("Is the American plan new?", [*PASSAGES, "The Northern Mariana Islands agree."], never) == {}
