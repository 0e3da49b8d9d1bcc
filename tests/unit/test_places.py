"""A capital the corpus never writes, read as the country the passages name, and nothing else; what names a country."""

from __future__ import annotations

from assistant.places import capitals, country_words_held, in_a_country_name, names_country, read
from assistant.text import stem

PASSAGES = ["The U.S. has restricted the export of chips to China. Japan and the U.S. plan closer cooperation.",
            "The United States and Japan will announce it on April 10."]


def never(name: str) -> bool:
    return True


def test_a_capital_is_read_as_its_country_as_the_passages_write_it_most_often() -> None:
    assert read("What does Washington gain from deeper ties with Tokyo?", PASSAGES, never) == \
        "What does U.S. gain from deeper ties with Japan?"
    # the capital written with its trailing abbreviation, whole; one opening the sentence is read too
    assert read("Why is Washington D.C. worried?", PASSAGES, never) == "Why is U.S. worried?"
    assert read("Washington wants what from Beijing?", PASSAGES, never) == "U.S. wants what from China?"
    # each place is read on its own: one inside a longer name is left as written
    assert read("Did George Washington say what Washington wants?", PASSAGES, never) == \
        "Did George Washington say what U.S. wants?"
    # capitals in a list are each read: a list's comma joins no name
    assert read("Did Tokyo, Washington and Beijing agree?", PASSAGES, never) == "Did Japan, U.S. and China agree?"
    # but a place named with where it is, a title's stop and a sentence's stop are told apart
    for question in ("What happened in Paris, Texas?", "Was Beijing (Illinois) hit?", "Did Dr. Washington sign?"):
        assert read(question, [*PASSAGES, "France and the U.S. too."], never) == question
    assert read("We asked NATO. United States troops did what?", PASSAGES[:1], never) == \
        "We asked NATO. U.S. troops did what?"


def test_names_the_corpus_holds_or_whose_country_the_passages_never_name_are_left_alone() -> None:
    question = "What does Washington want from Paris?"
    assert read(question, PASSAGES, lambda name: name != "Washington") == "What does Washington want from Paris?"
    # a code or a demonym is no naming of a country; nor a two-letter code written without full stops
    for passages in (["The AI framework and the ID card."], ["Tell us about the American plan."],
                     ["The US plan."]):
        assert read("What does The Valley gain, and Washington?", passages, never) == \
            "What does The Valley gain, and Washington?"


def test_a_capital_inside_a_longer_name_code_or_lower_case_question_is_not_read() -> None:
    for question in ("Did George Washington sign it?", "What did the Washington Post report?",
                     "Is Washington State involved?", "Was the University of Washington involved?",
                     "Did Mr. Washington sign it?", "Set the zone to Asia/Tokyo, see ~/Tokyo or Tokyo.py",
                     "what does washington want from beijing"):
        assert read(question, PASSAGES, never) == question


def test_a_demonym_is_not_read_as_its_country() -> None:
    for question in ("How did Chinese officials respond?", "Is the Japanese daily right?", "Is it Swiss cheese?"):
        assert read(question, [*PASSAGES, "Switzerland"], never) == question


def test_unusual_letters_and_empty_text_are_left_alone() -> None:
    # a dotted capital I in a Turkish spelling, a long s: no such capital, nothing read, nothing raised
    for question in ("What does BERLİN want?", "what does parıs want", "What does Pariſ want?", "", "?!"):
        assert read(question, ["Germany, France"], never) == question


def test_a_capital_two_countries_share_is_read_only_when_the_passages_name_one_of_them() -> None:
    # Kingston is the capital of Jamaica and of Norfolk Island in the data
    assert read("What does Kingston want?", ["Jamaica agrees."], never) == "What does Jamaica want?"
    assert read("What does Kingston want?", ["Jamaica agrees.", "Norfolk Island too."], never) == \
        "What does Kingston want?"


def test_a_country_is_named_only_by_its_own_name_or_initials_no_other_country_shares() -> None:
    # "Sudan" ends "South Sudan"; "S.A." is the initials of South Africa and of Saudi Arabia
    assert read("What does Khartoum say about the pipeline?", ["South Sudan exports its oil."], never) == \
        "What does Khartoum say about the pipeline?"
    assert read("What does Riyadh want?", ["The S.A. Reserve Bank and Banco Santander S.A."], never) == \
        "What does Riyadh want?"


def test_longer_names_code_and_full_stops_around_a_capital() -> None:
    for question in ("George Washington signed what?", "Queen Victoria ruled when?", "Why does Tokyo() fail?",
                     "What does df['Tokyo'] hold?", "Is Universidad de Lima private?", "Why are Tokyo-3 talks on?"):
        assert read(question, [*PASSAGES, "Peru and Seychelles"], never) == question
    assert read("Officials left Washington. What did they say?", PASSAGES, never) == \
        "Officials left U.S. What did they say?"


def test_a_country_name_after_a_capitalised_function_word_is_still_its_name() -> None:
    assert read("What does Washington want?", ["The United States agrees. During United States talks, it did."],
                never) == "What does United States want?"


def test_a_country_or_region_is_named_by_its_name_initials_demonym_or_adjective_not_a_town_or_a_code() -> None:
    for name in ("Japan", "Japan's", "South Korea", "U.S", "United States", "American", "Asia", "Asian", "European"):
        assert names_country(name), name
    # towns named after a country, and names a country's short code would have matched ("KAZ", "KEN")
    for name in ("Mexico City", "Jersey City", "Seoul", "Kazan", "Ken", "Osaka"):
        assert not names_country(name), name
    assert in_a_country_name("America") and in_a_country_name("Korea") and not in_a_country_name("Seoul")
    assert "canberra" in capitals() and "mexico city" in capitals()

def test_a_country_named_as_the_passages_never_write_it_is_read_as_they_do() -> None:
    initials = ["Japan and the U.S. plan closer cooperation."]
    name = ["Japan and the United States plan closer cooperation."]
    assert read("What will the United States announce?", initials, never) == "What will the U.S. announce?"
    assert read("What did the U.S. say?", name, never) == "What did the United States say?"
    assert read("Did they meet in the United States.", initials, never) == "Did they meet in the U.S."
    # the same country whatever the corpus holds elsewhere; written as the passages write it, it is left alone
    assert read("What will the United States announce?", initials, lambda name: False) == \
        "What will the U.S. announce?"
    assert read("What did the U.S. say?", [*initials, *name], never) == "What did the U.S. say?"
    # not in a compound, opening a longer name or ending one, nor a country the passages do not name
    for question in ("Which U.S.-based firms joined?", "Is the United States of America named?",
                     "Does South Sudan agree?"):
        assert read(question, [*initials, "Sudan and Juba."], never) == question
    assert read("What did the U.K. say?", initials, never) == "What did the U.K. say?"
    # initials ending a sentence keep its full stop; a possessive is read
    assert read("They met in the U.S. What did they sign?", name, never) == \
        "They met in the United States. What did they sign?"
    assert read("What is the United Kingdom's view?", ["The U.K. agrees."], never) == "What is the U.K.'s view?"
    # initials before a name are the name's ("I.M. Pei"), as a country's name is a longer name's ("U.S. Navy"),
    # unless the word before opens the question
    assert read("Which buildings did I.M. Pei design?", ["The Isle of Man."], never) == \
        "Which buildings did I.M. Pei design?"
    assert read("Is the U.S. Navy there?", name, never) == "Is the U.S. Navy there?"
    assert read("Explain United States policy.", initials, never) == "Explain U.S. policy."
    # a list or a possessive ends the name
    assert read("Did the United States, Japan and Korea agree?", initials, never) == \
        "Did the U.S., Japan and Korea agree?"
    assert read("What is the United States' AI strategy?", initials, never) == "What is the U.S.' AI strategy?"


def test_country_words_are_held_where_the_other_text_names_the_country_its_own_way() -> None:
    text = "Japan and the U.S. agree."
    assert country_words_held("Did Japanese and American firms agree?", text) == {stem("Japanese"), stem("American")}
    assert country_words_held("Are Japanese-made chips in it?", text) == {stem("Japanese")}  # a compound's part
    # not written with its capital, not one of a country the text never names, nor a stem a name shares
    assert country_words_held("Are japanese firms or German ones in it?", text) == set()
    assert country_words_held("Did Polish firms make Polished chips?", "Poland agrees.") == set()
    assert country_words_held("Did Polish firms make them?", "Poland agrees.") == {stem("Polish")}
