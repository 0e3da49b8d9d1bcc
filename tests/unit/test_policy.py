"""Which passage sentences an answer quotes (``AnswerRun.best_evidence``), on hand-built passages and rankings."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from assistant.calibration import Calibration
from assistant.grounding import Candidate, Embed, Examination, Grounder
from assistant.policy import ALSO_QUOTE, MAX_SENTENCES, AnswerRun, without_footnote_marks
from assistant.results import Citation, Passage
from assistant.text import sentence_spans

PARAS = [
    "The summit takes place in spring. Trade ministers attend the summit as observers.",
    "Exports of advanced chips are restricted. The rules cover memory chips too.",
    "Research funding rises next year. Three universities lead the research.",
    "Chip Rules",  # a heading
    "The rules cover memory chips too.",  # the same sentence as in the second passage
]
HIGH = ALSO_QUOTE + 0.1


def _passages() -> list[Passage]:
    out, start = [], 0
    for i, t in enumerate(PARAS):
        out.append(Passage(id=f"p{i}", text=t, source="doc.txt", start=start, end=start + len(t), score=0.6))
        start += len(t) + 2
    return out


def _quoted(scores: dict[str, float], question: str = "What do the rules say?", query: str | None = None,
            embed: Embed | None = None) -> list[str]:
    """The sentences quoted when the ranking scores the named sentences so (every other sentence 0.1)."""
    passages = _passages()
    ranked = [Candidate(i, span, 0.5, 0.5, True, scores.get(span.text, 0.1))
              for i, p in enumerate(passages) for span in sentence_spans(p.text)]
    ranked.sort(key=lambda c: c.score, reverse=True)
    run = AnswerRun(Grounder(Calibration.load(), embed), question, query or question, passages,
                    Examination({}, 1.0, None, ranked))
    return [ev.text for ev in run.best_evidence()]


def test_only_the_best_sentence_when_no_other_scores_high() -> None:
    assert _quoted({"Exports of advanced chips are restricted.": 0.9}) == ["Exports of advanced chips are restricted."]


def test_further_sentences_scoring_high_follow_the_best_in_reading_order() -> None:
    # ranked: funding, ministers, spring; read: spring, ministers
    quoted = _quoted({"Research funding rises next year.": 0.9, "Trade ministers attend the summit as observers.":
                      HIGH + 0.05, "The summit takes place in spring.": HIGH, "Three universities lead the research.":
                      ALSO_QUOTE - 0.01})
    assert quoted == ["Research funding rises next year.", "The summit takes place in spring.",
                      "Trade ministers attend the summit as observers."]


def test_never_more_than_max_sentences() -> None:
    every = {s.text: HIGH for t in PARAS[:3] for s in sentence_spans(t)}
    assert len(every) > MAX_SENTENCES
    assert len(_quoted(every)) == MAX_SENTENCES


def test_a_heading_of_the_question_s_words_is_not_quoted() -> None:
    quoted = _quoted({"Exports of advanced chips are restricted.": 0.9, "Chip Rules": HIGH + 0.1,
                      "Three universities lead the research.": HIGH}, "What do the chip rules say?")
    assert quoted == ["Exports of advanced chips are restricted.", "Three universities lead the research."]


def test_a_heading_ranked_first_gives_way_to_the_section_it_opens() -> None:
    text = "4.5. chip rules\n\nExports of advanced chips are restricted. Funding rises next year."
    question = "What do the chip rules say?"
    assert _evidence(question, *_one_passage(text, (0.9, 0.5, 0.2))) == ["Exports of advanced chips are restricted."]
    # a heading that names more than the question asks about is no mere title of the answer, nor is a sentence
    assert _evidence(question, *_one_passage(text.replace("rules", "rules and funding"), (0.9, 0.5, 0.2)))[
        0] == "4.5. chip rules and funding"
    said = "The chip rules say this.\n\nExports of advanced chips are restricted. Funding rises next year."
    assert _evidence(question, *_one_passage(said, (0.9, 0.5, 0.2)))[0] == "The chip rules say this."
    # nor is it quoted as the sentence after the best one
    after = "Exports of advanced chips are restricted.\n\n4.6. chip rules\n\nFunding rises next year."
    assert _evidence(question, *_one_passage(after, (0.9, 0.85, 0.2))) == [
        "Exports of advanced chips are restricted."]


def test_a_command_named_with_a_hyphen_is_read_as_the_question_reads_it() -> None:
    # the question's "dpkg-divert" is required as its two words; a heading or a model's sentence naming the
    # command is read the same way
    question = "What does the dpkg-divert command do?"
    text = "The dpkg-divert command\n\nA diversion keeps a package from overwriting a file. Funding rises next year."
    assert _evidence(question, *_one_passage(text, (0.9, 0.5, 0.2)))[0] == \
        "A diversion keeps a package from overwriting a file."
    passages, ranked = _one_passage(text, (0.9, 0.5, 0.2))
    run = AnswerRun(Grounder(Calibration.load()), question, question, passages, Examination({}, 1.0, None, ranked))
    assert run._off_topic("dpkg-divert keeps a package from overwriting a file.") == ""


def test_a_title_cased_heading_is_a_heading_whatever_it_names() -> None:
    # "Maximum Number Of Rows …" names more than the question asks about, but its title case says it is a title
    text = "Maximum Number Of Rows In A Table\n\nA table holds at most 2 billion rows. Funding rises next year."
    question = "How many rows can a table hold?"
    assert _evidence(question, *_one_passage(text, (0.9, 0.5, 0.2))) == ["A table holds at most 2 billion rows."]
    # a title ending its passage, its section not at hand, gives way to the best sentence that is no title
    last = "Funding rises next year. A table holds at most 2 billion rows.\n\nMaximum Number Of Columns In A Table"
    assert _evidence(question, *_one_passage(last, (0.2, 0.5, 0.9)))[0] == "A table holds at most 2 billion rows."
    # a line of names, a table's row with its figure, a list item and a line in sentence case are no titles
    for line in ("Nvidia, Arm, Amazon", "Maximum Number Of Rows Per Table 2000", "- President Joe Biden Hosts",
                 "Maximum number of rows in a table"):
        listed = text.replace("Maximum Number Of Rows In A Table", line)
        assert _evidence(question, *_one_passage(listed, (0.9, 0.5, 0.2)))[0] == line


def test_a_lead_in_ending_in_a_colon_is_quoted_with_what_it_introduces() -> None:
    text = "The syntax for a coprocess is:\n\n    coproc NAME command redirections\n\nFunding rises next year."
    question = "What is the syntax of a coprocess?"
    assert _evidence(question, *_one_passage(text, (0.9, 0.2, 0.1))) == [
        "The syntax for a coprocess is:", "coproc NAME command redirections"]
    # the whole block it introduces, to the next blank line, with its line ends
    text = "The syntax is:\n\ncoproc NAME command\n  redirections here. More of it.\n\nFunding rises next year."
    passages, ranked = _one_passage(text, (0.9, 0.2, 0.1, 0.1))
    assert _evidence(question, passages, ranked) == [
        "The syntax is:", "coproc NAME command\n  redirections here.", "More of it."]
    run = AnswerRun(Grounder(Calibration.load()), question, question, passages, Examination({}, 1.0, None, ranked))
    list(run.lead())
    assert "coproc NAME command\n  redirections here" in run.text
    # further down the answer too, and in reading order
    text = "A coprocess runs in a subshell. Its syntax is:\n\ncoproc NAME command\n\nFunding rises next year."
    assert _evidence(question, *_one_passage(text, (0.9, HIGH, 0.1, 0.1))) == [
        "A coprocess runs in a subshell.", "Its syntax is:", "coproc NAME command"]
    # a further quote's lead-in ending its passage, what it introduces in the next, is left out; the best one stays
    text = "A coprocess runs in a subshell. Funding rises next year. A coprocess is started as follows:"
    assert _evidence(question, *_one_passage(text, (0.9, 0.1, HIGH))) == ["A coprocess runs in a subshell."]
    # unless it says what the others do not: a word of the question, a name, number or code
    for adds in ("Its syntax, since version 2.1, is given as follows:", "Use the coproc keyword as follows:"):
        text = f"A coprocess runs in a subshell. Funding rises next year. {adds}"
        assert _evidence(question, *_one_passage(text, (0.9, 0.1, HIGH)))[-1] == adds
    assert _evidence(question, *_one_passage(text, (0.1, 0.2, 0.9)))[-1] == "Use the coproc keyword as follows:"


def test_a_block_is_set_apart_in_the_answer_and_gets_no_full_stop() -> None:
    def answer(text: str, scores: Sequence[float]) -> str:
        passages, ranked = _one_passage(text, scores)
        run = AnswerRun(Grounder(Calibration.load()), "What is the syntax of a coprocess?", "q", passages,
                        Examination({}, 1.0, None, ranked))
        list(run.lead())
        list(run.extractive())
        return run.text

    # a lead-in keeps its colon, its marker before it; what it introduces goes on the next line, as written
    text = "A coprocess runs in a subshell. Its syntax is:\n\ncoproc NAME command\n\nFunding rises next year."
    assert answer(text, (0.9, HIGH, 0.1, 0.1)) == (
        "A coprocess runs in a subshell [1]. Its syntax is [2]:\ncoproc NAME command [3]")
    # a quote of several lines stands between blank lines (which end a sentence for the eval's splitter too)
    text = "Sums drift:\n\n>>> sum([0.1] * 10) == 1.0\nFalse\n\nThe fsum function tracks lost digits."
    shown = answer(text, (0.1, 0.9, HIGH))
    assert shown == ">>> sum([0.1] * 10) == 1.0\nFalse [1]\n\nThe fsum function tracks lost digits [2]."
    assert next(s for s in sentence_spans(shown) if s.text.startswith(">>>")).text.endswith("False [1]")
    # nor after an ellipsis or a bracket closed after its full stop, which would read as a sentence of its own
    text = "The server is lighttpd. (For more, see githooks(5).) Funding rises next year."
    shown = answer(text, (0.9, HIGH, 0.1))
    assert shown == "The server is lighttpd [1]. (For more, see githooks(5).) [2]"
    assert [s.text for s in sentence_spans(shown)] == ["The server is lighttpd [1].",
                                                        "(For more, see githooks(5).) [2]"]
    # a block ending in a mark keeps it: a command's argument or history expansion is no full stop
    for command in ("$ pip install .", "$ cd ..", "$ sudo !!", "$ echo $?"):
        text = f"Install it with:\n\n{command}\n\nFunding rises next year."
        assert answer(text, (0.9, HIGH, 0.1)).endswith(f"\n{command} [2]")
    # nor before a lower-case command name after a closed quote, nor when a full stop follows the bracket
    for quoted in ("It printed “Done!”", "Run it and see (what happens?)."):
        shown = answer(f"{quoted}\n\niconv converts text.", (0.9, HIGH))
        assert len(sentence_spans(shown)) == 2 and all("[" in s.text for s in sentence_spans(shown))
    # a lead-in whose block is not quoted reads as before
    text = "A coprocess runs in a subshell. Funding rises. Use the coproc keyword as follows:"
    assert answer(text, (0.9, 0.1, HIGH)).endswith("Use the coproc keyword as follows: [2].")


@pytest.mark.parametrize(("quote", "shown"), [
    ("These postinst files [57] are called maintainer scripts.", "These postinst files are called maintainer scripts."),
    ("Names are less than 24 characters.\n\n[15]", "Names are less than 24 characters."),
    ("It was released in 1991.[3][4]", "It was released in 1991."),
    ("The index, called the Cheese Shop [1], lists modules.", "The index, called the Cheese Shop, lists modules."),
    ("They return the default None. [1]", "They return the default None."),
    # code, a console's output, a reference read on from: as they are
    ("(that shown by .libPaths()[1])", "(that shown by .libPaths()[1])"),
    ("Write\nR> (-2)^2\n[1] 4\nto get the square of -2.", "Write\nR> (-2)^2\n[1] 4\nto get the square of -2."),
    ("sleep 60 & # put into background\n[1] 8022", "sleep 60 & # put into background\n[1] 8022"),
    (">>> f(1)\n[1]", ">>> f(1)\n[1]"),
    ('Send {"ids": [1]} and ports: [80]', 'Send {"ids": [1]} and ports: [80]'),
    ("It returns [0] when empty.", "It returns [0] when empty."),
    ("As shown in [3], the sort is stable.", "As shown in [3], the sort is stable."),
    ("Tuples (see [5]) are immutable.", "Tuples (see [5]) are immutable."),
    ("Figure [2] shows the loop.", "Figure [2] shows the loop."),
    ("Call print([1]) or a[15] = x = [1].", "Call print([1]) or a[15] = x = [1]."),
])
def test_a_documents_footnote_marks_are_left_out_of_a_quote_and_nothing_else(quote: str, shown: str) -> None:
    assert without_footnote_marks(quote) == shown


def test_an_underlined_title_gives_way_to_the_text_under_it() -> None:
    text = "Chip Export Manual\n******************\n\nExports of advanced chips are restricted. Funding rises."
    assert _evidence("What is restricted?", *_one_passage(text, (0.9, 0.5, 0.2))) == [
        "Exports of advanced chips are restricted."]


@pytest.mark.parametrize(("text", "shown"), [
    # prose wrapped at a fixed width reads as one line in the answer, its first line counted whole
    ("It goes in the README file of the package directory. The\npurpose of the following fields is to say what it\n"
     "is.", "The purpose of the following fields is to say what it is [1]."),
    # a line end of the document's own stays: short lines, code, list items (a block, as written, its marker after)
    ("Roses are red,\nviolets are blue.", "Roses are red,\nviolets are blue. [1]"),
    ("It is built by the installer that the\n    make install\nstep runs for you.",
     "It is built by the installer that the\n    make install\nstep runs for you. [1]"),
])
def test_a_quote_of_hard_wrapped_prose_reads_as_one_line(text: str, shown: str) -> None:
    def answer(source: str) -> str:
        passages, ranked = _one_passage(text, [0.1] * (len(sentence_spans(text)) - 1) + [0.9])
        passages = [p.model_copy(update={"source": source}) for p in passages]
        run = AnswerRun(Grounder(Calibration.load()), "q", "q", passages, Examination({}, 1.0, None, ranked[:1]))
        list(run.lead())
        return run.text

    assert answer("doc.txt") == shown
    # in HTML a line end is the page's own (<br>, <pre>): kept whatever the lines' widths
    assert "\n" in answer("page.html")


def test_a_console_in_a_pdf_keeps_its_lines() -> None:
    # a page's line ends are where it wrapped its prose, but not those of a prompt and what it printed
    text = ("Any number typed at the prompt is evaluated.\n> 1\n[1] 1\nPerhaps unexpectedly, the number returned "
            "is a\nnumeric.")
    passages, ranked = _one_passage(text, (0.1, 0.9))
    passages = [p.model_copy(update={"source": "R-lang.pdf", "page": 3}) for p in passages]
    run = AnswerRun(Grounder(Calibration.load()), "q", "q", passages, Examination({}, 1.0, None, ranked[:1]))
    list(run.lead())
    assert run.text == "> 1\n[1] 1\nPerhaps unexpectedly, the number returned is a\nnumeric. [1]"


def test_a_list_item_ending_mid_sentence_is_no_further_quote() -> None:
    text = "Exports of advanced chips are restricted.\n\n- memory chips must be licensed, and\n\n- Funding rises."
    assert _evidence("What is restricted?", *_one_passage(text, (0.9, HIGH + 0.1, HIGH))) == [
        "Exports of advanced chips are restricted.", "- Funding rises."]


def test_the_same_sentence_in_two_passages_is_quoted_once() -> None:
    quoted = _quoted({"Exports of advanced chips are restricted.": 0.9, "The rules cover memory chips too.": HIGH})
    assert quoted == ["Exports of advanced chips are restricted.", "The rules cover memory chips too."]


def test_a_follow_up_keeps_its_best_sentence_first() -> None:
    # "And who leads it?" borrowed "research": its own word picks the best sentence, further ones follow
    quoted = _quoted({"Exports of advanced chips are restricted.": 0.9, "Three universities lead the research.": 0.5,
                      "The rules cover memory chips too.": HIGH}, "And who leads it?", "who leads it? (research)")
    assert quoted[0] == "Three universities lead the research."


def test_a_question_of_two_parts_gets_further_sentences_too() -> None:
    quoted = _quoted({"The summit takes place in spring.": 0.9, "Exports of advanced chips are restricted.": 0.8,
                      "Three universities lead the research.": HIGH},
                     "When is the summit, and what is restricted?")
    assert len(quoted) == MAX_SENTENCES and "Three universities lead the research." in quoted


def test_each_part_of_a_question_gets_the_sentence_answering_it_on_its_own() -> None:
    # The whole question's ranking favours the second part's sentence; the first part's answer shares no word with
    # it and is found by meaning alone (a stand-in embedding: the part and its answer point the same way).
    def embed(texts: Sequence[str]) -> list[list[float]]:
        same = ("Who pays for it", "Research funding rises next year.")
        return [[1.0, 0.0] if t in same else [0.0, 1.0] for t in texts]

    scores = {"Exports of advanced chips are restricted.": 0.9}
    question = "Who pays for it, and what is restricted?"
    quoted = _quoted(scores, question, embed=embed)
    assert quoted[:2] == ["Research funding rises next year.", "Exports of advanced chips are restricted."]
    assert _quoted(scores, "What is restricted?", embed=embed)[0] == "Exports of advanced chips are restricted."


def _one_passage(text: str, scores: Sequence[float]) -> tuple[list[Passage], list[Candidate]]:
    """One passage and its sentences ranked by ``scores`` (in reading order)."""
    passages = [Passage(id="p0", text=text, source="doc.txt", start=0, end=len(text), score=0.6)]
    ranked = [Candidate(0, span, 0.5, 0.5, True, score)
              for span, score in zip(sentence_spans(text), scores, strict=True)]
    return passages, sorted(ranked, key=lambda c: c.score, reverse=True)


def _evidence(question: str, passages: list[Passage], ranked: list[Candidate]) -> list[str]:
    run = AnswerRun(Grounder(Calibration.load()), question, question, passages, Examination({}, 1.0, None, ranked))
    return [ev.text for ev in run.best_evidence()]


def test_a_why_question_gets_the_reason_beside_the_sentence_restating_it() -> None:
    # the best sentence restates what is asked; the next one marks the reason
    text = "Exports of advanced chips are restricted. The aim is to prevent their use in weapons. Funding rises."
    passages, ranked = _one_passage(text, (0.9, 0.2, 0.3))
    assert _evidence("Why are exports of advanced chips restricted?", passages, ranked) == [
        "Exports of advanced chips are restricted.", "The aim is to prevent their use in weapons."]
    assert _evidence("What is restricted?", passages, ranked) == ["Exports of advanced chips are restricted."]
    # a sentence drawing a consequence has its reason before it
    text = "Pointers are larger in 64-bit builds. So 64-bit builds run slower. Funding rises next year."
    passages, ranked = _one_passage(text, (0.2, 0.9, 0.3))
    assert _evidence("Why do 64-bit builds run slower?", passages, ranked) == [
        "Pointers are larger in 64-bit builds.", "So 64-bit builds run slower."]
    # "So far" draws no consequence
    text = "Only Linux builds were tested. So far, 64-bit builds run slower. Funding rises next year."
    assert _evidence("Why do 64-bit builds run slower?", *_one_passage(text, (0.2, 0.9, 0.3))) == [
        "So far, 64-bit builds run slower."]


def test_a_question_in_the_text_is_not_quoted_its_answer_is() -> None:
    asked = "Are such displays implemented?"
    text = "7.11 Are displays of this kind implemented? The package lattice provides them. Other graphics follow."
    assert _evidence(asked, *_one_passage(text, (0.9, 0.3, 0.8))) == [
        "The package lattice provides them.", "Other graphics follow."]
    # the question ends its passage: the answer opens the next passage of the same document
    first, second = "Intro text here. 7.11 Are displays of this kind implemented?", "The package lattice provides them."
    passages = [Passage(id="p0", text=first, source="doc.txt", start=0, end=len(first), score=0.6),
                Passage(id="p1", text=second, source="doc.txt", start=len(first) + 1, end=len(first) + 1 + len(second),
                        score=0.5)]
    ranked = [Candidate(0, sentence_spans(first)[1], 0.5, 0.5, True, 0.9),
              Candidate(1, sentence_spans(second)[0], 0.5, 0.5, True, 0.3)]
    assert _evidence(asked, passages, ranked) == ["The package lattice provides them."]
    # nor is a question quoted as the sentence after the best one
    text = "Exports of chips are restricted. What happens when exports are restricted? Funding rises."
    assert _evidence("Are exports restricted?", *_one_passage(text, (0.9, 0.85, 0.1))) == [
        "Exports of chips are restricted."]


def test_a_follow_up_without_words_of_its_own_goes_on_after_the_sentence_it_refers_to() -> None:
    # "Why is that?" after a question on chip exports: the ranking prefers the sentence the last answer quoted;
    # the one after it is where the text goes on
    scores = {"Exports of advanced chips are restricted.": 0.9, "The rules cover memory chips too.": 0.6,
              "Research funding rises next year.": 0.7}
    quoted = _quoted(scores, "Why is that?", "Why is that? (exports advanced chips)")
    assert quoted[0] == "The rules cover memory chips too."
    # asked on its own, the best-ranked sentence leads
    assert _quoted(scores, "Why are exports of advanced chips restricted?")[0] == \
        "Exports of advanced chips are restricted."


def test_a_best_sentence_opening_with_a_pronoun_brings_the_sentence_it_points_back_to() -> None:
    question = "Which tool consumes more memory?"
    text = "Aptitude is a full-screen package manager. It consumes more memory and runs slower. Funding rises."
    passages, ranked = _one_passage(text, (0.2, 0.9, 0.3))
    assert _evidence(question, passages, ranked) == [
        "Aptitude is a full-screen package manager.", "It consumes more memory and runs slower."]
    # both lead the answer, before the model writes: quoted alone, "It" would name nothing
    run = AnswerRun(Grounder(Calibration.load()), question, question, passages, Examination({}, 1.0, None, ranked))
    assert "".join(d.text for d in run.lead()) == (
        "Aptitude is a full-screen package manager [1]. It consumes more memory and runs slower [2].")
    # a question before it is no antecedent
    text = "Is aptitude slow? It consumes more memory and runs slower. Funding rises."
    assert _evidence(question, *_one_passage(text, (0.2, 0.9, 0.3))) == ["It consumes more memory and runs slower."]
    # the reason before a "So …" sentence may point back in turn; the sentence before it leads then, beyond the cap
    text = "Pointers are larger. This means objects take more space. So 64-bit builds run slower. Funding rises."
    passages, ranked = _one_passage(text, (0.1, 0.2, 0.9, 0.7))
    assert _evidence("Why do 64-bit builds run slower?", passages, ranked) == [
        "Pointers are larger.", "This means objects take more space.", "So 64-bit builds run slower.",
        "Funding rises."]


def test_the_sentence_after_the_best_that_goes_on_about_it_is_quoted_too() -> None:
    text = "A file named kcore is generally huge. This is a copy of the memory. Funding rises next year."
    assert _evidence("Why is the file kcore so huge?", *_one_passage(text, (0.9, 0.2, 0.3))) == [
        "A file named kcore is generally huge.", "This is a copy of the memory."]
    # one that does not point back stays out unless it ranks nearly as well
    text = "A file named kcore is generally huge. Memory is copied there. Funding rises next year."
    assert _evidence("Why is the file kcore so huge?", *_one_passage(text, (0.9, 0.2, 0.3))) == [
        "A file named kcore is generally huge."]
    # it takes no other sentence's place
    text = ("Aptitude resolves dependencies. It was written long ago. Apt-get resolves dependencies too. "
            "Synaptic resolves them as well.")
    assert _evidence("What resolves dependencies?", *_one_passage(text, (0.9, 0.01, 0.85, 0.8))) == [
        "Aptitude resolves dependencies.", "It was written long ago.", "Apt-get resolves dependencies too.",
        "Synaptic resolves them as well."]


def test_every_part_of_a_question_leads_with_its_answer_and_what_goes_on_about_it() -> None:
    # the first part's sentence ranks first; the second part's answer opens by pointing back ("This …")
    text = ("The stack holds N locations. This defaults to 10000 locations. The largest value accepted is 100000. "
            "Funding rises next year.")
    question = "What is the default size of the stack, and what is the largest value accepted?"
    passages, ranked = _one_passage(text, (0.9, 0.1, 0.8, 0.3))
    run = AnswerRun(Grounder(Calibration.load()), question, question, passages, Examination({}, 1.0, None, ranked))
    quote = [d.text.strip() for d in run.lead()]
    # each part's answer is quoted before the model writes (a small model often answers one part only)
    assert quote == ["The stack holds N locations [1].", "This defaults to 10000 locations [2].",
                     "The largest value accepted is 100000 [3]."]


def test_a_part_whose_best_sentence_ranks_low_does_not_lead() -> None:
    passages = _passages()
    grounder = Grounder(Calibration.load())

    def lead(question: str) -> list[str]:
        run = AnswerRun(grounder, question, question, passages,
                        Examination({}, 1.0, None, grounder.rank(question, passages)))
        return [d.text.strip() for d in run.lead()]

    assert lead("What do the rules cover, and what rises next year?") == [
        "The rules cover memory chips too [1].", "Research funding rises next year [2]."]
    # nothing answers the second part: its best sentence is no part of what every answer quotes
    assert lead("What do the rules cover, and who pays the coach of the football team?") == [
        "The rules cover memory chips too [1]."]


def test_complete_adds_what_of_the_best_quote_the_model_did_not_cite() -> None:
    question = "Why do 64-bit builds run slower?"
    text = "Pointers are larger in 64-bit builds. So 64-bit builds run slower. Funding rises next year."
    passages, ranked = _one_passage(text, (0.2, 0.9, 0.3))
    run = AnswerRun(Grounder(Calibration.load()), question, question, passages, Examination({}, 1.0, None, ranked))
    best = run.best_evidence()
    # the model's kept sentence cited the "So …" sentence: its reason is still added
    run.citations.append(Citation(marker=1, passage_id="p0", source="doc.txt", start=best[1].start, end=best[1].end,
                                  quote=best[1].text))
    assert [d.text.strip() for d in run.complete()] == ["Pointers are larger in 64-bit builds [2]."]
    assert list(run.complete()) == []  # all of it cited now


def test_a_quote_after_a_rule_or_bullet_cites_exactly_the_words_it_shows() -> None:
    text = "Credentials stay cached.\n\n---\ngit credential-cache exit stops the daemon. Funding rises next year."
    passages, ranked = _one_passage(text, (0.2, 0.9, 0.1))
    assert ranked[0].span.text.startswith("---\n")  # the sentence starts at the rule
    question = "How do I stop the credential cache daemon?"
    run = AnswerRun(Grounder(Calibration.load()), question, question, passages, Examination({}, 1.0, None, ranked))
    quoted = "".join(d.text for d in run.extractive())
    assert quoted.startswith("git credential-cache exit stops the daemon [1].")
    assert run.citations and all(text[c.start:c.end] == c.quote for c in run.citations)
    assert run.citations[0].quote == "git credential-cache exit stops the daemon."


def test_a_quote_keeps_a_leading_minus_or_stars_that_are_not_a_bullet() -> None:
    text = "Nights are cold.\n-5 °C is usual at night in winter. Funding rises next year."
    passages, ranked = _one_passage(text, (0.2, 0.9, 0.1))
    question = "How cold is it at night in winter?"
    run = AnswerRun(Grounder(Calibration.load()), question, question, passages, Examination({}, 1.0, None, ranked))
    list(run.extractive())
    assert run.citations[0].quote == "-5 °C is usual at night in winter."
    assert text[run.citations[0].start:run.citations[0].end] == run.citations[0].quote


def test_a_pdf_sentence_reads_as_one_line_and_its_html_twin_is_not_quoted_again() -> None:
    pdf = "If the -prefix-all-labels option is given, all labels are\nprefixed. Funding rises next year."
    html = "If the -prefix-all-labels option is given, all labels are prefixed. Funding rises next year."
    passages = [Passage(id="pdf", text=pdf, source="manual.pdf", start=0, end=len(pdf), score=0.6, page=12,
                        page_label="6"),
                Passage(id="html", text=html, source="manual.html", start=0, end=len(html), score=0.6)]
    ranked = [Candidate(i, span, 0.5, 0.5, True, score) for i, p in enumerate(passages)
              for span, score in zip(sentence_spans(p.text), (0.9 - i / 10, 0.1), strict=True)]
    ranked.sort(key=lambda c: c.score, reverse=True)
    question = "What does the -prefix-all-labels option do?"
    run = AnswerRun(Grounder(Calibration.load()), question, question, passages, Examination({}, 1.0, None, ranked))
    quoted = "".join(d.text for d in run.extractive())
    assert quoted == "If the -prefix-all-labels option is given, all labels are prefixed [1]."
    assert [c.quote for c in run.citations] == ["If the -prefix-all-labels option is given, all labels are\nprefixed."]
    assert pdf[run.citations[0].start:run.citations[0].end] == run.citations[0].quote
    assert (run.citations[0].page, run.citations[0].page_label) == (12, "6")  # the page as the passage has it


def test_the_sentence_giving_what_the_best_one_leads_into_is_quoted_with_it() -> None:
    # the best sentence names the kind of thing asked for, the next one lists them: typed, on the same subject
    lead = "Various environment settings decide where the cache lives."
    listed = "The environment settings CACHE, TMP and HOME are read in turn."
    question = "Which environment settings does the tool check to decide where the cache lives?"

    def evidence(text: str, typed: tuple[bool, bool, bool]) -> list[str]:
        passages = [Passage(id="p0", text=text, source="doc.txt", start=0, end=len(text), score=0.6)]
        ranked = [Candidate(0, span, 0.5, 0.5, is_typed, score) for span, is_typed, score
                  in zip(sentence_spans(text), typed, (0.9, 0.2, 0.3), strict=True)]
        return _evidence(question, passages, sorted(ranked, key=lambda c: c.score, reverse=True))

    assert evidence(f"{lead} {listed} Funding rises.", (False, True, True)) == [lead, listed]
    # not when the best one holds the kind asked for itself, nor when the next one does not
    assert evidence(f"{lead} {listed} Funding rises.", (True, True, True)) == [lead]
    assert evidence(f"{lead} {listed} Funding rises.", (False, False, True)) == [lead]
    # nor a list of something else after it
    assert evidence(f"{lead} Funding goes to A, B and C. Prices rise.", (False, True, True)) == [lead]
    # a date after a sentence may be another event's: only a list is taken so
    question = "When did the environment settings decide where the cache lives?"
    dated = "The environment settings changed on 3 May 2010."
    assert evidence(f"{lead} {dated} Funding rises.", (False, True, True)) == [lead]


def test_a_model_sentence_saying_in_its_own_words_what_an_abbreviation_stands_for_is_not_off_topic() -> None:
    text = "The rules follow the Chip Export Act (CEA) of this year."
    passages = [Passage(id="p0", text=text, source="doc.txt", start=0, end=len(text), score=0.6)]
    run = AnswerRun(Grounder(Calibration.load()), "What does CEA stand for?", "What does CEA stand for?", passages,
                    Examination({}, 1.0, None, []))
    assert run._off_topic("The CEA is the Chip Export Act.") == ""
    # other kinds asked for are still required ("how many" asks for an amount)
    count = AnswerRun(Grounder(Calibration.load()), "How many rules?", "How many rules?", passages,
                      Examination({}, 1.0, None, []))
    assert "gives no amount" in count._off_topic("The rules follow the Chip Export Act.")


def test_a_model_sentence_answering_either_part_of_a_two_part_question_gives_what_is_asked() -> None:
    text = "Prime Minister Fumio Kishida visited Washington on April 10."
    passages = [Passage(id="p0", text=text, source="doc.txt", start=0, end=len(text), score=0.6)]
    question = "What is the full name of the prime minister, and when did he visit Washington?"
    run = AnswerRun(Grounder(Calibration.load()), question, question, passages, Examination({}, 1.0, None, []))
    assert run._off_topic("The prime minister visited Washington on April 10.") == ""  # the second part's date
    assert "gives no full name" in run._off_topic("The prime minister visited Washington.")
    # a part asking what an abbreviation stands for may be answered in the model's own words
    question = "What does CEA stand for, and when was it passed?"
    run = AnswerRun(Grounder(Calibration.load()), question, question, passages, Examination({}, 1.0, None, []))
    assert run._off_topic("The CEA is the chip export act.") == ""


def test_a_pdf_quote_keeps_a_consoles_output_marks_when_its_lines_are_joined() -> None:
    pdf = "Typing statef at the prompt gives\n[1] tas sa qld\nas its levels. Funding rises next year."
    passages = [Passage(id="pdf", text=pdf, source="manual.pdf", start=0, end=len(pdf), score=0.6, page=3)]
    ranked = [Candidate(0, span, 0.5, 0.5, True, score) for span, score in zip(sentence_spans(pdf), (0.9, 0.1),
                                                                                strict=True)]
    question = "What does typing statef give?"
    run = AnswerRun(Grounder(Calibration.load()), question, question, passages, Examination({}, 1.0, None, ranked))
    assert "".join(d.text for d in run.extractive()) == "Typing statef at the prompt gives [1] tas sa qld as its " \
        "levels [1]."


def test_a_yes_no_question_gets_the_sentence_holding_what_it_asks_of_its_subject() -> None:
    # the best sentence names the paper; the one saying what it did names it otherwise and ranks low
    text = "The Asahi Shimbun reported the plan on Saturday. While the newspaper did not cite its sources, it hinted " \
           "at more. Funding rises next year."
    passages, ranked = _one_passage(text, (0.8, 0.45, 0.1))
    assert _evidence("Did the Asahi Shimbun cite its sources?", passages, ranked) == [
        "The Asahi Shimbun reported the plan on Saturday.",
        "While the newspaper did not cite its sources, it hinted at more."]
    # not below COMPLETES, and not for a question asking for something
    assert _evidence("Did the Asahi Shimbun cite its sources?", *_one_passage(text, (0.8, 0.3, 0.1))) == [
        "The Asahi Shimbun reported the plan on Saturday."]
    assert _evidence("Which paper cites its sources?", passages, ranked) == [
        "The Asahi Shimbun reported the plan on Saturday."]
