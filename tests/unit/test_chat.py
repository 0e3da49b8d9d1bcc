"""The terminal chat's session logic, with a scripted assistant (the real terminal is tested through a pty in
tests/integration/test_cli_chat.py)."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from assistant.chat import ChatSession, footnote, run_chat
from assistant.errors import ServerUnavailableError
from assistant.results import Answer, Citation, Passage, TextDelta

CITED = Citation(marker=1, passage_id="g:0", source="/docs/report.txt", start=10, end=42, quote="It is in April.")


class ScriptedAssistant:
    def __init__(self) -> None:
        self.script: list[list[TextDelta | Answer | BaseException]] = []
        self.histories: list[list[dict[str, Any]]] = []

    def enqueue(self, *parts: str | BaseException, refused: str = "", citations: Sequence[Citation] = ()) -> None:
        text = "".join(p for p in parts if isinstance(p, str))
        answer = Answer(question="q", text=text, refused=bool(refused), refusal_reason=refused, query="searched q",
                        citations=list(citations),
                        passages=[Passage(id="g:0", text="It is in April. " * 30, source="/docs/report.txt",
                                          start=0, end=480, score=0.71),
                                  Passage(id="h:2", text="A state visit.", source="/docs/visit.pdf", start=90,
                                          end=104, score=0.74, page=3)])
        self.script.append([*(TextDelta(text=p) if isinstance(p, str) else p for p in parts), answer])

    def stream(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Iterator[TextDelta | Answer]:
        self.histories.append(list(history or []))
        for step in self.script.pop(0):
            if isinstance(step, BaseException):
                raise step
            yield step


def test_footnote_shows_source_offsets_quote_and_the_page_when_known() -> None:
    assert footnote(CITED) == "[1] /docs/report.txt, chars 10-42: “It is in April.”"
    paged = CITED.model_copy(update={"page": 3})
    assert footnote(paged) == "[1] /docs/report.txt, p. 3, chars 10-42: “It is in April.”"
    printed = CITED.model_copy(update={"page": 9, "page_label": "iv"})  # printed on the page, then the file's
    assert footnote(printed) == "[1] /docs/report.txt, p. iv (PDF p. 9), chars 10-42: “It is in April.”"


def test_answer_streams_then_footnotes_and_follow_ups_get_the_history() -> None:
    fake, out = ScriptedAssistant(), io.StringIO()
    fake.enqueue("In April [1].", " A state visit [1].", citations=[CITED])
    fake.enqueue("In Washington [1].", citations=[CITED])
    session = ChatSession(fake, out)
    session.handle("When is the visit?")
    session.handle("Where?")
    assert "In April [1]. A state visit [1].\n  [1] /docs/report.txt, chars 10-42: “It is in April.”" in out.getvalue()
    assert fake.histories[1] == [{"role": "user", "content": "When is the visit?"},
                                 {"role": "assistant", "content": "In April [1]. A state visit [1]."}]


def test_new_forgets_the_conversation_and_sources_lists_the_last_passages() -> None:
    fake, out = ScriptedAssistant(), io.StringIO()
    fake.enqueue("In April [1].", citations=[CITED])
    fake.enqueue("Unrelated.")
    session = ChatSession(fake, out)
    session.handle("/sources")
    assert "(no answer yet)" in out.getvalue()
    session.handle("When?")
    session.handle("/sources")
    shown = out.getvalue()
    assert "searched: searched q" in shown and "1. /docs/report.txt, chars 0-480, similarity 0.71" in shown
    assert "2. /docs/visit.pdf, p. 3, chars 90-104, similarity 0.74" in shown  # the page, as citations give it
    session.handle("/new")
    session.handle("Something else?")
    assert fake.histories[1] == []


def test_sources_say_when_the_query_was_translated() -> None:
    fake, out = ScriptedAssistant(), io.StringIO()
    fake.enqueue("In April [1].", citations=[CITED])
    fake.script[0][-1] = fake.script[0][-1].model_copy(update={"translated_from": "es"})  # type: ignore[union-attr]
    session = ChatSession(fake, out)
    session.handle("¿Cuándo es la visita?")
    session.handle("/sources")
    assert "searched (translated from es by Apertium): searched q" in out.getvalue()


class CtrlCBeforeTheStream(ScriptedAssistant):
    def stream(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Iterator[TextDelta | Answer]:
        if question == "Now?":  # Ctrl-C as soon as the line is in: the answer's stream does not exist yet
            raise KeyboardInterrupt
        return super().stream(question, history)


class CtrlCAtTheFirstFootnote(io.StringIO):
    armed = True

    def write(self, s: str) -> int:
        if self.armed and s.startswith("  [1]"):
            self.armed = False
            raise KeyboardInterrupt
        return super().write(s)


def test_ctrl_c_stops_the_turn_wherever_it_lands_keeps_nothing_and_the_chat_goes_on() -> None:
    fake, out = CtrlCBeforeTheStream(), CtrlCAtTheFirstFootnote()
    fake.enqueue("Whole [1].", citations=[CITED])
    fake.enqueue("Half an answer", KeyboardInterrupt())
    fake.enqueue("Next [1].", citations=[CITED])
    fake.enqueue("Last.")
    lines = ["When?", "Now?", "Why?", "Again?", "And?", "/quit"]
    try:
        run_chat(fake, out, read=lambda _: lines.pop(0))
    except KeyboardInterrupt:  # would abort the whole pytest run
        pytest.fail(f"Ctrl-C ended the chat; output:\n{out.getvalue()}")
    assert not lines and out.getvalue().count("(stopped)") == 3 and "Half an answer\n(stopped)" in out.getvalue()
    assert fake.histories == [[], [], [], [{"role": "user", "content": "Again?"},
                                           {"role": "assistant", "content": "Next [1]."}]]


def test_refusal_shows_the_reason_and_errors_are_one_line() -> None:
    fake, out = ScriptedAssistant(), io.StringIO()
    fake.enqueue("The documents do not say.", refused="no passage names a city")
    fake.script.append([ServerUnavailableError("Ollama is not reachable at http://x")])
    session = ChatSession(fake, out)
    session.handle("Which city?")
    session.handle("When?")
    text = out.getvalue()
    assert "The documents do not say.\n  (not answered: no passage names a city)" in text
    assert "error: Ollama is not reachable at http://x" in text


def test_loop_ends_on_quit_or_end_of_input_and_ignores_ctrl_c_at_the_prompt() -> None:
    fake, out = ScriptedAssistant(), io.StringIO()
    fake.enqueue("Yes [1].", citations=[CITED])
    lines: list[str | BaseException] = [KeyboardInterrupt(), "Is it?", "/quit", "never read"]

    def read(_: str) -> str:
        item = lines.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    run_chat(fake, out, read=read)
    assert lines == ["never read"] and "Yes [1]." in out.getvalue()
    run_chat(ScriptedAssistant(), out, read=lambda _: (_ for _ in ()).throw(EOFError()))  # Ctrl-D leaves quietly


@pytest.mark.parametrize("echo", [True, False])
def test_piped_input_is_echoed_so_the_transcript_shows_each_question(echo: bool) -> None:
    fake, out, lines = ScriptedAssistant(), io.StringIO(), ["Is it?", "/quit"]
    fake.enqueue("Yes [1].", citations=[CITED])

    def read(prompt: str) -> str:  # as input() does: the prompt, then the line (shown only when typed)
        out.write(prompt)
        return lines.pop(0)

    run_chat(fake, out, read=read, echo=echo)
    assert ("you> Is it?\nYes [1]." in out.getvalue()) is echo


def test_a_ctrl_c_whose_exception_was_swallowed_still_stops_the_answer() -> None:
    out = io.StringIO()

    class Interrupted:
        def stream(self, question: str, history: Sequence[dict[str, Any]] | None = None
                   ) -> Iterator[TextDelta | Answer]:
            yield TextDelta(text="In April [1].")
            session.interrupted = True  # Ctrl-C, its KeyboardInterrupt caught inside some library
            yield TextDelta(text=" A state visit [1].")
            yield Answer(question=question, text="In April [1]. A state visit [1].")

    session = ChatSession(Interrupted(), out)
    with pytest.raises(KeyboardInterrupt):
        session.handle("When is the visit?")
    assert "In April [1]." in out.getvalue() and "A state visit" not in out.getvalue()
    assert session.history == []


@pytest.mark.parametrize("busy", [False, True])
def test_a_question_asked_while_documents_are_indexed_says_why_it_waits(busy: bool) -> None:
    fake, out, lines = ScriptedAssistant(), io.StringIO(), ["Is it?", "/quit"]
    fake.enqueue("Yes [1].", citations=[CITED])
    run_chat(fake, out, read=lambda _: lines.pop(0), ingesting=lambda: busy)
    assert ("(Documents are being indexed now" in out.getvalue()) is busy
    assert "Yes [1]." in out.getvalue()
