"""Typos corrected against the passages' own words, and nothing else touched."""

from __future__ import annotations

from assistant.spelling import apply, corrections

PASSAGES = ["Nvidia, Arm and Amazon are among the companies expected to join the research framework.",
            "Matrices are multiplied with the matrix product operator; read.table reads a file."]


def test_words_one_or_two_edits_from_a_passage_word_are_corrected() -> None:
    q = "Wich tech compnies are expectd to join the reserch framwork, and how are matricies multiplied?"
    fixes = corrections(q, PASSAGES)
    assert fixes == {"wich": "which", "compnies": "companies", "expectd": "expected", "reserch": "research",
                     "framwork": "framework", "matricies": "matrices"}
    assert apply("Compnies and matricies", fixes) == "Companies and matrices"


def test_known_short_and_distant_words_are_left_alone() -> None:
    # "quantum" has no neighbour; "lift" is too short to guess ("list"?); "multiply" is three edits from "multiplied"
    assert corrections("Did they lift the quantum multiply rule?", [*PASSAGES, "a list"]) == {}
    # a word the corpus knows is no typo, even when these passages lack it
    assert corrections("What about the frameworx?", PASSAGES, known=lambda w: w == "frameworx") == {}


def test_a_short_word_is_corrected_only_to_a_question_word_with_two_letters_swapped_or_one_more_or_less() -> None:
    assert corrections("Waht does the framework do, and wehn?", PASSAGES) == {"waht": "what", "wehn": "when"}
    assert corrections("Wher is the framework, and wat joins it?", PASSAGES) == {"wher": "where", "wat": "what"}
    # "whos" is one letter from "who" and from "whose"; "were" is a word of its own, a letter from "where"
    assert corrections("whos framework were they in?", PASSAGES) == {}
    # nor a word English knows, a name past the first word, or code
    assert corrections("Is whey in the framework?", PASSAGES, english=lambda w: w == "whey") == {}
    # but a word English knows opening the question before an auxiliary stands for its question word
    english = {"wat", "wen", "whey"}.__contains__
    assert corrections("wat is the framework?", PASSAGES, english=english) == {"wat": "what"}
    assert corrections("Wen did it join, and wat framework?", PASSAGES, english=english) == {"wen": "when"}
    assert corrections("Wher will President Wen join?", PASSAGES) == {"wher": "where"}
    assert corrections("What does `howl` print?", PASSAGES) == {}
    # "hwo" is as near "how" as "who"; "form" is a word of its own, a swap away from "from"; "teh" asks nothing
    assert corrections("hwo joins the form of teh framework?", PASSAGES) == {}
    # an acronym, or a word the passages hold, is no typo
    assert corrections("What does HWY stand for, and woh is it?", ["woh is a word here"]) == {}


def test_an_ambiguous_typo_is_left_alone() -> None:
    assert corrections("What is a bount?", ["a bound and a bounty"]) == {}


def test_a_code_name_is_corrected_only_by_swapping_two_adjacent_characters_back() -> None:
    fixes = corrections("How can read.tabel go faster on a big file?", PASSAGES)
    assert fixes == {"read.tabel": "read.table"}
    assert apply("How can read.tabel go faster? See read.tabel.csv", fixes) == \
        "How can read.table go faster? See read.tabel.csv"
    # one changed character in code is often another real name: Sys.setenv is not a typo of Sys.getenv
    assert corrections("What does Sys.setenv do?", ["Sys.getenv reads a variable."]) == {}


def test_the_words_of_a_hyphenated_compound_are_corrected_each_but_an_option_is_not() -> None:
    passages = ["Biden will host Prime Minister Kishida for the meeting.", "Use --enable-shared to build."]
    fixes = corrections("Is the Kishda-Biden meating soon?", passages)
    assert fixes == {"kishda": "kishida", "meating": "meeting"}
    assert apply("Is the Kishda-Biden meating soon?", fixes) == "Is the Kishida-Biden meeting soon?"
    assert corrections("What does --enabel-shared do?", passages) == {}
