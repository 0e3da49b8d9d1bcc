"""``Assistant.stream`` end to end with a scripted fake model, a fixed retriever and a bag-of-words fake embedder:
the gate, verification, early stop, extractive fallback and refusals, without a server."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.assistant import Assistant
from assistant.config import load_settings
from assistant.lexical import tokenize
from assistant.lexicon import CorpusTerms, Lexicon
from assistant.policy import condense
from assistant.prompts import Prompts
from assistant.results import Answer, IndexedDocument, Passage, TextDelta
from assistant.text import content_stems, strip_markers

DOC = ("President Biden is scheduled to host Prime Minister Kishida for an official visit to the U.S. on April 10. "
       "This meeting is expected to reinforce the global partnership between Japan and the U.S.\n\n"
       "This collaboration is expected to involve prominent tech companies such as Nvidia, Arm, and Amazon, among "
       "others, signaling a concerted effort to leverage expertise and resources.")


def _passages() -> list[Passage]:
    out, start = [], 0
    for i, text in enumerate(DOC.split("\n\n")):
        start = DOC.index(text, start)
        out.append(Passage(id=f"p{i}", text=text, source="doc.txt", start=start, end=start + len(text), score=0.6))
        start += len(text)
    return out


class FixedRetriever:
    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        return _passages()

    def count(self) -> int:
        return 2

    def documents(self) -> list[IndexedDocument]:
        return [IndexedDocument(source="doc.txt", passages=2)]


@dataclass
class _Chunk:
    delta: str
    raw: dict[str, Any]


class ScriptedLLM:
    """Streams the enqueued reply word by word; records how much of it was read and whether it was closed."""

    model = "scripted"
    base_url = "fake://"

    def __init__(self) -> None:
        self.replies: list[str] = []
        self.sent = 0
        self.closed = False

    def enqueue(self, text: str) -> None:
        self.replies.append(text)

    def stream_chat(self, messages: Sequence[Any]) -> Iterator[_Chunk]:
        words = self.replies.pop(0).split(" ")
        try:
            for i, w in enumerate(words):
                self.sent += 1
                yield _Chunk(w if i == 0 else f" {w}", {})
            yield _Chunk("", {"usage": {"prompt_tokens": 100, "completion_tokens": len(words)}})
        finally:
            self.closed = self.sent < len(words)


def bag_embed(texts: Sequence[str]) -> list[list[float]]:
    """Hashed bag of stems: similar wording → similar vectors, like a (much worse) sentence embedder."""
    out = []
    for t in texts:
        v = [0.0] * 64
        for st in content_stems(t):
            v[int(hashlib.md5(st.encode()).hexdigest(), 16) % 64] += 1.0
        n = math.sqrt(sum(x * x for x in v)) or 1.0
        out.append([x / n for x in v])
    return out


@pytest.fixture
def llm() -> ScriptedLLM:
    return ScriptedLLM()


def _built(retriever: Any, llm: ScriptedLLM, **parts: Any) -> Assistant:
    """An assistant over ``retriever`` with the default settings, the scripted model and the bag-of-words
    embedding; ``parts``: further parts (``lexicon``, ``translator``)."""
    settings = load_settings()
    return Assistant(retriever, llm, Prompts.load(settings.prompts_dir), settings, embed=bag_embed, **parts)


def _assistant(llm: ScriptedLLM, evidence_first: bool = False) -> Assistant:
    settings = load_settings()
    settings = settings.model_copy(update={"answer": settings.answer.model_copy(
        update={"evidence_first": evidence_first})})
    return Assistant(FixedRetriever(), llm, Prompts.load(settings.prompts_dir), settings,  # type: ignore[arg-type]
                     embed=bag_embed)


@pytest.fixture
def assistant(llm: ScriptedLLM) -> Assistant:
    """The model's sentences first (``evidence_first`` off), so each test sees what the model's text became."""
    return _assistant(llm)


def _run(a: Assistant, question: str) -> tuple[list[TextDelta], Answer]:
    events = list(a.stream(question))
    assert isinstance(events[-1], Answer)
    return [e for e in events[:-1] if isinstance(e, TextDelta)], events[-1]


def test_supported_sentence_is_cited_and_the_stream_stops_when_the_answer_is_done(assistant: Assistant,
                                                                                    llm: ScriptedLLM) -> None:
    llm.enqueue("Biden will host Kishida on April 10 [1]. " + "Kishida will host Biden on a later date. " * 10)
    deltas, answer = _run(assistant, "When will Biden host Kishida?")
    assert not answer.refused
    assert "".join(d.text for d in deltas) == answer.text
    assert answer.text.startswith("Biden will host Kishida on April 10 [1].")
    assert answer.citations and all(DOC[c.start:c.end] == c.quote for c in answer.citations)
    assert llm.closed, "the model should have been stopped once the question had its verified sentence"


def test_evidence_first_quotes_the_best_sentence_before_the_model_writes(llm: ScriptedLLM) -> None:
    llm.enqueue("Biden will host Kishida on April 10 [1]. This meeting will reinforce the global partnership between "
                "Japan and the U.S. [1]. " + "Kishida will host Biden on a later date. " * 10)
    events = _assistant(llm, evidence_first=True).stream("What will the meeting between Biden and Kishida do?")
    first = next(events)
    assert isinstance(first, TextDelta) and first.text.startswith("President Biden is scheduled to host")
    assert llm.sent == 0, "the first words came before the model was asked"
    *deltas, answer = [first, *events]
    assert isinstance(answer, Answer) and "".join(d.text for d in deltas if isinstance(d, TextDelta)) == answer.text
    assert answer.mode == "generated+extractive"
    assert answer.text.count("April 10") == 1, "the model's restatement of the quote is left out"
    assert any("restates" in r.reason for r in answer.removed)
    assert "reinforce the global partnership" in answer.text
    assert llm.closed and llm.sent < 45, "one failing sentence after the quote ends the model's turn"
    assert answer.timings.prompt_tokens > 0, "stopped before the server's counts: the prompt is counted here"
    assert answer.citations and all(DOC[c.start:c.end] == c.quote for c in answer.citations)


def test_evidence_first_with_nothing_kept_from_the_model_is_the_extractive_answer(llm: ScriptedLLM) -> None:
    llm.enqueue("Prime Minister Kishida will host President Biden [1].")
    quoted_first = _assistant(llm, evidence_first=True).ask("Who will host the official visit?")
    llm.enqueue("Prime Minister Kishida will host President Biden [1].")
    quoted_last = _assistant(llm).ask("Who will host the official visit?")
    assert quoted_first.mode == quoted_last.mode == "extractive"
    assert quoted_first.text == quoted_last.text


def test_recombined_claim_is_removed_and_the_passage_is_quoted_instead(assistant: Assistant,
                                                                      llm: ScriptedLLM) -> None:
    llm.enqueue("Prime Minister Kishida will host President Biden [1].")
    _, answer = _run(assistant, "Who will host the official visit?")
    assert answer.removed and "Kishida will host" in answer.removed[0].text
    assert answer.mode == "extractive"
    assert "President Biden is scheduled to host" in answer.text


def test_question_about_something_absent_is_refused_before_the_model_is_called(assistant: Assistant,
                                                                              llm: ScriptedLLM) -> None:
    _, answer = _run(assistant, "What did the Brazilian delegation sign in Oslo in 1997?")
    assert answer.refused and answer.refusal_reason
    assert llm.sent == 0


class VocabularyRetriever(FixedRetriever):
    """Also tells how much of a text the corpus holds (here: the words of DOC), as hybrid retrieval does."""

    def known_share(self, text: str) -> float | None:
        vocabulary = set(DOC.lower().split())
        terms = text.lower().split()
        return sum(t in vocabulary for t in terms) / len(terms) if terms else None


def test_a_follow_ups_borrowed_name_held_elsewhere_in_the_corpus_is_not_missing(llm: ScriptedLLM) -> None:
    a = _built(VocabularyRetriever(), llm)
    firms = [p for p in _passages() if "Nvidia" in p.text]  # no passage here names Kishida; the corpus does
    query = "Which companies will join? (official visit Kishida)"
    assert a.examine(query, firms, "Which companies will join?").features["rare"] == 1.0
    # asked by the question itself, or borrowed but never in the corpus, the name is missing
    assert a.examine(query, firms, query).features["rare"] < 1.0
    assert a.examine("Which companies will join? (official visit Suga)", firms, "Which companies will join?"
                     ).features["rare"] < 1.0


def test_a_follow_ups_borrowed_words_the_corpus_holds_are_not_asked_where_the_passages_hold_one(llm: ScriptedLLM
                                                                                                 ) -> None:
    a = _built(VocabularyRetriever(), llm)
    firms = [p for p in _passages() if "Nvidia" in p.text]  # "companies", but not "official visit"
    follow_up = "Who will join it?"
    query = condense(follow_up, [{"role": "user", "content": "Which companies come with the official visit?"}])
    assert a.examine(query, firms, follow_up).features["all_coverage"] \
        > a.examine(query, firms, query).features["all_coverage"]
    # a borrowed word no document holds ("climate summit") is still asked: the question before was about it
    query = condense(follow_up, [{"role": "user", "content": "Which companies come to the climate summit?"}])
    assert a.examine(query, firms, follow_up).features["all_coverage"] \
        == a.examine(query, firms, query).features["all_coverage"] < 1.0


class BlindRetriever(VocabularyRetriever):
    """Its passage names a call its vocabulary does not hold (a tokenizer may index it otherwise)."""

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        text = "Call visit.schedule() to plan the official visit of Kishida."
        return [Passage(id="q0", text=text, source="api.txt", start=0, end=len(text), score=0.6)]


class FootnotedRetriever(FixedRetriever):
    """Its passage carries the document's own footnote marks, as extracted from HTML."""

    TEXT = ("These postinst, preinst, postrm and prerm files [57] are called maintainer scripts. Package names are "
            "less than 24 characters.\n\n[15] Call a[15] to read the fifteenth.")

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        return [Passage(id="f0", text=self.TEXT, source="guide.html", start=0, end=len(self.TEXT), score=0.6)]


def test_a_documents_footnote_marks_are_left_out_of_the_quotes_and_the_citations_keep_them(llm: ScriptedLLM) -> None:
    a = _built(FootnotedRetriever(), llm)
    llm.enqueue("They are maintainer scripts.")
    answer = a.ask("What are the postinst, preinst, postrm and prerm files called?")
    assert not answer.refused, answer.refusal_reason
    assert "files are called maintainer scripts" in answer.text and "[57]" not in answer.text
    assert all(strip_markers(s)[1] and max(strip_markers(s)[1]) <= len(answer.citations)
               for s in answer.text.split(". ") if s.strip())
    assert all(FootnotedRetriever.TEXT[c.start:c.end] == c.quote for c in answer.citations)
    assert any("[57]" in c.quote for c in answer.citations)


def test_a_code_string_the_documents_nowhere_hold_is_refused_by_name(llm: ScriptedLLM) -> None:
    a = _built(VocabularyRetriever(), llm)
    llm.enqueue("Biden will host Kishida on April 10 [1].")
    _, answer = _run(a, "What does visit.schedule() say about the official visit of Kishida?")
    assert answer.refused and answer.refusal_reason == "the documents never mention visit.schedule()"
    assert llm.sent == 0
    _, answer = _run(a, "When will Biden host Kishida for an official visit?")
    assert not answer.refused, "the same question without the code string is answered"
    # a slash between function words names nothing
    llm.enqueue("Biden will host Kishida on April 10 [1].")
    _, answer = _run(a, "When will Biden and/or Kishida host the official visit?")
    assert not answer.refused
    # a string the retrieved passages hold is heard, whatever the index made of it
    a.retriever = BlindRetriever()
    llm.enqueue("It plans the official visit of Kishida [1].")
    _, answer = _run(a, "What does visit.schedule() say about the official visit of Kishida?")
    assert "never mention" not in answer.refusal_reason


def test_a_name_typed_with_a_capital_inside_the_documents_nowhere_hold_is_refused_by_name(llm: ScriptedLLM) -> None:
    a = _built(VocabularyRetriever(), llm)
    _, answer = _run(a, "When will Biden host Kishida for an official visit with MongoDB?")
    assert answer.refused and answer.refusal_reason == "the documents never mention MongoDB"
    assert llm.sent == 0
    # a word in capitals (emphasis, or an acronym the documents spell out) and a plain capitalised word (a city may
    # stand for its government) are not held to it
    for question in ("Is it OK that Biden will host Kishida for an official visit?",
                     "When will Biden host Kishida for an official visit to the USA?",
                     "When will Biden host Kishida for an official visit to Washington?"):
        llm.enqueue("Biden will host Kishida on April 10 [1].")
        _, answer = _run(a, question)
        assert not (answer.refusal_reason or "").startswith("the documents never mention"), question


class TermsRetriever(VocabularyRetriever):
    """Also gives the corpus's terms, as hybrid retrieval does."""

    def terms(self) -> CorpusTerms:
        return CorpusTerms(tokenize(DOC))


ENGLISH = Lexicon("when will host for an official visit with the and in on which".split())


def test_a_word_neither_english_nor_the_documents_know_is_refused_by_name(llm: ScriptedLLM) -> None:
    a = _built(TermsRetriever(), llm, lexicon=ENGLISH)
    _, answer = _run(a, "When will Biden host Kishida for an official visit with Podman?")
    assert answer.refused and answer.refusal_reason == "the documents never mention podman"
    assert llm.sent == 0
    # named once, as the name typed with a capital inside it also is
    _, answer = _run(a, "When will Biden host Kishida for an official visit with PodMan?")
    assert answer.refusal_reason == "the documents never mention PodMan"
    # a typo of the documents' word is no unknown word
    llm.enqueue("Biden will host Kishida on April 10 [1].")
    _, answer = _run(a, "When will Biden host Kishida for an oficial visit?")
    assert not (answer.refusal_reason or "").startswith("the documents never mention")
    # a follow-up's words borrowed from the question before are not the new question's
    history = [{"role": "user", "content": "When will Biden host Kishida for an official visit with Podman?"},
               {"role": "assistant", "content": "I can't answer that from the documents I have."}]
    llm.enqueue("Biden will host Kishida on April 10 [1].")
    answer = next(e for e in a.stream("And when will he host Kishida?", history) if isinstance(e, Answer))
    assert "Podman" in answer.query and not (answer.refusal_reason or "").startswith("the documents never mention")
    # without word lists nothing is refused for it
    a.lexicon = None
    llm.enqueue("Biden will host Kishida on April 10 [1].")
    _, answer = _run(a, "When will Biden host Kishida for an official visit with Podman?")
    assert not (answer.refusal_reason or "").startswith("the documents never mention")


def test_typos_are_corrected_from_the_passages_before_the_gate_and_the_model_see_the_question(
        assistant: Assistant, llm: ScriptedLLM) -> None:
    llm.enqueue("Nvidia, Arm, and Amazon are the tech companies involved [1].")
    _, answer = _run(assistant, "Which prominent tech compnies are involvd?")
    assert answer.query == "Which prominent tech companies are involve?"
    assert answer.question == answer.query
    assert not answer.refused and "Nvidia" in answer.text


def test_a_capital_the_corpus_never_writes_is_read_as_the_country_the_passages_name(llm: ScriptedLLM) -> None:
    a = _built(VocabularyRetriever(), llm)
    llm.enqueue("Biden will host Kishida on April 10 [1].")
    _, answer = _run(a, "Whom will Washington host for an official visit?")
    assert answer.query == answer.question == "Whom will U.S. host for an official visit?"
    assert not answer.refused and "Kishida" in answer.text
    # part of a longer name, it is left as written
    llm.enqueue("Biden will host Kishida on April 10 [1].")
    _, answer = _run(a, "Whom will George Washington host for an official visit?")
    assert answer.query == "Whom will George Washington host for an official visit?"


def test_an_answer_names_a_cited_file_that_changed_since_it_was_indexed(
        tmp_path: Path, llm: ScriptedLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.documents import content_hash

    doc = tmp_path / "doc.txt"
    doc.write_text(DOC, encoding="utf-8")
    indexed = content_hash(DOC.encode())
    passages = [p.model_copy(update={"source": str(doc), "doc_hash": indexed}) for p in _passages()]
    monkeypatch.setattr(FixedRetriever, "retrieve", lambda self, query, k=None: passages)
    a = _assistant(llm)
    llm.enqueue("Biden will host Kishida on April 10 [1].")
    _, answer = _run(a, "When will Biden host Kishida?")
    assert answer.citations and answer.changed_sources == []
    doc.write_text("A preface line.\n\n" + DOC, encoding="utf-8")  # the offsets no longer point at the quote
    llm.enqueue("Biden will host Kishida on April 10 [1].")
    _, answer = _run(a, "When will Biden host Kishida?")
    assert answer.changed_sources == [str(doc)]
    doc.unlink()  # gone, or an index built on another machine: nothing to compare with
    llm.enqueue("Biden will host Kishida on April 10 [1].")
    assert _run(a, "When will Biden host Kishida?")[1].changed_sources == []


class DictTranslator:
    """Reads Spanish in English from a dictionary of whole texts."""

    def __init__(self, read: dict[str, str]) -> None:
        self.read = read
        self.asked: list[tuple[str, str, str]] = []

    def route(self, source: str, target: str) -> list[str] | None:
        return ["spa-eng"] if (source, target) == ("es", "en") else None

    def sources(self, target: str) -> set[str]:
        return {"es"} if target == "en" else set()

    def translate(self, text: str, source: str, target: str) -> str | None:
        self.asked.append((text, source, target))
        return self.read.get(text)


def _translating(llm: ScriptedLLM, read: dict[str, str]) -> Assistant:
    return _built(FixedRetriever(), llm, translator=DictTranslator(read))


ASKED = "¿Qué empresas tecnológicas participarán en la colaboración?"
READ = "Which tech companies are expected to be involved in this collaboration?"


def test_a_question_in_another_language_is_searched_and_answered_as_translated(llm: ScriptedLLM) -> None:
    a = _translating(llm, {ASKED: READ})
    llm.enqueue("Nvidia, Arm and Amazon are expected to be involved [1].")
    _, answer = _run(a, ASKED)
    assert a.translator is not None and a.translator.asked == [(ASKED, "es", "en")]  # type: ignore[attr-defined]
    assert answer.query == READ and answer.question == ASKED and answer.translated_from == "es"
    assert not answer.refused and "Nvidia" in answer.text


def test_without_a_translation_a_question_in_another_language_is_refused_saying_why(llm: ScriptedLLM) -> None:
    _, answer = _run(_translating(llm, {}), ASKED)  # a direction, but the translation failed
    assert answer.refused and "another language (es)" in answer.refusal_reason
    assert answer.query == ASKED and not answer.translated_from
    _, answer = _run(_assistant(llm), ASKED)  # no translator at all
    assert answer.refused and answer.refusal_reason.endswith("(no Apertium translation from es to en is installed)")


def test_a_translated_question_is_not_refused_for_words_english_does_not_know(llm: ScriptedLLM) -> None:
    """A word the translation left as it was may be one of the question's language, not a name."""
    asked, read = "¿Qué empresas tecnológicas participarán en la colaboración zorbo?", \
        "Which tech companies are expected to be involved in this colaboración?"
    a = _built(TermsRetriever(), llm, translator=DictTranslator({asked: read}), lexicon=ENGLISH)
    llm.enqueue("Nvidia, Arm and Amazon are expected to be involved [1].")
    _, answer = _run(a, asked)
    assert answer.translated_from == "es" and not (answer.refusal_reason or "").startswith("the documents never")
    assert a.examine(read, _passages(), read).refusal == "the documents never mention colaboración"


def test_an_english_question_is_not_translated(llm: ScriptedLLM) -> None:
    a = _translating(llm, {})
    llm.enqueue("Nvidia, Arm and Amazon are expected to be involved [1].")
    _, answer = _run(a, READ)
    assert a.translator is not None and a.translator.asked == []  # type: ignore[attr-defined]
    assert answer.query == READ and not answer.translated_from


def test_a_follow_up_borrows_from_the_previous_question_as_translated(llm: ScriptedLLM) -> None:
    a = _translating(llm, {"¿Cuándo recibirá Biden a Kishida?": "When will Biden receive Kishida?"})
    llm.enqueue("The visit is on April 10 [1].")
    history = [{"role": "user", "content": "¿Cuándo recibirá Biden a Kishida?"},
               {"role": "assistant", "content": "On April 10 [1]."}]
    answer = a.ask("And for what kind of visit?", history)
    assert answer.query == "for what kind of visit? (Biden receive Kishida)"  # not "(Cuándo recibirá …)"
    assert answer.question == "And for what kind of visit?" and not answer.translated_from
