"""Chunking: passages follow paragraphs, lists and sentences, and their offsets are exact."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from assistant.chunking import Chunk, chunk_text
from assistant.config import PROJECT_ROOT
from assistant.text import split_sentences

SEED = PROJECT_ROOT / "assistant" / "seeds" / "000_9ff6f013cf416a85.txt"
SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")


def assert_exact(text: str, chunks: list[Chunk]) -> None:
    for i, c in enumerate(chunks):
        assert text[c.start : c.end] == c.text
        assert c.index == i
        assert c.text == c.text.strip() and c.text
    starts = [c.start for c in chunks]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))


def test_seed_key_points_list_is_one_passage_and_each_paragraph_another() -> None:
    text = SEED.read_text(encoding="utf-8")
    chunks = chunk_text(text, 700)
    assert_exact(text, chunks)
    lines = text.split("\n")
    assert chunks[0].text == "\n".join(lines[:5])  # "Key Points:" and its four bullets
    assert [c.text for c in chunks[1:]] == lines[5:]


def test_every_character_of_text_is_in_some_chunk_except_whitespace() -> None:
    text = SEED.read_text(encoding="utf-8")
    chunks = chunk_text(text, 200)
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(text[i].isspace() for i in range(len(text)) if i not in covered)


def test_long_paragraph_splits_at_sentence_ends_within_the_limit() -> None:
    sentences = [f"Sentence number {i} talks about topic {i} in some detail." for i in range(40)]
    text = " ".join(sentences)
    chunks = chunk_text(text, 300)
    assert len(chunks) > 5
    assert_exact(text, chunks)
    for c in chunks:
        assert len(c.text) <= 300
        assert c.text.startswith("Sentence number") and SENTENCE_END.search(c.text)
    assert " ".join(c.text for c in chunks) == text


def test_abbreviations_and_initials_do_not_end_a_sentence() -> None:
    text = ("Dr. Smith met J. Doe in the U.S. on Monday to talk about trade. " * 2).strip()
    chunks = chunk_text(text, 100)
    assert [c.text for c in chunks] == ["Dr. Smith met J. Doe in the U.S. on Monday to talk about trade."] * 2


@pytest.mark.parametrize(("text", "sentences"), [
    ("Stop! Then go.", ["Stop!", "Then go."]),
    ('He said "stop!" Then he left.', ['He said "stop!"', "Then he left."]),
    ("What is x? It is y.", ["What is x?", "It is y."]),
    # code, a quoted mark, a mark opening a line, a lower-case word after it: no sentence ends there
    ("! ($!) Expands to the process ID. Next one.", ["! ($!) Expands to the process ID.", "Next one."]),
    ("The status ($?) is zero. Done.", ["The status ($?) is zero.", "Done."]),
    ("If the reserved word ‘!’\nprecedes the pipeline, its status is negated. Next.",
     ["If the reserved word ‘!’\nprecedes the pipeline, its status is negated.", "Next."]),
    ("Yahoo! is a company. Next.", ["Yahoo! is a company.", "Next."]),
    # after markup, a sign or a space (French spacing), a question still ends
    ("How do I run `make`? Run it in the top directory.", ["How do I run `make`?", "Run it in the top directory."]),
    ("Is it *fast*? Yes, it is.", ["Is it *fast*?", "Yes, it is."]),
    ("Did it reach 100%? No.", ["Did it reach 100%?", "No."]),
    ("Qu'est-ce que R ? C'est un langage.", ["Qu'est-ce que R ?", "C'est un langage."]),
    ("The word `!` negates it. Next.", ["The word `!` negates it.", "Next."]),
    # a number opening its line numbers a heading or an item; elsewhere its full stop may end a sentence
    ("Intro.\n7. Installing\n\nRun it.", ["Intro.", "7. Installing", "Run it."]),
    ("2.1.1. Package configuration\n\nHere it is.", ["2.1.1. Package configuration", "Here it is."]),
    ("It was in 2023. The next year.", ["It was in 2023.", "The next year."]),
    # a full stop after a one-digit number ends a sentence as after any number ("UTF-8."), the line after it a heading
    ("It is assumed to be UTF-8.\n7.2 Localization of messages\n\nMost are.",
     ["It is assumed to be UTF-8.", "7.2 Localization of messages", "Most are."]),
    # a middle initial is no sentence end; a capital letter ending one before a function word or a name alone is
    ("By David A. James and W. N. Venables. Next.", ["By David A. James and W. N. Venables.", "Next."]),
    ("See Appendix A. The rest.", ["See Appendix A.", "The rest."]),
    # an address broken at a line end goes on; one ending a sentence before a capital does not
    ("It is at https://example.org/gfortran-8.\n2-Mojave.dmg. Next.",
     ["It is at https://example.org/gfortran-8.\n2-Mojave.dmg.", "Next."]),
    ("Files are in /usr/share/doc. Read them.", ["Files are in /usr/share/doc.", "Read them."]),
    # a footnote's number after a full stop ends the sentence with it; a version number does not
    ("Now d and z are the same.3 There is more.", ["Now d and z are the same.3", "There is more."]),
    ("It needs Python 3.3 Or later.", ["It needs Python 3.3 Or later."]),
    ("See Fig.3 The link libsatlas.so.3 R_HOME/lib.", ["See Fig.3 The link libsatlas.so.3 R_HOME/lib."]),
    # a one-digit number's full stop before a lower-case word or a mark goes on, as after a single letter
    ("Steps: 1. install it 2. run it. Done.", ["Steps: 1. install it 2. run it.", "Done."]),
    # an initial before a name, not a code name ("A.lib"); a path that is no address ends its sentence
    ("It is for B and C. A.lib does not contain code.", ["It is for B and C.", "A.lib does not contain code."]),
    ("See Brooks/Cole.\nis.unsorted Test if sorted.", ["See Brooks/Cole.", "is.unsorted Test if sorted."]),
    ("It runs in R. Packages are next. Use R. R is good.", ["It runs in R.", "Packages are next.", "Use R.",
                                                            "R is good."]),
])
def test_where_a_sentence_ends_after_marks_and_numbers(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_sentence_longer_than_the_limit_is_kept_whole() -> None:
    long_sentence = "This sentence " + "goes on and on " * 10 + "until it ends."
    text = f"Short one. {long_sentence} Another short one."
    chunks = chunk_text(text, 100)
    assert long_sentence in [c.text for c in chunks]


def test_text_without_sentences_is_cut_at_spaces_past_twice_the_limit() -> None:
    text = " ".join(f"word{i}" for i in range(400))  # ~3,000 chars, no punctuation
    chunks = chunk_text(text, 200)
    assert_exact(text, chunks)
    assert all(len(c.text) <= 200 for c in chunks)
    assert all(re.fullmatch(r"(word\d+ ?)+", c.text) for c in chunks)  # no word cut in half


def test_hard_wrapped_lines_join_into_one_paragraph() -> None:
    text = "The committee met on Tuesday and\ndiscussed the budget for the coming\nyear at length.\nA vote follows."
    chunks = chunk_text(text, 60)
    assert chunks[0].text == "The committee met on Tuesday and\ndiscussed the budget for the coming\nyear at length."
    assert chunks[-1].text == "A vote follows."


def test_heading_merges_with_its_paragraph() -> None:
    para = "Ollama serves the models locally and the assistant talks to it over HTTP. " * 3
    text = f"# Setup\n\n{para.strip()}\n\n# Usage\n\n{para.strip()}"
    chunks = chunk_text(text, 400)
    assert [c.text.split("\n")[0] for c in chunks] == ["# Setup", "# Usage"]
    assert len(chunks) == 2


def test_short_paragraphs_merge_while_they_fit() -> None:
    text = "One short line.\n\nAnother short line.\n\nA third one."
    assert [c.text for c in chunk_text(text, 700)] == [text]


def test_paragraphs_that_are_not_short_stay_separate() -> None:
    p1 = "First paragraph with enough words to be a passage on its own right here. " * 3
    p2 = "Second paragraph with enough words to be a passage on its own right too. " * 3
    text = f"{p1.strip()}\n\n{p2.strip()}"
    assert len(chunk_text(text, 700)) == 2


def test_long_list_splits_between_items() -> None:
    items = [f"- Item {i} is a reasonably long bullet point about thing {i}." for i in range(20)]
    text = "Things to know:\n" + "\n".join(items)
    chunks = chunk_text(text, 250)
    assert_exact(text, chunks)
    assert chunks[0].text.startswith("Things to know:\n- Item 0")
    for c in chunks:
        assert len(c.text) <= 250
        assert all(line.startswith(("- Item", "Things")) for line in c.text.split("\n"))


@pytest.mark.parametrize("chunk_chars", [100, 257, 700, 1500])
def test_offsets_are_exact_on_messy_text(chunk_chars: int) -> None:
    rng = random.Random(chunk_chars)
    words = ["alpha", "beta", "U.S.", "e.g.", "Mr.", "gamma!", "delta?", "“quoted.”", "x", "(paren).", "- item", "1."]
    parts = []
    for _ in range(600):
        parts.append(rng.choice(words))
        parts.append(rng.choice([" ", " ", " ", "\n", "\n\n", "  \n \n", "\t"]))
    text = "".join(parts)
    chunks = chunk_text(text, chunk_chars)
    assert_exact(text, chunks)
    assert all(len(c.text) <= 2 * chunk_chars for c in chunks)


def test_empty_and_blank_text_give_no_chunks() -> None:
    assert chunk_text("", 700) == []
    assert chunk_text(" \n\n \t\n", 700) == []
