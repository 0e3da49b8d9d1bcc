"""The support check, from a table of (sentence, passages, expected support), traps included; recombinations have
their own file (test_recombinations.py)."""

from __future__ import annotations

import pytest

from assistant.calibration import Calibration
from assistant.grounding import Grounder, Support
from assistant.results import Passage
from assistant.text import as_written, sentence_spans, split_sentences, strip_markers
from assistant.verify import (
    Swap,
    check_span,
    check_window,
    code_terms,
    key_terms,
    mismatched_names,
    missing_terms,
    names_apart,
    swapped_terms,
)


def supports(sentence: str, passages: list[str]) -> bool:
    text, _ = strip_markers(sentence)
    return any(check_span(text, p) is None for p in passages)


def find_unsupported_terms(text: str, sources: list[str]) -> list[str]:
    return missing_terms(strip_markers(text)[0], sources)


def support_for(sentence: str, passages: list[Passage], cited: list[int], min_coverage: float) -> Support:
    return Grounder(Calibration.load(), min_coverage=min_coverage).support_for(sentence, passages, cited)

VISIT = "President Biden is scheduled to host Prime Minister Kishida for an official visit to the U.S. on April 10."
FIRMS = ("This collaboration is expected to involve prominent tech companies such as Nvidia, Arm, and Amazon, among "
         "others, signaling a concerted effort to leverage expertise and resources for technological advancement.")
CHIPS = "In recent months, the U.S. has taken proactive measures to restrict the export of advanced AI chips to China."

TABLE = [
    ("Kishida will visit the U.S. on April 10.", [VISIT], True),
    ("Biden will host Kishida on April 10.", [VISIT], True),
    # a change of voice reorders who does what: left to the extractive quote, not accepted
    ("Nvidia, Arm, and Amazon are expected to be involved.", [FIRMS], False),
    ("The collaboration is expected to involve Nvidia, Arm, and Amazon.", [FIRMS], True),
    ("The U.S. restricted the export of advanced AI chips to China.", [CHIPS], True),
    # right words, wrong number
    ("Kishida will visit the U.S. on April 11.", [VISIT], False),
    # right words, wrong month
    ("Kishida will visit the U.S. on May 10.", [VISIT], False),
    # an entity in no passage
    ("Prime Minister Fumio Kisojo will visit the U.S. on April 10.", [VISIT], False),
    ("The meeting will be held in Osaka on April 10.", [VISIT], False),
    ("Nvidia, Arm, and Google are expected to be involved.", [FIRMS], False),
    # outside knowledge
    ("The capital of France is Paris.", [VISIT, FIRMS, CHIPS], False),
    # mostly unrelated words
    ("The framework will receive substantial government funding next year.", [FIRMS], False),
    # a quantifying pronoun the passage does not say
    ("Anyone will host Kishida on April 10.", [VISIT], False),
    ("", [VISIT], False),
    ("Kishida will visit the U.S. on April 10.", [], False),
]


@pytest.mark.parametrize(("sentence", "passages", "expected"), TABLE)
def test_support_table(sentence: str, passages: list[str], expected: bool) -> None:
    assert supports(sentence, passages) is expected


def test_markers_do_not_count_as_content() -> None:
    assert supports("Kishida will visit the U.S. on April 10 [3].", [VISIT])
    assert strip_markers("Foo bar [1][3].") == ("Foo bar.", [1, 3])


def _passages(*texts: str) -> list[Passage]:
    out, start = [], 0
    for i, t in enumerate(texts):
        out.append(Passage(id=f"p{i}", text=t, source="doc.txt", start=start, end=start + len(t)))
        start += len(t) + 1
    return out


def test_sentence_supported_only_by_a_passage_it_did_not_cite_is_recited() -> None:
    passages = _passages(FIRMS, VISIT)
    support = support_for("Kishida will visit the U.S. on April 10.", passages, cited=[1], min_coverage=0.7)
    assert [e.passage for e in support.evidence] == [1]
    assert support.evidence[0].start == passages[1].start


def test_cited_passage_wins_when_several_support() -> None:
    passages = _passages(VISIT, VISIT)
    support = support_for("Biden will host Kishida on April 10.", passages, cited=[2], min_coverage=0.7)
    assert [e.passage for e in support.evidence] == [1]


def test_facts_from_two_passages_do_not_support_one_conflated_sentence() -> None:
    passages = _passages(CHIPS, VISIT)
    support = support_for("The U.S. restricted AI chips to China during Kishida's visit on April 10.", passages,
                          cited=[1, 2], min_coverage=0.7)
    assert support.evidence == ()
    assert support.reason


def test_unsupported_reason_names_the_missing_entity() -> None:
    support = support_for("Kishida will meet Biden in Osaka.", _passages(VISIT), cited=[], min_coverage=0.7)
    assert "osaka" in support.reason.lower()


def test_evidence_span_points_into_the_document() -> None:
    doc = "Intro line here.\n" + VISIT + " " + CHIPS
    p = Passage(id="p", text=doc[17:], source="d", start=17, end=len(doc))
    ev = support_for("Kishida will visit the U.S. on April 10.", [p], cited=[1], min_coverage=0.7).evidence[0]
    assert doc[ev.start:ev.end] == ev.text == VISIT


def test_sentence_splitting_keeps_abbreviations_and_offsets() -> None:
    text = "Japan and the U.S. will cooperate. It starts April 10 [1]. Done"
    spans = sentence_spans(text)
    assert [s.text for s in spans] == ["Japan and the U.S. will cooperate.", "It starts April 10 [1].", "Done"]
    assert all(text[s.start:s.end] == s.text for s in spans)
    assert split_sentences("The U.S. aims higher.") == ["The U.S. aims higher."]


def test_a_title_before_a_name_never_ends_the_sentence_but_other_abbreviations_can() -> None:
    assert split_sentences("Its director is Dr. Mara Lind. She arrived with Prof. Ito.") == [
        "Its director is Dr. Mara Lind.", "She arrived with Prof. Ito."]
    assert split_sentences("Production moved to St. Louis in 1994. It grew.") == [
        "Production moved to St. Louis in 1994.", "It grew."]
    assert split_sentences("Mr. and Mrs. Lind came. Gen. Ito did not.") == [
        "Mr. and Mrs. Lind came.", "Gen. Ito did not."]
    assert split_sentences("It moved to the U.S. Congress then passed it.") == [
        "It moved to the U.S.", "Congress then passed it."]  # the known trade-off, unchanged


def test_key_terms_hold_numbers_months_and_names() -> None:
    terms = key_terms("Prime Minister Fumio Kisojo meets at 9 a.m. on Saturday in Osaka.")
    assert {"9", "saturday", "osaka", "kisojo"} <= terms


def test_operators_are_code_terms_but_prose_dashes_and_ellipses_are_not() -> None:
    assert code_terms("What does the native pipe operator |> do?") == {"|>"}
    assert code_terms("Use <<- inside a function, %in% for membership, ** for powers, x == y to compare.") == {
        "<<-", "%in%", "**", "=="}
    assert code_terms("It was -- as they say -- done... fine — ok") == set()
    # a word joined to an abbreviation is no option; one written after a space is, as a dotted R function is code
    assert code_terms("Which U.S.-based firms joined?") == {"u.s"}
    assert code_terms("Call ls -l, then .libPaths().") == {"-l", "libpaths()"}
    # as written around prose: quoted, ending a sentence or a question, before a citation
    assert code_terms("Is `|>` the pipe? It is |>. What is %in%? Use != or := [1].") == {"|>", "%in%", "!=", ":="}
    # a question naming an operator no passage holds misses it, like an option or a path
    assert missing_terms("What does |> do?", ["The ::: operator reaches hidden objects."], question=True) == ["|>"]
    assert missing_terms("What does <<- do?", ["The operator <<- assigns globally."], question=True) == []


def test_unsupported_terms_lists_invented_names_and_numbers() -> None:
    assert find_unsupported_terms("Kisojo met Biden in 2019 [1].", [VISIT]) == ["2019", "kisojo"]
    assert find_unsupported_terms("Biden hosts Kishida on April 10.", [VISIT]) == []


def test_a_question_pairing_names_the_passages_keep_apart_is_a_false_premise() -> None:
    passages = ["A meeting between Prime Minister Fumio Kishida and President Joe Biden.",
                "The Asahi Shimbun reported it."]
    assert mismatched_names("Will President Kishida welcome Prime Minister Biden?", passages) == [
        "President Kishida", "Prime Minister Biden"]
    assert mismatched_names("Will Prime Minister Kishida meet President Biden?", passages) == []
    # named as written, even when a word of the pairing stands elsewhere in the question too
    assert mismatched_names("Will President Kishida, or President Biden, host it?", passages) == ["President Kishida"]
    assert mismatched_names("What did the Asahi Shimbun report?", passages) == []
    # names the passages never use are the gate's other signals' business, not a pairing problem
    assert mismatched_names("Did Global Interpreter Lock matter?", passages) == []


def test_a_question_joining_names_no_one_passage_holds_together_is_a_false_premise() -> None:
    passages = ["R was first written at the University of Auckland.",
                "The R Foundation is a not-for-profit organization based in Vienna.",
                "system behaves differently on Windows from other OSes.", "Internally macOS uses a form like Linux."]
    assert names_apart("Why did the University of Auckland set up the R Foundation?", passages) == [
        "University", "Auckland", "R Foundation"]
    assert names_apart("Why does system() behave differently on macOS from other OSes?", passages) == [
        "macOS", "OSes"]
    assert names_apart("Why does system() behave differently on Windows from other OSes?", passages) == []
    assert names_apart("Where is the R Foundation based, Vienna?", passages) == []
    # "U.S." named whole; a single letter alone is no name to pair (R, a variable x)
    assert names_apart("Is Kishida going to Beijing after the U.S. visit?",
                       ["Kishida will visit the U.S. in April.", "Exports to Beijing were curbed."]) == [
        "Kishida", "Beijing", "U.S."]
    assert names_apart("Why did R set up the Foundation in Vienna?", passages) == []
    # a name the passages lack is the gate's other signals' business; a follow-up's carried-over subject is no pairing
    assert names_apart("Why did Ross Ihaka set up the R Foundation?", passages) == []
    assert names_apart("Why did the University of Auckland set up the R Foundation?", passages,
                       held={"auckland", "university"}) == []


def test_a_question_naming_another_term_where_the_passage_has_one_is_a_false_premise() -> None:
    def swaps(question: str, sentences: list[str]) -> list[Swap]:
        return swapped_terms(question, sentences, set(missing_terms(question, sentences, question=True)))

    ferry = "The ferry sails from Dover to Calais at 9:40 on weekdays."
    bus = "The bus runs from Dover to Folkestone at 9:40."
    assert swaps("Why does the ferry sail from Dover to Boulogne at 9:40?", [ferry]) == [
        Swap("Boulogne", "Calais", ferry)]
    saving = 'Tables are saved with format="csv-1" by default when exporting.'
    assert swaps('Why are tables saved with format="csv-2" by default?', [saving]) == [Swap("csv-2", "csv-1", saving)]
    # a passage holding the question's term: nothing was swapped, whatever another sentence says
    assert swaps("Why does the ferry sail from Dover to Calais at 9:40?", [bus, ferry]) == []
    assert swaps("Why does the bus run from Dover to Calais at 9:40?", [bus, ferry]) == []
    # nor when the place holds the question's own words, or only describing words
    assert swaps("Why does the ferry sail from Dover to Boulogne at 9:40?",
                 ["The ferry sails from Dover to the ferry port at 9:40."]) == []
    assert swaps("Why does the ferry sail from Dover to Boulogne at 9:40?",
                 ["The ferry sails from Dover to a small port at 9:40."]) == []
    # at the question's edge the frame is the two words on one side, standing together in the passage, with the same
    # words between them and the place: "leave for" is the destination, not the "leaves Harbor" of the origin
    harbor, seal = "The ferry leaves Harbor Point for Gull at noon.", "The ferry leaves for Seal on Sundays."
    assert swaps("When does the ferry leave for Crab?", [harbor, seal]) == [Swap("Crab", "Seal", seal)]
    assert swaps("When does the ferry leave for Crab?", [harbor]) == []
    assert swaps("Is it closer to Python than Java?", ["It is closer to Python than C++."]) == [
        Swap("Java", "C++", "It is closer to Python than C++.")]
    assert swaps("Why does the office in Paris open on Monday?", ["The office in the U.S. opens on Monday."]) == [
        Swap("Paris", "U.S.", "The office in the U.S. opens on Monday.")]
    # initials, a title or first name before the same name, and a number given as a bound name the same thing
    assert swaps("Does the visa office of the USA open on Monday?",
                 ["The visa office of the United States opens on Monday."]) == []
    assert swaps("When does the office of the United Kingdom open?", ["The office of the UK opens at nine."]) == []
    assert swaps("Why did Ms Ardern resign in January?", ["Jacinda Ardern resigned in January."]) == []
    assert swaps("Does the tool run on Python 3.10 on Linux?", ["The tool runs on Python 3.8 or newer on Linux."]) == []
    assert swaps("Does it allow 64 connections per user?", ["It allows up to 128 connections per user."]) == []
    assert swaps("Does it allow 64 connections per user?", ["It allows 128 connections per user."]) == [
        Swap("64", "128", "It allows 128 connections per user.")]
    # a version names the same thing only when it falls under the one given ("3.x" holds 3.10, not 2.7; "3.8+"
    # holds 3.10, not 3.6)
    assert swaps("Does the tool run on Python 3.10 on Linux?", ["The tool runs on Python 3.x on Linux."]) == []
    assert swaps("Does the tool run on Python 2.7 on Linux?", ["The tool runs on Python 3.x on Linux."]) == [
        Swap("2.7", "3.x", "The tool runs on Python 3.x on Linux.")]
    assert swaps("Does the tool run on Python 3.10 on Linux?", ["The tool runs on Python 3.8+ on Linux."]) == []
    assert swaps("Does it work with Python 3 on macOS?", ["It works with Python 3.6+ on macOS."]) == []
    assert swaps("Does Python 3.x run the tool on Linux?", ["Python 3.10 runs the tool on Linux."]) == []
    assert swaps("Does it allow 10 connections per user?", ["It allows 1,000+ connections per user."]) == []
    assert swaps("Does the tool run on Python 3.6 on Linux?", ["The tool runs on Python 3.8+ on Linux."]) == [
        Swap("3.6", "3.8+", "The tool runs on Python 3.8+ on Linux.")]
    interpreter = "The Python 3.x interpreter is not installed as python, unlike a Python 2.x one."
    assert swaps("Why is the Python 2.x interpreter not installed as python?", [interpreter]) == [
        Swap("2.x", "3.x", interpreter)]
    # a term the passages hold is swapped when a sentence names it and gives its place to another in the same clause
    defaults = "Perl and Ruby have different defaults, Ruby using tabs by default."
    assert swaps("Why does Perl use tabs by default?", [defaults]) == [Swap("Perl", "Ruby", defaults)]
    assert swaps("Why does Ruby use tabs by default?", [defaults]) == []
    assert swaps("Why does Perl use tabs by default?", ["Perl has its own defaults; Ruby uses tabs by default."]) == []
    # ... not when that sentence does not name it (another sentence may say it in other words), nor for one item of
    # a list, nor for the rest of the question's own name, nor for a title or first name before another name
    early, late = "The ferry from Dover sails at 9:40.", "The ferry from Calais sails at 11:00."
    assert swaps("Why does the ferry from Calais sail at 9:40?", [early, late]) == []
    assert swaps("Why does the ferry from Calais sail at 9:40?", [early, "Calais has a port."]) == []
    # another sentence may say of it in other words what this one says of another platform
    assert swaps("How do I set the path on Windows in R?", ["Set the path on Linux in R with export.",
                                                           "On Windows, use the Control Panel to set the path."]) == []
    # a sentence listing both has the question's term in its frame too
    assert swaps("Does the function take 2 arguments?", ["The function takes 1 argument or 2 arguments."]) == []
    assert swaps("Does the tool read files from Windows shares?",
                 ["The tool reads files from Linux shares and from Windows shares."]) == []
    assert swaps("Do Linux and Windows support the flag?",
                 ["Both Linux and FreeBSD support the flag.", "Since 2020 Windows supports it as well."]) == []
    assert swaps("Does the tool run on Linux, Solaris and Windows?",
                 ["The tool runs on Linux, FreeBSD and Windows; Solaris is supported as well."]) == []
    assert swaps("Why did Jacinda resign in January?", ["Jacinda Ardern resigned in January."]) == []
    assert swaps("Why did Guido design Python in 1989?",
                 ["In the Netherlands Guido van Rossum designed Python in 1989."]) == []
    assert swaps("Why does the talk between Biden and Kishida matter?",
                 ["The talk between Prime Minister Kishida and President Biden matters."]) == []


def test_the_adjective_of_a_place_the_text_names_is_not_missing() -> None:
    def absent(question: str, text: str) -> list[str]:
        return missing_terms(question, [text], question=True)

    assert absent("Who is the Japanese prime minister?", "Prime Minister Kishida of Japan.") == []
    assert absent("Which Chinese and Italian firms?", "Firms from China and Italy.") == []
    assert absent("Who is the Japanese prime minister?", "Prime Minister Kishida of Janet.") != []
    assert absent("Which Korean firms?", "Firms from Japan.") != []
    # a word sharing a demonym's stem is no demonym
    assert missing_terms("The Polish ministers met.", ["The ministers of Poland met."]) == []
    assert missing_terms("The Polished ministers met.", ["The ministers of Poland met."]) == ["polish"]
    assert missing_terms("The Polish-made cars sold.", ["The cars made in Poland sold."]) == []
    assert missing_terms("The Polished ministers used polish.", ["The ministers of Poland met."]) == ["polish"]
    assert missing_terms("The Polish and Polished ministers met.", ["The ministers of Poland met."]) == ["polish"]


def test_a_part_of_a_compound_and_a_function_named_bare_are_not_missing() -> None:
    def absent(question: str, text: str) -> list[str]:
        return missing_terms(question, [text], question=True)

    assert absent("Was it based on MinGW-w64?", "The toolsets were based on MinGW-w64.") == []
    assert absent("Which toolsets use w64?", "The toolsets were based on MinGW-w64.") == []
    assert absent("Which toolsets use w32?", "The toolsets were based on MinGW-w64.") == ["w32"]
    assert absent("What is the default Pin-Priority?", "The default Pin-Priority value is 500.") == []
    assert absent("What is the default Pin-Weight?", "The default Pin-Priority value is 500.") == ["weight"]
    # a manual writes a function's name without its parentheses
    assert absent("Why does system() behave differently?", "system behaves differently on Windows.") == []
    assert absent("Why does shell() behave differently?", "system behaves differently on Windows.") == ["shell()"]
    # a country by another of its names or its people's, where the text names it its own way
    visit = "President Biden will host Prime Minister Kishida for a visit to the U.S. on April 10."
    assert absent("What does America hope to gain from the visit?", visit) == []
    assert absent("Which American leader hosts the visit?", visit) == []
    assert absent("Which Americans host the visit?", visit) == []
    assert absent("Which Mexican leader hosts the visit?", visit) == ["mexican"]
    assert absent("What does America hope to gain from the visit?", "Kishida will visit Japan.") == ["america"]
    assert absent("Did Ireland vote to leave the EU?", "The U.K. voted to leave the EU.") == ["ireland"]
    assert absent("What did Holland say?", "The Netherlands said so.") == ["holland"]
    # a function named bare holds a question's call, not a sentence's a passage must support
    assert missing_terms("file() fails on error.", ["The file is closed on error."]) == ["file()"]
    # function words joined by a slash are English, no path
    assert absent("Will Biden and/or Kishida host the visit?", visit) == []
    assert absent("Will Biden visit him and/or.", visit) == []
    assert absent("Is it in usr/lib?", visit) == ["usr/lib"]


def test_names_joined_by_a_hyphen_are_each_required_not_the_compound() -> None:
    text = "President Biden will host Prime Minister Kishida; Japan and the U.S. will cooperate."
    assert missing_terms("Is the Kishida-Biden meeting this month?", [text], question=True) == []
    assert missing_terms("What do Japan-U.S. ties cover?", [text], question=True) == []
    assert missing_terms("Is the Kishida-Obama meeting this month?", [text], question=True) == ["obama"]
    # a name with a number stays one name
    assert missing_terms("How did Covid-19 change it?", ["Covid-19 changed travel."], question=True) == []
    assert missing_terms("Did Covid-19 cases rise?", ["Covid-20 cases rose."], question=True) == ["covid-19"]
    # an option is code, typed exactly: kept whole
    assert missing_terms("What does --enable-shlib do?", ["Use --disable-shlib."], question=True) == [
        "--enable-shlib"]


def test_a_version_series_holds_its_number_and_a_negation_needs_no_apostrophe() -> None:
    # "3.x" is one term, and it names version 3
    assert isinstance(check_window("Python 3 is supported.", ["Python 3.x is supported."]), tuple)
    assert isinstance(check_window("Python 2 is supported.", ["Python 3.x is supported."]), str)
    # "cant" negates as "can't" does, though neither is a word the passage must hold
    assert isinstance(check_window("You cant resize the array in place.", ["You can resize the array in place."]), str)
    assert isinstance(check_window("You can't resize the array in place.", ["You cannot resize the array in place."]),
                      tuple)


def test_a_reason_names_the_words_as_the_sentence_writes_them_not_their_stems() -> None:
    assert as_written(["overrid", "charact", "12", "gpl-2"], "Override the Characters, 12 of them, GPL-2") == \
        ["override", "characters", "12", "gpl-2"]
    reason = check_span("The compilers accept overrides.", "The compiler rejects nothing.")
    assert reason is not None and "accept" in reason and "overrides" in reason, reason
    # a term the text writes as it is stays, whatever other word shares its stem; each once; no possessive
    assert as_written(["run"], "Running `run` fails") == ["run"]
    assert as_written(["r_max_vsiz", "r_max_vsize"], "What does R_MAX_VSIZE limit?") == ["r_max_vsize"]
    assert as_written(["america"], "How does America's wish frame it?") == ["america"]
