"""``assistant chat``: a conversation in the terminal, with the same grounding as the browser chat.

Follow-up questions borrow the subject of earlier ones (the history goes to :meth:`Assistant.stream`, as in the UI);
verified text streams as it is checked; citations follow each answer as numbered footnotes (source, character
offsets, page when known). Commands: ``/new`` starts over, ``/sources`` shows the passages the last answer was
built from, ``/quit`` (or Ctrl-D) leaves. Ctrl-C stops the answer being written, not the program. Lines are edited
with readline (arrows, history).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, TextIO

from assistant.errors import AssistantError
from assistant.results import INGEST_WAIT, Answer, Citation, TextDelta, page_name, translated_note

HELP = "Ask about your documents. /new starts over, /sources shows the last answer's passages, /quit leaves."
PROMPT = "you> "
PREVIEW_CHARS = 240  # passage text shown per source by /sources


class StreamingAssistant(Protocol):
    def stream(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Iterator[TextDelta | Answer]:
        ...


def searched(answer: Answer) -> str:
    """The word that introduces an answer's query: "searched", and from which language it was translated when it
    was."""
    return "searched" + translated_note(answer)


def footnote(c: Citation) -> str:
    """``[1] /docs/report.pdf, p. 3, chars 120-188: “quote”`` — the page only when the citation has one."""
    page = page_name(c.page, c.page_label)
    where = c.source + (f", {page}" if page else "") + f", chars {c.start}-{c.end}"
    return f"[{c.marker}] {where}: “{c.quote}”"


def changed_note(source: str) -> str:
    """What to say of a cited file that changed since it was indexed."""
    return (f"(!) {source} changed since it was indexed: its quotes are from the indexed text and its offsets may "
            "be off; run `assistant ingest` on it again")


class ChatSession:
    """One conversation: the history the assistant sees, and the last answer (for ``/sources``)."""

    def __init__(self, assistant: StreamingAssistant, out: TextIO, ingesting: Callable[[], bool] = lambda: False
                 ) -> None:
        self.assistant = assistant
        self.out = out
        self.ingesting = ingesting  # whether documents are being indexed now (answers wait for them)
        self.history: list[dict[str, str]] = []
        self.last: Answer | None = None
        # Set by Ctrl-C besides the KeyboardInterrupt it raises: a library may swallow the exception (one raised
        # while a finaliser runs is only printed), the flag stops the answer at its next piece all the same.
        self.interrupted = False

    def write(self, text: str = "", end: str = "\n") -> None:
        self.out.write(text + end)
        self.out.flush()

    def handle(self, line: str) -> bool:
        """Act on one input line; False when the conversation is over."""
        line = line.strip()
        if not line:
            return True
        if line.startswith("/"):
            return self.command(line)
        self.answer(line)
        return True

    def command(self, line: str) -> bool:
        name = line.split()[0].lower()
        if name in ("/quit", "/exit", "/q"):
            return False
        if name == "/new":
            self.history, self.last = [], None
            self.write("(new conversation)")
        elif name == "/sources":
            self.sources()
        elif name in ("/help", "/?"):
            self.write(HELP)
        else:
            self.write(f"unknown command {name}. {HELP}")
        return True

    def answer(self, question: str) -> None:
        """Stream the verified answer, then its footnotes. Ctrl-C (KeyboardInterrupt) passes through (the chat loop
        catches it) and keeps nothing of the turn."""
        if self.ingesting():
            self.write(f"({INGEST_WAIT})")
        events = self.assistant.stream(question, self.history)
        answer: Answer | None = None
        streamed = False
        try:
            for event in events:
                if self.interrupted:
                    raise KeyboardInterrupt
                if isinstance(event, TextDelta):
                    self.write(event.text, end="")
                    streamed = True
                else:
                    answer = event
        except AssistantError as e:
            self.write(("\n" if streamed else "") + f"error: {e}")
            return
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()  # ends the model's stream when the answer was interrupted
        if self.interrupted:
            raise KeyboardInterrupt
        if answer is None:
            self.write("\nerror: the assistant stopped without an answer; try again.")
            return
        if not streamed:
            self.write(answer.text, end="")
        self.write()
        if answer.refused and answer.refusal_reason:
            self.write(f"  (not answered: {answer.refusal_reason})")
        for c in answer.citations:
            self.write("  " + footnote(c))
        for source in answer.changed_sources:
            self.write("  " + changed_note(source))
        self.history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
        self.last = answer

    def sources(self) -> None:
        if self.last is None:
            self.write("(no answer yet)")
            return
        # in the order retrieval ranked them (by their words and their meaning together); the similarity is the
        # meaning's part alone, so it need not fall from one to the next
        self.write(f"{searched(self.last)}: {self.last.query}")
        for i, p in enumerate(self.last.passages, 1):
            text = " ".join(p.text.split())
            preview = text[:PREVIEW_CHARS] + ("…" if len(text) > PREVIEW_CHARS else "")
            page = f", {page_name(p.page, p.page_label)}" if p.page is not None else ""
            self.write(f"  {i}. {p.source}{page}, chars {p.start}-{p.end}, similarity {p.score:.2f}\n     {preview}")


def _readline(history_file: Path | None) -> Callable[[], None]:
    """Turn on line editing (importing readline does it for input()) and load the input history; returns the
    function that saves it."""
    try:
        import readline
    except ImportError:  # pragma: no cover - platforms without readline
        return lambda: None
    if history_file is None:
        return lambda: None
    with contextlib.suppress(OSError):
        if history_file.is_file():
            readline.read_history_file(history_file)
    readline.set_history_length(1000)

    def save() -> None:
        with contextlib.suppress(OSError):
            history_file.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history_file)

    return save


def run_chat(assistant: StreamingAssistant, out: TextIO, read: Callable[[str], str] = input,
             history_file: Path | None = None, echo: bool = False, ingesting: Callable[[], bool] = lambda: False
             ) -> None:
    """The read-answer loop, until /quit or end of input. Ctrl-C at the prompt clears the line; once a line is in,
    Ctrl-C stops what it started and the chat goes on. ``echo`` writes each line read after the prompt, for input
    that is not typed (piped from a file), which the terminal does not show: the transcript then reads as one."""
    save_history = _readline(history_file)
    session = ChatSession(assistant, out, ingesting)
    previous = None
    if threading.current_thread() is threading.main_thread():
        def on_sigint(signum: int, frame: object) -> None:
            session.interrupted = True
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGINT, on_sigint)
    session.write(HELP)
    try:
        while True:
            session.interrupted = False
            try:
                line = read(PROMPT)
            except EOFError:
                session.write()
                return
            except KeyboardInterrupt:
                session.write()
                continue
            if echo:
                session.write(line)
            # The whole turn, not only the answer's stream: the signal may land as soon as input() returns, before
            # the answer starts, or among the footnotes.
            try:
                if not session.handle(line):
                    return
            except KeyboardInterrupt:
                session.write("\n(stopped)")
    finally:
        save_history()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
