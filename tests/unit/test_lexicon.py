"""Words neither the documents nor English know (``assistant.lexicon``): a hand-written word list and corpus terms."""

from __future__ import annotations

from pathlib import Path

from assistant.lexical import tokenize
from assistant.lexicon import CorpusTerms, Lexicon, unheard_names, unknown_words

ENGLISH = Lexicon("""how do i create an environment instead of a the make run read file module with what is
python regex boolean graphical desktop get back to from text console curbed washington safe
rootless compose mode return forge print
used""".split())
DOCUMENTS = ("Create a virtual environment with the venv module. The configuration file is read at start-up. "
             "Collaborating on a distribution. Code compiled to bytecode is pickled and unpickled. A data frame "
             "holds columns. Detach the session and reattach it later. The graphics card.")
TERMS = CorpusTerms(tokenize(DOCUMENTS))


def test_a_word_neither_english_nor_the_documents_know_is_unknown() -> None:
    assert unknown_words("How do I create a conda environment instead of a venv?", ENGLISH, TERMS) == ["conda"]
    assert unknown_words("How do I run Podman with tomllib?", ENGLISH, TERMS) == ["podman", "tomllib"]
    # a possessive without its "'s", each word of a hyphenated compound
    assert unknown_words("What is Podman’s rootless mode?", ENGLISH, TERMS) == ["podman"]
    assert unknown_words("What is the podman-compose mode?", ENGLISH, TERMS) == ["podman"]
    assert unknown_words("How do I run the conda-forge module?", ENGLISH, TERMS) == ["conda"]


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
                     "Which grafical card?",  # eight letters: two edits from "graphic", whose stem is shorter
                     "Is the code precompiled?",  # a prefix on a word only the documents hold ("compiled")
                     "Where is the config read?",  # a shortening
                     "Which distro is this?",  # clipped one letter past where it parts from "distribution"
                     "Which distros are there?",
                     "Is unpickling safe?",  # a prefix on a word the documents hold
                     "How do I make a dataframe?"):  # a compound of two of their words
        assert unknown_words(question, ENGLISH, TERMS) == [], question


def test_words_written_together_are_compounds_when_the_documents_hold_one_of_them() -> None:
    lexicon = Lexicon([*"how do i make a my job is what are on in".split(), "maker", "makers", "chip", "pod", "man"])
    terms = CorpusTerms(tokenize("A cron job runs at night. The chip and the web server. Lists, a pod, a man."))
    for question in ("How do I make a cronjob?", "What are chipmakers?", "Is mylist a list?", "Is webserver on?"):
        assert unknown_words(question, lexicon, terms) == [], question
    # two words of three letters are not enough, nor two English words of which the documents hold neither
    assert unknown_words("Is podman on? What is makerchip?", lexicon, CorpusTerms(tokenize("A pod."))) == \
        ["podman", "makerchip"]


def test_a_prefix_on_an_english_word_the_documents_lack_is_unknown() -> None:
    assert unknown_words("Is nonroot or multipass used?", Lexicon(["is", "or", "used", "root", "pass"]), TERMS) \
        == ["nonroot", "multipass"]


def test_words_of_other_scripts_and_long_runs_of_letters_are_not_read() -> None:
    assert unknown_words("How do I print 日本語テキスト or такое?", ENGLISH, TERMS) == []
    assert unknown_words("Is " + "qz" * 500 + " used?", ENGLISH, TERMS) == []


def test_a_word_written_without_the_documents_accents_is_theirs() -> None:
    terms = CorpusTerms(tokenize("Thanks to Éléonor and Škoda."))
    assert unknown_words("Who is Eleonor, and what is Skoda?", ENGLISH, terms) == []
    assert unknown_words("Who is Éléonor?", ENGLISH, CorpusTerms(tokenize("Thanks to Eleonor."))) == []


def test_short_words_code_and_function_words_are_left_to_other_checks() -> None:
    assert unknown_words("Is zfs or read.tabel or x_y used?", ENGLISH, TERMS) == []
    assert unknown_words("Whats this?", ENGLISH, TERMS) == []
    # nor is a typo of a function word, which the documents' terms leave out
    assert unknown_words("Wich file, and whcih module?", ENGLISH, TERMS) == []
    # a user's own identifier is code, and chat shorthand says how a question is asked
    assert unknown_words("tldr: why does `myfunc` return myvar.attr?", ENGLISH, TERMS) == []


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
    lexicon = Lexicon.from_files([tmp_path / "missing", words])
    assert lexicon is not None and len(lexicon) == 3
    assert lexicon.knows("podman") and lexicon.knows("Regexes") and lexicon.knows("washington")
    assert not lexicon.knows("conda")
    assert Lexicon.from_files([tmp_path / "missing"]) is None
    assert Lexicon.from_files([]) is None
    # a list's word with accents is known without them too, as a question may write it
    accented = tmp_path / "accented"
    accented.write_text("Zürich\ncafé\n", encoding="utf-8")
    lexicon = Lexicon.from_files([accented])
    assert lexicon is not None and lexicon.knows("zurich") and lexicon.knows("café")
    assert unknown_words("Is Zürich a café?", lexicon, TERMS) == []


def test_a_list_that_cannot_be_read_any_more_knows_every_word(tmp_path: Path) -> None:
    """Rather than take every word the documents lack for unknown."""
    words = tmp_path / "words"
    words.write_text("podman\n", encoding="utf-8")
    lexicon = Lexicon.from_files([words])
    words.unlink()
    assert lexicon is not None and lexicon.knows("conda")
    assert unknown_words("How do I create a conda environment?", lexicon, TERMS) == []


def test_a_typo_of_an_english_word_is_not_unknown() -> None:
    lexicon = Lexicon("is it possible to print faster recommended coda".split())
    # a letter dropped, a letter added, two letters swapped; in any inflection of the word
    for question in ("Is it posible?", "Is it posssible?", "Print it fatser", "Is it recomended?"):
        assert unknown_words(question, lexicon, TERMS) == [], question
    # a letter typed in place of another, one of the first letter or the last two changed, added or dropped, a word
    # under six letters: names as often as typos
    for word in ("pospible", "aossible", "apossible", "ossible", "opssible", "possiblex", "possibl", "possibel",
                 "possiblde", "conda"):
        assert unknown_words(f"Is it {word}?", lexicon, TERMS) == [word], word


NAMES = Lexicon([*"how do i create an in what why is the stopping on way to of does windows Windows run it".split(),
                 "Seoul", "Obama", "America", "April", "Asia", "Kishida", "Ubuntu", "Gaussian"])
NEWS = CorpusTerms(tokenize("Kishida will visit the U.S. on April 10. He is stopping in Osaka first."))


def test_a_name_english_knows_only_as_a_name_and_the_documents_never_hold_is_unheard() -> None:
    assert unheard_names("Why is Kishida stopping in Seoul on the way?", NAMES, NEWS) == ["seoul"]
    assert unheard_names("What did Obama’s aides say?", NAMES, NEWS) == ["obama"]
    assert unheard_names("What did Mr. Obama say?", NAMES, NEWS) == ["obama"]  # a title's full stop ends nothing
    assert unheard_names("Why is `a. 1.2 b` in Seoul?", NAMES, NEWS) == ["seoul"]


def test_names_the_documents_hold_countries_months_first_words_and_common_words_are_not_unheard() -> None:
    for question in ("Why is Kishida stopping in Osaka?",  # the documents' own name
                     "Why is America stopping in April?",  # a country's other name may stand for their "U.S.";
                     "Is Asia on the way?",  # a region; a month
                     "Seoul is on the way?",  # a sentence's first word is capitalised by grammar
                     "I ask twice. Seoul is on the way?",
                     "Why does `os.path.join('a', 'b')` fail? Seoul is on the way?",
                     "How do I run it on Ubuntu?",  # where something is done, not what is asked about
                     "In Ubuntu, how to run it?",
                     "Is the noise Gaussian?",  # an adjective made of a name
                     "Does it run on Windows?",  # English has the word in lower case too
                     "why is kishida stopping in seoul"):  # typed in lower case: no name shows
        assert unheard_names(question, NAMES, NEWS) == [], question
    # a typo of a name the documents hold
    assert unheard_names("Why is Kishda stopping?", Lexicon(["Kishda"]), NEWS) == []
