"""Words neither the documents nor English know (``assistant.lexicon``): a hand-written word list and corpus terms."""

from __future__ import annotations

from pathlib import Path

from assistant.lexical import tokenize
from assistant.lexicon import CorpusTerms, Lexicon, unknown_words

ENGLISH = Lexicon("""how do i create an environment instead of a the make run read file module with what is
python regex boolean graphical desktop get back to from text console precompiled curbed washington safe
used""".split())
DOCUMENTS = ("Create a virtual environment with the venv module. The configuration file is read at start-up. "
             "Collaborating on a distribution. Code compiled to bytecode is pickled and unpickled. A data frame "
             "holds columns. Detach the session and reattach it later. The graphics card.")
TERMS = CorpusTerms(tokenize(DOCUMENTS))


def test_a_word_neither_english_nor_the_documents_know_is_unknown() -> None:
    assert unknown_words("How do I create a conda environment instead of a venv?", ENGLISH, TERMS) == ["conda"]
    assert unknown_words("How do I run Podman with tomllib?", ENGLISH, TERMS) == ["podman", "tomllib"]


def test_words_english_or_the_documents_know_are_not_unknown() -> None:
    # English words the documents do not use are left to the gate ("curbed"), names English knows too
    assert unknown_words("What module is curbed in Washington?", ENGLISH, TERMS) == []
    # the documents' own words, in any inflection
    assert unknown_words("Which modules compile bytecode?", ENGLISH, TERMS) == []
    # an inflection of an English word
    assert unknown_words("Which regexes and booleans?", ENGLISH, TERMS) == []


def test_typos_shortenings_prefixed_words_and_compounds_of_the_documents_words_are_not_unknown() -> None:
    for question in ("Who is colaborating?",  # a typo, one edit from a stem the documents hold
                     "How do I reattach a detatched session?",
                     "Where is the config read?",  # a shortening
                     "Which distro is this?",  # clipped one letter past where it parts from "distribution"
                     "Which distros are there?",
                     "Is unpickling safe?",  # a prefix on a word the documents hold
                     "How do I make a dataframe?"):  # a compound of two of their words
        assert unknown_words(question, ENGLISH, TERMS) == [], question


def test_short_words_code_and_function_words_are_left_to_other_checks() -> None:
    assert unknown_words("Is zfs or read.tabel or x_y used?", ENGLISH, TERMS) == []
    assert unknown_words("Whats this?", ENGLISH, TERMS) == []


def test_a_compound_needs_two_words_of_four_letters_or_more() -> None:
    terms = CorpusTerms(tokenize("The pod and the man page."))
    assert unknown_words("How do I run podman?", ENGLISH, terms) == ["podman"]


def test_corpus_terms_tell_a_near_term_and_a_prefix() -> None:
    terms = CorpusTerms(["collabor", "configur", "read.table"])
    assert terms.holds("configur") and not terms.holds("config")
    assert terms.starts("config") and terms.starts("read.") and not terms.starts("conda")
    assert terms.near("colabor", 1) and not terms.near("kolabor", 1)  # the same first letter
    assert terms.near("collbaor", 1) and not terms.near("colbr", 1)  # a swap of two letters is one edit, not two
    assert terms.near("colabr", 2) and not terms.near("colabr", 1)


def test_a_lexicon_loads_the_lists_it_can_read(tmp_path: Path) -> None:
    words = tmp_path / "words"
    words.write_text("Podman\nregex\nWashington's\n", encoding="utf-8")
    lexicon = Lexicon.load([tmp_path / "missing", words])
    assert lexicon is not None and len(lexicon) == 3
    assert lexicon.knows("podman") and lexicon.knows("Regexes") and lexicon.knows("washington")
    assert not lexicon.knows("conda")
    assert Lexicon.load([tmp_path / "missing"]) is None
    assert Lexicon.load([]) is None
